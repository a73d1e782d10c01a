"""The features on generated signals whose answers are known: click times, a tempo, a tone."""

from __future__ import annotations

import numpy as np
import pytest

from installation.audio.envelope import Envelope
from installation.audio.features import FeatureExtractor
from installation.errors import UserError
from installation.show.control_sections import AudioSettings
from installation.show.loader import parse_show
from tests.audio.signals import RATE, click_track, drum_loop

BLOCK = 512


def analyse(samples: np.ndarray, **settings):
    extractor = FeatureExtractor(AudioSettings(**settings), RATE)
    return extractor.feed(samples)


def test_onsets_are_found_within_one_block_of_each_click() -> None:
    samples, clicks = click_track(128, 6.0)
    found = np.array([f.t for f in analyse(samples) if f.sound.onset_event])
    assert len(found) == len(clicks)
    # Reported at the end of the block the click starts in: never early, at most one block late.
    late = found - clicks
    assert np.all(late > 0) and np.all(late <= BLOCK / RATE), late


@pytest.mark.parametrize("bpm", [95.0, 128.0])
def test_the_beat_tracker_finds_a_known_tempo_and_beats_on_the_clicks(bpm: float) -> None:
    samples, clicks = click_track(bpm, 12.0)
    features = analyse(samples)
    last = features[-1].beat
    assert last.bpm is not None and abs(last.bpm - bpm) / bpm < 0.02, last
    assert last.confidence > 0.5
    beats = np.array([f.t for f in features if f.beat.beat and f.t < clicks[-1] + 0.1])[-8:]
    late = beats - clicks[np.searchsorted(clicks, beats) - 1]  # from the click before each
    assert np.all(late <= 2 * BLOCK / RATE), late  # on the clicks, not between them


def test_the_beat_tracker_finds_the_beat_of_a_drum_loop_not_its_eighths() -> None:
    last = analyse(drum_loop(124.0, 10.0))[-1].beat
    assert last.bpm is not None and abs(last.bpm - 124.0) / 124.0 < 0.02, last
    assert last.confidence > 0.5


def test_bands_centroid_and_chroma_follow_a_tone() -> None:
    t = np.arange(int(2.0 * RATE)) / RATE
    low = 0.3 * np.sin(2 * np.pi * 110.0 * t) + 0.1 * np.sin(2 * np.pi * 440.0 * t)  # A2 and A4
    high = 0.3 * np.sin(2 * np.pi * 6000.0 * t)
    low_end = analyse(np.concatenate([np.zeros(RATE // 2), low]).astype(np.float32))[-1]
    high_end = analyse(np.concatenate([np.zeros(RATE // 2), high]).astype(np.float32))[-1]
    assert low_end.value("chroma") == 9 and low_end.value("chroma:A") == 1.0  # A is pitch class 9
    assert low_end.value("chroma:C") < 0.1
    assert low_end.value("band:low") > 0.8 and low_end.value("band:high") < 0.3
    assert high_end.value("band:high") > 0.8 and high_end.value("band:low") < 0.3
    assert high_end.value("centroid") > 0.8 > 0.3 > low_end.value("centroid")
    assert low_end.value("loudness") > 0.8  # the tone against the silence before it


def test_loudness_uses_the_whole_range_in_a_quiet_room_and_a_loud_one() -> None:
    rng = np.random.default_rng(1)
    quarter = RATE // 4
    for level in (0.003, 0.5):  # about -50 dB and -6 dB: phrases 20 dB apart, in turn
        phrases = [(level if i % 2 else 0.1 * level) * rng.standard_normal(quarter) for i in range(16)]
        features = analyse(np.concatenate(phrases).astype(np.float32), adapt_seconds=2.0)
        start = np.array([f.t - BLOCK / RATE for f in features])  # where each block began
        phrase, into = np.divmod(start, 0.25)
        inside = (into > 2 * BLOCK / RATE) & (into + BLOCK / RATE <= 0.25)  # past the change, not at the next
        settled = (phrase >= 8) & inside  # a few phrases in
        loudness = np.array([f.value("loudness") for f in features])
        loud = phrase % 2 == 1
        assert loudness[settled & loud].min() > 0.85 and loudness[settled & ~loud].max() < 0.25, level


def test_envelopes_rise_fast_fall_slowly_and_gate() -> None:
    envelope = Envelope(attack=0.01, release=0.5)
    envelope.follow(0.0, 0.01)
    risen = envelope.follow(1.0, 0.02)
    assert risen == pytest.approx(1 - np.exp(-2))  # two attack times: most of the way up
    assert envelope.follow(0.0, 0.1) == pytest.approx(
        risen * np.exp(-0.2)
    )  # a fifth of a release: a little down
    gated = Envelope(attack=0.0, release=0.0, gate=0.2)
    assert gated.follow(0.15, 0.01) == 0.0 and gated.follow(0.6, 0.01) == pytest.approx(0.5)
    pulse = Envelope(attack=0.0, release=0.2)
    assert pulse.pulse(True, 0.01) == 1.0 and pulse.pulse(False, 0.2) == pytest.approx(np.exp(-1))


def test_show_mistakes_are_one_line_errors(tmp_path) -> None:
    path = tmp_path / "show.toml"
    for text, expected in (
        ('[[mappings]]\naudio = "band:sub"\nto = "psi"\n', "no band 'sub'"),
        ('[[mappings]]\naudio = "loudest"\nto = "psi"\n', "expected an audio feature"),
        ('[audio]\ninput = "file"\n', "input = file needs a file"),
        ("[audio]\nbands = { low = [300, 200] }\n", "low below high"),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(UserError, match=expected) as error:
            parse_show(text, path)  # the loader checks across sections too
        assert "\n" not in str(error.value)
