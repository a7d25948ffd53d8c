"""A new session starts in the label profile its owner chose last (a reload, or a failover to
another app process of a shared server), read from the label store: SQLite, or a real PostgreSQL
the tests start. Not for anonymous people on a shared server, and a database outage breaks nothing."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from recommender.label_store import open_label_store
from tests.pages.test_taste_store import AUTH, TIMEOUT, label_count_caption, owner_of, person, texts
from tests.pages.test_taste_store import page as session
from tests.support.postgres import running_server
from ui.text import md_escape


def shown_profile(at: AppTest) -> str:
    """The profile the page works in, as its label caption names it."""
    assert not at.exception, at.exception
    picked = at.session_state["taste_profile"]
    assert f" labels in profile '{md_escape(picked)}'" in label_count_caption(at)
    return picked


def _thumbs_script() -> None:
    import pandas as pd
    import streamlit as st

    from ui.taste import add_labels, current_profile

    # What the Recommend page does with a thumbs up, in a session that never opened Taste.
    st.session_state["profile"] = current_profile()
    st.session_state["added"] = add_labels(current_profile(), pd.DataFrame(st.session_state["thumbs"]))


def test_a_new_session_of_a_person_starts_in_the_profile_they_chose_last(backend):
    def store(owner: str):
        return open_label_store(owner=owner, url=backend["url"], path=backend["path"])

    first = session(person("alice"), AUTH)
    assert shown_profile(first) == "default"  # nothing chosen yet
    first.text_input(key="taste_new_profile").input("party").run()
    first.text_input(key="taste_new_profile").input("work").run()
    assert shown_profile(first) == "work"
    assert store(owner_of("alice")).last_profile() == "work"

    second = session(person("alice"), AUTH)  # e.g. the app process died; another one serves her now
    assert shown_profile(second) == "work"
    second.selectbox(key="taste_profile_select").set_value("party").run()
    assert shown_profile(second) == "party"

    bob = session(person("bob"), AUTH)  # another person: his own choice (none), not alice's
    assert shown_profile(bob) == "default"
    bob.text_input(key="taste_new_profile").input("mine").run()
    assert store(owner_of("bob")).last_profile() == "mine"

    third = session(person("alice"), AUTH)
    assert shown_profile(third) == "party"
    assert store("").last_profile() is None  # nothing kept for the anonymous owner


def test_thumbs_in_a_new_session_go_to_the_remembered_profile(backend, default_catalog):
    """On one's own machine (no sign-in, owner ''): after a reload, Recommend's thumbs up land in
    the profile picked before it, not in the default one."""
    picker = session()
    picker.text_input(key="taste_new_profile").input("party").run()
    assert shown_profile(picker) == "party"

    recommend = AppTest.from_function(_thumbs_script, default_timeout=TIMEOUT)
    recommend.session_state["thumbs"] = {"track_id": default_catalog.tracks["track_id"].head(2).tolist(),
                                         "label": ["like", "dislike"]}
    recommend.run()
    assert not recommend.exception, recommend.exception
    assert recommend.session_state["profile"] == "party" and recommend.session_state["added"] == 2
    store = open_label_store(url=backend["url"], path=backend["path"])
    assert store.count("party") == 2 and store.count("default") == 0


def test_private_profiles_and_anonymous_server_use_remember_nothing(backend, monkeypatch):
    store = open_label_store(url=backend["url"], path=backend["path"])
    store.create_profile("party")
    store.remember_profile("party")  # chosen once by someone without sign-in

    monkeypatch.setenv("TASTEMAP_PRIVATE_PROFILES", "1")
    alice = session()
    assert shown_profile(alice).startswith("guest-")  # not the remembered 'party'
    alice.text_input(key="taste_new_profile").input("alice-7f3k").run()
    assert shown_profile(alice) == "alice-7f3k"
    assert store.last_profile() == "party"  # her choice is not kept for the next stranger
    bob = session()
    assert shown_profile(bob).startswith("guest-") and shown_profile(bob) != alice.session_state["taste_profile"]

    # A server with sign-in where anonymous use is allowed: anonymous people share owner '' too.
    monkeypatch.delenv("TASTEMAP_PRIVATE_PROFILES")
    anonymous = session({"is_logged_in": False}, {**AUTH, "allow_anonymous": True})
    assert shown_profile(anonymous) == "default"
    anonymous.selectbox(key="taste_profile_select").set_value("alice-7f3k").run()
    assert shown_profile(anonymous) == "alice-7f3k"
    assert store.last_profile() == "party"
    assert shown_profile(session()) == "party"  # no [auth] (one's own machine): remembered as before


def test_a_choice_made_while_the_database_is_down_holds_and_is_kept_when_it_is_back(tmp_path, monkeypatch):
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TASTEMAP_PRIVATE_PROFILES", raising=False)
    with running_server() as server:
        url = server.create_database()
        monkeypatch.setenv("TASTEMAP_DATABASE_URL", url)
        store = open_label_store(url=url)
        for name in ("party", "work"):
            store.create_profile(name)
        at = session()
        at.selectbox(key="taste_profile_select").set_value("party").run()
        assert shown_profile(at) == "party" and store.last_profile() == "party"

        server.stop()
        down = session()  # a new session while the database is away: the default profile, no traceback
        assert not down.exception
        assert down.session_state["taste_profile"] == "default"
        assert len(texts(down, "error")) == 1  # the page's own read says the database is away, once

        at.selectbox(key="taste_profile_select").set_value("work").run()
        assert not at.exception
        assert at.session_state["taste_profile"] == "work"  # the choice holds in this session
        assert len(texts(at, "error")) == 1  # said once, by the page's read of the profiles

        server.start()
        at.run()
        assert shown_profile(at) == "work" and not at.error
        assert store.last_profile() == "work"  # kept on the first run after the database came back
        assert shown_profile(session()) == "work"
