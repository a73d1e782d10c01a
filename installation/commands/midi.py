"""`run.py midi list` / `run.py midi monitor`: which MIDI ports there are, and what they send."""

from __future__ import annotations

import argparse

NAME = "midi"
HELP = "list MIDI ports (and which MIDI system is used), or print what controllers send"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=("list", "monitor"), help="list ports, or monitor incoming messages"
    )
    parser.add_argument(
        "pattern",
        nargs="?",
        default="",
        help="monitor: input ports to open, by name (regex or text; default every port)",
    )
    parser.add_argument(
        "--api", choices=("auto", "alsa", "jack"), default="auto", help="MIDI system (default: auto)"
    )


def run(args: argparse.Namespace) -> int:
    from installation.control.midi_api import PortLister, choose_api

    api = choose_api(args.api)
    if api.api is None:
        print(f"no MIDI: {api.reason}")
        return 1
    print(f"MIDI system: {api.label}, chosen because of {api.reason} (mido backend '{api.mido_backend}')")
    if args.action == "monitor":
        return _monitor(api, args.pattern)
    lister = PortLister(api)
    try:
        for title, names in (
            ("inputs (controllers to listen to)", lister.inputs()),
            ("outputs (for feedback to faders and LEDs)", lister.outputs()),
        ):
            print(f"{title}:")
            print("\n".join(f"  {name}" for name in names) or "  (none)")
    finally:
        lister.close()
    return 0


def monitor_line(message) -> str:
    """A mido message as a show's mapping names its control, with the value it carries:
    `ch 1 cc 21 = 64`, `ch 10 note 36 = 100`, `ch 10 note 36 off`, `ch 1 program 3`."""
    from installation.control.midi_learn import source_of

    source = source_of(message)
    if source is None:
        return str(message)  # sysex, song position and the like: nothing maps to them
    kind = message.type
    if kind == "note_off" or (kind == "note_on" and message.velocity == 0):
        return f"{source} off"
    value = {
        "control_change": "value",
        "note_on": "velocity",
        "pitchwheel": "pitch",
        "aftertouch": "value",
    }.get(kind)
    return f"{source} = {getattr(message, value)}" if value else str(source)


def _monitor(api, pattern: str) -> int:
    """Print each message as the mappings would name its control, until Ctrl-C."""
    import logging
    import threading

    import mido

    from installation.control.drops import Drops
    from installation.control.midi_ports import MidiPorts

    def show(port: str, data: list[int], _t: float) -> None:
        try:
            message = mido.Message.from_bytes(data)
        except ValueError:
            print(f"{port}: unreadable {data}")
            return
        if message.type != "clock":
            print(f"{port}: {monitor_line(message)}", flush=True)

    ports = MidiPorts(api, [pattern], [], show, Drops(logging.getLogger(__name__)))
    ports.start()
    print("opened: " + (", ".join(ports.open_inputs) or "nothing yet (ports plugged in later are opened)"))
    print("move a control (Ctrl-C to stop)")
    try:
        threading.Event().wait()
    finally:
        ports.stop()
    return 0
