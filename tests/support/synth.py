"""Audio the tests make themselves: clicks at a known tempo, tones and chords in a known key,
noise, silence; and writing it in the formats people keep music in.

Everything is deterministic (fixed seeds), so a failing test fails the same way every time.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

SR = 22_050
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10)


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def click_track(bpm: float, seconds: float = 20.0, sr: int = SR, level: float = 0.5) -> np.ndarray:
    """Short decaying 1.5 kHz clicks, one per beat."""
    y = np.zeros(int(seconds * sr), dtype=np.float32)
    n = int(0.03 * sr)
    t = np.arange(n) / sr
    click = (np.sin(2 * np.pi * 1500 * t) * np.exp(-t * 150)).astype(np.float32) * level
    period = 60.0 / bpm
    for start in np.arange(0, seconds - 0.05, period):
        i = int(round(start * sr))
        y[i : i + n] += click[: len(y) - i]
    return y


def tone(freq: float, seconds: float = 5.0, sr: int = SR, level: float = 0.1) -> np.ndarray:
    """A sine of peak ``level`` (0.1 = -20 dBFS peak)."""
    t = np.arange(int(seconds * sr)) / sr
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def key_piece(tonic: int, major: bool, seconds: float = 16.0, sr: int = SR, level: float = 0.2) -> np.ndarray:
    """I-IV-V-I chords then the scale, with harmonics, in a known key (tonic 0 = C)."""
    steps = MAJOR_STEPS if major else MINOR_STEPS
    root = 60 + tonic
    chords = [(0, 2, 4), (3, 5, 0), (4, 6, 1), (0, 2, 4)]  # scale degrees
    events: list[list[float]] = []
    for degrees in chords:
        events.append([root + steps[d] + (12 if d < degrees[0] else 0) for d in degrees] + [root - 12])
    events += [[root + s] for s in steps] + [[root + 12], [root, root + steps[2], root + steps[4]]]
    seg = seconds / len(events)
    t = np.arange(int(seg * sr)) / sr
    env = np.minimum(1.0, t / 0.02) * np.exp(-t * 1.5)
    out = []
    for notes in events:
        chunk = np.zeros_like(t)
        for m in notes:
            for h, amp in ((1, 1.0), (2, 0.4), (3, 0.2)):
                chunk += amp * np.sin(2 * np.pi * _hz(m) * h * t)
        out.append(chunk * env / len(notes))
    y = np.concatenate(out)
    return (level * y / np.abs(y).max()).astype(np.float32)


def noise(seconds: float = 5.0, sr: int = SR, level: float = 0.1, seed: int = 0) -> np.ndarray:
    return (level * np.random.default_rng(seed).standard_normal(int(seconds * sr))).astype(np.float32)


def silence(seconds: float = 5.0, sr: int = SR) -> np.ndarray:
    return np.zeros(int(seconds * sr), dtype=np.float32)


def piece(seed: int, seconds: float = 30.0, sr: int = SR) -> np.ndarray:
    """A synthetic 'piece' with its own sound: a tempo, an instrument (harmonic mix), a key and
    a bass line chosen by ``seed``. Two clips of one piece sound alike; two pieces do not."""
    rng = np.random.default_rng(seed)
    bpm = float(rng.uniform(70, 160))
    harmonics = rng.uniform(0, 1, 6) ** 2
    harmonics[0] = 1.0
    tonic = int(rng.integers(0, 12))
    steps = MAJOR_STEPS if rng.random() < 0.5 else MINOR_STEPS
    bright = float(rng.uniform(0.5, 6.0))
    drums = float(rng.uniform(0, 1))
    beat = 60.0 / bpm
    n = int(seconds * sr)
    y = np.zeros(n)
    t_note = np.arange(int(beat * sr)) / sr
    env = np.minimum(1.0, t_note / 0.01) * np.exp(-t_note * bright)
    for k, start in enumerate(np.arange(0, seconds - beat, beat)):
        midi = 60 + tonic + steps[int(rng.integers(0, 7))] + 12 * int(rng.integers(-1, 1))
        note = sum(a * np.sin(2 * np.pi * _hz(midi) * (h + 1) * t_note) for h, a in enumerate(harmonics))
        i = int(start * sr)
        y[i : i + len(note)] += env * note / harmonics.sum()
        if drums > 0.3:
            hit = rng.standard_normal(int(0.05 * sr)) * np.exp(-np.arange(int(0.05 * sr)) / sr * 80)
            y[i : i + len(hit)] += drums * 0.5 * hit
        if k % 4 == 0:
            bass = np.sin(2 * np.pi * _hz(36 + tonic) * np.arange(min(int(4 * beat * sr), n - i)) / sr)
            y[i : i + len(bass)] += 0.4 * bass * np.exp(-np.arange(len(bass)) / sr * 1.0)
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def write_audio(path: Path, y: np.ndarray, sr: int = SR) -> Path:
    """Write ``y`` (mono, or (samples, channels)) in the format the suffix names: .wav, .flac,
    .ogg (Vorbis), .opus, .mp3 through soundfile; .m4a (AAC) through PyAV."""
    import soundfile as sf

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".m4a":
        _write_m4a(path, y, sr)
        return path
    formats = {
        ".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS"),
        ".opus": ("OGG", "OPUS"), ".mp3": ("MP3", "MPEG_LAYER_III"),
    }
    fmt, subtype = formats[suffix]
    if suffix == ".opus" and sr not in (8000, 12000, 16000, 24000, 48000):
        import soxr

        y, sr = soxr.resample(y, sr, 48000).astype(np.float32), 48000
    sf.write(str(path), y, sr, format=fmt, subtype=subtype)
    return path


def _write_m4a(path: Path, y: np.ndarray, sr: int) -> None:
    import av

    mono = y if y.ndim == 1 else y.mean(axis=1)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=sr)
        stream.layout = "mono"
        frame_size = 1024
        for start in range(0, len(mono), frame_size):
            chunk = np.ascontiguousarray(mono[start : start + frame_size], dtype=np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
