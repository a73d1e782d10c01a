"""Offline rendering through the real show, motion and checkpoint loader."""

import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from installation.live import load_renderer
from installation.motion.source import ShowSource
from installation.params.bus import ParameterBus
from installation.show.loader import load_show
from installation.sinks import frame_times, render_offline
from tests.sinks.show_files import RESOLUTION, write_show

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


class Frames:
    """A sink that keeps what it is given."""

    def __init__(self):
        self.images = []

    def write(self, image):
        self.images.append(image.copy())

    def close(self):
        pass


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    return load_show(write_show(tmp_path_factory.mktemp("show"), period=2.0))


def render(show, times, batch=1, **kw):
    renderer = load_renderer(show, backend="torch")
    source = ShowSource(show, renderer.G, ParameterBus(show.parameters, clock=lambda: 0.0))
    frames = Frames()
    render_offline(renderer.backend, source, times, [frames], batch=batch, **kw)
    return frames.images


def test_frame_times_are_k_over_fps():
    assert frame_times(1.0, 4) == [0.0, 0.25, 0.5, 0.75]
    assert len(frame_times(120.0, 30)) == 3600 and frame_times(120.0, 30)[-1] == 3599 / 30


def test_the_same_show_and_times_give_identical_frames(show):
    times = frame_times(1.0, 6)
    first, again, batched = render(show, times), render(show, times), render(show, times, batch=4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert all(
        np.abs(a.astype(int) - b).max() <= 1 for a, b in zip(first, batched, strict=True)
    )  # float sums, 1e-4 apart
    assert not np.array_equal(first[0], first[3])  # and it moves


def test_one_loop_period_loops_with_no_seam(show):
    fps = 5
    frames = render(show, [*frame_times(2.0, fps), 2.0])  # the frames of one loop, and the one after
    assert len(frames) == 2 * fps + 1
    assert np.abs(frames[-1].astype(int) - frames[0]).max() <= 1  # frame 0 is the frame after the last
    step = np.abs(frames[1].astype(int) - frames[0]).mean()
    assert step > 0.5  # consecutive frames do differ: the match above is not a still picture


def test_a_size_places_the_frames_by_the_fit_mode(show):
    (image,) = render(show, [0.0], size=(96, 48), mode="fit", background=(9, 9, 9))
    assert image.shape == (48, 96, 3) and np.all(image[:, :24] == 9) and np.all(image[:, -24:] == 9)


def test_run_py_render_writes_an_mp4_and_pngs(tmp_path):
    show = write_show(tmp_path, period=2.0)
    out, pngs = tmp_path / "walk.mp4", tmp_path / "frames"
    command = [
        "render",
        str(show),
        "--backend",
        "torch",
        "--fps",
        "6",
        "--size",
        "64x48",
        "--out",
        str(out),
        "--frames",
        str(pngs),
    ]
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *command], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "12/12 frames" in done.stderr  # the progress bar; default duration: one loop of 2 s
    video = cv2.VideoCapture(str(out))
    count = 0
    while True:
        ok, frame = video.read()
        if not ok:
            break
        assert frame.shape == (48, 64, 3)
        count += 1
    assert count == 12 == int(video.get(cv2.CAP_PROP_FRAME_COUNT))
    fourcc = int(video.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little")
    assert fourcc in (b"h264", b"avc1")  # H.264, which editors and browsers open
    assert len(list(pngs.glob("frame_*.png"))) == 12
    assert cv2.imread(str(pngs / "frame_000000.png")).shape == (48, 64, 3)


def test_run_py_render_reports_a_bad_show_in_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[motion]\nperiod_seconds = -1\n")
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "render", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "period_seconds" in done.stderr


def test_run_py_render_paints_the_show_s_canvas_natively(tmp_path):
    show = write_show(tmp_path, period=1.0)
    show.write_text(
        show.read_text().replace("[render]\n", '[render]\ncanvas = "16:9"\ncanvas_fill = "tile"\n')
    )
    out = tmp_path / "wide.mp4"
    command = [sys.executable, str(ROOT / "run.py"), "render", str(show), "--backend", "torch"]
    done = subprocess.run(
        [*command, "--fps", "3", "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "canvas 16:9: 56x32 px (4x7 cells, tile" in done.stderr
    video = cv2.VideoCapture(str(out))
    ok, frame = video.read()
    assert ok and frame.shape == (RESOLUTION, RESOLUTION * 7 // 4, 3)


def test_frames_at_a_lower_block_have_its_size(show):
    (image,) = render(show, [0.5], stop_res=RESOLUTION // 2)
    assert image.shape == (RESOLUTION // 2, RESOLUTION // 2, 3)


def render_main(capfd, *args: str) -> tuple[int, str]:
    """`run.py render ...` in this process; (exit code, everything written to stderr, OpenCV's
    own C++ output included)."""
    from installation.cli import main

    code = main(["render", *args])
    return code, capfd.readouterr().err


@pytest.fixture
def unloadable_show(tmp_path):
    """A show whose model cannot be loaded: an argument error must be reported before that."""
    (tmp_path / "broken.pkl").write_bytes(b"\x80\x04 not a model")
    path = tmp_path / "show.toml"
    path.write_text('[model]\npath = "broken.pkl"\n')
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "abc"], "bad size 'abc': use WIDTHxHEIGHT, e.g. 1280x720"),
        (["--size", "255x143"], "--size 255x143: a video needs an even width and height (e.g. 256x144)"),
        (
            ["--out", "{dir}/walk"],
            "--out {dir}/walk: has no extension; give a video file name (.mp4, .m4v)",
        ),
        (
            ["--out", "{dir}/no/such/x.mp4"],
            "--out {dir}/no/such/x.mp4: the folder {dir}/no/such does not exist",
        ),
        (["--out", "{dir}/show.toml"], "--out {dir}/show.toml: ends with '.toml'; give a video file name"),
        (["--chunk-seconds", "0"], "--chunk-seconds must be above 0"),
        (["--workers", "2"], "--workers counts Ray workers: add --ray"),
        (["--ray", "--frames", "{dir}/pngs"], "--ray renders a video: leave out --frames"),
    ],
)
def test_render_refuses_bad_arguments_before_loading_anything(capfd, unloadable_show, args, message):
    folder = unloadable_show.parent
    args = [a.format(dir=folder) for a in args]
    out = ["--out", str(folder / "walk.mp4")] if "--out" not in args else []
    code, err = render_main(capfd, str(unloadable_show), *out, *args)
    assert code == 2 and err.startswith(f"error: {message.format(dir=folder)}") and err.count("\n") == 1
    assert not (folder / "no").exists() and not (folder / "walk.mp4").exists()


def test_render_keeps_an_existing_video_unless_told_and_replaces_it_whole(capfd, tmp_path):
    show, out = write_show(tmp_path, period=1.0), tmp_path / "walk.mp4"
    out.write_bytes(b"an earlier render")
    code, err = render_main(capfd, str(show), "--out", str(out), "--fps", "4", "--backend", "torch")
    assert code == 2 and err == f"error: --out {out} already exists (add --overwrite to replace it)\n"
    assert out.read_bytes() == b"an earlier render"
    code, err = render_main(
        capfd, str(show), "--out", str(out), "--fps", "4", "--backend", "torch", "--overwrite"
    )
    assert code == 0, err
    video = cv2.VideoCapture(str(out))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    assert [p.name for p in tmp_path.glob("walk*")] == ["walk.mp4"]  # no partial file left


def test_a_render_stopped_with_ctrl_c_leaves_the_old_video_and_no_partial_one(tmp_path):
    import signal

    show, out = write_show(tmp_path, period=2.0), tmp_path / "walk.mp4"
    out.write_bytes(b"an earlier render")
    command = [sys.executable, str(ROOT / "run.py"), "render", str(show), "--backend", "torch"]
    command += ["--seconds", "600", "--chunk-seconds", "1", "--out", str(out), "--overwrite"]
    render = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    partial = tmp_path / "walk.partial.mp4"
    chunks = ".walk.chunks-*"  # the video's chunks, written first in a hidden folder beside it
    try:
        while not list(tmp_path.glob(f"{chunks}/chunk_*.mp4")) and render.poll() is None:
            time.sleep(0.1)
        assert render.poll() is None, render.stderr.read()
        render.send_signal(signal.SIGINT)
        assert render.wait(timeout=60) == 130
    finally:
        render.kill()
        render.stderr.close()
    assert out.read_bytes() == b"an earlier render" and not partial.exists()
    assert not list(tmp_path.glob(chunks))
