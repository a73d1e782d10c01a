"""The webcam as a control surface: features from the capture thread drive `webcam = ...`
mappings like any fader. When the camera is lost its parameters ease back to their defaults
(over `release_seconds`) until it returns. The latest features are kept for the HUD."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from installation.control.controls import Controls
from installation.control.mappings import Mapping, ease_to_defaults
from installation.control.webcam import Webcam
from installation.control.webcam_features import FeatureExtractor, Features, PresenceSettings
from installation.show.control_sections import WebcamSettings
from installation.show.crosscheck import webcam_file

SOURCE = "webcam"


def resolve_source(source: int | str, show_dir: Path) -> int | str:
    """A camera index or a stream URL as is; a file made absolute, relative to the show (the
    loader made sure it was there; if it goes away it is retried like a camera)."""
    path = webcam_file(source, show_dir)
    return source if path is None else str(path)


class WebcamControl:
    """`mappings()`: the webcam mappings bound now (they change with a show reload)."""

    def __init__(
        self,
        settings: WebcamSettings,
        show_dir: Path,
        mappings: Callable[[], Sequence[Mapping]],
        controls: Controls,
    ) -> None:
        self._settings = settings
        self._mappings = mappings
        self._controls = controls
        self._lock = threading.Lock()
        self._latest: dict[str, float | str] = {"webcam": "starting"}
        presence = PresenceSettings(
            on=settings.presence_on,
            off=settings.presence_off,
            off_frames=max(1, round(settings.presence_hold * settings.max_fps)),
        )
        source = resolve_source(settings.source, show_dir)
        self.camera = Webcam(
            source,
            FeatureExtractor(presence, faces=settings.faces),
            self._on_features,
            max_fps=settings.max_fps,
        )

    def start(self) -> None:
        self.camera.start()

    def stop(self) -> None:
        self.camera.stop()

    def hud(self) -> dict[str, float | str]:
        """The latest features (numbers only, never a picture), for the HUD's debug view."""
        with self._lock:
            return dict(self._latest)

    def _on_features(self, features: Features | None) -> None:
        if features is None:
            with self._lock:
                self._latest = {"webcam": "lost"}
            ease_to_defaults(self._controls, list(self._mappings()), self._settings.release_seconds, SOURCE)
            return
        with self._lock:
            self._latest = {"webcam": "running", **features.as_dict()}
        for m in self._mappings():
            m.absolute(float(getattr(features, m.settings.webcam)), self._controls, SOURCE)
