"""How many of a held-out playlist's tracks the hybrid's top N candidates hold (the ceiling of the
``learned`` re-ranker, which only reorders them).

    python -m bench.candidate_recall [--random-state 1] [--seeds 1 5] [--sizes 100 300 1000 3000]

Same protocol as ``python -m recommender evaluate``: 100 held-out playlists blanked before the
hybrid is fitted; prints, per seed count, the mean share of each playlist's hidden tracks found
among the candidates.
"""
from __future__ import annotations

import argparse

import numpy as np

from recommender.catalog import load_default_catalog
from recommender.evaluation_queries import sample_queries
from recommender.recommenders import make_recommender
from recommender.recommenders.learned import candidate_features


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random-state", type=int, default=1, help="1 = the validation split (default)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000, 3000])
    parser.add_argument("--playlists", type=int, default=100)
    args = parser.parse_args(argv)
    catalog = load_default_catalog()
    for n_seeds in args.seeds:
        queries = sample_queries(catalog, args.playlists, n_seeds, random_state=args.random_state)
        train = catalog.without_playlists([q["playlist_id"] for q in queries])
        hybrid = make_recommender("hybrid").fit(train)
        found: dict[int, list[float]] = {n: [] for n in args.sizes}
        for q in queries:
            seed_pos = train.positions(q["seeds"])
            hidden = train.positions(list(q["hidden"]))
            rows, _ = candidate_features(hybrid, seed_pos[seed_pos >= 0], max(args.sizes))
            for n in args.sizes:
                found[n].append(float(np.isin(hidden[hidden >= 0], rows[:n]).mean()) if (hidden >= 0).any() else 0.0)
        print(f"{n_seeds} seed(s): " + ", ".join(f"top {n}: {np.mean(v):.4f}" for n, v in found.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
