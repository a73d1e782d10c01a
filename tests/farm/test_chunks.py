"""A render in chunks: any chunk, rendered anywhere and in any order, has the same bytes, and
the chunks join into one video by copying their packets."""

from __future__ import annotations

import sys

import av
import numpy as np
import pytest

from installation.cli import main
from installation.farm.chunks import chunk_path, chunk_ranges, join_chunks
from installation.farm.job import JobRenderer, RenderJob
from installation.show.loader import load_show
from installation.sinks import frame_times
from tests.sinks.show_files import write_show

FPS = 6


def test_chunks_are_whole_batches_covering_every_frame_once():
    plan = chunk_ranges(47, 2.0, 6, 5)  # 12 frames a chunk, rounded to whole batches: 10
    assert [(r.start, r.stop) for r in plan] == [(0, 10), (10, 20), (20, 30), (30, 40), (40, 47)]
    assert chunk_ranges(3, 0.01, 30, 4) == [range(0, 3)]  # never less than one batch


@pytest.fixture(scope="module")
def job(tmp_path_factory) -> RenderJob:
    path = write_show(tmp_path_factory.mktemp("show"), period=2.0)
    path.write_text(path.read_text().replace("[render]\n", "[render]\nbatch = 3\n"))
    times = tuple(frame_times(3.0, FPS))
    # 128 px: x264 itself gives different files from the same frames below about that (measured)
    return RenderJob(load_show(path), times, FPS, size=(128, 128), backend="torch", threads=1)


def decoded(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_chunks_in_any_order_have_the_bytes_of_chunks_in_order_and_join_by_copy(job, tmp_path):
    plan = chunk_ranges(len(job.times), 1.0, FPS, 3)
    assert len(plan) == 3
    in_order = [JobRenderer(job).encode(frames) for frames in plan]
    shuffled = JobRenderer(job)  # chunk 2 first (the motion replayed to it), then 0, then 1
    encoded = {index: shuffled.encode(plan[index]) for index in (2, 0, 1)}
    assert [encoded[i] for i in range(3)] == in_order
    paths = [chunk_path(tmp_path, i) for i in range(3)]
    for path, data in zip(paths, in_order, strict=True):
        path.write_bytes(data)
    joined = tmp_path / "joined.mp4"
    join_chunks(paths, joined, FPS)
    with av.open(str(joined)) as container:
        packets = [p for p in container.demux(video=0) if p.dts is not None]
    assert [i for i, p in enumerate(packets) if p.is_keyframe] == [0, 6, 12]  # each chunk's start
    pictures = decoded(joined)
    assert len(pictures) == len(job.times) and not np.array_equal(pictures[0], pictures[-1])
    chunk_pictures = [image for path in paths for image in decoded(path)]
    assert all(np.array_equal(a, b) for a, b in zip(pictures, chunk_pictures, strict=True))  # not re-encoded


def test_render_ray_without_ray_names_the_pip_command(capfd, monkeypatch, tmp_path):
    show, out = write_show(tmp_path), tmp_path / "walk.mp4"
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as where it is not installed
    code = main(["render", str(show), "--ray", "--out", str(out), "--backend", "torch"])
    err = capfd.readouterr().err
    assert code == 2 and err == "error: render --ray needs the ray extra: pip install 'installation[ray]'\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["show.toml", "tiny.pkl"]  # no file, no chunks
