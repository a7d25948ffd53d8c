"""Recommend page: paste + "Get recommendations" -> results, bad paste -> reasons, empty filters ->
message, links restore (with resolved seeds only), engine notes shown, ranks as shown, CSV export."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]

from recommender.ids import parse_track_ids  # noqa: E402
from ui.query import query_to_state, state_to_query  # noqa: E402

PAGE = "pages/Recommend.py"
# Three real tracks of the default catalog (Ed Sheeran, Maroon 5, Zara Larsson remixes).
SEEDS = ["6f807x0ima9a1j3VPbc7VN", "0r7CVbZTWZgbTCYdfa2P31", "1z1Hg7Vb0AhHDiEmnDE79l"]
NOT_IN_CATALOG = "4uLU6hMCjMI75M1A2tKUQC"  # a well-formed ID the default catalog lacks


def open_recommend(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    if query:
        at.query_params.update(query)
    return at.switch_page(PAGE).run()


def get_recommendations(at: AppTest) -> AppTest:
    """Press the form's "Get recommendations" button."""
    at.button(key="rec_get").click()
    return at.run()


def paste(at: AppTest, text: str) -> AppTest:
    """Paste into the seed box and press "Get recommendations" (the draft applies only then)."""
    at.text_area(key="w_seed_text").input(text)
    return get_recommendations(at)


def open_advanced(at: AppTest) -> AppTest:
    """Open the advanced filters panel (its widgets are drawn only while it is open)."""
    at.session_state["rec_advanced"] = True
    return at.run()


def results(at: AppTest) -> pd.DataFrame | None:
    for frame in at.dataframe:
        if "why" in frame.value.columns:
            return frame.value
    return None


def plain(text: str) -> str:
    return text.replace("\\", "")


def test_without_seeds_the_page_explains_what_to_do(default_catalog):
    at = open_recommend()
    assert not at.exception
    assert any("Paste at least one track" in i.value for i in at.info)
    assert results(at) is None


def test_pasting_three_ids_gives_results_link_and_session_frame(default_catalog):
    at = open_recommend()
    at = paste(at, f"{SEEDS[0]}\nspotify:track:{SEEDS[1]}, https://open.spotify.com/track/{SEEDS[2]}?si=abc")
    assert not at.exception
    recs = results(at)
    assert recs is not None and len(recs) == 20
    last = at.session_state["last_recommendations"]
    assert not set(last["track_id"]) & set(SEEDS), "seeds are never recommended back"
    assert recs["why"].str.len().gt(0).all()
    assert list(recs["spotify"]) == ["https://open.spotify.com/track/" + t for t in last["track_id"]]
    # What a listener reads: the match (0-100, best first), never the raw score; ranks 1..20.
    assert "score" not in recs.columns and "match" in recs.columns
    assert recs["match"].between(0, 100).all() and recs["match"].is_monotonic_decreasing
    assert list(recs["rank"]) == list(range(1, 21))
    assert list(recs.columns[:2]) == ["rank", "spotify"], "the Spotify link is on the left"
    assert at.query_params["seeds"] == ",".join(SEEDS)
    assert not at.warning and not at.error
    assert at.get("download_button"), "a CSV download is offered"
    # Seeds in use are listed by name.
    seed_table = next(d.value for d in at.dataframe if "track_name" in d.value.columns and "why" not in d.value.columns)
    assert len(seed_table) == 3


def test_the_plot_tab_draws_seeds_and_results(default_catalog):
    at = paste(open_recommend(), "\n".join(SEEDS))
    assert len(at.get("plotly_chart")) == 0  # drawn only when its tab is open
    at.session_state["rec_view"] = "Plot: seeds and results"
    at.run()
    at.selectbox(key="w_rec_plot_x").set_value("tempo").run()
    assert not at.exception
    chart = at.get("plotly_chart")
    assert len(chart) == 1
    spec = chart[0].proto.spec
    assert '"your seeds"' in spec and '"recommended"' in spec


def test_every_bad_token_and_missing_id_is_listed_with_its_reason(default_catalog):
    at = open_recommend()
    text = (
        f"{SEEDS[0]} https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M "
        f"spotify:album:2oCs0DGTsRO98Gh5ZSl2Cx tooShort123 {NOT_IN_CATALOG}"
    )
    at = paste(at, text)
    assert not at.exception
    assert any("4 of the items" in w.value for w in at.warning)
    problems = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    reasons = dict(zip(problems["you pasted"], problems["problem"]))
    assert "playlist" in reasons["https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"]
    assert "album" in reasons["spotify:album:2oCs0DGTsRO98Gh5ZSl2Cx"]
    assert "22" in reasons["tooShort123"]
    assert "not in the catalog" in reasons[NOT_IN_CATALOG]
    assert len(results(at)) == 20  # the one good seed still gives results


def test_a_paste_with_no_usable_seed_is_an_error_not_a_crash(default_catalog):
    at = open_recommend()
    at = paste(at, f"hello world {NOT_IN_CATALOG} spotify:artist:0TnOYISbd1XYRBk9myaseg")
    assert not at.exception
    assert at.error and "None of the items" in at.error[0].value
    assert results(at) is None


def test_filters_that_empty_the_list_show_which_filter(default_catalog):
    at = open_recommend()
    at = paste(at, "\n".join(SEEDS))
    at = open_advanced(at)
    at.slider(key="w_rec_pop").set_value((100, 100))
    at.multiselect(key="w_rec_genres_in").set_value(["rock"])
    at.run()
    assert not at.exception
    messages = [plain(w.value) for w in at.warning]
    assert any("No track is left after the filter" in m and "rock" in m for m in messages)
    assert results(at) is None
    assert at.session_state["last_recommendations"].empty


def test_popularity_and_feature_filters_are_respected(default_catalog):
    at = open_recommend()
    at = paste(at, "\n".join(SEEDS))
    at = open_advanced(at)
    at.slider(key="w_rec_pop").set_value((60, 90))
    at.multiselect(key="w_rec_features").set_value(["energy"])
    at.run()
    at.slider(key="w_rec_range_energy").set_value((0.8, 1.0))
    at.checkbox(key="w_rec_excl_artists").check()
    at.run()
    assert not at.exception
    recs = at.session_state["last_recommendations"]
    assert len(recs) == 20
    assert recs["popularity"].between(60, 90).all()
    assert (recs["energy"] >= 0.8).all()
    seed_artists = set(default_catalog.tracks.set_index("track_id").loc[SEEDS, "artists"])
    assert not set(recs["artists"]) & seed_artists
    assert at.query_params["min_energy"] == "0.8"
    assert at.query_params["exclude_seed_artists"] == "1"


def test_popular_method_needs_no_seeds(default_catalog):
    at = open_recommend()
    at.radio(key="w_rec_method").set_value("popular").run()
    assert not at.exception
    recs = results(at)
    assert recs is not None and len(recs) == 20
    assert at.query_params["method"] == "popular"


def test_search_offers_its_matches_told_apart_by_album_and_year(default_catalog):
    at = open_recommend()
    assert at.multiselect(key="w_rec_search_ids").options == [], "no catalog-wide list is sent before a search"
    at.text_input(key="rec_search_q").input("Bohemian Rhapsody - 2011").run()
    box = at.multiselect(key="w_rec_search_ids")
    queen = default_catalog.tracks[default_catalog.tracks["track_name"].str.startswith("Bohemian Rhapsody - 2011 Mix",
                                                                                        na=False)]
    assert len(queen) >= 3
    labels = [o for o in box.options if o.startswith("Bohemian Rhapsody - 2011 Mix — Queen (")]
    assert len(labels) == len(queen) == len(set(labels)), "copies of a song are told apart by album and year"
    assert any("A Night At The Opera (2011 Remaster), 1975)" in o for o in labels)
    # A pick is a draft until "Get recommendations", and stays offered while the search changes.
    pick = queen["track_id"].iloc[0]
    box.set_value([pick]).run()
    assert results(at) is None and "seeds" not in at.query_params
    at.text_input(key="rec_search_q").input("Dua Lipa").run()
    box = at.multiselect(key="w_rec_search_ids")
    assert box.value == [pick], "the draft pick survives a new search"
    at = get_recommendations(at)
    assert not at.exception
    assert len(results(at)) == 20
    assert at.query_params["seeds"] == pick


def test_identical_labels_get_the_start_of_their_track_id(default_catalog):
    from ui.data import pick_labels, track_labels

    t = default_catalog.tracks
    same = ["track_name", "artists", "album_name", "release_year"]
    copies = t[t.duplicated(same, keep=False)]
    assert len(copies) >= 2, "the default catalog has copies with one label"
    first = copies.iloc[0]
    ids = copies.loc[(copies[same] == first[same]).all(axis=1), "track_id"].tolist()
    plain = track_labels(default_catalog, ids)
    told_apart = pick_labels(default_catalog, ids)
    assert len(set(plain.values())) < len(ids) and len(set(told_apart.values())) == len(ids)
    assert all(told_apart[i].endswith(f"· ID {i[:6]}…") for i in ids)


@pytest.mark.parametrize("block", [262_144, 7])  # one block; hits spread over many blocks of 7 titles
def test_search_finds_title_or_artist_case_insensitively_most_popular_first(default_catalog, monkeypatch, block):
    import ui.data
    from ui.data import search_tracks

    monkeypatch.setattr(ui.data, "SEARCH_BLOCK", block)
    ui.data._search.clear()  # results are shared between calls: none from the other block size
    small = default_catalog.subset(default_catalog.tracks.index < 2_000)
    small.tracks.loc[0, "track_name"] = None  # shown as "(no title)", still found by its artist
    t = small.tracks
    text = t["track_name"].fillna("(no title)").astype(object) + " — " + t["artists"].fillna("(unknown artist)").astype(object)
    for query in ["love", "LOVE", "(no title)", str(t["artists"].iat[0])[:6].upper(), "zzzz-none"]:
        order = t.assign(text=text, pop=t["popularity"].fillna(-1)).iloc[::-1].sort_values("pop", ascending=False, kind="stable")
        expected = order[order["text"].str.lower().str.contains(query.lower(), regex=False)].head(50)
        hits = search_tracks(small, query)
        assert hits["track_id"].tolist() == expected["track_id"].tolist(), query
        for label, title_artist, album, year in zip(hits["label"], expected["text"], expected["album_name"],
                                                   expected["release_year"]):
            assert label == f"{title_artist} ({album}, {int(year)})", query
    assert search_tracks(small, "  ").empty


def test_a_shared_link_restores_seeds_method_and_filters(default_catalog):
    query = {
        "seeds": ",".join(SEEDS),
        "method": "similar",
        "k": "30",
        "min_energy": "0.6",
        "target_tempo": "120",
        "max_popularity": "80",
        "include_genres": "pop,latin",
        "max_per_artist": "1",
    }
    at = open_recommend(query)
    assert not at.exception
    state = at.session_state
    assert parse_track_ids(state["seed_text"]).ids == SEEDS
    assert state["rec_method"] == "similar"
    assert state["rec_k"] == 30
    assert state["rec_pop"] == (0, 80)
    assert state["rec_features"] == ["energy", "tempo"]
    assert state["rec_range_energy"][0] == pytest.approx(0.6)
    assert state["rec_target_on_tempo"] is True and state["rec_target_tempo"] == pytest.approx(120)
    assert sorted(state["rec_genres_in"]) == ["latin", "pop"]
    recs = results(at)
    assert len(recs) == 30
    assert (at.session_state["last_recommendations"]["energy"] >= 0.6).all()
    assert at.session_state["last_recommendations"]["popularity"].le(80).all()
    assert recs["artists"].value_counts().max() == 1
    # The page writes the same settings back: the link survives a rerun unchanged.
    for key in ("seeds", "method", "k", "min_energy", "target_tempo", "max_popularity", "max_per_artist"):
        assert at.query_params[key] == query[key]


def test_a_broken_link_is_explained_and_the_page_still_works(default_catalog):
    at = open_recommend({"seeds": SEEDS[0], "method": "magic", "min_energy": "0.9", "max_energy": "0.1",
                         "colour": "red"})
    assert not at.exception
    notes = [plain(w.value) for w in at.warning]
    assert any("magic" in n for n in notes)
    assert any("colour" in n for n in notes)
    assert any("min_energy" in n and "max_energy" in n for n in notes)
    assert at.session_state["rec_method"] == "hybrid"
    assert len(results(at)) == 20


def test_seeds_survive_a_visit_to_another_page(default_catalog):
    at = open_recommend()
    at = paste(at, SEEDS[0])
    at.switch_page("pages/Explore.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.text_area(key="w_seed_text").value == SEEDS[0]
    assert len(results(at)) == 20


def test_query_round_trip_without_streamlit():
    bounds = {"energy": (0.0, 1.0, 0.01), "tempo": (0.0, 240.0, 1.0)}
    query = state_to_query(SEEDS, "cluster", 25, {"min_energy": 0.5, "target_tempo": 128.0,
                                                  "include_genres": ["rock"], "max_per_artist": None})
    assert query == {"seeds": ",".join(SEEDS), "method": "cluster", "k": "25", "min_energy": "0.5",
                     "target_tempo": "128", "include_genres": "rock"}
    state, notes = query_to_state(query, methods=("hybrid", "cluster"), bounds=bounds, genres=["Rock", "pop"],
                                  year_range=(1960, 2020))
    assert notes == []
    assert state["rec_method"] == "cluster" and state["rec_k"] == 25
    assert state["rec_genres_in"] == ["Rock"]
    assert state["rec_max_per_artist"] == 0
    assert state["rec_range_energy"] == (0.5, 1.0)


def test_hostile_names_stay_plain_text_on_the_page_and_are_neutralised_in_the_csv(default_catalog):
    from recommender.catalog import Catalog
    from ui.results import recommendations_csv

    hostile = ["<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "**bold** [a](javascript:alert(1))"]
    tracks = default_catalog.tracks.copy()
    rows = tracks["track_id"].isin(SEEDS) | (tracks["artists"] == "Ed Sheeran")
    # Numbered, so the renamed tracks are not all versions of one song (which the engine leaves out).
    tracks.loc[rows, "track_name"] = [f"{hostile[i % 3]} {i}" for i in range(int(rows.sum()))]
    tracks.loc[rows, "artists"] = "<img src=x onerror=alert(1)>"
    catalog = Catalog(tracks=tracks, memberships=default_catalog.memberships, report=default_catalog.report,
                      name="<b>hostile</b>")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.session_state["catalog"] = catalog
    at.switch_page(PAGE).run()
    at = paste(at, "\n".join(SEEDS))
    assert not at.exception
    assert not at.html
    for element in [*at.markdown, *at.caption, *at.warning, *at.error, *at.info, *at.success]:
        assert "<script" not in element.value and "<img" not in element.value and "<b>" not in element.value
    shown = pd.concat([d.value for d in at.dataframe if "track_name" in d.value.columns])
    assert shown["track_name"].str.startswith(tuple(hostile)).any(), "names are shown, verbatim, in the grids"
    recs = at.session_state["last_recommendations"]
    assert recs["track_name"].str.startswith(tuple(hostile)).any(), "some hostile names are among the results"
    text = recommendations_csv(recs).decode("utf-8-sig")
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    if recs["track_name"].str.startswith("=").any():
        assert "'=HYPERLINK" in text, "the formula is kept as text"


def with_rule_taste(catalog, feature: str, above: float, sample_seed: int) -> AppTest:
    """The Recommend page with a taste model trained in the session on a clear rule (likes have
    ``feature`` above ``above``), so its answers are predictable; the three seeds pasted."""
    from recommender.taste import TasteModel

    labelled = catalog.tracks.sample(400, random_state=sample_seed)
    labels = labelled.assign(label=(labelled[feature] > above).astype(int))
    at = open_recommend()
    at.session_state["taste_model"] = TasteModel("logreg", random_state=0).fit(labels, catalog=catalog)
    return paste(at, "\n".join(SEEDS))


def test_taste_filter_scores_hides_likely_dislikes(default_catalog, tmp_path, monkeypatch):
    """A taste model trained in the session scores the recommendations and can hide them."""
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    at = with_rule_taste(default_catalog, "energy", 0.7, sample_seed=0)
    assert not at.exception
    recs = results(at)
    assert recs is not None and "like_probability" in recs
    assert recs["like_probability"].between(0, 1).all()

    at.radio(key="taste_filter_mode").set_value("Hide likely dislikes").run()
    at.slider(key="taste_filter_threshold").set_value(0.9).run()
    assert not at.exception
    shown = results(at)
    assert (recs["like_probability"] < 0.9).any(), "some of the first list are hidden"
    assert len(shown) == len(recs), "hidden dislikes are replaced by the next best matches"
    assert (shown["like_probability"] >= 0.9).all()
    assert shown["rank"].tolist() == list(range(1, len(shown) + 1))
    assert any("refilled to" in c.value for c in at.caption)
    at.slider(key="taste_filter_threshold").set_value(1.0).run()
    assert not at.exception
    assert results(at) is None
    assert any("taste filter hid every recommendation" in w.value for w in at.warning)


def test_advanced_panel_is_drawn_only_when_open_and_counts_active_filters(default_catalog):
    at = open_recommend()
    at = paste(at, "\n".join(SEEDS))
    assert not [w for w in at.multiselect if w.key == "w_rec_genres_in"]  # closed: not drawn
    label = at.expander[0].label
    at = open_advanced(at)
    at.multiselect(key="w_rec_genres_in").set_value(["pop"])
    at.checkbox(key="w_rec_excl_artists").check()
    at.run()
    # The panel's label never changes (a new label is a new panel, drawn closed): the count of
    # filters set is a caption.
    assert [e.label for e in at.expander] == [label]
    assert any(c.value == "Advanced filters: 1 set." for c in at.caption)
    at.multiselect(key="w_rec_genres_out").set_value(["rock"]).run()
    assert [e.label for e in at.expander] == [label]
    assert any(c.value == "Advanced filters: 2 set." for c in at.caption)
    at.session_state["rec_advanced"] = False
    at.run()
    assert not at.exception
    assert not [w for w in at.multiselect if w.key == "w_rec_genres_in"]
    # Closed, the filters still apply.
    assert at.query_params["include_genres"] == "pop"
    assert (at.session_state["last_recommendations"]["genres"].str.contains("pop")).all()


def test_a_paste_applies_only_when_get_recommendations_is_pressed(default_catalog):
    at = open_recommend()
    at.text_area(key="w_seed_text").input("\n".join(SEEDS)).run()
    assert not at.exception
    assert results(at) is None, "a paste is a draft until the button is pressed"
    assert "seeds" not in at.query_params
    at = paste(at, "\n".join(SEEDS))
    assert len(results(at)) == 20
    # Once shown, a new method or filter recomputes without the button.
    at.radio(key="w_rec_method").set_value("similar").run()
    assert not at.exception
    assert any("tracks by the similar method" in c.value for c in at.caption)


def test_the_engines_notes_are_shown_and_versions_can_be_included(default_catalog):
    at = paste(open_recommend(), "\n".join(SEEDS))
    notes = [plain(i.value) for i in at.info]
    assert any("other versions of your seed songs" in n for n in notes), notes
    assert "versions" not in at.query_params
    at.checkbox(key="w_rec_include_versions").check().run()
    assert not at.exception
    assert not any("other versions of your seed songs" in plain(i.value) for i in at.info)
    assert at.query_params["versions"] == "1"
    assert len(results(at)) == 20
    # The link carries the choice back.
    again = open_recommend({"seeds": ",".join(SEEDS), "versions": "1"})
    assert again.session_state["rec_include_versions"] is True
    assert again.checkbox(key="w_rec_include_versions").value is True


def test_the_share_link_holds_only_seeds_the_catalog_resolved(default_catalog):
    at = paste(open_recommend(), f"{SEEDS[0]}\n{NOT_IN_CATALOG}\ntooShort123\n{SEEDS[1]}")
    assert not at.exception
    assert at.query_params["seeds"] == f"{SEEDS[0]},{SEEDS[1]}"
    shared = next(c.value for c in at.code if "seeds=" in c.value)
    assert NOT_IN_CATALOG not in shared and "tooShort123" not in shared
    # A link holding a rejected ID: the page explains it, and writes the link back without it.
    at = open_recommend({"seeds": f"{NOT_IN_CATALOG},{SEEDS[2]}"})
    assert any("not in the catalog" in p for p in next(d.value for d in at.dataframe
                                                     if "problem" in d.value.columns)["problem"])
    assert at.query_params["seeds"] == SEEDS[2]


def test_the_csv_has_words_for_headers_links_features_and_whole_numbers(default_catalog):
    from ui.results import recommendations_csv

    at = paste(open_recommend(), "\n".join(SEEDS))
    recs = at.session_state["last_recommendations"]
    text = recommendations_csv(recs).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), dtype=str)
    header = list(frame.columns)
    assert header[:3] == ["Rank", "Title", "Artist"]
    for column in ("Album", "Year", "Genres", "Popularity", "Match (0-100)", "Why", "Spotify URL", "Spotify URI",
                   "Score", "Danceability", "Energy", "Tempo (BPM)", "Loudness (dB)", "Duration (ms)"):
        assert column in header, header
    assert not [c for c in header if "_" in c], "no raw field names"
    assert list(frame["Rank"]) == [str(i) for i in range(1, 21)]
    assert frame["Popularity"].str.fullmatch(r"\d{1,3}").all() and frame["Year"].str.fullmatch(r"\d{4}").all()
    assert frame["Duration (ms)"].str.fullmatch(r"\d+").all()
    assert frame["Match (0-100)"].astype(int).is_monotonic_decreasing
    assert frame["Score"].str.fullmatch(r"-?\d+(\.\d{1,3})?").all(), "score rounded to 3 decimals"
    assert list(frame["Spotify URL"]) == ["https://open.spotify.com/track/" + t for t in recs["track_id"]]
    assert list(frame["Spotify URI"]) == ["spotify:track:" + t for t in recs["track_id"]]


def test_ranks_follow_the_order_shown_after_a_taste_re_rank(default_catalog, tmp_path, monkeypatch):
    from ui.results import export_frame

    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    at = with_rule_taste(default_catalog, "danceability", 0.65, sample_seed=1)
    before = at.session_state["last_recommendations"]["track_id"].tolist()
    at.radio(key="taste_filter_mode").set_value("Re-rank by taste").run()
    assert not at.exception
    shown = results(at)
    recs = at.session_state["last_recommendations"]
    assert recs["track_id"].tolist() != before, "the taste model changed the order"
    assert recs["like_probability"].is_monotonic_decreasing
    assert list(shown["rank"]) == list(range(1, len(shown) + 1))
    assert list(recs["rank"]) == list(range(1, len(recs) + 1))
    assert list(export_frame(recs)["Rank"]) == list(range(1, len(recs) + 1))


def test_the_search_sends_only_matches_and_keeps_applied_picks(default_catalog):
    at = open_recommend()
    at.text_input(key="rec_search_q").input("Dua Lipa").run()
    options = at.multiselect(key="w_rec_search_ids").options
    assert 0 < len(options) <= 50 and all("Dua Lipa" in o and re.search(r", \d{4}\)( · ID \w{6}…)?$", o) for o in options), options[:3]
    hits = default_catalog.tracks[default_catalog.tracks["artists"].str.contains("Dua Lipa", na=False)]
    pick = hits.sort_values("popularity", ascending=False)["track_id"].iloc[0]
    at.multiselect(key="w_rec_search_ids").set_value([pick])
    at = get_recommendations(at)
    assert not at.exception
    assert len(results(at)) == 20
    assert at.query_params["seeds"] == pick
    at.text_input(key="rec_search_q").input("zzzz-no-such-track").run()
    assert any("No title or artist" in c.value for c in at.caption)
    assert at.multiselect(key="w_rec_search_ids").value == [pick], "a picked seed stays when the search changes"


def test_seeds_are_resolved_once_and_the_page_shows_the_engines_reasons(monkeypatch):
    """The pasted text is parsed and looked up once per request (recommender.seeds), and the
    problems shown are the ones the engine reports for the same text."""
    from recommender.catalog import Catalog
    from recommender.recommenders import make_recommender

    at = open_recommend()
    lookups = []
    original = Catalog.positions
    monkeypatch.setattr(Catalog, "positions",
                        lambda self, ids: lookups.append(list(ids)) or original(self, ids))
    text = f"{SEEDS[0]}\n{NOT_IN_CATALOG}\nnot-a-track"
    paste(at, text)
    assert results(at) is not None and not at.exception
    assert [ids for ids in lookups if SEEDS[0] in ids] == [[SEEDS[0], NOT_IN_CATALOG]]
    shown = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    engine = make_recommender("popular").fit(at.session_state["catalog"]).recommend(text, k=1)
    assert list(shown["you pasted"]) == [t.token for t in engine.invalid] + engine.not_in_catalog


def test_the_feature_glossary_is_one_click_away():
    at = paste(open_recommend(), "\n".join(SEEDS))
    assert not at.exception
    (popover,) = at.get("popover")
    assert "**Valence (mood)**" in popover.get("markdown")[0].value
