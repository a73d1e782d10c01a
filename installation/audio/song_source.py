"""The latent source of a music video: before each frame, the song's features up to that
frame's time drive the show's `audio = ...` mappings, exactly as live sound would, on a clock
that follows the song instead of the wall. So frame n shows the show at t = n / fps with the
sound heard until then, and the same song and show give the same frames."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from installation.audio.offline import Song
from installation.control.audio_control import AudioControl
from installation.control.controls import Controls
from installation.control.mappings import Mapping
from installation.control.scenes import SceneBook
from installation.engine.latents import Latents
from installation.motion.source import ShowSource
from installation.params.bus import ParameterBus
from installation.show.sections import Show


class SongSource:
    def __init__(self, show: Show, G, song: Song) -> None:
        self._now = 0.0
        bus = ParameterBus(show.parameters, clock=lambda: self._now)
        self.inner = ShowSource(show, G, bus)
        scenes = SceneBook(show.scenes)
        self.controls = Controls(bus, on_action=self._scene_action(scenes), clock=lambda: self._now)
        mappings = tuple(Mapping(s, self.controls.spec(s.to)) for s in show.mappings if s.audio is not None)
        self.audio = AudioControl(show.audio, show.path.parent, lambda: mappings, self.controls)
        self._song = song
        self._half_block = show.audio.block / song.rate / 2
        self._next = 0

    def _scene_action(self, scenes: SceneBook):
        """Scene recalls from audio mappings (the other surfaces' actions do not exist offline)."""

        def act(kind: str, argument: str, _value: object, source: str) -> bool:
            return kind == "scene" and self.controls.recall_scene(scenes, argument, source)

        return act

    def version(self) -> int:
        return self.inner.version()

    @property
    def bend_layouts(self) -> tuple:
        return self.inner.bend_layouts

    @property
    def morph(self):
        return self.inner.morph

    def latents(self, times: Sequence[float]) -> Latents:
        frames = []
        for t in times:
            self._advance(t)
            frames.append(self.inner.latents([t]))
        return stack(frames)

    def _advance(self, t: float) -> None:
        """Feed every block whose middle is at or before t, each at its own time."""
        features = self._song.features
        while self._next < len(features) and features[self._next].t - self._half_block <= t:
            block = features[self._next]
            self._now = block.t - self._half_block
            self.audio.on_features(block)
            self.controls.fader.tick(self._now)
            self._next += 1
        self._now = t
        self.controls.fader.tick(t)


def stack(frames: list[Latents]) -> Latents:
    """One batch from single-frame latents of the same show (same noise mode). Each frame keeps
    its own ws, noise and StyleGAN3 input transform; the bends, layer view and morph are the
    first frame's, as a live batch reads them once (see ShowSource)."""
    first = frames[0]
    ws = torch.cat([f.ws for f in frames])
    gains = [f.noise_gain for f in frames]
    gain = gains[0] if all(g == gains[0] for g in gains) else torch.tensor(gains, device=ws.device)
    noise = None
    if first.noise is not None:
        noise = {name: torch.cat([f.noise[name] for f in frames]) for name in first.noise}
    transform = None if first.transform is None else torch.cat([f.transform for f in frames])
    return Latents(ws, gain, first.noise_mode, noise, transform, first.bend, first.view, first.mix)
