"""The ONNX networks answer what TensorFlow answered, and their embeddings place clips of one
piece nearer each other than clips of different pieces."""
from __future__ import annotations

import numpy as np
import pytest

from recommender.audio import musicnn as mn
from tests.support import synth


@pytest.fixture(scope="module")
def model() -> mn.SoundModel:
    return mn.SoundModel(threads=1)


def test_onnx_outputs_match_tensorflow_on_the_stored_input(model):
    reference = np.load(mn.MODEL_DIR / "reference.npz")
    outputs = model.run(reference["input"])
    for name, _tags in mn.MODELS:
        tags, penultimate = outputs[name]
        np.testing.assert_allclose(tags, reference[f"{name}/tags"], atol=1e-5)
        np.testing.assert_allclose(penultimate, reference[f"{name}/penultimate"], atol=1e-4)


def test_front_end_is_float32_and_finite_on_loud_audio():
    # a full-scale square wave: musicnn 0.1.0's float16 cast overflows to inf on such input
    t = np.arange(mn.SAMPLE_RATE * 4) / mn.SAMPLE_RATE
    loud = np.sign(np.sin(2 * np.pi * 110 * t)).astype(np.float32)
    frames = mn.log_mel(loud)
    assert frames.dtype == np.float32 and frames.shape[1] == mn.N_MELS and np.isfinite(frames).all()
    # 10000 * mel in float16 (musicnn 0.1.0) is inf above 6.55: here it would have been
    assert 10 ** frames.max() - 1 > np.finfo(np.float16).max


def test_short_audio_is_repeated_to_one_patch_and_long_audio_is_capped(model):
    one_second = synth.piece(3, 1.0, sr=mn.SAMPLE_RATE)
    assert mn.patches(mn.log_mel(one_second)).shape == (1, mn.PATCH_FRAMES, mn.N_MELS)
    long = np.tile(synth.piece(3, 6.0, sr=mn.SAMPLE_RATE), 25)  # 150 s: 50 patches
    heard = model.analyse(long, max_patches=10)
    assert heard.patches == 10
    assert heard.embedding.shape == (400,) and heard.tags.shape == (len(mn.TAG_COLUMNS),)
    assert ((heard.tags >= 0) & (heard.tags <= 1)).all()


def test_clips_of_one_piece_are_closer_than_clips_of_different_pieces(model):
    def clips(seed: int) -> list[np.ndarray]:
        whole = synth.piece(seed, 24.0, sr=mn.SAMPLE_RATE)
        half = len(whole) // 2
        return [model.analyse(whole[:half]).embedding, model.analyse(whole[half:]).embedding]

    pieces = {seed: clips(seed) for seed in (1, 7, 21)}
    unit = {s: [e / np.linalg.norm(e) for e in pair] for s, pair in pieces.items()}
    for seed, (a, b) in unit.items():
        same = float(a @ b)
        for other, (c, d) in unit.items():
            if other != seed:
                assert same > max(float(a @ c), float(a @ d), float(b @ c), float(b @ d))
