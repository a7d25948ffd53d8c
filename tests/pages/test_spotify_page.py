"""The Spotify page (pages/Spotify.py) in AppTest, with and without credentials.

With credentials the page talks over real HTTP to the fake Web API on 127.0.0.1. The login
test runs several browser sessions: only the one Spotify redirected back to is logged in.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import requests
from streamlit.testing.v1 import AppTest

from tests.support.fake_spotify import CLIENT_ID, CLIENT_SECRET, FakeSpotify, fake_id
from ui import spotify as spotify_ui

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "Spotify.py")
TIMEOUT = 60
PLAYLIST = fake_id(5, "P")


def new_session(**secrets) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    # Always give AppTest its own secrets, so a developer's real .streamlit/secrets.toml
    # cannot leak into the test.
    at.secrets["unrelated"] = {"x": "1"}
    at.secrets.update(secrets)
    return at


def texts(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "info", "warning", "error", "success", "caption", "code", "title", "subheader"):
        parts += [plain(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def plain(value: object) -> str:
    """Rendered text without the Markdown escapes the page adds to untrusted text."""
    return str(value).replace("\\", "")


def messages(elements) -> str:
    return "\n".join(plain(e.value) for e in elements)


@pytest.fixture
def clean_env(monkeypatch):
    for key in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET", "SPOTIPY_REDIRECT_URI", "SPOTIFY_API_BASE", "SPOTIFY_ACCOUNTS_BASE"):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


@pytest.fixture
def fake(clean_env):
    with FakeSpotify() as server:
        for key, value in server.env().items():
            clean_env.setenv(key, value)
        clean_env.setenv("SPOTIFY_TIMEOUT", "0.5")
        clean_env.setenv("SPOTIFY_BACKOFF", "0.01")
        clean_env.setenv("SPOTIFY_MAX_WAIT", "2")
        yield server


@pytest.fixture(scope="module")
def catalog_ids(default_catalog) -> list[str]:
    return default_catalog.tracks["track_id"].iloc[:3].tolist()


def follow_login(at: AppTest, fake: FakeSpotify) -> dict[str, str]:
    """Press 'Log in' the way a browser would: open the link, read where Spotify redirects."""
    [button] = [b for b in at.link_button if b.value == "Log in with Spotify"]
    url = button.proto.url
    assert url.startswith(fake.accounts_base + "authorize?")
    location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    assert location.startswith("http://127.0.0.1:8501/Spotify?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


# ----------------------------------------------------------------------------- no credentials


def test_without_credentials_the_page_explains_how_to_connect(clean_env):
    at = new_session().run()
    assert not at.exception
    shown = texts(at)
    assert "Spotify is not connected" in shown
    assert "Everything else works without it" in shown
    assert "SPOTIPY_CLIENT_ID" in shown and "http://127.0.0.1:8501/Spotify" in shown and "Premium" in shown
    assert len(at.button) == 0 and len(at.text_area) == 0


def test_incomplete_credentials_are_named(clean_env):
    clean_env.setenv("SPOTIPY_CLIENT_ID", "only-the-id")
    at = new_session().run()
    assert not at.exception
    assert "SPOTIPY_CLIENT_SECRET" in messages(at.error)


# ----------------------------------------------------------------------------- with credentials


def test_name_pasted_unknown_tracks(fake, catalog_ids):
    new = fake.add_track(fake_id(1, "U"), "A *bold* [link](http://x) name")["id"]
    missing = fake_id(2, "U")
    at = new_session().run()
    assert not at.exception
    at.text_area(key="spotify_lookup_text").input(f"{catalog_ids[0]}\nhttps://open.spotify.com/track/{new} {missing} nonsense")
    at.button(key="spotify_lookup_button").click().run()
    assert not at.exception
    [table] = at.dataframe
    frame = table.value
    assert list(frame["track_id"]) == [new]
    assert frame["track_name"].iloc[0] == "A *bold* [link](http://x) name"  # shown as data, not markup
    shown = texts(at)
    assert "1 pasted tracks are in the catalog already" in shown
    assert missing in shown
    notices = [plain(e.value) for e in at.info if "audio features" in plain(e.value)]
    assert len(notices) == 1 and "Nov 2024" in notices[0]
    assert fake.count("GET", f"/v1/tracks/{catalog_ids[0]}") == 0  # catalog tracks are not looked up
    at.run()  # a rerun does not call Spotify again
    assert fake.count("GET", "audio-features") == 1


def test_rate_limit_wait_is_shown_on_the_page(fake):
    new = fake.add_track(fake_id(3, "U"))["id"]
    fake.fail(f"/v1/tracks/{new}", 429, headers={"Retry-After": "0.2"})
    at = new_session().run()
    at.text_area(key="spotify_lookup_text").input(new)
    at.button(key="spotify_lookup_button").click().run()
    assert not at.exception
    assert "slow down: waiting 0.2 s" in messages(at.info)
    assert list(at.dataframe[0].value["track_id"]) == [new]


def test_credentials_from_secrets_section(clean_env):
    with FakeSpotify() as fake:
        clean_env.setenv("SPOTIFY_API_BASE", fake.api_base)
        clean_env.setenv("SPOTIFY_ACCOUNTS_BASE", fake.accounts_base)
        at = new_session(spotify={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": "http://127.0.0.1:8501/Spotify"}).run()
        assert not at.exception
        assert "Spotify is not connected" not in texts(at)
        follow_login(at, fake)
        shown = texts(at)
    assert CLIENT_SECRET not in shown


def test_import_without_login_explains_development_mode(fake):
    fake.add_playlist(PLAYLIST, "Someone's", "bob", fake.add_tracks(2))
    at = new_session().run()
    at.text_input(key="spotify_playlist_link").input(f"https://open.spotify.com/playlist/{PLAYLIST}")
    at.button(key="spotify_import_button").click().run()
    assert not at.exception
    assert "owns or collaborates on" in messages(at.error)


def test_login_is_per_session(fake, catalog_ids):
    ids = fake.add_tracks(60)
    for track_id in catalog_ids:
        fake.add_track(track_id, "In the catalog")
    fake.add_playlist(PLAYLIST, "Alice's", "alice", catalog_ids[:2] + ids)

    starter = new_session().run()
    params = follow_login(starter, fake)

    # Spotify sends the browser back: a new session with ?code=...&state=...
    alice = new_session()
    alice.query_params.update(params)
    alice.run()
    assert not alice.exception
    assert "Logged in to Spotify as Alice Example" in messages(alice.success)
    assert "code" not in alice.query_params and "state" not in alice.query_params  # cleared
    token = alice.session_state["spotify_tokens"]["spotify_user_token"]["access_token"]
    assert token in fake.user_tokens

    # Other sessions, old or new, see nothing of it.
    starter.run()
    other = new_session().run()
    for at in (starter, other):
        assert not at.exception
        assert "Logged in as" not in texts(at)
        assert any(b.value == "Log in with Spotify" for b in at.link_button)
        store = at.session_state["spotify_tokens"] if "spotify_tokens" in at.session_state else {}
        assert store == {}
        assert token not in repr(at.session_state.to_dict() if hasattr(at.session_state, "to_dict") else dict(at.session_state.items()))
    for at in (alice, starter, other):
        assert token not in texts(at)

    # The same redirect replayed (e.g. a shared link) does not log anyone in.
    replay = new_session()
    replay.query_params.update(params)
    replay.run()
    assert "not valid any more" in messages(replay.error)
    assert "spotify_user_token" not in replay.session_state["spotify_tokens"]

    # Logged in: import a playlist as seeds, then as liked tracks.
    alice.text_input(key="spotify_playlist_link").input(f"https://open.spotify.com/playlist/{PLAYLIST}")
    alice.button(key="spotify_import_button").click().run()
    assert not alice.exception
    assert alice.session_state["seed_text"].split("\n") == catalog_ids[:2]
    success = messages(alice.success)
    assert "62 tracks read of 62" in success and "2 are in the catalog" in success
    rest = alice.dataframe[-1].value
    assert len(rest) == 60 and set(rest["track_id"]) == set(ids)
    alice.radio(key="spotify_import_as").set_value("liked tracks")
    alice.button(key="spotify_import_button").click().run()
    assert alice.session_state["pending_likes"] == catalog_ids[:2]

    # List playlists and save recommendations as a new one.
    alice.button(key="spotify_list_playlists").click().run()
    assert not alice.exception
    assert "Alice's" in set(alice.dataframe[-1].value["name"])
    alice.session_state["last_recommendations"] = pd.DataFrame({"track_id": ids[:30], "score": range(30)})
    alice.run()
    alice.text_input(key="spotify_save_name").input("My Tastemap picks")
    alice.button(key="spotify_save_button").click().run()
    assert not alice.exception
    created = [p for p in fake.playlists.values() if p["name"] == "My Tastemap picks"]
    assert len(created) == 1 and created[0]["owner"] == "alice"
    assert [e["item"]["id"] for e in created[0]["entries"]] == ids[:30]
    assert "Saved 30 tracks" in messages(alice.success)

    # Logging out forgets the token.
    alice.button(key="spotify_logout").click().run()
    assert alice.session_state["spotify_tokens"] == {}
    assert any(b.value == "Log in with Spotify" for b in alice.link_button)


def test_forged_state_and_cancelled_login(fake):
    forged = new_session()
    forged.query_params.update({"code": "code_whatever", "state": "made-up"})
    forged.run()
    assert not forged.exception
    assert "not valid any more" in messages(forged.error)
    assert "code" not in forged.query_params
    assert fake.count("POST", "/api/token") == 0  # the code was never sent to Spotify

    cancelled = new_session()
    cancelled.query_params.update({"error": "access_denied", "state": "x"})
    cancelled.run()
    assert "cancelled or refused" in messages(cancelled.warning)


def test_spotify_down_mid_import_keeps_what_it_got(fake, catalog_ids):
    for track_id in catalog_ids:
        fake.add_track(track_id, "In the catalog")
    ids = fake.add_tracks(60)
    fake.add_playlist(PLAYLIST, "Alice's", "alice", [catalog_ids[0]] + ids[:49] + [catalog_ids[1]] + ids[49:])
    starter = new_session().run()
    alice = new_session()
    alice.query_params.update(follow_login(starter, fake))
    alice.run()
    fake.fail("/items$", 503, times=3, query={"offset": "50"})
    alice.text_input(key="spotify_playlist_link").input(PLAYLIST)
    alice.button(key="spotify_import_button").click().run()
    assert not alice.exception
    warning = messages(alice.warning)
    assert "stopped after 50 tracks of 62" in warning and "HTTP 503" in warning and "try again to fetch the rest" in warning
    assert alice.session_state["seed_text"] == catalog_ids[0]  # what was read is already applied
    alice.button(key="spotify_import_button").click().run()
    assert not alice.exception
    assert alice.session_state["seed_text"].split("\n") == catalog_ids[:2]
    assert not alice.warning
    assert fake.count("GET", "/items") == 1 + 3 + 1  # first page, 3 failures, then only the page at 50


# ----------------------------------------------------------------------------- redirect URI


@pytest.mark.parametrize("url, expected", [
    ("http://127.0.0.1:8501/Spotify", "http://127.0.0.1:8501/Spotify"),
    ("http://localhost:8765/Spotify", "http://127.0.0.1:8765/Spotify"),  # Spotify refuses localhost
    ("http://127.0.0.1:9000/", "http://127.0.0.1:9000/Spotify"),  # opened at the app's root
    ("https://music.example.org/tastemap/spotify", "https://music.example.org/tastemap/spotify"),
    ("https://music.example.org/tastemap", "https://music.example.org/tastemap/Spotify"),
    ("https://user:pw@music.example.org:8443/Spotify", "https://music.example.org:8443/Spotify"),
    ("http://[::1]:8502/Spotify", "http://[::1]:8502/Spotify"),
    (None, None), ("", None), ("not a url", None), ("ftp://127.0.0.1/Spotify", None),
    ("http://127.0.0.1:port/Spotify", None),
])
def test_redirect_uri_follows_the_address_in_use(url, expected):
    assert spotify_ui.redirect_uri_from_url(url) == expected


def test_the_shown_redirect_uri_follows_the_port_in_use(clean_env):
    at = new_session()
    at.context["url"] = "http://localhost:8765/Spotify"
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "http://127.0.0.1:8765/Spotify" in shown and "open this dashboard at http://127.0.0.1:8765" in shown
    assert "8501" not in shown
    assert 'redirect_uri = "http://127.0.0.1:8765/Spotify"' in at.code[0].value


def test_a_configured_redirect_uri_wins_over_the_address_in_use(clean_env):
    at = new_session(spotify={"redirect_uri": "https://music.example.org/Spotify"})
    at.context["url"] = "http://127.0.0.1:8765/Spotify"
    at.run()
    assert not at.exception
    assert 'redirect_uri = "https://music.example.org/Spotify"' in at.code[0].value
    clean_env.setenv("SPOTIPY_REDIRECT_URI", "http://127.0.0.1:8600/Spotify")
    at = new_session()
    at.context["url"] = "http://127.0.0.1:8765/Spotify"
    at.run()
    assert 'redirect_uri = "http://127.0.0.1:8600/Spotify"' in at.code[0].value


def test_a_redirect_spotify_would_refuse_is_explained(clean_env):
    at = new_session()
    at.context["url"] = "http://192.168.1.20:8501/"
    at.run()
    assert 'redirect_uri = "http://192.168.1.20:8501/Spotify"' in at.code[0].value
    assert "serve Tastemap over https" in messages(at.caption)


def test_without_a_configured_redirect_the_login_hint_names_the_port_in_use(clean_env):
    with FakeSpotify() as fake:
        for key, value in fake.env(redirect_uri=None).items():
            clean_env.setenv(key, value)
        at = new_session()
        at.context["url"] = "http://127.0.0.1:8777/Spotify"
        at.run()
        assert not at.exception
        assert "to http://127.0.0.1:8777/Spotify and add the same URI" in messages(at.info)
        assert not [b for b in at.link_button if b.value == "Log in with Spotify"]


def test_login_warns_when_the_configured_redirect_is_another_address(fake):
    at = new_session()
    at.context["url"] = "http://127.0.0.1:8777/Spotify"  # the fake's env configures port 8501
    at.run()
    assert not at.exception
    warning = messages(at.warning)
    assert "open at http://127.0.0.1:8777" in warning and "redirect URI is http://127.0.0.1:8501/Spotify" in warning
    assert [b for b in at.link_button if b.value == "Log in with Spotify"]
    at = new_session()
    at.context["url"] = "http://localhost:8501/Spotify"  # the same address in Spotify's terms
    at.run()
    assert "redirect URI is" not in messages(at.warning)
