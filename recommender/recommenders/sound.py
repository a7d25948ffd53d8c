"""``sound``: nearest tracks by what a pretrained network heard (audio libraries).

The catalog's :attr:`~recommender.catalog.Catalog.sound` embeddings (musicnn's penultimate
layers, mean over 3-second patches) are standardized per dimension over the library, so
dimensions every track shares do not drown the ones that tell tracks apart, and compared by
cosine, through the same exact / IVF index as ``similar``. Each result is explained by the
tags the seeds and the track share ("both: guitar, slow, female vocals").
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalog import Catalog
from ..errors import CatalogError
from ..neighbors import build_index, sorted_unique
from ..tag_words import TAG_HEARD_AT, plain_tags
from .base import BaseRecommender
from .result import as_match
from .similar import unit_rows

__all__ = ["SoundRecommender"]

_FASTER, _LOUDER = 1.15, 4.0  # tempo ratio, loudness difference (LU) worth telling
_PAIRS = 20_000  # track pairs sampled for the match scale


class SoundRecommender(BaseRecommender):
    """Nearest tracks by the pretrained network's embedding.

    ``standardize``: z-score each embedding dimension over the catalog before the cosine
    (measured better on real soundtracks, see docs/audio.md); ``aggregate``: ``"mean"`` (the
    seeds' centre) or ``"max"`` (the closest seed).
    """

    name = "sound"
    requires_sound = True

    def __init__(self, standardize: bool = True, aggregate: str = "mean", random_state: int | None = 0) -> None:
        super().__init__(random_state)
        self.standardize = standardize
        self.aggregate = aggregate

    def _fit(self, catalog: Catalog) -> None:
        if self.aggregate not in ("mean", "max"):
            raise ValueError(f"aggregate must be 'mean' or 'max', not {self.aggregate!r}")
        if not catalog.has_sound:
            raise CatalogError(
                f"{catalog.name} has no analysed audio, so tracks cannot be compared by how they sound "
                "to a pretrained network. Scan a folder of music files (python -m recommender audio scan) "
                "and load the library it writes, or choose another method."
            )
        X = catalog.sound.embeddings.astype(np.float32, copy=True)
        if self.standardize:
            X -= X.mean(axis=0)
            X /= np.maximum(X.std(axis=0), 1e-6)
        self.unit_ = unit_rows(X)
        self.neighbors_ = build_index(self.unit_, normalized=True)
        self.tag_words_, self.tag_matrix_ = plain_tags(catalog.sound.tag_names, catalog.sound.tags)
        self.pair_similarities_ = self._pair_similarities()

    def _pair_similarities(self) -> np.ndarray:
        """Sorted cosines of pairs of different tracks (all pairs of a small library, a sample
        of a big one): the scale of "match". A standardized embedding's cosine is often below
        0 for tracks that are still the closest in a small, varied library; "more alike than
        93% of the pairs in your library" reads right whatever the library."""
        n = len(self.unit_)
        if n < 2:
            return np.zeros(1, dtype=np.float32)
        if n * (n - 1) // 2 <= _PAIRS:
            i, j = np.triu_indices(n, k=1)
        else:
            rng = np.random.default_rng(0)
            i, j = rng.integers(0, n, _PAIRS), rng.integers(0, n - 1, _PAIRS)
            j = np.where(j >= i, j + 1, j)  # never a track with itself
        return np.sort(np.einsum("ij,ij->i", self.unit_[i], self.unit_[j]))

    def _score(self, seed_pos: np.ndarray) -> np.ndarray:
        sims = self.unit_ @ self.unit_[seed_pos].T
        return sims.mean(axis=1) if self.aggregate == "mean" else sims.max(axis=1)

    def _match(self, scores: np.ndarray) -> pd.array:
        """The share of the library's track pairs that sound less alike (0-100)."""
        pairs = getattr(self, "pair_similarities_", None)
        if pairs is None:
            return as_match(100.0 * scores)
        return as_match(100.0 * np.searchsorted(pairs, scores, side="right") / len(pairs))

    def _pool(self, seed_pos: np.ndarray, candidates: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        found = self.neighbors_.search(self.unit_[seed_pos], size, mask=candidates, aggregate=self.aggregate)
        return found.positions, found.scores

    def _sound_reasons(self, seed_pos: np.ndarray, rec_pos: np.ndarray) -> list[str]:
        """"sounds like your seed (both: guitar, slow), but faster"."""
        seeds = sorted_unique(seed_pos)
        seed_tags = self.tag_matrix_[seeds].mean(axis=0)
        shared = np.minimum(self.tag_matrix_[rec_pos], seed_tags)  # heard in both
        tracks = self.catalog_.tracks
        tempo = tracks["tempo"].to_numpy(dtype=np.float64, na_value=np.nan)
        loud = tracks["loudness"].to_numpy(dtype=np.float64, na_value=np.nan)
        seed_tempo, seed_loud = np.nanmean(tempo[seeds]) if len(seeds) else np.nan, np.nanmean(loud[seeds]) if len(seeds) else np.nan
        like = "sounds like your seed" if len(seeds) == 1 else "sounds like your seeds"
        out = []
        for i, pos in enumerate(rec_pos):
            order = np.argsort(-shared[i], kind="stable")[:3]
            words = [self.tag_words_[j] for j in order if shared[i, j] >= TAG_HEARD_AT]
            text = like + (f" (both: {', '.join(words)})" if words else "")
            buts = []
            if seed_tempo > 0 and tempo[pos] > 0:
                ratio = tempo[pos] / seed_tempo
                buts += ["faster"] if ratio >= _FASTER else ["slower"] if ratio <= 1 / _FASTER else []
            if np.isfinite(seed_loud) and np.isfinite(loud[pos]) and abs(loud[pos] - seed_loud) >= _LOUDER:
                buts.append("louder" if loud[pos] > seed_loud else "quieter")
            out.append(text + (f", but {' and '.join(buts)}" if buts else ""))
        return out
