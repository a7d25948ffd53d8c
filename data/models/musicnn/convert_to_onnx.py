"""Convert musicnn 0.1.0's MSD and MTT taggers (TensorFlow 1 checkpoints) to ONNX.

Run once, in a throwaway environment (TensorFlow is ~2.7 GB and Tastemap never needs it):

    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu tf-keras tf2onnx onnx onnxruntime
    /tmp/tfenv/bin/pip install --no-deps musicnn==0.1.0
    TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python data/models/musicnn/convert_to_onnx.py

It writes ``msd_musicnn.onnx`` and ``mtt_musicnn.onnx`` beside this file, and
``reference.npz``: a fixed input and TensorFlow's outputs for it, which the tests compare
onnxruntime's answers with (so CI needs no TensorFlow). It prints the largest difference
between TensorFlow and onnxruntime on that input.

The graph's input is the log-compressed mel spectrogram, ``log10(1 + 10000 * mel)``, in
patches of 187 frames x 96 bands (3 s at 16 kHz, hop 256). musicnn's own front end casts the
mel power to float16 before the log, which overflows to inf on loud music; Tastemap computes
the same formula in float32 (recommender/audio/musicnn.py), so the network gets the values it
was trained on, without the overflow.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
from musicnn import configuration as config  # noqa: E402
from musicnn import models  # noqa: E402

HERE = Path(__file__).resolve().parent
N_FRAMES = 187
OPSET = 17
OUTPUTS = ("tags", "penultimate", "mean_pool", "max_pool")


def reference_input() -> np.ndarray:
    """Two patches of a smooth, deterministic log-mel-like pattern (values 0..~4)."""
    b, t, f = np.meshgrid(np.arange(2), np.arange(N_FRAMES), np.arange(config.N_MELS), indexing="ij")
    mel = 0.5 + 0.5 * np.sin(0.05 * t * (1 + f % 7) + 0.3 * f + 1.7 * b)
    mel *= np.exp(-f / 40.0)
    return np.log10(1.0 + 10000.0 * mel).astype(np.float32)


def freeze(model: str, n_classes: int) -> tuple[tf.compat.v1.GraphDef, dict[str, np.ndarray]]:
    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.reset_default_graph()
    graph = tf.compat.v1.get_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, config.N_MELS], name="logmel")
        is_training = tf.constant(False)
        y, _t, _tp, _c1, _c2, _c3, mean_pool, max_pool, penultimate = models.define_model(
            x, is_training, model, n_classes
        )
    tf.identity(tf.nn.sigmoid(y), name="tags")
    tf.identity(penultimate, name="penultimate")
    tf.identity(mean_pool, name="mean_pool")
    tf.identity(max_pool, name="max_pool")
    sess = tf.compat.v1.Session(graph=graph)
    sess.run(tf.compat.v1.global_variables_initializer())
    tf.compat.v1.train.Saver().restore(sess, str(Path(models.__file__).parent / model) + "/")
    fetched = sess.run([f"{o}:0" for o in OUTPUTS], {x: reference_input()})
    frozen = tf.compat.v1.graph_util.convert_variables_to_constants(sess, graph.as_graph_def(), list(OUTPUTS))
    sess.close()
    return frozen, dict(zip(OUTPUTS, fetched, strict=True))


def main() -> None:
    reference: dict[str, np.ndarray] = {"input": reference_input()}
    for model, labels in (("MSD_musicnn", config.MSD_LABELS), ("MTT_musicnn", config.MTT_LABELS)):
        frozen, outputs = freeze(model, len(labels))
        out = HERE / f"{model.lower()}.onnx"
        tf2onnx.convert.from_graph_def(
            frozen, input_names=["model/logmel:0"], output_names=[f"{o}:0" for o in OUTPUTS],
            opset=OPSET, output_path=str(out),
        )
        session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        got = session.run([f"{o}:0" for o in OUTPUTS], {"model/logmel:0": reference["input"]})
        for name, tf_value, onnx_value in zip(OUTPUTS, outputs.values(), got, strict=True):
            reference[f"{model.lower()}/{name}"] = tf_value
            print(f"{model} {name}: shape {onnx_value.shape}, max |TF - ONNX| = {np.abs(tf_value - onnx_value).max():.2e}")
        print(f"wrote {out.name} ({out.stat().st_size / 1e6:.1f} MB)")
    np.savez_compressed(HERE / "reference.npz", **reference)


if __name__ == "__main__":
    main()
