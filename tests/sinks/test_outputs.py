"""Outputs fed from the live frames: the drop-oldest hand-over, pacing, and the sinks themselves
received for real on loopback (an MPEG-TS stream over UDP read back by FFmpeg, NDI by NDI)."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from installation.engine.frames import Frame
from installation.errors import UserError
from installation.sinks.frame_queue import DropOldestQueue
from installation.sinks.live_output import LiveOutput
from installation.sinks.outputs import parse_output, sink_opener
from tests.sinks.show_files import write_show

ROOT = Path(__file__).resolve().parents[2]


class Collected:
    """A sink that keeps what it is sent (the interface's contract, nothing faked around it)."""

    def __init__(self, delay: float = 0.0):
        self.images, self.delay, self.closed = [], delay, False

    def write(self, image):
        time.sleep(self.delay)
        self.images.append(image.copy())

    def close(self):
        self.closed = True


def picture(width: int = 64, height: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth colour picture (codecs keep smooth pictures close; noise they would not)."""
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    phase = seed * 0.7
    channels = [np.sin(6 * x + phase), np.cos(5 * y - phase), np.sin(4 * (x + y) + 2 * phase)]
    return np.stack([(127 + 100 * c).astype(np.uint8) for c in channels], axis=-1)


def wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_full_queue_drops_its_oldest_frame_and_counts_it():
    queue = DropOldestQueue(2)
    for item in range(5):
        queue.put(item)
    assert queue.dropped == 3 and queue.get() == 3 and queue.get() == 4
    queue.close()
    assert queue.get() is None


def test_an_output_sends_the_frame_due_now_at_its_own_rate_and_size():
    show_time = [0.0]
    sink = Collected()
    output = LiveOutput("test", lambda size: sink, fps=50, clock=lambda: show_time[0], size=(32, 16))
    output.offer(Frame(0.0, np.full((8, 8, 3), 10, np.uint8), 0, 1))
    output.offer(Frame(1.0, np.full((8, 8, 3), 200, np.uint8), 0, 2))  # not due yet
    wait_for(lambda: output.sent >= 5)
    assert {int(image[8, 16, 0]) for image in sink.images} == {10}  # the first frame, held
    show_time[0] = 1.0
    wait_for(lambda: int(sink.images[-1][8, 16, 0]) == 200, 5)
    output.close()
    assert sink.closed and sink.images[-1].shape == (16, 32, 3)
    assert not sink.images[-1][:, :8].any()  # fitted: bars left and right of the square frame
    assert output.status().state == "stopped" and output.status().dropped == 0


def test_a_slow_sink_never_holds_up_the_engine():
    sink = Collected(delay=0.2)
    output = LiveOutput("slow", lambda size: sink, fps=30, clock=lambda: 1e9, queue_size=2)
    start = time.perf_counter()
    for i in range(40):
        output.offer(Frame(i / 10, np.full((8, 8, 3), i, np.uint8), 0, i + 1))
    offering = time.perf_counter() - start
    output.close()
    assert output.dropped > 0 and offering < 0.2 * 2  # less than two of the sink's writes


def test_a_sink_that_cannot_open_is_reported_in_one_line_and_the_rest_goes_on():
    spec = parse_output("vcam,size=64x64")
    output = LiveOutput(spec.name, sink_opener(spec), fps=30, clock=lambda: 0.0, size=spec.size)
    output.offer(Frame(0.0, picture(), 0, 1))
    wait_for(lambda: output.status().state.startswith("error"), 10)
    output.close()
    state = output.status().state
    assert "\n" not in state
    if sys.platform == "linux":
        assert "modprobe v4l2loopback" in state or "installation[vcam]" in state


@pytest.mark.parametrize("kind", ["syphon", "spout"])
def test_syphon_and_spout_say_where_they_exist(kind):
    native = {"syphon": "darwin", "spout": "win32"}[kind]
    if sys.platform == native:
        pytest.skip(f"{kind} is native here")
    with pytest.raises(UserError, match="exists only on (macOS|Windows)"):
        sink_opener(parse_output(f"{kind}:Stage"))((64, 64))


@pytest.mark.parametrize(
    "text, message",
    [
        ("ndi", "needs a name"),
        ("http://example.com/live", "expected one of udp://"),
        ("webrtc:Stage", "unknown output"),
        ("stream:http://example.com", "expected one of udp://"),
        ("ndi:Stage,size=big", "bad size"),
        ("ndi:Stage,fps=0", "fps from above 0"),
        ("ndi:Stage,colour=red", "unknown option"),
    ],
)
def test_a_wrong_output_is_one_clear_line(text, message):
    with pytest.raises(UserError, match=message):
        parse_output(text)


def receive_stream(url: str, frames: list, count: int, seconds: float = 60) -> None:
    """Decode frames from `url` until `count` came, reopening while the sender is not there yet."""
    import av

    deadline = time.monotonic() + seconds
    while len(frames) < count and time.monotonic() < deadline:
        try:
            with av.open(url, format="mpegts", timeout=5) as stream:
                for frame in stream.decode(video=0):
                    frames.append(frame.to_ndarray(format="rgb24"))
                    if len(frames) >= count:
                        return
        except av.FFmpegError:  # nothing arrived within the timeout: listen again
            continue


def test_a_udp_stream_is_received_by_ffmpeg_on_loopback_with_the_picture_sent():
    pytest.importorskip("av", reason="the stream extra: pip install 'installation[stream]'")
    port = free_udp_port()
    received: list[np.ndarray] = []
    receiver = threading.Thread(
        target=receive_stream, args=(f"udp://127.0.0.1:{port}", received, 10), daemon=True
    )
    receiver.start()
    time.sleep(0.5)  # the receiver binds the port before the first packet leaves
    spec = parse_output(f"udp://127.0.0.1:{port},size=128x96,fps=25")
    output = LiveOutput(spec.name, sink_opener(spec), fps=spec.fps, clock=lambda: 0.0, size=spec.size)
    sent = picture(64, 64)
    output.offer(Frame(0.0, sent, 0, 1))
    receiver.join(30)
    output.close()
    assert output.status().state == "stopped", output.status()
    assert len(received) >= 10 and received[-1].shape == (96, 128, 3)
    from installation.display.layout import compose

    expected = compose(sent, (128, 96), "fit")
    diff = np.abs(received[-1].astype(int) - expected.astype(int))
    assert diff.mean() < 6, diff.mean()  # H.264 is lossy; a wrong picture is off by ~60


def test_ndi_is_received_by_an_ndi_receiver_on_loopback():
    ndi = pytest.importorskip("NDIlib", reason="the ndi extra: pip install 'installation[ndi]'")
    name = f"installation-test-{time.monotonic_ns() % 100000}"
    spec = parse_output(f"ndi:{name},size=96x64,fps=30")
    output = LiveOutput(spec.name, sink_opener(spec), fps=spec.fps, clock=lambda: 0.0, size=spec.size)
    sent = picture(96, 64, seed=2)
    output.offer(Frame(0.0, sent, 0, 1))
    settings = ndi.FindCreate()
    settings.extra_ips = "127.0.0.1"  # no mDNS here: look on loopback
    finder = ndi.find_create_v2(settings)
    receiver = None
    try:
        source = None
        deadline = time.monotonic() + 20
        while source is None and time.monotonic() < deadline:
            ndi.find_wait_for_sources(finder, 1000)
            source = next((s for s in ndi.find_get_current_sources(finder) if name in s.ndi_name), None)
        assert source is not None, "the NDI source was not found on loopback"
        create = ndi.RecvCreateV3()
        create.color_format = ndi.RECV_COLOR_FORMAT_BGRX_BGRA
        receiver = ndi.recv_create_v3(create)
        ndi.recv_connect(receiver, source)
        got = None
        while got is None and time.monotonic() < deadline + 10:
            kind, video, _audio, _meta = ndi.recv_capture_v2(receiver, 1000)
            if kind == ndi.FRAME_TYPE_VIDEO:
                got = np.copy(video.data)[..., 2::-1]  # BGRX -> RGB
                ndi.recv_free_video_v2(receiver, video)
    finally:
        if receiver is not None:
            ndi.recv_destroy(receiver)
        ndi.find_destroy(finder)
        output.close()
    assert got is not None and got.shape == (64, 96, 3)
    diff = np.abs(got.astype(int) - sent.astype(int))
    assert diff.mean() < 8, diff.mean()  # SpeedHQ is lossy (a level of 200 came back as 189)


def test_run_py_play_headless_feeds_the_show_outputs_with_no_window(tmp_path):
    """A rack machine: no DISPLAY at all, the frames go to the show's [[outputs]] stream."""
    pytest.importorskip("av", reason="the stream extra: pip install 'installation[stream]'")
    port = free_udp_port()
    show = write_show(
        tmp_path,
        extra=f'[[outputs]]\nkind = "stream"\ntarget = "udp://127.0.0.1:{port}"\nsize = "64x48"\nfps = 20\n',
    )
    received: list[np.ndarray] = []
    receiver = threading.Thread(
        target=receive_stream, args=(f"udp://127.0.0.1:{port}", received, 20), daemon=True
    )
    receiver.start()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    command = ["play", str(show), "--headless", "--backend", "torch", "--seconds", "90"]
    player = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), *command], stderr=subprocess.PIPE, text=True, env=env
    )
    receiver.join(90)  # until 20 frames came: a loaded machine takes a while to start
    player.send_signal(signal.SIGINT)  # Ctrl-C, as a technician stops it
    _, stderr = player.communicate(timeout=60)
    assert "sending 64x48 at 20 fps" in stderr, stderr[-3000:]
    assert len(received) >= 20 and received[-1].shape == (48, 64, 3)
    assert received[-1][:, 8:56].std() > 5  # the model's picture, not a flat frame
    assert np.abs(received[0].astype(int) - received[-1]).mean() > 1  # and it moves


def test_headless_with_nowhere_to_send_says_so():
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "play", "--headless"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and done.stderr.count("\n") == 1 and "--output" in done.stderr


def test_a_stream_protocol_this_ffmpeg_lacks_is_one_clear_line():
    pytest.importorskip("av", reason="the stream extra: pip install 'installation[stream]'")
    spec = parse_output("srt://127.0.0.1:9/x?mode=caller,size=64x64")
    output = LiveOutput(spec.name, sink_opener(spec), fps=25, clock=lambda: 0.0, size=spec.size)
    output.offer(Frame(0.0, picture(), 0, 1))
    wait_for(lambda: output.status().state.startswith("error"), 20)
    output.close()
    state = output.status().state
    assert state.startswith("error: ") and "\n" not in state
    # without libsrt (PyAV 18's wheels): says so; with it: the refused connection, named
    assert "no srt:// protocol" in state or "srt://127.0.0.1:9" in state


def test_bench_outputs_times_each_sink_beside_the_generator(tmp_path):
    out = tmp_path / "outputs.json"
    command = ["bench", "--outputs", "--outputs-seconds", "0.3", "--outputs-sizes", "64", "--json", str(out)]
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *command], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    rows = {row["sink"]: row for row in json.loads(out.read_text())["rows"]}
    assert {"ndi", "stream udp (H.264)", "recording (VideoFile)"} <= rows.keys()
    assert all(
        rows[name]["write_ms"] > 0 and rows[name]["size"] == 64 for name in ("ndi", "recording (VideoFile)")
    )
    assert "vcam" in done.stdout  # listed even where it cannot open here
