"""The benchmark's machinery, on two small JPEGs (the real run uses 48 of 12 megapixels)."""

from __future__ import annotations

from pathlib import Path

import cv2

from installation.dataset import bench


def test_generated_photos_have_the_asked_size(tmp_path: Path) -> None:
    (path,) = bench.make_photos(tmp_path, 1, 0.48)
    assert cv2.imread(str(path)).shape == (600, 800, 3)


def test_benchmark_runs_and_tabulates() -> None:
    result = bench.run(count=2, worker_counts=[1], size=256, megapixels=0.5)
    assert [r["workers"] for r in result["runs"]] == [1]
    assert result["runs"][0]["images"] == 2 and result["runs"][0]["process_images_per_s"] > 0
    assert "decode (1/2 scale)" in result["stages_ms"]
    text = bench.table(result)
    assert "images/s" in text and "PNG encode" in text
