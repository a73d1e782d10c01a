"""`prep` end to end on real files: layout, labels, report, skips, duplicates, resume, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from prep_media import cmyk_jpeg, jpeg, png, scene, with_exif_orientation, write_video

from installation.dataset.options import PrepOptions
from installation.dataset.pipeline import paths_for, prepare
from installation.errors import UserError

REPO = Path(__file__).resolve().parents[2]
SIZE = 256


def options(**changes: object) -> PrepOptions:
    return PrepOptions(**{"size": SIZE, "workers": 0, **changes})


def make_mixed_folder(root: Path) -> dict[str, int]:
    """Every kind of input; returns how many pictures of each kind should come out."""
    (root / "deep" / "er").mkdir(parents=True)
    for seed in range(3):
        (root / f"photo{seed}.jpg").write_bytes(jpeg(scene(seed, 400, 300)))
    # A resized, recompressed copy of photo0: a near-duplicate. And a byte-for-byte copy.
    copy = cv2.resize(scene(0, 400, 300), (300, 225), interpolation=cv2.INTER_AREA)
    (root / "deep" / "photo0-small.jpg").write_bytes(jpeg(copy, 70))
    (root / "deep" / "er" / "photo1-again.jpg").write_bytes((root / "photo1.jpg").read_bytes())
    (root / "rotated.jpg").write_bytes(with_exif_orientation(jpeg(scene(10, 320, 200)), 6))
    inks = np.zeros((32, 32, 4), np.uint8)
    inks[..., 0] = np.arange(32)[:, None] * 8  # cyan ramp down, magenta ramp across
    inks[..., 1] = np.arange(32)[None, :] * 8
    (root / "cmyk.jpg").write_bytes(cmyk_jpeg(inks))
    (root / "gray.png").write_bytes(png(cv2.cvtColor(scene(11, 300, 300), cv2.COLOR_BGR2GRAY)))
    rgba = np.dstack([scene(12, 300, 260), np.tile(np.linspace(0, 255, 300, dtype=np.uint8), (260, 1))])
    (root / "alpha.png").write_bytes(png(rgba))
    full = jpeg(scene(13, 300, 300))
    (root / "truncated.jpg").write_bytes(full[: len(full) // 2])
    (root / "text.jpg").write_text("this is not a picture")
    (root / "notes.txt").write_text("not a picture either")
    (root / "fake.mp4").write_text("not a video")
    (root / "tiny.png").write_bytes(png(scene(14, 100, 80)))
    (root / ".hidden.jpg").write_bytes(jpeg(scene(15, 300, 300)))
    write_video(root / "clip.avi", [scene(20 + i, 320, 240) for i in range(3)], fps=10, seconds_each=1)
    return {"written": 3 + 1 + 1 + 1 + 1 + 3, "skipped": 5, "exact": 1, "near": 1}


def read_zip(path: Path) -> tuple[list[str], dict, list[np.ndarray]]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        meta = json.loads(archive.read("dataset.json"))
        images = [
            cv2.imdecode(np.frombuffer(archive.read(n), np.uint8), cv2.IMREAD_UNCHANGED)
            for n in names
            if n.endswith(".png")
        ]
    return names, meta, images


def test_mixed_folder_to_zip(tmp_path: Path) -> None:
    expected = make_mixed_folder(tmp_path / "src")
    out = tmp_path / "data" / "set.zip"
    out.parent.mkdir()
    outcome = prepare([tmp_path / "src"], out, options(), show_progress=False)

    names, meta, images = read_zip(out)
    count = expected["written"]
    assert names == [f"00000/img{i:08d}.png" for i in range(count)] + ["dataset.json"]
    assert meta == {"labels": None}
    assert all(i.shape == (SIZE, SIZE, 3) and i.dtype == np.uint8 for i in images)
    with zipfile.ZipFile(out) as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}

    counts = outcome.counts()
    assert counts["written"] == count
    assert counts["frames"] == 3 and counts["videos"] == 2  # one of them unreadable
    assert counts["exact_duplicates"] == expected["exact"]
    assert counts["near_duplicates"] == expected["near"]
    reasons = {Path(s.path).name: s.reason for s in outcome.skipped}
    assert set(reasons) == {"truncated.jpg", "text.jpg", "notes.txt", "tiny.png", "fake.mp4"}
    assert reasons["fake.mp4"].startswith("not a readable video")
    assert reasons["truncated.jpg"].startswith("truncated JPEG")
    assert reasons["text.jpg"].startswith("not a readable image")
    assert reasons["notes.txt"].startswith("not an image or video")
    assert reasons["tiny.png"].startswith("too small")
    near = [d for d in outcome.duplicates if d[2].startswith("near")]
    assert near[0][0].source.path.name == "photo0-small.jpg" and near[0][1].source.path.name == "photo0.jpg"

    _, report, summary = paths_for(out)
    assert not paths_for(out)[0].exists()  # the work folder is gone
    data = json.loads(summary.read_text())
    assert data["counts"] == counts
    html = report.read_text()
    assert f"<th>pictures written</th><td class='n'>{count}</td>" in html
    assert f"<th>files skipped</th><td class='n'>{expected['skipped']}</td>" in html
    assert "truncated.jpg" in html and "data:image/jpeg;base64," in html
    assert html.count("<svg") == 5 and "src=" not in html.replace("src='data:", "")


def test_exif_rotation_reaches_the_data_set(tmp_path: Path) -> None:
    picture = np.zeros((200, 400, 3), np.uint8)
    picture[:, :200] = (0, 0, 255)  # red left half
    picture[:, 200:] = (255, 0, 0)  # blue right half
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "turned.jpg").write_bytes(with_exif_orientation(jpeg(picture), 6))
    prepare([tmp_path / "src"], tmp_path / "out.zip", options(), show_progress=False)
    (image,) = read_zip(tmp_path / "out.zip")[2]
    # Turned a quarter clockwise the red half is on top; without EXIF it would be on the left.
    assert image[20, 128].tolist() == pytest.approx([0, 0, 255], abs=6)
    assert image[235, 128].tolist() == pytest.approx([255, 0, 0], abs=6)


def test_labels_from_folders_into_a_folder(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name, seeds in {"cats": [1, 2], "birds": [3], "dogs": [4, 5]}.items():
        (src / name / "sub").mkdir(parents=True)
        for seed in seeds:
            (src / name / "sub" / f"{seed}.png").write_bytes(png(scene(seed, 300, 300)))
    (src / "loose.png").write_bytes(png(scene(9, 300, 300)))
    out = tmp_path / "set"
    outcome = prepare([src], out, options(labels_from_folders=True), show_progress=False)

    assert outcome.classes == ["birds", "cats", "dogs"]  # folders are read in sorted order
    meta = json.loads((out / "dataset.json").read_text())
    assert meta == {"labels": [[f"00000/img{i:08d}.png", label] for i, label in enumerate([0, 1, 1, 2, 2])]}
    assert sorted(p.name for p in (out / "00000").iterdir()) == [f"img{i:08d}.png" for i in range(5)]
    assert [s.reason for s in outcome.skipped] == ["not inside a class sub-folder (--labels-from-folders)"]
    assert (tmp_path / "set.report.html").is_file()


def test_thousand_per_folder(tmp_path: Path) -> None:
    from installation.dataset.writer import archive_name

    assert archive_name(999) == "00000/img00000999.png"
    assert archive_name(1000) == "00001/img00001000.png"
    assert archive_name(123456) == "00123/img00123456.png"


def test_interrupted_run_leaves_no_data_set_and_resumes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for seed in range(6):
        (src / f"{seed}.jpg").write_bytes(jpeg(scene(seed, 300, 300)))
    out = tmp_path / "out.zip"
    seen: list[str] = []

    def interrupt(source: object, record: object) -> None:
        seen.append(str(source))
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        prepare([src], out, options(), on_record=interrupt, show_progress=False)
    assert not out.exists() and not paths_for(out)[1].exists()
    assert paths_for(out)[0].is_dir()

    resumed = prepare([src], out, options(), show_progress=False)
    assert resumed.counts()["reused"] == 3 and resumed.counts()["written"] == 6
    fresh = prepare([src], tmp_path / "fresh.zip", options(), show_progress=False)
    assert fresh.counts()["reused"] == 0
    resumed_images, fresh_images = read_zip(out)[2], read_zip(tmp_path / "fresh.zip")[2]
    assert len(resumed_images) == len(fresh_images) == 6
    assert all(np.array_equal(a, b) for a, b in zip(resumed_images, fresh_images, strict=True))


def test_changed_source_is_processed_again(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jpg").write_bytes(jpeg(scene(1, 300, 300)))
    out = tmp_path / "out.zip"
    with pytest.raises(KeyboardInterrupt):
        prepare(
            [src],
            out,
            options(),
            on_record=lambda s, r: (_ for _ in ()).throw(KeyboardInterrupt),
            show_progress=False,
        )
    (src / "a.jpg").write_bytes(jpeg(scene(2, 300, 300)))
    os.utime(src / "a.jpg", ns=(1, 1))
    assert prepare([src], out, options(), show_progress=False).counts()["reused"] == 0


def test_xflip_is_recorded_and_mirrored_copies_go(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    picture = scene(4, 300, 300)
    (src / "a.png").write_bytes(png(picture))
    (src / "b.png").write_bytes(png(cv2.flip(picture, 1)))
    outcome = prepare([src], tmp_path / "out.zip", options(xflip=True), show_progress=False)
    assert outcome.counts()["written"] == 1
    summary = json.loads(paths_for(tmp_path / "out.zip")[2].read_text())
    assert summary["settings"]["xflip"] is True and summary["train_with"] == {"mirror": 1}


def test_dedupe_zero_keeps_near_duplicates(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jpg").write_bytes(jpeg(scene(1, 400, 400)))
    (src / "b.jpg").write_bytes(jpeg(scene(1, 400, 400), 60))
    assert prepare([src], tmp_path / "o.zip", options(dedupe=0), show_progress=False).counts()["written"] == 2


def test_nothing_usable_is_a_user_error(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "broken.jpg").write_text("nope")
    (src / "small.png").write_bytes(png(scene(1, 50, 50)))
    with pytest.raises(UserError, match="no usable images"):
        prepare([src], tmp_path / "out.zip", options(), show_progress=False)
    assert not (tmp_path / "out.zip").exists() and not paths_for(tmp_path / "out.zip")[0].exists()
    with pytest.raises(UserError, match="not found"):
        prepare([tmp_path / "missing"], tmp_path / "out.zip", options(), show_progress=False)


def test_existing_output_needs_overwrite(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.png").write_bytes(png(scene(1, 300, 300)))
    out = tmp_path / "set"
    prepare([src], out, options(), show_progress=False)
    with pytest.raises(UserError, match="already exists"):
        prepare([src], out, options(), show_progress=False)
    (src / "b.png").write_bytes(png(scene(2, 300, 300)))
    prepare([src], out, options(overwrite=True), show_progress=False)
    assert len(list((out / "00000").iterdir())) == 2
    with pytest.raises(UserError, match="inside the source"):
        prepare([tmp_path], tmp_path / "x.zip", options(), show_progress=False)


def test_run_py_prep_in_a_subprocess(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for seed in range(4):
        (src / f"{seed}.jpg").write_bytes(jpeg(scene(seed, 500, 300)))
    (src / "bad.jpg").write_text("bad")
    out = tmp_path / "set.zip"
    command = [
        sys.executable,
        str(REPO / "run.py"),
        "prep",
        str(src),
        "--out",
        str(out),
        "--size",
        "256",
        "--crop",
        "smart",
        "--workers",
        "2",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "4 pictures written" in done.stdout and "1 files skipped" in done.stdout
    assert "prep [" in done.stderr  # the progress bar's last line
    assert len(read_zip(out)[2]) == 4
    again = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert again.returncode == 2 and again.stderr.strip().startswith("error: ")
    assert len(again.stderr.strip().splitlines()) == 1


def test_run_py_prep_takes_any_power_of_two_size(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from installation.cli import main

    src = tmp_path / "src"
    src.mkdir()
    for seed in range(2):
        (src / f"{seed}.jpg").write_bytes(jpeg(scene(seed, 300, 200)))
    out = tmp_path / "quick.zip"
    assert main(["prep", str(src), "--out", str(out), "--size", "128", "--workers", "0"]) == 0
    with zipfile.ZipFile(out) as archive:
        first = next(n for n in archive.namelist() if n.endswith(".png"))
        picture = cv2.imdecode(np.frombuffer(archive.read(first), np.uint8), cv2.IMREAD_UNCHANGED)
    assert picture.shape[:2] == (128, 128)
    capsys.readouterr()
    assert main(["prep", str(src), "--out", str(tmp_path / "odd.zip"), "--size", "300"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --size must be a power of two from 16 to 4096") and err.count("\n") == 1
    assert not (tmp_path / "odd.zip").exists()
