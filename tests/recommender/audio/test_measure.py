"""Tempo, loudness and key of synthetic audio whose true values are known.

The audio is made at synth's 22.05 kHz (or 48 kHz for the loudness reference) and resampled
to the 16 kHz analysis rate with soxr, as recommender.audio.decode does.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import soxr

from recommender.audio.measure import SILENCE_LUFS, Measurements, measure
from recommender.errors import AudioError
from tests.support import synth

RATE = 16_000


def at_rate(y: np.ndarray, rate: int = RATE, source_rate: float = synth.SR) -> np.ndarray:
    """(1, n) float32 at ``rate``, resampled the way decode does."""
    if rate == source_rate:
        return y[np.newaxis, :].astype(np.float32)
    return soxr.resample(y, source_rate, rate, quality="HQ").astype(np.float32)[np.newaxis, :]


def assert_all_finite(m: Measurements) -> None:
    assert all(math.isfinite(v) for v in (m.tempo, m.loudness, m.key_confidence)), m


# --- tempo -------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [RATE, synth.SR])
@pytest.mark.parametrize("bpm", [60, 90, 120, 150, 174, 180])
def test_click_tracks_measure_their_tempo_without_octave_errors(bpm, rate):
    m = measure(at_rate(synth.click_track(bpm), rate), rate)
    assert m.tempo == pytest.approx(bpm, abs=2.0)


def test_a_steady_tone_has_no_beat():
    assert measure(at_rate(synth.tone(440.0, seconds=10.0)), RATE).tempo == 0.0


def test_a_clip_too_short_for_beats_has_tempo_zero_and_still_a_loudness():
    m = measure(at_rate(synth.click_track(120, seconds=1.0)), RATE)
    assert m.tempo == 0.0
    assert m.loudness > SILENCE_LUFS
    assert_all_finite(m)


# --- loudness ----------------------------------------------------------------------------


def test_a_1khz_tone_reads_the_bs1770_figure_at_16khz():
    # BS.1770-4 calibrates K-weighted loudness so that a 0 dBFS-peak 997 Hz sine in one channel
    # reads -3.01 LKFS (its mean square 1/2 is -3.01 dB; the -0.691 offset cancels the
    # K-filter's +0.691 dB at 997 Hz). A peak of 0.1 is 20 dB below: -23.01 LUFS; the shelf
    # filter's gain at 1000 Hz instead of 997 Hz differs by far less than 0.01 dB.
    expected = -3.01 - 20.0
    at_16k = measure(at_rate(synth.tone(1000.0, seconds=5.0, sr=48_000), source_rate=48_000), RATE)
    assert at_16k.loudness == pytest.approx(expected, abs=1.0)
    # and the 16 kHz meter agrees with the full-rate one on the 48 kHz original
    at_48k = measure(synth.tone(1000.0, seconds=5.0, sr=48_000)[np.newaxis, :], 48_000)
    assert at_48k.loudness == pytest.approx(expected, abs=0.1)
    assert at_16k.loudness == pytest.approx(at_48k.loudness, abs=1.0)


def test_music_measured_at_16khz_stays_within_1_lu_of_the_full_rate_measurement():
    y = synth.piece(2, seconds=10.0)
    full = measure(y[np.newaxis, :], synth.SR).loudness
    assert measure(at_rate(y), RATE).loudness == pytest.approx(full, abs=1.0)


def test_6_db_of_gain_raises_loudness_by_6_lu():
    y = synth.piece(1, seconds=10.0)  # peak 0.5, so doubling it does not clip
    quiet = measure(at_rate(y), RATE).loudness
    loud = measure(at_rate(y * 10 ** (6 / 20)), RATE).loudness
    assert loud - quiet == pytest.approx(6.0, abs=0.5)


def test_stereo_sums_channel_powers_instead_of_downmixing():
    mono = at_rate(synth.piece(4, seconds=10.0))
    one = measure(mono, RATE).loudness
    same = measure(np.vstack([mono, mono]), RATE).loudness
    # two channels of equal power: 10*log10(2) = 3.01 LU more than one
    assert same - one == pytest.approx(3.01, abs=0.1)
    # opposite phase cancels in a downmix but is just as loud to BS.1770
    opposite = measure(np.vstack([mono, -mono]), RATE)
    assert opposite.loudness == pytest.approx(same, abs=0.01)
    assert_all_finite(opposite)


# --- key ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tonic", "major"),
    [(0, True), (9, False), (6, True), (2, False), (10, True), (4, False), (7, True), (11, False)],
    ids=["C major", "A minor", "F# major", "D minor", "Bb major", "E minor", "G major", "B minor"],
)
def test_key_pieces_give_their_key_and_mode(tonic, major):
    m = measure(at_rate(synth.key_piece(tonic, major)), RATE)
    assert (synth.NOTE_NAMES[m.key] if m.key >= 0 else None, m.mode) == (synth.NOTE_NAMES[tonic], int(major))
    assert 0.5 < m.key_confidence <= 1.0


@pytest.mark.parametrize("cents", [-30, 30])
def test_a_detuned_recording_keeps_its_key(cents):
    # playing the 22.05 kHz samples at a rate 30 cents off shifts every pitch by 30 cents
    shifted_rate = synth.SR * 2 ** (cents / 1200)
    m = measure(at_rate(synth.key_piece(5, False), source_rate=shifted_rate), RATE)
    assert (m.key, m.mode) == (5, 0)  # F minor


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_white_noise_has_no_key_and_no_beat(seed):
    m = measure(at_rate(synth.noise(seconds=10.0, seed=seed)), RATE)
    assert (m.key, m.mode, m.key_confidence) == (-1, 0, 0.0)
    assert m.tempo == 0.0
    assert m.loudness > SILENCE_LUFS


# --- silence and bad input ---------------------------------------------------------------


@pytest.mark.parametrize("n_channels", [1, 2])
def test_silence_has_no_tempo_no_key_and_the_loudness_floor(n_channels):
    silent = np.zeros((n_channels, 5 * RATE), dtype=np.float32)
    assert measure(silent, RATE) == Measurements(tempo=0.0, loudness=-70.0, key=-1, mode=0, key_confidence=0.0)


def test_no_samples_at_all_measure_as_silence():
    assert measure(np.zeros((2, 0), dtype=np.float32), RATE).loudness == -70.0


def test_telephone_rate_audio_is_measured():
    # 8 kHz: the chroma keeps to the octaves below Nyquist
    m = measure(synth.key_piece(2, False, sr=8_000), 8_000)
    assert (m.key, m.mode) == (2, 0)
    assert measure(synth.click_track(120, sr=8_000), 8_000).tempo == pytest.approx(120, abs=2.0)


def test_a_mono_1d_array_is_accepted():
    y = synth.click_track(120, seconds=8.0)
    assert measure(y, synth.SR) == measure(y[np.newaxis, :], synth.SR)


@pytest.mark.parametrize(
    ("channels", "rate"),
    [
        (np.zeros((3, 16_000), dtype=np.float32), RATE),  # three channels
        (np.zeros((1, 2, 16_000), dtype=np.float32), RATE),  # not (channels, samples)
        (np.full((1, 16_000), np.nan, dtype=np.float32), RATE),
        (np.zeros((1, 16_000), dtype=np.int16), RATE),
        (np.zeros((1, 16_000), dtype=np.float32), 0),
        (np.zeros((1, 16_000), dtype=np.float32), 4_000),
    ],
    ids=["3 channels", "3-d", "NaN", "int16", "rate 0", "rate 4 kHz"],
)
def test_unusable_input_is_an_audio_error(channels, rate):
    with pytest.raises(AudioError) as raised:
        measure(channels, rate)
    assert raised.value.reason
