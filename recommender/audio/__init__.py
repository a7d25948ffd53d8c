"""Your own music: decode audio files, measure them, embed them with a pretrained CNN, and
turn a folder into a catalog (see docs/audio.md).

Light on import: the decoders, librosa and onnxruntime load only when a file is analysed.
"""
