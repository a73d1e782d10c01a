"""Frame consumers: video and PNG files, offline rendering, and a recorder tapping the live loop.

- `VideoFile` (video.py), `PngFolder` (pngs.py): sinks, `write(image)` / `close()`
- `render_offline`, `frame_times` (offline.py): frame k at t = k / fps, to any sinks
- `Recorder` (recorder.py): `engine.add_tap(recorder.offer)`, written by its own thread
"""

from installation.sinks.base import Sink
from installation.sinks.offline import frame_times, render_offline
from installation.sinks.pngs import PngFolder
from installation.sinks.progress import Progress
from installation.sinks.recorder import Recorder
from installation.sinks.video import VideoFile

__all__ = ["PngFolder", "Progress", "Recorder", "Sink", "VideoFile", "frame_times", "render_offline"]
