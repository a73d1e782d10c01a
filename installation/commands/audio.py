"""`run.py audio list` / `run.py audio monitor SHOW`: which inputs there are, and what the
features of a show's input read (to set gates and ranges by ear and eye)."""

from __future__ import annotations

import argparse

NAME = "audio"
HELP = "list audio inputs (JACK ports, PortAudio devices), or print a show's audio features live"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("list", "monitor"), help="list inputs, or monitor a show's input")
    parser.add_argument("show", nargs="?", default=None, help="monitor: the show whose [audio] input to open")


def run(args: argparse.Namespace) -> int:
    if args.action == "monitor":
        return _monitor(args.show)
    from installation.audio.inputs import AudioUnavailable, list_jack_sources, list_portaudio

    for title, lister in (
        ('JACK output ports (for [audio] input = "jack", connect = [...])', list_jack_sources),
        ('PortAudio input devices (for [audio] input = "portaudio", device = index or name)', list_portaudio),
    ):
        print(f"{title}:")
        try:
            print("\n".join(f"  {line}" for line in lister()) or "  (none)")
        except AudioUnavailable as error:
            print(f"  unavailable: {error}")
    return 0


def _monitor(show_path: str | None) -> int:
    """Print the features a few times a second, until Ctrl-C."""
    import threading
    import time

    from installation.audio.features import Features
    from installation.audio.inputs import make_input
    from installation.audio.stream import AudioStream
    from installation.errors import UserError
    from installation.show.loader import load_show

    if show_path is None:
        raise UserError("audio monitor needs a show file (its [audio] section says which input)")
    show = load_show(show_path)
    last = [0.0]

    def show_features(features: Features, _arrived: float) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.2 or features.beat.beat:
            last[0] = now
            parts = [f"{k} {v}" for k, v in features.summary().items()]
            print(("BEAT " if features.beat.beat else "     ") + "  ".join(parts), flush=True)

    stream = AudioStream(
        lambda: make_input(show.audio, show.path.parent),
        show.audio,
        show_features,
        lambda reason: print(f"lost: {reason}", flush=True),
    )
    stream.start()
    print("listening (Ctrl-C to stop)")
    try:
        threading.Event().wait()
    finally:
        stream.stop()
    return 0
