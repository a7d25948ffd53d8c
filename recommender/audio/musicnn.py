"""The pretrained musicnn taggers (MSD and MTT, ISC licence) under onnxruntime.

musicnn (Pons & Serra, 2019) reads 3-second patches of a log-compressed mel spectrogram of
16 kHz audio and answers 50 tag probabilities per patch; its penultimate layer (200 units) is
a description of the sound that places similar music near each other. Two networks run here:
one trained on the Million Song Dataset's last.fm tags (genres, eras, moods), one on
MagnaTagATune (instruments, voices, tempo words): 100 tags in all.

The front end is musicnn's own formula, ``log10(1 + 10000 * mel)``, computed in float32:
musicnn 0.1.0 casts the mel power to float16 first, which overflows to inf on loud music and
ruins its embeddings (see data/models/musicnn/README.md).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..catalog.schema import DATA_DIR

MODEL_DIR = DATA_DIR / "models" / "musicnn"
SAMPLE_RATE = 16_000
N_FFT, HOP, N_MELS = 512, 256, 96
PATCH_FRAMES = 187  # 3 s: what the networks were trained on
# At most this many patches per recording, spread evenly over it (2 minutes of a longer
# track): on 105 soundtrack tracks, precision@5 of "same soundtrack" was the same with 40
# patches as with every patch (docs/audio.md), at a fraction of the time for long tracks.
MAX_PATCHES = 40
INPUT, TAGS_OUT, EMBEDDING_OUT = "model/logmel:0", "tags:0", "penultimate:0"

MSD_TAGS: tuple[str, ...] = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock",
    "soul", "indie rock", "mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental",
    "punk", "oldies", "blues", "hard rock", "ambient", "acoustic", "experimental", "female vocalist",
    "guitar", "hip-hop", "70s", "party", "country", "easy listening", "sexy", "catchy", "funk",
    "electro", "heavy metal", "progressive rock", "60s", "rnb", "indie pop", "sad", "house", "happy",
)
MTT_TAGS: tuple[str, ...] = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male",
    "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman",
    "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice",
    "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello", "no voice", "weird",
    "country", "metal", "female voice", "choral",
)
MODELS: tuple[tuple[str, tuple[str, ...]], ...] = (("msd_musicnn", MSD_TAGS), ("mtt_musicnn", MTT_TAGS))
# Column names of the 100 tags, by network: "msd:rock", "mtt:guitar" (both have "rock").
TAG_COLUMNS: tuple[str, ...] = tuple(f"{name[:3]}:{tag}" for name, tags in MODELS for tag in tags)
# Bump when the front end, the networks or the pooling change: cached analyses are redone.
MODEL_VERSION = "musicnn-msd+mtt-onnx-1"


@dataclass(frozen=True)
class SoundAnalysis:
    """What the networks say about one recording."""

    embedding: np.ndarray  # float32, both networks' penultimate layers, mean over patches
    tags: np.ndarray  # float32 (100,), mean tag probabilities in TAG_COLUMNS order
    patches: int


def log_mel(mono: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The networks' input for ``mono`` audio at 16 kHz: (frames, 96) float32."""
    import librosa

    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"musicnn needs {SAMPLE_RATE} Hz audio, got {sample_rate} Hz")
    mel = librosa.feature.melspectrogram(
        y=np.asarray(mono, dtype=np.float32), sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS
    )
    return np.log10(1.0 + 10000.0 * mel.T, dtype=np.float32)


def patches(frames: np.ndarray) -> np.ndarray:
    """Non-overlapping 187-frame patches; a recording shorter than one patch is repeated to
    fill it (how the networks were trained on short clips)."""
    if len(frames) == 0:
        raise ValueError("no audio frames to analyse")
    if len(frames) < PATCH_FRAMES:
        frames = np.tile(frames, (int(np.ceil(PATCH_FRAMES / len(frames))), 1))[:PATCH_FRAMES]
    n = len(frames) // PATCH_FRAMES
    return np.ascontiguousarray(frames[: n * PATCH_FRAMES].reshape(n, PATCH_FRAMES, N_MELS))


class SoundModel:
    """Both taggers, loaded once per process (onnxruntime sessions are thread-safe to run).

    ``threads`` is onnxruntime's intra-op thread count: 1 when a scan runs one file per core.
    ``batch``: patches per network call. 4 was faster than 32 here and keeps onnxruntime's
    memory arena small (peak RSS of one 11-minute file: 0.8 GB at 4, 2.5 GB at 32).
    """

    _lock = threading.Lock()
    _sessions: dict[tuple[str, int], object] = {}

    def __init__(self, model_dir: Path = MODEL_DIR, threads: int = 1, batch: int = 4) -> None:
        self.model_dir = Path(model_dir)
        self.threads = threads
        self.batch = batch

    def _session(self, name: str):
        import onnxruntime as ort

        key = (str(self.model_dir / f"{name}.onnx"), self.threads)
        with self._lock:
            if key not in self._sessions:
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                self._sessions[key] = ort.InferenceSession(key[0], options, providers=["CPUExecutionProvider"])
            return self._sessions[key]

    def run(self, batch: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Raw outputs for log-mel patches (n, 187, 96): network -> (tags, penultimate), per patch."""
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, _tags in MODELS:
            session = self._session(name)
            parts = [
                session.run([TAGS_OUT, EMBEDDING_OUT], {INPUT: batch[i : i + self.batch]})
                for i in range(0, len(batch), self.batch)
            ]
            out[name] = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
        return out

    def analyse(self, mono: np.ndarray, sample_rate: int = SAMPLE_RATE, max_patches: int = MAX_PATCHES) -> SoundAnalysis:
        """Tags and embedding of 16 kHz mono audio (mean over its 3 s patches, at most
        ``max_patches`` of them spread over the recording)."""
        batch = patches(log_mel(mono, sample_rate))
        if len(batch) > max_patches:
            batch = batch[np.linspace(0, len(batch) - 1, max_patches).round().astype(int)]
        outputs = self.run(batch)
        tags = np.concatenate([outputs[name][0].mean(axis=0) for name, _ in MODELS]).astype(np.float32)
        embedding = np.concatenate([outputs[name][1].mean(axis=0) for name, _ in MODELS]).astype(np.float32)
        return SoundAnalysis(embedding=embedding, tags=tags, patches=len(batch))
