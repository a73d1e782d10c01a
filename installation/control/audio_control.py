"""Sound as a control surface: features from the analysis thread drive `audio = ...` mappings
like any fader, each through its own envelope (attack, release, gate). Beats and onsets are
events: buttons and actions get a press on every `every`-th one, parameters a pulse shaped by
the envelope. The beat tracker also writes `bpm`, unless MIDI clock, OSC or anything else wrote
it within `tempo_yield` seconds. When the input is lost, its parameters ease back to their
defaults until it returns; the latest features are kept for the HUD.

`on_features` runs on the analysis thread live; `run.py render --audio` calls it directly, on
a clock that follows the song.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from installation.audio.envelope import Envelope
from installation.audio.features import Features
from installation.audio.inputs import AudioInput, make_input
from installation.audio.stream import AudioStream
from installation.control.controls import Controls
from installation.control.mappings import Mapping, default_input_range, ease_to_defaults
from installation.show.control_sections import AUDIO_EVENTS, AudioSettings

SOURCE = "audio"
TEMPO_WRITER = "audio-tempo"
TEMPO_STEP = 0.05  # BPM: smaller changes are not written
# Changes smaller than this (in the feature's units) are not written: every write tells the
# engine that frames rendered ahead are stale, and a held or silent feature changes nothing.
UNCHANGED = 1e-3


class _Bound:
    """A mapping with its envelope."""

    def __init__(self, mapping: Mapping) -> None:
        s = mapping.settings
        self.mapping = mapping
        self.feature = s.audio
        self.event = s.audio in AUDIO_EVENTS
        # A tempo or a pitch class is a number to pass on, not a level to follow: no envelope.
        self.level = default_input_range(s) is not None
        self.envelope = Envelope(s.attack, s.release, s.gate)
        self.sent: float | None = None  # the last input handed to the mapping

    def send(self, x: float, controls: Controls) -> None:
        if self.sent is None or abs(x - self.sent) >= UNCHANGED:
            self.sent = x
            self.mapping.absolute(x, controls, SOURCE)


class AudioControl:
    def __init__(
        self,
        settings: AudioSettings,
        show_dir: Path,
        mappings: Callable[[], Sequence[Mapping]],
        controls: Controls,
        audio_input: Callable[[], AudioInput] | None = None,
    ) -> None:
        self._settings = settings
        self._controls = controls
        self._lock = threading.Lock()
        self._mappings = mappings
        self._bound: list[_Bound] = []
        self._bound_for: Sequence[Mapping] = ()
        self._latest: dict[str, float | str] = {"audio": "starting"}
        self._last_t: float | None = None
        self._onsets = 0
        self._bpm_writes_seen = -1  # bpm writes on the bus when we last looked; -1: not yet
        self._other_bpm_at = -math.inf  # when someone else last wrote bpm
        self._bpm_written: float | None = None
        # Called after the mappings with each block's features and arrival time (tests, bench).
        self.taps: list[Callable[[Features, float | None], None]] = []
        self.stream = AudioStream(
            audio_input or (lambda: make_input(settings, show_dir)), settings, self.on_features, self._on_lost
        )

    def _bindings(self) -> list[_Bound]:
        """The mappings bound now with their envelopes; a show reload binds new mappings, whose
        envelopes start afresh."""
        mappings = self._mappings()
        if mappings is not self._bound_for:
            kept = {id(b.mapping): b for b in self._bound}
            self._bound = [kept.get(id(m)) or _Bound(m) for m in mappings]
            self._bound_for = mappings
        return self._bound

    def start(self) -> None:
        self.stream.start()

    def stop(self) -> None:
        self.stream.stop()

    def hud(self) -> dict[str, float | str]:
        with self._lock:
            return dict(self._latest)

    # --- features in -----------------------------------------------------------------------

    def on_features(self, features: Features, arrived: float | None = None) -> None:
        dt = features.t - self._last_t if self._last_t is not None else 0.0
        self._last_t = features.t
        if features.sound.onset_event:
            self._onsets += 1
        with self._lock:
            self._latest = {"audio": self.stream.state, **features.summary()}
        for b in self._bindings():
            self._drive(b, features, dt)
        self._write_tempo(features)
        for tap in self.taps:
            tap(features, arrived)

    def _drive(self, b: _Bound, features: Features, dt: float) -> None:
        m = b.mapping
        if b.event:
            count = features.beat.count if b.feature == "beat" else self._onsets
            x = 1.0 if features.is_event(b.feature) and count % m.settings.every == 0 else 0.0
            if m.acts_on_edges:  # a press per event; the envelope would smear the edge
                m.absolute(x, self._controls, SOURCE)
            else:
                b.send(b.envelope.pulse(x > 0, dt), self._controls)
            return
        x = features.value(b.feature)
        if math.isfinite(x):
            b.send(b.envelope.follow(x, dt) if b.level else x, self._controls)

    def _write_tempo(self, features: Features) -> None:
        beat, c = features.beat, self._controls
        if not self._settings.tempo or c.spec("bpm") is None:
            return
        now = c.clock()
        writes = c.bus.snapshot().count("bpm")
        if self._bpm_writes_seen >= 0 and writes > self._bpm_writes_seen:
            self._other_bpm_at = now  # writes we did not make: MIDI clock, OSC, a scene
            self._bpm_written = None  # so the tempo is written again once they stop
        self._bpm_writes_seen = writes
        if beat.bpm is None or beat.confidence < self._settings.tempo_confidence:
            return
        if now - self._other_bpm_at < self._settings.tempo_yield:
            return
        if self._bpm_written is not None and abs(beat.bpm - self._bpm_written) < TEMPO_STEP:
            return
        if c.write("bpm", round(beat.bpm, 2), SOURCE, TEMPO_WRITER):
            self._bpm_written = beat.bpm
            self._bpm_writes_seen += 1

    def _on_lost(self, reason: str) -> None:
        with self._lock:
            self._latest = {"audio": f"lost: {reason}"}
        bound = self._bindings()
        for b in bound:
            b.envelope.reset()
            b.sent = None
        self._last_t = None
        ease_to_defaults(self._controls, [b.mapping for b in bound], self._settings.release_seconds, SOURCE)
