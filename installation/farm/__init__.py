"""Offline renders cut into chunks of frames that render anywhere and join into one file.

- `chunks.py`: the chunk plan, chunk files, and their join by stream copy (no re-encode)
- `job.py`: a render job (everything a render depends on) and the renderer of its chunks
- `ray_farm.py`: the chunks rendered by Ray actors, each loading the model once

A render with or without a farm encodes the same chunks and joins them the same way, so the
file is the same, byte for byte, wherever its chunks were rendered.
"""
