"""Tempo, loudness, key and mode of decoded audio, measured the way the field does.

- Loudness: integrated loudness of ITU-R BS.1770-4 (K-weighting, 400 ms blocks, -70 LUFS
  absolute gate, -10 LU relative gate) through pyloudnorm, on every channel: stereo sums the
  channel powers, as the standard says (a downmix would cancel out-of-phase content).
- Tempo: librosa's onset strength on the mono mix, its autocorrelation over the whole file and
  librosa's log-normal tempo prior (``librosa.feature.tempo``) to choose the beat period.
- Key and mode: librosa's constant-Q chroma, averaged over the file, correlated with the
  Krumhansl-Kessler major and minor profiles in all 24 keys.

Conventions follow Spotify's audio features so both kinds of catalog read alike: tempo 0.0
when no beat is found, key -1 when there is no key, pitch class 0 = C.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from recommender.errors import AudioError

__all__ = ["MIN_SAMPLE_RATE", "Measurements", "SILENCE_LUFS", "measure"]

MIN_SAMPLE_RATE = 8_000
SILENCE_LUFS = -70.0  # BS.1770's absolute gate: blocks below it are not counted as sound

# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

# Onset envelope at >= 125 frames a second (8 ms): click tracks at 60-180 BPM then read within
# 0.2 BPM at 16, 22.05 and 44.1 kHz (at 62.5, 174 BPM needed twice the smoothing).
_ONSET_FRAME_RATE = 125.0
_ONSET_SMOOTHING_S = 0.008  # Gaussian sigma, one frame at 125 frames a second
# A steady beat correlates as well at 2, 3, ... beats, so librosa's log-normal prior chooses
# among them: between x and x/2 BPM it picks x below PRIOR * sqrt(2). librosa's 120 turns
# clicks above 170 BPM into their half (174 -> 87); 135 keeps 60-180 BPM right (up to 191).
_PRIOR_BPM = 135.0
_TEMPO_WINDOW_S = 8.0  # longest beat period searched is this long (librosa's ac_size)
_MIN_TEMPO_SECONDS = 2.0  # shorter than this there are too few beats to say
# Spread (std, in dB of spectral flux) of the onset envelope below which nothing starts: a
# steady tone measures 0.002 (rounding noise, which can be periodic), white noise 0.15, our
# slowest chords 0.74, clicks and pieces 1.6 to 2.9.
_MIN_ONSET_SPREAD = 0.05
_MIN_BEAT_PERIODICITY = 0.25  # autocorrelation at the beat; white noise reaches 0.13, our music 0.79
_CHROMA_HOP_S = 0.128  # chroma is averaged over the file, so a coarse hop is enough
_CHROMA_FMIN_HZ = 32.70319566257483  # C1, librosa's default
_MIN_CHROMA_CONTRAST = 0.1  # std / mean of the mean chroma; noise measures ~0.02, music > 0.5


@dataclass(frozen=True)
class Measurements:
    tempo: float  # BPM; 0.0 when no beat is found (Spotify's convention), never NaN
    loudness: float  # integrated loudness in LUFS; -70.0 floor for silence, never -inf/NaN
    key: int  # pitch class 0=C .. 11=B (Spotify's convention); -1 when no key (silence, noise)
    mode: int  # 1 major, 0 minor (0 also when key is -1)
    key_confidence: float  # 0..1, how clearly the key profile won


def measure(channels: np.ndarray, sample_rate: int) -> Measurements:
    """Tempo, integrated loudness, key and mode of one piece of audio.

    ``channels``: float32 (n_channels <= 2, n_samples), as
    ``recommender.audio.decode.DecodedAudio.channels`` (16 kHz there); a 1-D array is mono.
    Raises :class:`AudioError` for audio that is not audio (wrong shape, NaN samples).
    """
    channels = _checked(channels, sample_rate)
    loudness = integrated_loudness(channels, sample_rate)
    if loudness <= SILENCE_LUFS:
        return Measurements(tempo=0.0, loudness=SILENCE_LUFS, key=-1, mode=0, key_confidence=0.0)
    mono = channels.mean(axis=0)
    key, mode, confidence = estimate_key(mono, sample_rate)
    return Measurements(
        tempo=estimate_tempo(mono, sample_rate),
        loudness=loudness,
        key=key,
        mode=mode,
        key_confidence=confidence,
    )


def _checked(channels: np.ndarray, sample_rate: int) -> np.ndarray:
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate < MIN_SAMPLE_RATE:
        # below 8 kHz BS.1770's 1.5 kHz shelf filter is past Nyquist (and unstable)
        raise AudioError(f"The sample rate must be a whole number of at least {MIN_SAMPLE_RATE} Hz, "
                         f"not {sample_rate!r}.", reason="sample rate too low")
    array = np.asarray(channels)
    if array.ndim == 1:
        array = array[np.newaxis, :]
    if array.ndim != 2 or not 1 <= array.shape[0] <= 2:
        raise AudioError(f"Expected mono or stereo audio (channels, samples), got shape {array.shape}.",
                         reason="not mono or stereo")
    if not np.issubdtype(array.dtype, np.floating):
        raise AudioError(f"Expected floating-point samples, got {array.dtype}.", reason="not float samples")
    array = np.ascontiguousarray(array, dtype=np.float32)
    if not np.isfinite(array).all():
        raise AudioError("The audio holds samples that are not numbers (NaN or infinite).",
                         reason="damaged samples")
    return array


def integrated_loudness(channels: np.ndarray, sample_rate: int) -> float:
    """BS.1770-4 integrated loudness in LUFS of (channels, samples); -70.0 for silence."""
    import pyloudnorm

    n_samples = channels.shape[1]
    if n_samples == 0:
        return SILENCE_LUFS
    # The standard's 400 ms block; a shorter clip is measured as one block of its own length.
    block_size = min(0.4, n_samples / sample_rate)
    meter = pyloudnorm.Meter(sample_rate, block_size=block_size)
    # pyloudnorm takes (samples, channels) and sums the channels' K-weighted powers.
    lufs = float(meter.integrated_loudness(channels.T.astype(np.float64)))
    if not math.isfinite(lufs) or lufs < SILENCE_LUFS:
        return SILENCE_LUFS
    return lufs


def estimate_tempo(mono: np.ndarray, sample_rate: int) -> float:
    """Beats per minute of a mono signal; 0.0 when there is no steady beat."""
    import librosa
    from scipy.ndimage import gaussian_filter1d

    if mono.size < _MIN_TEMPO_SECONDS * sample_rate:
        return 0.0
    # A power-of-two hop giving at least _ONSET_FRAME_RATE frames a second (128 at 16 kHz).
    hop = 2 ** int(math.floor(math.log2(sample_rate / _ONSET_FRAME_RATE)))
    onsets = librosa.onset.onset_strength(y=mono, sr=sample_rate, hop_length=hop, n_fft=4 * hop)
    # Beats fall between frames (174 BPM is 43.1 frames), alternating 43 and 44 apart: without
    # smoothing the beat's peak splits over two lags and its double (86.2, not split) beats it.
    # Measured: without it 165 and 174 BPM clicks read at half speed even with the 135 prior.
    onsets = gaussian_filter1d(onsets, _ONSET_SMOOTHING_S * sample_rate / hop)
    if onsets.std() < _MIN_ONSET_SPREAD:
        return 0.0
    max_lag = min(int(_TEMPO_WINDOW_S * sample_rate / hop), onsets.size)
    # One autocorrelation over the whole file instead of librosa's tempogram (one per frame):
    # the same peaks for a steady tempo, at a fraction of the time.
    autocorrelation = librosa.autocorrelate(onsets - onsets.mean(), max_size=max_lag)
    autocorrelation = autocorrelation / autocorrelation[0]
    tempogram = np.clip(autocorrelation, 0.0, None)[:, np.newaxis]
    bpm = float(librosa.feature.tempo(tg=tempogram, sr=sample_rate, hop_length=hop,
                                      start_bpm=_PRIOR_BPM)[0])
    frames_per_minute = 60.0 * sample_rate / hop
    lag = int(round(frames_per_minute / bpm))
    if not 1 <= lag < max_lag - 1 or autocorrelation[lag] < _MIN_BEAT_PERIODICITY:
        return 0.0
    # The peak lies between whole lags (174 BPM is 43.1 frames): fit a parabola through the
    # three lags around it; without this 174 BPM reads 174.4 and 60 BPM steps of ~0.5 BPM.
    before, at, after = autocorrelation[lag - 1 : lag + 2]
    curvature = before - 2.0 * at + after
    offset = 0.5 * (before - after) / curvature if curvature < 0 else 0.0
    return float(frames_per_minute / (lag + float(np.clip(offset, -0.5, 0.5))))


def _key_profiles() -> np.ndarray:
    """(24, 12) zero-mean unit-length profiles: rows 0-11 major on C..B, 12-23 minor on C..B."""
    rows = [np.roll(_MAJOR_PROFILE, tonic) for tonic in range(12)]
    rows += [np.roll(_MINOR_PROFILE, tonic) for tonic in range(12)]
    profiles = np.array(rows)
    profiles -= profiles.mean(axis=1, keepdims=True)
    return profiles / np.linalg.norm(profiles, axis=1, keepdims=True)


_PROFILES = _key_profiles()


def estimate_key(mono: np.ndarray, sample_rate: int) -> tuple[int, int, float]:
    """(key 0-11 or -1, mode 1 major / 0 minor, confidence 0..1) of a mono signal.

    The confidence is the Pearson correlation of the file's mean chroma with the winning
    key profile (Krumhansl's "key strength"), clipped to 0..1.
    """
    import librosa

    # CQT chroma over chroma_stft: right on every test piece where the STFT missed one, and it
    # leaves white noise flat (contrast 0.02, the STFT's 0.09), so "no key" is clear-cut. Its
    # 3 bins a semitone absorb a detuned recording, so the slow tuning estimate is skipped.
    hop = 2 ** int(round(math.log2(_CHROMA_HOP_S * sample_rate)))
    # librosa's 7 octaves from C1 (to 4.2 kHz) fit below 16 kHz's Nyquist; lower rates get fewer
    n_octaves = min(7, int(math.log2(0.45 * sample_rate / _CHROMA_FMIN_HZ)))
    if n_octaves < 1:
        return -1, 0, 0.0
    with warnings.catch_warnings():
        # a clip shorter than the lowest octave's filter (about 1.5 s) is still measured
        warnings.filterwarnings("ignore", message="n_fft=.* is too large", category=UserWarning)
        chroma = librosa.feature.chroma_cqt(y=mono, sr=sample_rate, hop_length=hop, tuning=0.0,
                                            fmin=_CHROMA_FMIN_HZ, n_octaves=n_octaves)
    mean_chroma = chroma.mean(axis=1).astype(np.float64)
    level = mean_chroma.mean()
    if level <= 0 or mean_chroma.std() / level < _MIN_CHROMA_CONTRAST:
        return -1, 0, 0.0
    centred = mean_chroma - level
    correlations = _PROFILES @ (centred / np.linalg.norm(centred))
    best = int(np.argmax(correlations))
    if correlations[best] <= 0:
        return -1, 0, 0.0
    return best % 12, int(best < 12), float(min(1.0, correlations[best]))
