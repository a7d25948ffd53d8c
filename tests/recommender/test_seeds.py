"""Seeds are resolved once: parsed, looked up, every rejected item with its reason."""
from __future__ import annotations

import numpy as np

from recommender.recommenders import make_recommender
from recommender.seeds import SeedSet, resolve_seeds
from tests.support.planted import planted_catalog, track_id

MISSING = "4uLU6hMCjMI75M1A2tKUQC"  # a valid ID the planted catalog lacks


def test_pasted_text_is_parsed_and_looked_up(catalog):
    text = f"spotify:track:{track_id(0, 1)}\nhttps://open.spotify.com/track/{MISSING}, nope {track_id(0, 1)}"
    seeds = resolve_seeds(catalog, text)
    assert seeds.found == (track_id(0, 1),)
    assert seeds.positions.tolist() == catalog.positions([track_id(0, 1)]).tolist()
    assert seeds.not_in_catalog == (MISSING,)
    assert [t.token for t in seeds.invalid] == ["nope"] and seeds.invalid[0].reason
    assert seeds.duplicates == 1 and seeds


def test_a_list_of_items_is_parsed_like_text(catalog):
    seeds = resolve_seeds(catalog, [track_id(1, 2), f"spotify:track:{track_id(1, 3)}", "", "x", track_id(1, 2)])
    assert seeds.found == (track_id(1, 2), track_id(1, 3))
    assert len(seeds.invalid) == 1 and seeds.duplicates == 1


def test_nothing_usable_explains_why(catalog):
    assert "no seed tracks given" in str(resolve_seeds(catalog, "  ").error())
    assert "none of the pasted items is a track ID" in str(resolve_seeds(catalog, "nope").error())
    assert "is in the catalog 'planted'" in str(resolve_seeds(catalog, MISSING).error())


def test_the_engine_takes_a_resolved_set_without_looking_up_again(catalog, monkeypatch):
    model = make_recommender("similar").fit(catalog)
    seeds = resolve_seeds(catalog, f"{track_id(2, 0)} {MISSING} nope")
    calls = []
    original = type(catalog).positions
    monkeypatch.setattr(type(catalog), "positions", lambda self, ids: calls.append(ids) or original(self, ids))
    result = model.recommend(seeds, k=5)
    assert calls == []  # resolved once, by resolve_seeds
    assert result.seeds == [track_id(2, 0)] and result.not_in_catalog == [MISSING]
    assert [t.token for t in result.invalid] == ["nope"]
    assert result.to_dict() == model.recommend(f"{track_id(2, 0)} {MISSING} nope", k=5).to_dict()


def test_a_set_from_another_catalog_is_resolved_again(catalog):
    other = planted_catalog(seed=1)
    stale = SeedSet(ids=(track_id(0, 0),), found=(track_id(0, 0),), positions=np.asarray([5]), catalog_name="x")
    assert not stale.resolved_in(other)
    assert resolve_seeds(other, stale).positions.tolist() == other.positions([track_id(0, 0)]).tolist()
