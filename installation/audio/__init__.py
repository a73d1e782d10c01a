"""Sound as a control source: live inputs, per-block features, envelopes, a beat tracker, and
the whole-file analysis behind `run.py render --audio`.

- `inputs.py`: where blocks come from (a JACK port, a PortAudio device, a sound file);
- `stream.py`: the analysis thread that turns an input's blocks into `Features`, and notices
  an input that vanished and one that came back;
- `analysis.py`: loudness, onsets, band energies, centroid and chroma of one block;
- `beat.py`: tempo and beat phase, causally, for live input;
- `envelope.py`: attack / release / gate, per mapping;
- `offline.py`: a whole sound file analysed with look-ahead, for music videos.

The surface that maps features onto parameters is `installation.control.audio_control`.
"""
