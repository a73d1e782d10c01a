"""Which MIDI system to talk to (ALSA, JACK, CoreMIDI, Windows MM), chosen once at start.

On Linux, ALSA is used when its sequencer device exists; otherwise JACK when a JACK server is
running (containers and pro-audio set-ups often have JACK and no /dev/snd). Nothing here ever
starts a JACK server. Ports are listed through one long-lived rtmidi client per direction, so
polling for hot-plugged controllers does not register a new client with the system each time.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass

import rtmidi

log = logging.getLogger(__name__)

CLIENT_NAME = "installation"

_RTMIDI_NAMES = {
    rtmidi.API_LINUX_ALSA: "LINUX_ALSA",
    rtmidi.API_UNIX_JACK: "UNIX_JACK",
    rtmidi.API_MACOSX_CORE: "MACOSX_CORE",
    rtmidi.API_WINDOWS_MM: "WINDOWS_MM",
}


@dataclass(frozen=True)
class MidiApi:
    """`api` is an rtmidi API constant, or None when no MIDI system is usable (`reason` says why)."""

    api: int | None
    reason: str

    @property
    def name(self) -> str:
        return "none" if self.api is None else _RTMIDI_NAMES.get(self.api, rtmidi.get_api_name(self.api))

    @property
    def label(self) -> str:
        """The system's everyday name: ALSA, JACK, CoreMIDI, Windows MM."""
        labels = {
            "LINUX_ALSA": "ALSA",
            "UNIX_JACK": "JACK",
            "MACOSX_CORE": "CoreMIDI",
            "WINDOWS_MM": "Windows MM",
        }
        return labels.get(self.name, self.name)

    @property
    def mido_backend(self) -> str:
        """The same choice spelled as a mido backend, for people who script with mido."""
        return "" if self.api is None else f"mido.backends.rtmidi/{self.name}"


def jack_server_running() -> bool:
    """A cheap look for the JACK server's socket (JACK 2 in /dev/shm, JACK 1 in a per-user
    folder), so that without a server libjack is never called and never complains on stderr."""
    server = os.environ.get("JACK_DEFAULT_SERVER", "default")
    uid = os.getuid()
    candidates = (f"/dev/shm/jack_{server}_{uid}_0", f"/dev/shm/jack-{uid}/{server}")
    return any(os.path.exists(p) for p in candidates)


def choose_api(preference: str = "auto") -> MidiApi:
    """The MIDI system to use: `preference` is "auto", "alsa", "jack" or "none"."""
    compiled = set(rtmidi.get_compiled_api())
    # libjack must never start a server on its own (it would pick a sound card and grab it).
    os.environ["JACK_NO_START_SERVER"] = "1"
    if preference == "none":
        return MidiApi(None, 'MIDI is turned off in the show ([midi] api = "none")')
    if not sys.platform.startswith("linux"):
        usable = [a for a in (rtmidi.API_MACOSX_CORE, rtmidi.API_WINDOWS_MM) if a in compiled]
        return (
            MidiApi(usable[0], "the system's MIDI")
            if usable
            else MidiApi(None, "no MIDI API compiled in rtmidi")
        )
    alsa = rtmidi.API_LINUX_ALSA in compiled and os.access("/dev/snd/seq", os.R_OK | os.W_OK)
    jack = rtmidi.API_UNIX_JACK in compiled and jack_server_running()
    if preference in ("auto", "alsa") and alsa:
        return MidiApi(rtmidi.API_LINUX_ALSA, "the ALSA sequencer (/dev/snd/seq)")
    if preference in ("auto", "jack") and jack:
        return MidiApi(
            rtmidi.API_UNIX_JACK,
            f"a running JACK server ({os.environ.get('JACK_DEFAULT_SERVER', 'default')})",
        )
    missing = {
        "alsa": "no usable ALSA sequencer (/dev/snd/seq)",
        "jack": "no JACK server running",
    }
    if preference == "auto":
        return MidiApi(None, f"no ALSA or JACK MIDI: {missing['alsa']} and {missing['jack']}")
    other = {"alsa": ("jack", jack), "jack": ("alsa", alsa)}[preference]
    hint = (
        f' (but {other[0].upper()} is there: --api {other[0]} or [midi] api = "{other[0]}")'
        if other[1]
        else ""
    )
    return MidiApi(None, f"no {preference.upper()} MIDI: {missing[preference]}{hint}")


class PortLister:
    """Lists MIDI sources (inputs to us) and destinations (outputs from us) of one API."""

    def __init__(self, api: MidiApi) -> None:
        self._in = self._out = None
        if api.api is not None:
            try:
                self._in = rtmidi.MidiIn(rtapi=api.api, name=f"{CLIENT_NAME}-list")
                self._out = rtmidi.MidiOut(rtapi=api.api, name=f"{CLIENT_NAME}-list")
            except rtmidi.RtMidiError as error:  # the server went away between the check and here
                log.warning("MIDI: %s is not usable: %s", api.name, error)
                self.close()

    def inputs(self) -> list[str]:
        return self._ports(self._in)

    def outputs(self) -> list[str]:
        return self._ports(self._out)

    @staticmethod
    def _ports(client: "rtmidi.MidiIn | rtmidi.MidiOut | None") -> list[str]:
        if client is None:
            return []
        try:
            names = client.get_ports()
        except rtmidi.RtMidiError:
            return []
        # Our own clients' ports are never controllers: opening them would feed us our echoes.
        return [n for n in names if not n.startswith(CLIENT_NAME)]

    def close(self) -> None:
        for client in (self._in, self._out):
            if client is not None:
                client.delete()
        self._in = self._out = None
