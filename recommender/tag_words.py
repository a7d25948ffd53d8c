"""The network's tags in a listener's words, with synonyms merged.

The two musicnn networks name the same thing several ways ("female", "woman", "female vocal",
"female vocalists"...). Explanations, cluster names and the pages use one word for each, and
take the strongest of its synonyms' probabilities.
"""
from __future__ import annotations

import numpy as np

TAG_HEARD_AT = 0.2  # a tag counts as heard in a track from this probability (filters, "both: ...")

# raw tag (without its network prefix) -> the word a listener reads
SYNONYMS: dict[str, str] = {
    "female": "female vocals", "woman": "female vocals", "female vocal": "female vocals",
    "female voice": "female vocals", "female vocalists": "female vocals", "female vocalist": "female vocals",
    "male": "male vocals", "man": "male vocals", "male vocal": "male vocals", "male voice": "male vocals",
    "male vocalists": "male vocals",
    "no vocals": "instrumental", "no vocal": "instrumental", "no voice": "instrumental",
    "instrumental": "instrumental",
    "vocal": "vocals", "vocals": "vocals", "voice": "vocals", "singing": "vocals",
    "classic": "classical", "choral": "choir", "beat": "beats", "chill": "chillout",
    "electronica": "electronic", "electro": "electronic", "hip-hop": "hip-hop", "rnb": "R&B",
    "easy listening": "easy listening", "00s": "2000s", "90s": "1990s", "80s": "1980s", "70s": "1970s",
    "60s": "1960s",
}


def tag_word(tag_name: str) -> str:
    """``'mtt:female vocal'`` -> ``'female vocals'``; ``'msd:jazz'`` -> ``'jazz'``."""
    raw = tag_name.split(":", 1)[-1].strip().lower()
    return SYNONYMS.get(raw, raw)


def plain_tags(tag_names: tuple[str, ...], tags: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """(words, matrix): one column per plain word, the strongest of its synonyms (rows kept)."""
    words = tuple(dict.fromkeys(tag_word(t) for t in tag_names))
    column = {w: j for j, w in enumerate(words)}
    out = np.zeros((tags.shape[0], len(words)), dtype=np.float32)
    for i, name in enumerate(tag_names):
        j = column[tag_word(name)]
        np.maximum(out[:, j], tags[:, i], out=out[:, j])
    return words, out


def top_words(words: tuple[str, ...], row: np.ndarray, n: int = 3, at_least: float = TAG_HEARD_AT) -> list[str]:
    """The ``n`` strongest words of one track (probability >= ``at_least``)."""
    order = np.argsort(-row, kind="stable")[:n]
    return [words[j] for j in order if row[j] >= at_least]
