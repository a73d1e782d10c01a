"""MIDI ports kept open by name pattern, surviving controllers being unplugged and replugged.

A poll thread lists the ports every `poll` seconds. A port whose name matches a pattern is
opened when it appears and closed when it disappears, so a controller that comes back (under a
new port number, as ALSA gives it) is found again within one poll. Patterns are regular
expressions searched case-insensitively in the port name; one that is not a valid expression
is matched as plain text.

Inputs are read by a thread of ours, not through rtmidi callbacks. A callback runs Python in
the MIDI system's own real-time thread (JACK's process thread), and JACK cancels that thread
when a client closes or falls behind: cancelled while it waits for the interpreter lock, it
leaves the lock's mutex held and the whole process hangs (seen: an unplug in the tests froze
every thread). Reading from our own thread keeps Python out of the MIDI system's threads.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence

import rtmidi

from installation.control.drops import Drops
from installation.control.midi_api import CLIENT_NAME, MidiApi, PortLister

log = logging.getLogger(__name__)

# (port name, raw MIDI bytes, arrival time on time.monotonic's clock)
MessageHandler = Callable[[str, list[int], float], None]

READ_PERIOD_S = 0.001  # how often the open inputs are read: the latency it adds, at most


def compile_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return re.compile(re.escape(pattern), re.IGNORECASE)


def matching(names: Sequence[str], patterns: Sequence[re.Pattern[str]]) -> list[str]:
    return [n for n in names if any(p.search(n) for p in patterns)]


class MidiPorts:
    """Opens the inputs matching `inputs` (delivering their messages to `on_message`, in the
    reading thread) and the outputs matching `outputs` (for `send`)."""

    def __init__(
        self,
        api: MidiApi,
        inputs: Sequence[str],
        outputs: Sequence[str],
        on_message: MessageHandler,
        drops: Drops,
        *,
        poll: float = 0.5,
    ) -> None:
        self._drops = drops
        self.api = api
        self._input_patterns = [compile_pattern(p) for p in inputs]
        self._output_patterns = [compile_pattern(p) for p in outputs]
        self._on_message = on_message
        self.poll = poll
        self._lock = threading.Lock()
        self._inputs: dict[str, rtmidi.MidiIn] = {}
        self._outputs: dict[str, rtmidi.MidiOut] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="midi-ports", daemon=True)
        self._reader = threading.Thread(target=self._read, name="midi-in", daemon=True)
        self._lister: PortLister | None = None
        self.connects = 0  # ports opened so far, replugs included
        self.refreshes = 0  # port listings compared so far: a replug is found at the next one

    @property
    def open_inputs(self) -> list[str]:
        with self._lock:
            return sorted(self._inputs)

    def start(self) -> None:
        if self.api.api is None:
            if self._input_patterns or self._output_patterns:
                log.warning("MIDI is off: %s", self.api.reason)
            return
        self._lister = PortLister(self.api)
        self.refresh()
        self._thread.start()
        self._reader.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._reader):
            if thread.is_alive():
                thread.join(timeout=2)
        with self._lock:
            ports = [*self._inputs.values(), *self._outputs.values()]
            self._inputs.clear()
            self._outputs.clear()
        for port in ports:
            _close(port)
        if self._lister is not None:
            self._lister.close()

    def send(self, data: Sequence[int]) -> None:
        """Send one message to every open output; a port that fails is closed until it returns."""
        with self._lock:
            outputs = list(self._outputs.items())
        for name, port in outputs:
            try:
                port.send_message(data)
            except rtmidi.RtMidiError:
                self._forget(self._outputs, name)

    def refresh(self) -> None:
        """Open what appeared, close what vanished (the poll thread calls this)."""
        if self._lister is None:
            return
        self.refreshes += 1
        self._sync(self._inputs, matching(self._lister.inputs(), self._input_patterns), self._open_input)
        self._sync(self._outputs, matching(self._lister.outputs(), self._output_patterns), self._open_output)

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                self.refresh()
            except Exception:  # keep polling whatever one listing did
                log.exception("MIDI port poll failed")

    def _sync(self, opened: dict, present: list[str], open_port: Callable[[str], object]) -> None:
        with self._lock:
            gone = [n for n in opened if n not in present]
        for name in gone:
            log.info("MIDI: %s went away", name)
            self._forget(opened, name)
        for name in present:
            if name in opened:
                continue
            try:
                port = open_port(name)
            except (rtmidi.RtMidiError, ValueError) as error:
                log.warning("MIDI: cannot open %s: %s", name, error)
                continue
            with self._lock:
                opened[name] = port
            self.connects += 1
            log.info("MIDI: opened %s", name)

    def _open_input(self, name: str) -> rtmidi.MidiIn:
        port = rtmidi.MidiIn(rtapi=self.api.api, name=f"{CLIENT_NAME}-in", queue_size_limit=4096)
        port.ignore_types(sysex=True, timing=False, active_sense=True)  # keep clock, drop the rest
        _open_by_name(port, name, "in")
        return port

    def _open_output(self, name: str) -> rtmidi.MidiOut:
        port = rtmidi.MidiOut(rtapi=self.api.api, name=f"{CLIENT_NAME}-out")
        _open_by_name(port, name, "out")
        return port

    def _read(self) -> None:
        while not self._stop.wait(READ_PERIOD_S):
            with self._lock:  # a port leaves the dict under the lock before it is closed
                read = [(name, _waiting(port)) for name, port in self._inputs.items()]
            for name, messages in read:
                if messages:
                    self._deliver(name, messages)

    def _deliver(self, port_name: str, messages: list[tuple[list[int], float]]) -> None:
        """Hand over what one read found, each message at the time it arrived: the newest now,
        the ones before it earlier by the gaps rtmidi measured (a MIDI clock keeps its pace)."""
        at = time.monotonic()
        arrivals = []
        for message, gap in reversed(messages):
            arrivals.append((message, at))
            at -= gap
        for message, arrived in reversed(arrivals):
            try:
                self._on_message(port_name, message, arrived)
            except Exception as error:  # noqa: BLE001 - one bad message must not stop the reading
                self._drops.drop("handler error", port_name, f"{type(error).__name__}: {error}")

    def _forget(self, opened: dict, name: str) -> None:
        with self._lock:
            port = opened.pop(name, None)
        if port is not None:
            _close(port)


def _open_by_name(client: "rtmidi.MidiIn | rtmidi.MidiOut", name: str, own_port: str) -> None:
    """rtmidi opens by index; look the name up in this client's own listing (ValueError if the
    port vanished since the poll) and close the client again if opening fails."""
    try:
        client.open_port(client.get_ports().index(name), name=own_port)
    except Exception:
        client.delete()
        raise


def _waiting(port: rtmidi.MidiIn) -> list[tuple[list[int], float]]:
    """Every message queued on `port`, oldest first, each with the seconds since the one before."""
    messages = []
    while (event := port.get_message()) is not None:
        messages.append(event)
    return messages


def _close(port: "rtmidi.MidiIn | rtmidi.MidiOut") -> None:
    try:
        port.close_port()
    finally:
        port.delete()
