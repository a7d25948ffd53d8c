"""Taste page flows in AppTest, with a temporary TASTEMAP_DATA_DIR."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recommender.store import LabelStore

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "Taste.py")
TIMEOUT = 300


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    return tmp_path


def fresh() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def page_text(at: AppTest) -> str:
    """Every piece of text the page shows (markdown, captions, alerts, headings)."""
    parts = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title", "header", "subheader"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def headline(at: AppTest) -> str:
    return next((s.value for s in at.subheader if s.value.startswith("Right ")), "")


def test_page_renders_without_labels(data_dir):
    at = fresh()
    assert not at.exception
    assert any("No labels yet" in i.value for i in at.info)


def test_demo_labels_train_in_plain_words_and_the_model_survives_a_reload(data_dir):
    at = fresh()
    at.button(key="taste_demo").click().run()
    assert not at.exception
    assert any("2,009 demo labels" in s.value for s in at.success)
    # The 8 missing labels are explained, not silently lost.
    assert any("2,017 rows" in c.value and "8 tracks appear twice" in c.value for c in at.caption)
    assert LabelStore(data_dir / "labels.sqlite3").count("default") == 2009
    at.button(key="taste_train").click().run()  # the default model
    assert not at.exception, at.exception
    assert headline(at) == "Right about 4 times in 5 on artists it has not seen"
    # Expert numbers are there, but under "Details".
    details = next(e for e in at.expander if e.label == "Details")
    assert [m.label for m in details.metric][:2] == ["ROC AUC", "Accuracy"]
    assert float(details.metric[0].value) >= 0.86
    text = page_text(at)
    assert str(data_dir) not in text and str(ROOT) not in text, "no server path on the page"
    assert "None" not in text and "like_probability" not in text

    # A new session (page reload): the model is rebuilt from the stored labels and settings.
    again = fresh()
    assert not again.exception
    assert headline(again) == headline(at)
    assert again.session_state["taste_model"] is not None
    assert not again.warning
    discover_ids = [d.value for d in again.dataframe if "like_probability" in d.value.columns]
    assert discover_ids and discover_ids[-1]["track_id"].notna().all()


def test_changed_labels_ask_for_a_retrain_after_a_reload(data_dir):
    store = LabelStore(data_dir / "labels.sqlite3")
    at = fresh()
    at.button(key="taste_demo").click().run()
    at.selectbox(key="taste_model_choice").set_value("logreg").run()
    at.button(key="taste_train").click().run()
    assert headline(at)
    labels = store.load("default")
    store.remove("default", labels["label_key"].head(9).tolist())
    again = fresh()
    assert not again.exception
    assert any("trained on 2,009 labels; you have 2,000 now" in w.value and "retrain" in w.value
               for w in again.warning)
    assert not headline(again)
    again.button(key="taste_train").click().run()
    assert headline(again) and not again.warning


def test_too_few_labels_message(data_dir):
    LabelStore(data_dir / "labels.sqlite3").save("default", pd.DataFrame({
        "label_key": [f"k{i}" for i in range(6)], "label": [1, 0] * 3, "energy": 0.5}))
    at = fresh()
    at.button(key="taste_train").click().run()
    assert not at.exception
    assert any("at least 20" in e.value for e in at.error)


def test_private_profiles_keep_sessions_apart(data_dir, monkeypatch):
    """With TASTEMAP_PRIVATE_PROFILES=1 a session never lists or shows another's labels."""
    monkeypatch.setenv("TASTEMAP_PRIVATE_PROFILES", "1")
    alice = fresh()
    alice.text_input(key="taste_new_profile").input("alice-7f3k").run()
    alice.button(key="taste_demo").click().run()
    assert not alice.exception
    assert LabelStore(data_dir / "labels.sqlite3").count("alice-7f3k") == 2009
    assert str(data_dir) not in page_text(alice), "no server paths on a shared server"

    bob = fresh()
    assert not bob.exception
    options = bob.selectbox(key="taste_profile_select").options
    assert "alice-7f3k" not in options and "default" not in options
    assert options[0].startswith("guest-")
    assert not any("2,009 labels" in c.value for c in bob.caption)
    # Knowing the exact name opens it (the name works like a passphrase).
    bob.text_input(key="taste_new_profile").input("alice-7f3k").run()
    assert any("2,009 labels" in c.value for c in bob.caption)


def test_discover_scores_the_catalog_once_per_model_and_sends_seeds(data_dir, monkeypatch, default_catalog):
    # discover() scores every catalog track (seconds on a million): moving the slider cuts the
    # list it already has; a new model scores again.
    import ui.taste

    real = ui.taste.discover
    calls = []

    def counting(*args, **kwargs):
        calls.append(kwargs.get("k"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ui.taste, "discover", counting)
    at = fresh()
    at.button(key="taste_demo").click().run()
    at.selectbox(key="taste_model_choice").set_value("logreg").run()
    at.button(key="taste_train").click().run()
    assert not at.exception
    assert len(calls) == 1

    def table() -> pd.DataFrame:
        return next(d.value for d in reversed(at.dataframe) if "like_probability" in d.value.columns)

    assert len(table()) == 20
    # Every row links to Spotify.
    assert table()["spotify"].str.startswith("https://open.spotify.com/track/").all()
    labels = LabelStore(data_dir / "labels.sqlite3").load("default")
    for k in (10, 45):
        at.slider(key="taste_discover_k").set_value(k).run()
        assert not at.exception
        expected, _ = real(at.session_state["taste_model"], default_catalog, labels, k=k)
        assert table()["track_id"].tolist() == expected["track_id"].tolist()
    assert len(calls) == 1
    top = table()["track_id"].head(5).tolist()
    # Nothing ticked: the top five go to Recommend's seed box.
    at.button(key="taste_discover_send").click().run()
    assert not at.exception
    assert at.session_state["seed_text"].split("\n") == top
    at.button(key="taste_train").click().run()
    assert len(calls) == 2


def _filter_script() -> None:
    import streamlit as st

    from ui.taste import taste_filter_widget

    pool = st.session_state["pool"]
    more = (lambda n: pool.head(n)) if st.session_state.get("use_more") else None
    st.session_state["shown"] = taste_filter_widget(pool.head(20), more=more)


@pytest.mark.parametrize("use_more", [True, False])
def test_hiding_likely_dislikes_refills_the_list(data_dir, default_catalog, use_more):
    from recommender.taste import TasteModel, read_labels
    from ui.taste import DEMO_LABELS

    model = TasteModel("logreg").fit(read_labels(DEMO_LABELS))
    scored = model.score_catalog(default_catalog)
    # Likes and dislikes mixed, about half of each, in a fixed "engine" order.
    pool = pd.concat([scored.head(300), scored.tail(300)]).sample(frac=1.0, random_state=1)
    pool = pool.drop(columns="like_probability").reset_index(drop=True)
    at = AppTest.from_function(_filter_script, default_timeout=TIMEOUT)
    at.session_state["taste_model"] = model
    at.session_state["pool"] = pool
    at.session_state["use_more"] = use_more
    at.run()
    at.radio(key="taste_filter_mode").set_value("Hide likely dislikes").run()
    assert not at.exception, at.exception
    shown = at.session_state["shown"]
    assert (shown["like_probability"] >= 0.5).all()
    first20 = scored.set_index("track_id").loc[pool["track_id"].head(20), "like_probability"]
    hidden = int((first20 < 0.5).sum())
    assert hidden > 0
    caption = next(c.value for c in at.caption if "hidden" in c.value)
    if use_more:
        assert len(shown) == 20
        # The refilled list is the engine's order with the dislikes skipped.
        expected = [t for t in pool["track_id"] if scored.set_index("track_id").at[t, "like_probability"] >= 0.5][:20]
        assert shown["track_id"].tolist() == expected
        assert "refilled to 20" in caption
    else:
        assert len(shown) == 20 - hidden
        assert caption.startswith(f"{hidden} likely dislike")


def _other_page_script() -> None:
    import pandas as pd
    import streamlit as st

    from ui.taste import add_labels, current_profile, session_model

    # What the Recommend page does with thumbs up/down rows, and its taste filter's model.
    thumbs = st.session_state.get("thumbs")
    if thumbs is not None:
        st.session_state["added"] = add_labels(current_profile(), pd.DataFrame(thumbs))
    st.session_state["has_model"] = session_model() is not None


def test_other_pages_add_thumbs_and_find_the_stored_model(data_dir, default_catalog):
    store = LabelStore(data_dir / "labels.sqlite3")
    ids = default_catalog.tracks["track_id"].head(3).tolist()
    at = AppTest.from_function(_other_page_script, default_timeout=TIMEOUT)
    at.session_state["thumbs"] = {"track_id": ids, "track_name": ["A", "B", "C"], "artists": ["x", "y", "z"],
                                  "label": ["like", "dislike", "like"]}
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["added"] == 3 and at.session_state["has_model"] is False
    stored = store.load("default").set_index("label_key")
    assert stored.loc[ids, "label"].tolist() == [1, 0, 1]
    assert stored.loc[ids, "energy"].notna().all()  # features from the catalog: the model can learn them

    # A model trained (and stored) on the Taste page is found by another page's new session.
    page = fresh()
    page.button(key="taste_demo").click().run()
    page.selectbox(key="taste_model_choice").set_value("logreg").run()
    page.button(key="taste_train").click().run()
    assert headline(page)
    other = AppTest.from_function(_other_page_script, default_timeout=TIMEOUT).run()
    assert not other.exception, other.exception
    assert other.session_state["has_model"] is True
    # Labels changed since: the Recommend page's filter says to retrain instead of scoring.
    store.remove("default", store.load("default")["label_key"].head(3).tolist())
    stale = AppTest.from_function(_filter_script, default_timeout=TIMEOUT)
    stale.session_state["pool"] = default_catalog.tracks[["track_id", "track_name", "artists"]].head(40)
    stale.run()
    assert not stale.exception, stale.exception
    assert any("Your labels changed since your taste model was trained" in c.value for c in stale.caption)
    assert "like_probability" not in stale.session_state["shown"].columns


def test_clean_a_playlist_flags_in_words_and_exports_plain_headers(data_dir, default_catalog, monkeypatch):
    import csv
    import io

    import streamlit as st

    seen: list[tuple[str, bytes]] = []
    original = st.download_button

    def capture(label, data, *args, **kwargs):
        payload = data() if callable(data) else data
        seen.append((kwargs.get("file_name") or "", payload))
        return original(label, payload, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", capture)
    at = fresh()
    at.button(key="taste_demo").click().run()
    at.selectbox(key="taste_model_choice").set_value("logreg").run()
    at.button(key="taste_train").click().run()
    ids = default_catalog.tracks["track_id"].head(6).tolist()
    unknown = "0" * 22
    at.text_area(key="taste_clean_text").input("\n".join([*ids, unknown, "not-an-id"])).run()
    assert not at.exception, at.exception
    assert any("Not a track ID" in w.value and "characters a Spotify ID cannot have" in w.value for w in at.warning)
    table = next(d.value for d in at.dataframe if "flagged" in d.value.columns)
    assert table["track_id"].tolist() == [*ids, unknown]
    # The unknown track has empty names (not "None"), no score, and is not flagged.
    assert table["track_name"].iloc[-1] == "" and pd.isna(table["like_probability"].iloc[-1])
    assert not table["flagged"].iloc[-1]
    assert any("could not be scored" in m.value for m in at.markdown)
    name, data = next((n, d) for n, d in reversed(seen) if n == "cleaned_playlist.csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == ["Position", "Spotify ID", "Title", "Artists", "How likely you like it"]
    assert len(rows) == int((~table["flagged"]).sum())


def test_tuning_is_an_explicit_option_reported_under_details(data_dir):
    at = fresh()
    at.button(key="taste_demo").click().run()
    at.selectbox(key="taste_model_choice").set_value("logreg").run()
    at.checkbox(key="taste_tune").check().run()
    at.button(key="taste_train").click().run()
    assert not at.exception, at.exception
    assert headline(at)
    details = next(e for e in at.expander if e.label == "Details")
    assert any("Tuning (nested grouped CV) chose" in m.value for m in details.markdown)
    assert any("nested" in m.value for m in details.markdown)
