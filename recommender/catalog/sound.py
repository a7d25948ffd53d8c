"""What a pretrained network heard in each track of an audio library (:class:`SoundData`),
and how it is stored in the library's Parquet catalog.

An audio library (``python -m recommender audio scan``) is a Parquet file with the usual
canonical columns (track ID, title, artist, album, measured tempo, loudness, key, mode,
duration) plus:

- ``file_path``: the file, relative to the scanned folder (shown to the listener, played);
- ``sound_embedding``: a fixed-size list of float32, the network's description of the sound;
- ``tag:<network>:<tag>``: float32 tag probabilities (``tag:mtt:guitar``, ``tag:msd:jazz``).

The network's name and version are in the file's metadata (``tastemap.sound_model``).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO

import numpy as np
import pandas as pd

FILE_PATH_COLUMN = "file_path"
EMBEDDING_COLUMN = "sound_embedding"
TAG_PREFIX = "tag:"
MODEL_METADATA_KEY = b"tastemap.sound_model"
ROOT_METADATA_KEY = b"tastemap.library_folder"


@dataclass
class SoundData:
    """Per-track embeddings and tag probabilities, rows in the catalog's track order."""

    embeddings: np.ndarray  # (n_tracks, d) float32
    tags: np.ndarray  # (n_tracks, n_tags) float32, 0..1
    tag_names: tuple[str, ...]  # "mtt:guitar", "msd:jazz", ...
    model: str = ""
    root: str = ""  # the scanned folder (absolute) where the files were; "" when unknown

    def __len__(self) -> int:
        return len(self.embeddings)

    def take(self, positions: np.ndarray) -> SoundData:
        """The rows at ``positions`` (a boolean mask or integer positions)."""
        return SoundData(self.embeddings[positions], self.tags[positions], self.tag_names, self.model, self.root)

    def digest(self) -> str:
        h = hashlib.sha256(self.model.encode())
        h.update(np.ascontiguousarray(self.embeddings).tobytes())
        h.update(np.ascontiguousarray(self.tags).tobytes())
        h.update("\n".join(self.tag_names).encode())
        return h.hexdigest()[:20]


def tag_word(tag_name: str) -> str:
    """The plain tag of a column name: ``'mtt:female vocal'`` -> ``'female vocal'``."""
    return tag_name.split(":", 1)[-1]


def is_sound_table(column_names: list[str]) -> bool:
    return EMBEDDING_COLUMN in column_names


def read_sound_table(source: object) -> tuple[pd.DataFrame, SoundData] | None:
    """The sound columns of a Parquet file: ``(frame with track_id and file_path, SoundData)``
    in file order, or None when the file has no ``sound_embedding`` column."""
    import pyarrow.parquet as pq

    if hasattr(source, "seek"):
        source.seek(0)
    schema = pq.read_schema(source)
    if EMBEDDING_COLUMN not in schema.names:
        return None
    if hasattr(source, "seek"):
        source.seek(0)
    tag_columns = [c for c in schema.names if c.startswith(TAG_PREFIX)]
    wanted = [c for c in ("track_id", FILE_PATH_COLUMN) if c in schema.names]
    table = pq.read_table(source, columns=wanted + [EMBEDDING_COLUMN] + tag_columns)
    column = table.column(EMBEDDING_COLUMN).combine_chunks()
    n = table.num_rows
    flat = np.asarray(column.flatten() if n else [], dtype=np.float32)
    dim = len(flat) // n if n else 0
    embeddings = flat.reshape(n, dim) if n else np.zeros((0, 0), np.float32)
    tags = np.column_stack([table.column(c).to_numpy(zero_copy_only=False) for c in tag_columns]).astype(np.float32) \
        if tag_columns else np.zeros((n, 0), np.float32)
    metadata = schema.metadata or {}
    model = metadata.get(MODEL_METADATA_KEY, b"").decode("utf-8", "replace")
    root = metadata.get(ROOT_METADATA_KEY, b"").decode("utf-8", "surrogateescape")
    frame = table.select(wanted).to_pandas()
    names = tuple(c[len(TAG_PREFIX):] for c in tag_columns)
    return frame, SoundData(np.ascontiguousarray(embeddings), tags, names, model, root)


def write_sound_parquet(frame: pd.DataFrame, sound: SoundData, sink: str | IO[bytes]) -> None:
    """Write ``frame`` (canonical columns, ``file_path``) with ``sound`` as one Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    dim = sound.embeddings.shape[1] if sound.embeddings.ndim == 2 else 0
    values = pa.array(np.ascontiguousarray(sound.embeddings, dtype=np.float32).reshape(-1))
    table = table.append_column(EMBEDDING_COLUMN, pa.FixedSizeListArray.from_arrays(values, dim))
    for j, name in enumerate(sound.tag_names):
        table = table.append_column(TAG_PREFIX + name, pa.array(sound.tags[:, j].astype(np.float32)))
    metadata = dict(table.schema.metadata or {})
    metadata[MODEL_METADATA_KEY] = sound.model.encode()
    metadata[ROOT_METADATA_KEY] = sound.root.encode("utf-8", "surrogateescape")
    pq.write_table(table.replace_schema_metadata(metadata), sink, compression="zstd")
