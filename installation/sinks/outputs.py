"""Which outputs a show sends to: `[[outputs]]` in the show, `--output KIND:TARGET[,key=value]` on
the command line, both made into `LiveOutput`s here.

Kinds: ndi:NAME, stream:URL (or the URL alone: udp://, srt://, tcp://, rtmp://), vcam[:DEVICE],
syphon:NAME (macOS), spout:NAME (Windows). Options: size=WxH, fps=N, fit=fit|fill|stretch, queue=N.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from installation.display.layout import parse_size
from installation.errors import UserError
from installation.show.output_sections import OUTPUT_KINDS as KINDS
from installation.sinks.base import Sink
from installation.sinks.live_output import LiveOutput

FITS = ("fit", "fill", "stretch")
DEFAULT_FPS = 30.0
DEFAULT_QUEUE = 16


@dataclass(frozen=True)
class OutputSpec:
    kind: str
    target: str = ""
    size: tuple[int, int] | None = None  # None: the model's resolution
    fps: float = DEFAULT_FPS
    fit: str = "fit"
    queue: int = DEFAULT_QUEUE

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.target}" if self.target else self.kind


def parse_output(text: str) -> OutputSpec:
    """`--output` text -> OutputSpec, or a one-line UserError saying what is wrong."""
    head, *options = text.split(",")
    kind, _, target = head.partition(":")
    if kind not in KINDS and "://" in head:  # a bare URL: udp://127.0.0.1:5000
        kind, target = "stream", head
    spec = OutputSpec(kind, target)
    for option in options:
        key, equals, value = option.partition("=")
        if not equals:
            raise UserError(f"--output {text!r}: {option!r} is not key=value (size=, fps=, fit=, queue=)")
        spec = _with_option(spec, key.strip(), value.strip(), text)
    return checked(spec)


def _with_option(spec: OutputSpec, key: str, value: str, text: str) -> OutputSpec:
    try:
        if key == "size":
            return replace(spec, size=parse_size(value))
        if key == "fps":
            return replace(spec, fps=float(value))
        if key == "fit":
            return replace(spec, fit=value)
        if key == "queue":
            return replace(spec, queue=int(value))
    except ValueError:
        raise UserError(f"--output {text!r}: {key}={value!r} is not a number") from None
    raise UserError(f"--output {text!r}: unknown option {key!r} (size=, fps=, fit=, queue=)")


def checked(spec: OutputSpec) -> OutputSpec:
    if spec.kind not in KINDS:
        raise UserError(f"unknown output {spec.kind!r}: expected one of {', '.join(KINDS)}")
    if spec.kind in ("ndi", "stream", "syphon", "spout") and not spec.target:
        example = "udp://127.0.0.1:5000" if spec.kind == "stream" else "Stage"
        raise UserError(
            f"output {spec.kind} needs a {'URL' if spec.kind == 'stream' else 'name'}: {spec.kind}:{example}"
        )
    if not 0 < spec.fps <= 240:
        raise UserError(f"output {spec.name}: fps from above 0 to 240, not {spec.fps:g}")
    if spec.fit not in FITS:
        raise UserError(f"output {spec.name}: fit must be one of {', '.join(FITS)}, not {spec.fit!r}")
    if not 1 <= spec.queue <= 64:
        raise UserError(f"output {spec.name}: queue from 1 to 64 frames, not {spec.queue}")
    if spec.kind == "stream":
        from installation.sinks.stream import container_of

        container_of(spec.target)
    return spec


def spec_of(settings) -> OutputSpec:
    """The spec of an `[[outputs]]` entry (an OutputSettings)."""
    return OutputSpec(
        settings.kind, settings.target, settings.size, settings.fps, settings.fit, settings.queue
    )


def sink_opener(spec: OutputSpec) -> Callable[[tuple[int, int]], Sink]:
    """What opens the sink of `spec` at a size (called in the output's own thread)."""

    def open_sink(size: tuple[int, int]) -> Sink:
        if spec.kind == "ndi":
            from installation.sinks.ndi import NdiSender

            return NdiSender(spec.target, size, spec.fps)
        if spec.kind == "stream":
            from installation.sinks.stream import NetworkStream

            return NetworkStream(spec.target, size, spec.fps)
        if spec.kind == "vcam":
            from installation.sinks.vcam import VirtualCamera

            return VirtualCamera(spec.target, size, spec.fps)
        from installation.sinks.native import open_native

        return open_native(spec.kind, spec.target, size)

    return open_sink


def start_output(
    spec: OutputSpec, clock: Callable[[], float], default_size: Callable[[], tuple[int, int]] | None = None
) -> LiveOutput:
    return LiveOutput(
        spec.name,
        sink_opener(spec),
        fps=spec.fps,
        clock=clock,
        size=spec.size,
        default_size=default_size,
        mode=spec.fit,
        queue_size=spec.queue,
    )
