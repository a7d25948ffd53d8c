"""Label rows as the label store takes them, for the store tests of both backends."""
from __future__ import annotations

import numpy as np
import pandas as pd


def make_labels(n: int, label_of=lambda i: i % 2, prefix: str = "t") -> pd.DataFrame:
    """``n`` labelled tracks (the first title starts with '=', a spreadsheet formula)."""
    rng = np.random.default_rng(n)
    return pd.DataFrame({
        "label_key": [f"{prefix}{i}" for i in range(n)],
        "track_id": None,
        "track_name": [f"=song {i}" if i == 0 else f"song {i}" for i in range(n)],
        "artists": [f"artist {i % 7}" for i in range(n)],
        "genres": None,
        "label": [label_of(i) for i in range(n)],
        "energy": rng.uniform(0, 1, n),
        "tempo": rng.uniform(60, 180, n),
    })
