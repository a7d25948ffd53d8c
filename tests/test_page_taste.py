"""Taste page flows in AppTest, with a temporary TASTEMAP_DATA_DIR."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recommender.store import LabelStore

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "5_Taste.py")
TIMEOUT = 300


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    return tmp_path


def fresh() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def test_page_renders_without_labels(data_dir):
    at = fresh()
    assert not at.exception
    assert any("No labels yet" in i.value for i in at.info)


def test_demo_labels_load_train_and_survive_a_reload(data_dir):
    at = fresh()
    at.button(key="taste_demo").click().run()
    assert not at.exception
    assert any("2,009 demo labels" in s.value for s in at.success)
    assert LabelStore(data_dir / "labels.sqlite3").count("default") == 2009
    at.selectbox(key="taste_model_choice").set_value("logreg").run()
    at.button(key="taste_train").click().run()
    assert not at.exception, at.exception
    assert [m.label for m in at.metric][:2] == ["ROC AUC", "Accuracy"]
    assert float(at.metric[0].value) > 0.7
    assert any("grouped by artist" in m.value for m in at.markdown)
    # A new session (page reload): labels are still there, the model is not (per session).
    again = fresh()
    assert not again.exception
    assert any("2,009 labels" in c.value for c in again.caption)
    assert not again.metric


def test_too_few_labels_message(data_dir):
    import pandas as pd

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
    assert not any("Stored in" in c.value for c in alice.caption), "no server paths on a shared server"

    bob = fresh()
    assert not bob.exception
    options = bob.selectbox(key="taste_profile_select").options
    assert "alice-7f3k" not in options and "default" not in options
    assert options[0].startswith("guest-")
    assert not any("2,009 labels" in c.value for c in bob.caption)
    # Knowing the exact name opens it (the name works like a passphrase).
    bob.text_input(key="taste_new_profile").input("alice-7f3k").run()
    assert any("2,009 labels" in c.value for c in bob.caption)


def test_discover_scores_the_catalog_once_per_model_not_per_rerun(data_dir, monkeypatch, default_catalog):
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

    def shown() -> list[str]:
        return next(d.value for d in reversed(at.dataframe) if "track_id" in d.value.columns)["track_id"].tolist()

    assert len(shown()) == 20
    labels = LabelStore(data_dir / "labels.sqlite3").load("default")
    for k in (10, 45):
        at.slider(key="taste_discover_k").set_value(k).run()
        assert not at.exception
        expected, _ = real(at.session_state["taste_model"], default_catalog, labels, k=k)
        assert shown() == expected["track_id"].tolist()
    assert len(calls) == 1
    at.button(key="taste_train").click().run()
    assert len(calls) == 2
