"""Names for clusters a listener can read (an audio library's: its most distinctive tags; others:
the dominant genre(s), then the most distinctive
sound ("Rock · loud and fast"), distinct from each other (a clash asks each name for the trait
that sets it apart most), and the genre counts they are drawn from."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from .catalog import split_list

__all__ = ["TRAIT_WORDS", "MIXED", "name_clusters", "name_clusters_by_tags", "tag_means", "distinctive_tags", "tag_axis_titles", "genre_phrase", "display_genre", "genre_counts", "genre_shares"]

# Plain words for a cluster's sound: feature -> (word when high, word when low).
TRAIT_WORDS: dict[str, tuple[str, str]] = {
    "energy": ("energetic", "calm"),
    "danceability": ("danceable", "hard to dance to"),
    "acousticness": ("acoustic", "amplified"),
    "valence": ("cheerful", "moody"),
    "speechiness": ("wordy", "sung"),
    "instrumentalness": ("instrumental", "with vocals"),
    "liveness": ("live-sounding", "studio-polished"),
    "tempo": ("fast", "slow"),
    "loudness": ("loud", "quiet"),
    "duration_ms": ("long", "short"),
}
# Genre spellings for names (others are capitalised).
_GENRE_DISPLAY = {"edm": "EDM", "r&b": "R&B", "rnb": "R&B", "hip hop": "Hip hop", "hip-hop": "Hip-hop"}
# A genre dominates a cluster when it holds at least this share of the cluster's genre mentions
# and at least DOMINANT_LEAD times the next genre's share.
DOMINANT_SHARE = 0.40
DOMINANT_LEAD = 1.5
# Two genres lead a cluster together when they hold this share between them.
PAIR_SHARE = 0.55
MIXED = "Mixed genres"
NAME_TRAITS = 2  # traits in a name before any clash asks for more
MAX_TRAITS = 5


def display_genre(genre: str) -> str:
    name = genre.strip()
    return _GENRE_DISPLAY.get(name.lower(), name[:1].upper() + name[1:])


def genre_phrase(shares: list[tuple[str, float]]) -> str:
    """How a cluster's genre mix reads in its name: "Rock" when one genre clearly dominates,
    "Rap & R&B" when two lead together, "Mixed genres" otherwise, "" without genre data.

    ``shares``: (genre, share of the cluster's genre mentions), largest first.
    """
    if not shares:
        return ""
    top, first = shares[0]
    second = shares[1][1] if len(shares) > 1 else 0.0
    if first >= DOMINANT_SHARE and first >= DOMINANT_LEAD * second:
        return display_genre(top)
    if len(shares) > 1 and first + second >= PAIR_SHARE:
        return f"{display_genre(top)} & {display_genre(shares[1][0])}"
    return MIXED


def _join_traits(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _compose(genre: str, traits: list[str]) -> str:
    sound = _join_traits(traits) or "middle of the road"
    return f"{genre} · {sound}" if genre else sound[:1].upper() + sound[1:]


def name_clusters(
    centers_z: np.ndarray,
    feature_names: list[str],
    genre_shares: list[list[tuple[str, float]]] | None = None,
) -> list[str]:
    """Short, distinct names from standardized cluster centres and genre mixes.

    A name is the cluster's genre phrase (:func:`genre_phrase`) and its two most distinctive
    traits: the features where its centre sits furthest from the catalog mean, in plain words
    ("Rock · loud and fast"). Clusters whose names would read alike (same genre phrase, same
    traits in any order) each get the trait that sets them furthest apart from the others
    ("calm, acoustic and sung" / "calm, acoustic and hard to dance to"); a number is the last
    resort.
    """
    z = np.asarray(centers_z, dtype=np.float64)
    usable = [i for i, f in enumerate(feature_names) if f in TRAIT_WORDS]
    n = len(z)

    def word(c: int, f: int) -> str:
        return TRAIT_WORDS[feature_names[f]][0 if z[c, f] >= 0 else 1]

    chosen = [sorted(usable, key=lambda i: -abs(float(z[c, i])))[:NAME_TRAITS] for c in range(n)]
    genres = [genre_phrase(genre_shares[c]) if genre_shares else "" for c in range(n)]

    def key(c: int) -> tuple[str, frozenset[str]]:
        return genres[c], frozenset(word(c, f) for f in chosen[c])

    def _apart(c: int, f: int, others: list[int]) -> float:
        # How far c sits from its nearest clashing neighbour on f; a word of its own (the others
        # read the opposite way) counts double.
        gap = min(abs(z[c, f] - z[o, f]) for o in others)
        return gap * (2.0 if all(word(o, f) != word(c, f) for o in others) else 1.0)

    for _ in range(MAX_TRAITS - NAME_TRAITS):
        groups: dict[tuple[str, frozenset[str]], list[int]] = {}
        for c in range(n):
            groups.setdefault(key(c), []).append(c)
        clashes = [members for members in groups.values() if len(members) > 1]
        if not clashes:
            break
        for members in clashes:
            for c in members:
                others = [o for o in members if o != c]
                free = [f for f in usable if f not in chosen[c]]
                if not free:
                    continue

                chosen[c] = [*chosen[c], max(free, key=lambda f, c=c, others=others: _apart(c, f, others))]
    counts, seen = Counter(key(c) for c in range(n)), Counter()
    out = []
    for c in range(n):
        name = _compose(genres[c], [word(c, f) for f in chosen[c]])
        if counts[key(c)] > 1:
            seen[key(c)] += 1
            name = f"{name} ({seen[key(c)]})"
        out.append(name)
    return out


def genre_shares(counters: list[Counter[str]]) -> list[list[tuple[str, float]]]:
    """Per cluster, (genre, share of the cluster's genre mentions), largest first."""
    out = []
    for counter in counters:
        total = sum(counter.values())
        out.append([(genre, count / total) for genre, count in counter.most_common()] if total else [])
    return out


def genre_counts(genres: pd.Series | None, labels: np.ndarray, n_clusters: int) -> list[Counter[str]]:
    """Per cluster, a Counter of its tracks' ``;``-separated genres, in first-seen order.

    A catalog has few distinct genre cells (44 in a million synthetic tracks): tracks are
    counted per (cluster, distinct cell) with integer codes and each distinct cell is split
    once (2.8 s -> ~0.1 s on a million tracks, where every cell was split before)."""
    if genres is None or len(genres) == 0:
        return [Counter() for _ in range(n_clusters)]
    codes, cells = pd.factorize(genres.reset_index(drop=True), use_na_sentinel=True)
    tracks = np.flatnonzero(codes >= 0)
    key = np.asarray(labels, dtype=np.int64)[tracks] * len(cells) + codes[tracks]
    count = np.bincount(key, minlength=n_clusters * len(cells)).reshape(n_clusters, len(cells))
    first_track = np.zeros(n_clusters * len(cells), dtype=np.int64)
    distinct_keys, first_at = np.unique(key, return_index=True)
    first_track[distinct_keys] = tracks[first_at]
    first_track = first_track.reshape(n_clusters, len(cells))
    parts = [split_list(cell) for cell in cells]
    out = []
    for c in range(n_clusters):
        # Cells in the order their first track appears: a Counter's insertion order is then each
        # genre's first-seen order, which most_common keeps among equal counts.
        counter: Counter[str] = Counter()
        present = np.flatnonzero(count[c])
        for j in present[np.argsort(first_track[c, present], kind="stable")]:
            for genre in parts[j]:
                counter[genre] += int(count[c, j])
        out.append(counter)
    return out




# ----------------------------------------------------------------------------- audio libraries
TAG_NAME_WORDS = 3  # tags in a library cluster's name before any clash asks for more


def tag_means(tags: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """(n_clusters, n_words) mean tag probability of each cluster's tracks (0 for an empty one)."""
    tags = np.asarray(tags, dtype=np.float64)
    sums = np.zeros((n_clusters, tags.shape[1]))
    np.add.at(sums, np.asarray(labels, dtype=np.int64), tags)
    sizes = np.bincount(labels, minlength=n_clusters).astype(np.float64)[:, None]
    return np.divide(sums, sizes, out=np.zeros_like(sums), where=sizes > 0)


def distinctive_tags(tags: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """(n_clusters, n_words): how much more each cluster has of each tag than the rest of the
    library (its mean probability minus the other tracks' mean). A whole library of guitar music
    has "guitar" everywhere; what sets one cluster apart is what it has *more* of."""
    tags = np.asarray(tags, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    means = tag_means(tags, labels, n_clusters)
    sizes = np.bincount(labels, minlength=n_clusters).astype(np.float64)[:, None]
    rest_sizes = len(tags) - sizes
    rest_sums = tags.sum(axis=0)[None, :] - means * sizes
    rest = np.divide(rest_sums, rest_sizes, out=np.zeros_like(rest_sums), where=rest_sizes > 0)
    return means - rest


def name_clusters_by_tags(tags: np.ndarray, words: tuple[str, ...] | list[str], labels: np.ndarray,
                          n_clusters: int, n_words: int = TAG_NAME_WORDS) -> list[str]:
    """Library cluster names made of plain tags ("guitar, slow, acoustic"): the tags each cluster
    has most above the rest of the library, strongest first. A cluster with nothing above the rest
    is named by its own strongest tags. Names that would read alike get one more tag each; a
    number is the last resort."""
    means = tag_means(tags, labels, n_clusters)
    lift = distinctive_tags(tags, labels, n_clusters)
    ranked = []
    for c in range(n_clusters):
        # Lift first, then the cluster's own probability (a tag it barely has is no name for it).
        above = [j for j in np.argsort(-lift[c], kind="stable") if lift[c, j] > 0 and means[c, j] > 0]
        own = [j for j in np.argsort(-means[c], kind="stable") if j not in set(above)]
        ranked.append(above + own)
    chosen = [list(r[:n_words]) for r in ranked]

    def key(c: int) -> frozenset[int]:
        return frozenset(chosen[c])

    for _ in range(MAX_TRAITS):
        groups: dict[frozenset[int], list[int]] = {}
        for c in range(n_clusters):
            groups.setdefault(key(c), []).append(c)
        clashes = [m for m in groups.values() if len(m) > 1]
        if not clashes:
            break
        for members in clashes:
            for c in members:
                if len(ranked[c]) > len(chosen[c]):
                    chosen[c].append(ranked[c][len(chosen[c])])
    counts, seen, out = Counter(key(c) for c in range(n_clusters)), Counter(), []
    for c in range(n_clusters):
        name = ", ".join(words[j] for j in chosen[c]) or "quiet and plain"
        if counts[key(c)] > 1:
            seen[key(c)] += 1
            name = f"{name} ({seen[key(c)]})"
        out.append(name)
    return out


def tag_axis_titles(tags: np.ndarray, words: tuple[str, ...] | list[str], coords: np.ndarray,
                    n_words: int = 2) -> tuple[str, str]:
    """Titles for a sound map's two axes: the tags that rise most (and fall most) along each
    direction, by their correlation with the tracks' map coordinates ("← more slow · more drums →")."""
    tags = np.asarray(tags, dtype=np.float64)
    spread = tags.std(axis=0)
    titles = []
    for axis in range(2):
        xy = np.asarray(coords, dtype=np.float64)[:, axis]
        if np.ptp(xy) == 0:
            titles.append("")
            continue
        cov = ((tags - tags.mean(axis=0)) * (xy - xy.mean())[:, None]).mean(axis=0)
        corr = np.divide(cov, spread * xy.std(), out=np.zeros_like(cov), where=spread > 0)
        order = np.argsort(corr, kind="stable")
        low = [words[j] for j in order[:n_words] if corr[j] < 0]
        high = [words[j] for j in order[::-1][:n_words] if corr[j] > 0]
        titles.append(f"← more {', '.join(low) or 'of neither'}   ·   more {', '.join(high) or 'of neither'} →")
    return titles[0], titles[1]
