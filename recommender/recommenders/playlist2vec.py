"""``playlist2vec``: track embeddings learned from playlists as sentences of tracks
(gensim's Word2Vec, skip-gram), the way playlist-continuation systems of the RecSys
Challenge 2018 built them; recommends by the cosine to the mean seed vector
(:class:`~.track_vectors.TrackVectorRecommender` does the answering and the fallback to
sound for tracks in no playlist)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .track_vectors import TrackVectorRecommender

__all__ = ["Playlist2VecRecommender"]

# Word2Vec's Cython training reads at most this many words of one sentence; a longer
# playlist is cut into sentences of this length (MAX_WORDS_IN_BATCH in gensim).
_MAX_SENTENCE = 10_000


class Playlist2VecRecommender(TrackVectorRecommender):
    """Skip-gram Word2Vec over playlists (a playlist is a sentence, a track a word).

    Parameters
    ----------
    vector_size:
        Dimensions of a track's vector.
    window:
        Tracks on each side of a track that count as its context. A playlist has no
        meaningful order here (each is shuffled with ``random_state``), so a wide window
        makes most of a playlist the context, and ``shrink_windows`` is off.
    negative:
        Negative samples per positive pair.
    epochs:
        Passes over the playlists (a small catalog needs many).
    sample:
        Down-sampling of tracks in very many playlists (0: none). It is relative to the
        number of memberships: on a catalog of a few hundred tracks every track counts as
        frequent, and 0 is the right value there.
    ns_exponent:
        Shape of the negative-sampling distribution (0.75 for words; recommendation data often
        prefers other values, down to negative ones: Caselles-Dupré et al., RecSys 2018).
    learning_rate:
        Word2Vec's starting ``alpha`` (it falls linearly to 1/100 of it).
    cold_weight, cold_neighbors:
        The fallback to sound (see :class:`~.track_vectors.TrackVectorRecommender`).
    random_state:
        Seeds the shuffles and gensim (which runs on one worker thread, so the vectors are
        the same on every run).
    """

    name = "playlist2vec"
    says = ("turns up in playlists next to songs like your seed",
            "turns up in playlists next to songs like your seeds")

    def __init__(self, vector_size: int = 64, window: int = 20, negative: int = 5, epochs: int = 50,
                 sample: float = 0.001, ns_exponent: float = 0.75, learning_rate: float = 0.05, cold_weight: float = 3.0,
                 cold_neighbors: int = 10, random_state: int | None = 0) -> None:
        super().__init__(cold_weight=cold_weight, cold_neighbors=cold_neighbors, random_state=random_state)
        self.vector_size = vector_size
        self.window = window
        self.negative = negative
        self.epochs = epochs
        self.sample = sample
        self.ns_exponent = ns_exponent
        self.learning_rate = learning_rate

    def _sentences(self, playlist_tracks: sp.csr_matrix, rng: np.random.Generator) -> list[list[str]]:
        """Each playlist's tracks (as row-number words) in a shuffled order."""
        sentences = []
        indptr, indices = playlist_tracks.indptr, playlist_tracks.indices
        for start, end in zip(indptr[:-1].tolist(), indptr[1:].tolist()):
            words = rng.permutation(indices[start:end]).astype(str).tolist()
            sentences.extend(words[i:i + _MAX_SENTENCE] for i in range(0, len(words), _MAX_SENTENCE))
        return sentences

    def _learn_vectors(self, playlist_tracks: sp.csr_matrix) -> np.ndarray:
        from gensim.models import Word2Vec

        rng = np.random.default_rng(self.random_state)
        seed = int(self.random_state) if self.random_state is not None else int(rng.integers(2**31 - 1))
        model = Word2Vec(
            sentences=self._sentences(playlist_tracks, rng),
            vector_size=int(self.vector_size), window=int(self.window), min_count=1, sg=1, hs=0,
            negative=int(self.negative), sample=float(self.sample), ns_exponent=float(self.ns_exponent), epochs=int(self.epochs),
            alpha=float(self.learning_rate), min_alpha=float(self.learning_rate) / 100,
            shrink_windows=False, sorted_vocab=1, workers=1, seed=seed,
        )
        keys = np.asarray(model.wv.index_to_key).astype(np.int64)
        vectors = np.zeros((playlist_tracks.shape[1], model.wv.vector_size), dtype=np.float32)
        vectors[keys] = model.wv.vectors
        return vectors
