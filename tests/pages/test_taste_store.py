"""The Taste page on the configured label store (SQLite, or a real PostgreSQL the tests start),
for the signed-in person only, and what it does when the database goes away mid-session."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recommender.label_store import LabelStore, open_label_store
from tests.support.postgres import PASSWORD, running_server

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "Taste.py")
TIMEOUT = 300
ISSUER = "http://127.0.0.1:9/idp"  # only its text matters here: AppTest seeds st.user itself
AUTH = {"auth": {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "s" * 32,
                 "client_id": "tastemap", "client_secret": "secret",
                 "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}
DEMO_COUNT = 2009


def person(sub: str, *, expires_in: float = 3600) -> dict:
    """What st.user holds after a sign-in: the ID token's claims."""
    return {"is_logged_in": True, "iss": ISSUER, "sub": sub, "email": f"{sub}@example.com",
            "exp": int(time.time() + expires_in)}


def owner_of(sub: str) -> str:
    return f"{ISSUER}#{sub}"


def page(user: dict | None = None, secrets: dict | None = None) -> AppTest:
    """A new browser session on the Taste page (nothing shared with another but the database)."""
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    if secrets is not None:
        at.secrets = dict(secrets)
    if user is not None:
        at.user = user
    return at.run()


def texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def label_count_caption(at: AppTest) -> str:
    return next((c for c in texts(at, "caption") if " labels in profile " in c), "")


def test_each_signed_in_person_sees_and_changes_only_their_own_labels(backend):
    alice = page(person("alice"), AUTH)
    assert not alice.exception
    alice.button(key="taste_demo").click().run()
    assert not alice.exception
    assert any(f"{DEMO_COUNT:,} demo labels" in s for s in texts(alice, "success"))

    bob = page(person("bob"), AUTH)  # another browser session, another account
    assert not bob.exception
    assert label_count_caption(bob).startswith("0 labels")
    assert any("No labels yet" in i for i in texts(bob, "info"))
    bob.text_input(key="taste_new_profile").input("party").run()
    assert not bob.exception

    def store(owner: str):
        return open_label_store(owner=owner, url=backend["url"], path=backend["path"])

    assert store(owner_of("alice")).count("default") == DEMO_COUNT
    assert store(owner_of("bob")).count("default") == 0
    assert store(owner_of("alice")).profiles() == ["default"]  # bob's new profile is his alone
    assert "party" in store(owner_of("bob")).profiles()
    assert store("").count("default") == 0  # nothing leaked to the anonymous owner

    # The same browser session after a sign-out and another sign-in: the store handle follows the owner.
    alice.user = person("carol")
    alice.run()
    assert not alice.exception
    assert label_count_caption(alice).startswith("0 labels")


def test_sign_in_required_before_any_label_is_read(backend):
    backend_store = open_label_store(owner="", url=backend["url"], path=backend["path"])
    backend_store.import_file("default", ROOT / "data" / "liked_disliked.csv", replace=True)

    nobody = page({"is_logged_in": False}, AUTH)  # the page asks itself too (see ui.auth.require_sign_in)
    assert not nobody.exception
    assert [b.label for b in nobody.button] == ["Sign in"] and texts(nobody, "title") == ["Tastemap"]
    assert not label_count_caption(nobody)

    expired = page(person("alice", expires_in=-60), AUTH)  # the provider's sign-in ended
    assert [b.label for b in expired.button] == ["Sign in"] and not label_count_caption(expired)
    assert any("sign-in has ended" in w for w in texts(expired, "warning"))

    # The operator allows anonymous use: the page works on the anonymous owner's labels.
    anonymous = page({"is_logged_in": False}, {**AUTH, "allow_anonymous": True})
    assert not anonymous.exception and not anonymous.error
    assert label_count_caption(anonymous).startswith(f"{DEMO_COUNT:,} labels")

    # No [auth] at all (one person, their own machine): as before, no sign-in.
    local = page()
    assert not local.exception and not local.error
    assert label_count_caption(local).startswith(f"{DEMO_COUNT:,} labels")


def test_database_stopped_mid_session_keeps_the_labels_then_saves_them_once(tmp_path, monkeypatch):
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    with running_server() as server:
        url = server.create_database()
        monkeypatch.setenv("TASTEMAP_DATABASE_URL", url)
        at = page()
        at.button(key="taste_demo").click().run()
        assert not at.exception
        store = open_label_store(url=url)
        assert store.count("default") == DEMO_COUNT
        at.text_input(key="taste_search").input("love").run()
        known = set(store.load("default")["label_key"])
        found = at.multiselect(key="taste_search_pick").options[:2]  # 'Title — Artists (Album, Year)'
        assert not any(option.startswith(("(", "—")) for option in found)
        assert len(found) == 2
        at.multiselect(key="taste_search_pick").set_value(found).run()

        server.stop()  # the database goes away mid-session
        at.button(key="taste_search_1").click().run()
        assert not at.exception
        errors = texts(at, "error")
        assert len(errors) == 1 and "cannot be used" in errors[0], errors
        assert PASSWORD not in errors[0] and "postgresql://" not in errors[0]
        assert any("2 labels you entered are kept" in i for i in texts(at, "info"))
        assert len(at.session_state["taste_pending_writes"]) == 1
        assert [b.label for b in at.button if b.key == "taste_try_again"] == ["Try again"]

        at.button(key="taste_try_again").click().run()  # still down: still kept, not kept twice
        assert not at.exception
        assert len(at.session_state["taste_pending_writes"]) == 1
        assert any("cannot be used" in e for e in texts(at, "error"))

        server.start()
        at.button(key="taste_try_again").click().run()
        assert not at.exception and not at.error
        assert any("Saved 2 labels that were waiting" in s for s in texts(at, "success"))
        assert at.session_state["taste_pending_writes"] == []
        labels = store.load("default")
        assert len(labels) == DEMO_COUNT + 2 and labels["label_key"].is_unique
        new = labels[~labels["label_key"].isin(known)]
        assert (new["label"] == 1).all()
        saved = sorted(f"{n} — {a} (" for n, a in zip(new["track_name"], new["artists"]))
        assert [option[:len(name)] for option, name in zip(sorted(found), saved)] == saved
        assert label_count_caption(at).startswith(f"{DEMO_COUNT + 2:,} labels")

        at.run()  # nothing is written twice on later runs
        assert store.count("default") == DEMO_COUNT + 2


def test_a_session_that_starts_while_the_database_is_down_says_so_and_recovers(tmp_path, monkeypatch):
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    with running_server() as server:
        url = server.create_database()
        monkeypatch.setenv("TASTEMAP_DATABASE_URL", url)
        server.stop()
        at = page()
        assert not at.exception
        errors = texts(at, "error")
        assert len(errors) == 1 and "cannot be used" in errors[0] and PASSWORD not in errors[0]
        assert [b.label for b in at.button if b.key == "taste_try_again"] == ["Try again"]
        server.start()
        at.button(key="taste_try_again").click().run()
        assert not at.exception and not at.error
        assert label_count_caption(at).startswith("0 labels")


def test_sqlite_labels_of_the_page_are_those_of_the_local_owner(tmp_path, monkeypatch):
    """Without sign-in the page works on the SQLite file's '' owner, as before the owners existed."""
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TASTEMAP_DATABASE_URL", raising=False)
    at = page()
    at.button(key="taste_demo").click().run()
    assert LabelStore(tmp_path / "labels.sqlite3").count("default") == DEMO_COUNT
    assert LabelStore(tmp_path / "labels.sqlite3", owner=owner_of("alice")).count("default") == 0


def test_the_app_asks_for_sign_in_first_and_offers_sign_out(tmp_path, monkeypatch):
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TASTEMAP_ALLOW_ANONYMOUS", raising=False)
    app = str(ROOT / "app.py")

    gated = AppTest.from_file(app, default_timeout=TIMEOUT)
    gated.secrets, gated.user = dict(AUTH), {"is_logged_in": False}
    gated.run()
    assert not gated.exception
    assert [b.label for b in gated.button] == ["Sign in"]  # nothing of any page before sign-in
    assert texts(gated, "title") == ["Tastemap"]

    expired = AppTest.from_file(app, default_timeout=TIMEOUT)
    expired.secrets, expired.user = dict(AUTH), person("alice", expires_in=-60)
    expired.run()
    assert [b.label for b in expired.button] == ["Sign in"]
    assert any("sign-in has ended" in w for w in texts(expired, "warning"))

    inside = AppTest.from_file(app, default_timeout=TIMEOUT)
    inside.secrets, inside.user = dict(AUTH), person("alice")
    inside.run()
    assert not inside.exception
    assert any("Signed in as alice@example\\.com" in c for c in texts(inside.sidebar, "caption"))
    assert [b.label for b in inside.sidebar.button] == ["Sign out"]  # clicked in tests/e2e/test_sign_in_flow.py

    local = AppTest.from_file(app, default_timeout=TIMEOUT).run()  # no [auth]: nothing changes
    assert not local.exception
    assert not [b for b in local.button if b.key in ("auth_sign_in", "auth_sign_out", "auth_sidebar_sign_in")]


@pytest.mark.parametrize("name", ["Home", "Explore", "Clusters", "Recommend", "Playlist", "Spotify"])
def test_every_page_asks_for_sign_in_when_run_on_its_own(name):
    """A fresh server answers the first request for a page's address from pages/ directly,
    without the navigation's gate: each page asks itself."""
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=TIMEOUT)
    at.secrets, at.user = dict(AUTH), {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"] and texts(at, "title") == ["Tastemap"]
