"""The analysis thread: an input's blocks become `Features`, and a lost input is noticed.

Blocks wait in a short queue between the input's thread and this one, stamped with the
moment they arrived (for latency measurements). When an input fails to open, reports a
problem, or sends nothing for `SILENT_S`, the stream logs one line, tells its owner (whose
parameters then rest) and tries again every `RETRY_S` until the input is back, logged once
more. A missing library is said once and not retried.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

import numpy as np

from installation.audio.features import FeatureExtractor, Features
from installation.audio.inputs import AudioInput, AudioMissing, AudioUnavailable
from installation.show.control_sections import AudioSettings

log = logging.getLogger(__name__)

RETRY_S = 1.0
SILENT_S = 1.0  # JACK and PortAudio deliver silence as blocks too: no blocks at all means trouble
CHECK_S = 0.5  # how often an open input is asked whether it still works
QUEUE_BLOCKS = 64


class AudioStream:
    """`on_features(features, arrived)` for every analysis block (arrived: time.monotonic() of
    the input block it completes); `on_lost(reason)` when the input goes away."""

    def __init__(
        self,
        make_input: Callable[[], AudioInput],
        settings: AudioSettings,
        on_features: Callable[[Features, float], None],
        on_lost: Callable[[str], None],
    ) -> None:
        self._make_input = make_input
        self._settings = settings
        self._on_features = on_features
        self._on_lost = on_lost
        self._queue: queue.Queue[tuple[float, np.ndarray]] = queue.Queue(QUEUE_BLOCKS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audio-analysis", daemon=True)
        self.state = "starting"
        self.dropped = 0
        self._failed_once = False
        self.input: AudioInput | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _deliver(self, block: np.ndarray) -> None:
        """Called on the input's thread: queue and return at once."""
        try:
            self._queue.put_nowait((time.monotonic(), block))
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            source = self._make_input()
            try:
                source.open(self._deliver)
            except AudioMissing as error:
                self._lose(str(error))
                return
            except AudioUnavailable as error:
                self._lose(str(error))
                self._stop.wait(RETRY_S)
                continue
            self.input = source
            log.info("audio input: %s at %g Hz", source.label, source.sample_rate)
            self.state = "running"
            problem = self._analyse(source, FeatureExtractor(self._settings, source.sample_rate))
            source.close()
            self.input = None
            self._drain()
            if problem is not None:
                self._lose(problem)

    def _analyse(self, source: AudioInput, extractor: FeatureExtractor) -> str | None:
        """Analyse until stopped (None) or until the input fails (why)."""
        last_block = last_check = time.monotonic()
        while not self._stop.is_set():
            try:
                arrived, block = self._queue.get(timeout=0.1)
            except queue.Empty:
                arrived, block = None, None
            now = time.monotonic()
            if block is not None:
                last_block = now
                for features in extractor.feed(block):
                    self._deliver_features(features, arrived)
            elif now - last_block > SILENT_S:
                return f"{source.label}: no sound arrives"
            if now - last_check >= CHECK_S:
                last_check = now
                problem = source.problem()
                if problem is not None:
                    return problem
        return None

    def _deliver_features(self, features: Features, arrived: float) -> None:
        try:
            self._on_features(features, arrived)
        except Exception:  # noqa: BLE001 - a bug downstream must not silence the sound for the night
            if not self._failed_once:
                self._failed_once = True
                log.exception("audio features could not be applied (said once)")

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _lose(self, reason: str) -> None:
        """Said once per reason, however often the retry fails the same way."""
        if self.state == f"lost: {reason}":
            return
        if self.state.startswith("lost"):  # still away, for another reason: the log has its line
            log.debug("audio input still lost: %s", reason)
        else:
            log.warning("audio input lost: %s" if self.state == "running" else "audio off: %s", reason)
        self.state = f"lost: {reason}"
        self._on_lost(reason)
