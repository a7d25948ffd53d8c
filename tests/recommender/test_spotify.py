"""recommender.spotify through real spotipy over HTTP against the fake Web API on 127.0.0.1."""
from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import requests

from recommender.errors import SpotifyError
from recommender.spotify import (
    AUDIO_FEATURES_CLOSED,
    USER_TOKEN_KEY,
    LoginStates,
    RedactingFilter,
    SpotifyClient,
    SpotifyConfig,
    SpotifyCredentials,
    catalog_with_spotify_tracks,
    load_credentials,
    parse_playlist_id,
    redact,
)
from tests.support.fake_spotify import CLIENT_ID, CLIENT_SECRET, FakeSpotify, fake_id

REDIRECT = "http://127.0.0.1:8501/Spotify"
PLAYLIST = fake_id(7, "P")


@pytest.fixture
def fake():
    with FakeSpotify() as server:
        yield server


class Waits:
    """Records waits instead of sleeping, so rate-limit tests stay fast; also the on_wait log."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.messages: list[tuple[float, str]] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def on_wait(self, seconds: float, message: str) -> None:
        self.messages.append((seconds, message))


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def make_client(fake, waits):
    def make(*, store=None, redirect=REDIRECT, secret=CLIENT_SECRET, real_sleep=False, **cfg) -> SpotifyClient:
        settings = dict(api_base=fake.api_base, accounts_base=fake.accounts_base, timeout=0.5, backoff=0.01, max_wait=5)
        settings.update(cfg)
        return SpotifyClient(
            SpotifyCredentials(CLIENT_ID, secret, redirect),
            config=SpotifyConfig(**settings),
            token_store=store,
            on_wait=waits.on_wait,
            sleep=time.sleep if real_sleep else waits.sleep,
        )

    return make


def log_in(client: SpotifyClient, user: str = "alice", fake: FakeSpotify | None = None) -> dict:
    if fake is not None:
        fake.login_user = user
    url = client.authorize_url("state-123")
    location = requests.get(url, allow_redirects=False, timeout=2).headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["state-123"]
    return client.log_in(query["code"][0])


# ----------------------------------------------------------------------------- credentials


def test_credentials_from_environment_and_secrets():
    env = {"SPOTIPY_CLIENT_ID": "id-env", "SPOTIPY_CLIENT_SECRET": "secret-env", "SPOTIPY_REDIRECT_URI": REDIRECT}
    creds = load_credentials(None, env)
    assert (creds.client_id, creds.client_secret, creds.redirect_uri) == ("id-env", "secret-env", REDIRECT)
    from_secrets = load_credentials({"client_id": "id-s", "client_secret": "secret-s"}, env)
    assert (from_secrets.client_id, from_secrets.client_secret) == ("id-s", "secret-s")
    assert from_secrets.redirect_uri == REDIRECT  # falls back to the environment's redirect URI
    assert load_credentials(None, {}) is None
    assert load_credentials({}, {}) is None
    assert "secret-env" not in repr(creds) and "secret-env" not in str(creds)


def test_incomplete_credentials_name_the_missing_half():
    with pytest.raises(SpotifyError, match="SPOTIPY_CLIENT_SECRET"):
        load_credentials(None, {"SPOTIPY_CLIENT_ID": "x"})
    with pytest.raises(SpotifyError, match="client_id"):
        load_credentials({"client_secret": "y"}, {})
    with pytest.raises(SpotifyError, match="SPOTIPY_REDIRECT_URI"):
        load_credentials(None, {"SPOTIPY_CLIENT_ID": "x", "SPOTIPY_CLIENT_SECRET": "y", "SPOTIPY_REDIRECT_URI": "not a url"})


def test_config_reads_base_overrides_from_environment():
    cfg = SpotifyConfig.from_env({"SPOTIFY_API_BASE": "http://127.0.0.1:9/v1", "SPOTIFY_ACCOUNTS_BASE": "http://127.0.0.1:9", "SPOTIFY_TIMEOUT": "1.5"})
    assert cfg.api_base == "http://127.0.0.1:9/v1/" and cfg.accounts_base == "http://127.0.0.1:9/"
    assert cfg.timeout == 1.5
    default = SpotifyConfig.from_env({})
    assert default.api_base == "https://api.spotify.com/v1/" and default.accounts_base == "https://accounts.spotify.com/"
    with pytest.raises(SpotifyError, match="SPOTIFY_API_BASE"):
        SpotifyConfig.from_env({"SPOTIFY_API_BASE": "ftp://x"})
    with pytest.raises(SpotifyError, match="SPOTIFY_TIMEOUT"):
        SpotifyConfig.from_env({"SPOTIFY_TIMEOUT": "soon"})


def test_parse_playlist_id_accepts_links_and_explains_misses():
    pid = "37i9dQZF1DXcBWIGoYBM5M"
    for text in (pid, f"https://open.spotify.com/playlist/{pid}?si=abc", f"open.spotify.com/intl-de/playlist/{pid}", f"spotify:playlist:{pid}", f"spotify:user:bob:playlist:{pid}"):
        assert parse_playlist_id(text) == pid
    with pytest.raises(SpotifyError, match="track link, not a playlist"):
        parse_playlist_id("https://open.spotify.com/track/6f807x0ima9a1j3VPbc7VN")
    with pytest.raises(SpotifyError, match="not a Spotify playlist link"):
        parse_playlist_id("https://example.com/playlist/abc")
    with pytest.raises(SpotifyError, match="Paste a playlist link"):
        parse_playlist_id("   ")


# ----------------------------------------------------------------------------- tracks


def test_lookup_falls_back_to_one_request_per_track_and_caches(fake, make_client):
    ids = fake.add_tracks(3)
    unknown = fake_id(999)
    client = make_client()
    text = f"https://open.spotify.com/track/{ids[0]}?si=x, spotify:track:{ids[1]} {ids[2]} {unknown} nonsense"
    result = client.lookup_tracks(text)
    assert [t.track_id for t in result.tracks] == ids
    assert result.tracks[0].track_name == fake.tracks[ids[0]]["name"]
    assert result.tracks[0].artists == ("Fake Artist",)
    assert result.tracks[0].popularity is None  # gone since Feb 2026: unknown, not zero
    assert result.not_found == [unknown]
    assert [bad.token for bad in result.invalid] == ["nonsense"]
    assert result.complete
    assert fake.count("GET", r"^/v1/tracks$") == 1  # batch tried once, refused (dev mode)
    assert fake.count("GET", r"^/v1/tracks/") == 4
    frame = result.frame()
    assert list(frame.columns) == ["track_id", "track_name", "artists", "album_name", "release_date", "url"]
    assert frame["url"].iloc[0] == f"https://open.spotify.com/track/{ids[0]}"

    before = len(fake.requests)
    again = client.lookup_tracks(ids + [unknown])
    assert [t.track_id for t in again.tracks] == ids and again.not_found == [unknown]
    assert len(fake.requests) == before  # answered from this client's cache

    extra = fake.add_tracks(1, start=50)
    client.lookup_tracks(extra)
    assert fake.count("GET", r"^/v1/tracks$") == 1  # the refused batch endpoint is not tried again


def test_lookup_uses_batch_endpoint_where_allowed():
    with FakeSpotify(dev_mode=False) as fake:
        ids = fake.add_tracks(60)
        client = SpotifyClient(SpotifyCredentials(CLIENT_ID, CLIENT_SECRET), config=SpotifyConfig(api_base=fake.api_base, accounts_base=fake.accounts_base, timeout=1))
        result = client.lookup_tracks(ids + [fake_id(999)])
        assert len(result.tracks) == 60 and result.not_found == [fake_id(999)]
        assert fake.count("GET", r"^/v1/tracks$") == 2  # 50 + 11 IDs
        assert fake.count("GET", r"^/v1/tracks/") == 0


def test_lookup_timeout_keeps_what_it_named(fake, make_client):
    ids = fake.add_tracks(3)
    fake.slow(rf"/v1/tracks/{ids[1]}$", 1.5)
    client = make_client(timeout=0.3)
    result = client.lookup_tracks(ids)
    assert not result.complete
    assert "did not answer within 0.3 s" in result.error
    assert [t.track_id for t in result.tracks] == [ids[0]]
    assert result.not_looked_up == ids[1:]


def test_unreachable_spotify_is_explained(make_client):
    with socket_closed_port() as port:
        client = make_client(api_base=f"http://127.0.0.1:{port}/v1/", accounts_base=f"http://127.0.0.1:{port}/")
        result = client.lookup_tracks([fake_id(1)])
    assert "Cannot reach Spotify (127.0.0.1:" in result.error
    assert "SPOTIFY_API_BASE" in result.error


class socket_closed_port:
    """A loopback port with nothing listening."""

    def __enter__(self) -> int:
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        return self.port

    def __exit__(self, *exc: object) -> None:
        pass


# ----------------------------------------------------------------------------- audio features


def test_audio_features_403_is_said_once_and_not_retried(fake, make_client):
    ids = fake.add_tracks(2)
    client = make_client()
    assert client.audio_features(ids) is None
    assert client.audio_features_notice == AUDIO_FEATURES_CLOSED
    assert "Nov 2024" in client.audio_features_notice and "load a data set" in client.audio_features_notice
    assert client.audio_features(ids) is None
    assert fake.count("GET", "audio-features") == 1


def test_audio_features_where_allowed_join_the_catalog(default_catalog):
    feats = {"acousticness": 0.2, "danceability": 0.7, "duration_ms": 200000, "energy": 0.8, "instrumentalness": 0.0, "key": 5,
             "liveness": 0.1, "loudness": -5.0, "mode": 1, "speechiness": 0.05, "tempo": 120.0, "valence": 0.6, "time_signature": 4}
    with FakeSpotify(audio_features=True) as fake:
        new_ids = [fake_id(1, "X"), fake_id(2, "X")]
        fake.add_track(new_ids[0], "With features", features=feats)
        fake.add_track(new_ids[1], "Bad features", features={**feats, "danceability": 7.0})
        client = SpotifyClient(SpotifyCredentials(CLIENT_ID, CLIENT_SECRET), config=SpotifyConfig(api_base=fake.api_base, accounts_base=fake.accounts_base, timeout=1))
        lookup = client.lookup_tracks(new_ids)
        features = client.audio_features(new_ids)
    assert client.audio_features_notice is None
    assert list(features["track_id"]) == new_ids
    grown, added = catalog_with_spotify_tracks(default_catalog, lookup.tracks, features)
    assert added == [new_ids[0]]  # the out-of-range row is refused
    assert len(grown) == len(default_catalog) + 1 and new_ids[0] in grown and new_ids[1] not in grown
    row = grown.positions([new_ids[0]])[0]
    assert np.isfinite(grown.feature_matrix()[row]).all()
    assert grown.tracks.loc[row, "track_name"] == "With features"
    assert grown.tracks["danceability"].dtype == default_catalog.tracks["danceability"].dtype
    assert new_ids[0] not in default_catalog  # the original is untouched


# ----------------------------------------------------------------------------- playlists


def _playlist_with_oddities(fake: FakeSpotify, owner: str = "alice", n: int = 120) -> list[str]:
    ids = fake.add_tracks(n)
    extra = [
        {"is_local": True, "item": {"id": None, "name": "my demo.mp3", "type": "track", "is_local": True}},
        {"is_local": False, "item": {"id": fake_id(1, "E"), "name": "A podcast", "type": "episode"}},
        {"is_local": False, "item": None},
        {"is_local": False, "track": fake.tracks[ids[0]]},  # pre-2026 shape, and a repeat
    ]
    fake.add_playlist(PLAYLIST, "Mixed", owner, ids, extra=extra)
    return ids


def test_import_playlist_reads_every_page(fake, make_client, default_catalog):
    ids = _playlist_with_oddities(fake)
    in_catalog = default_catalog.tracks["track_id"].iloc[:2].tolist()
    for track_id in in_catalog:
        fake.add_track(track_id, "Known")
    fake.playlists[PLAYLIST]["entries"][5:5] = [{"is_local": False, "item": fake.tracks[t]} for t in in_catalog]
    client = make_client()
    log_in(client)
    progress = []
    result = client.import_playlist(f"https://open.spotify.com/playlist/{PLAYLIST}?si=1", on_progress=lambda got, total: progress.append((got, total)))
    assert result.complete and result.total == 126
    assert len(result.tracks) == 122
    assert result.skipped == {"local files": 1, "podcast episodes": 1, "unavailable tracks": 1, "repeated tracks": 1}
    assert result.track_ids[:5] == ids[:5] and result.track_ids[5:7] == in_catalog
    assert fake.count("GET", rf"/playlists/{PLAYLIST}/items") == 3  # 50 + 50 + 26
    assert progress == [(50, 126), (100, 126), (126, 126)]
    frame = result.frame(default_catalog)
    assert list(frame.columns) == ["track_id", "track_name", "artists", "in_catalog"]
    assert frame["in_catalog"].sum() == 2
    assert set(frame.loc[frame["in_catalog"], "track_id"]) == set(in_catalog)
    assert "122 tracks read of 126" in result.summary()


def test_playlist_of_someone_else_is_explained(fake, make_client):
    _playlist_with_oddities(fake, owner="bob", n=3)
    client = make_client()
    with pytest.raises(SpotifyError, match="owns or collaborates on") as err:
        client.import_playlist(PLAYLIST)  # app token: development mode refuses
    assert "5 users" in str(err.value) and "Premium" in str(err.value)
    log_in(client)
    with pytest.raises(SpotifyError, match="HTTP 403"):
        client.import_playlist(PLAYLIST)  # alice is not bob
    fake.playlists[PLAYLIST]["collaborators"].add("alice")
    assert len(client.import_playlist(PLAYLIST).tracks) == 3


def test_playlist_readable_with_app_token_in_extended_mode():
    with FakeSpotify(owner_only=False) as fake:
        _playlist_with_oddities(fake, owner="bob", n=3)
        client = SpotifyClient(SpotifyCredentials(CLIENT_ID, CLIENT_SECRET), config=SpotifyConfig(api_base=fake.api_base, accounts_base=fake.accounts_base, timeout=1))
        result = client.import_playlist(f"spotify:playlist:{PLAYLIST}")
        assert len(result.tracks) == 3 and fake.calls("GET", "/items")[0].auth == "app"


def test_unknown_playlist_404_is_explained(fake, make_client):
    client = make_client()
    with pytest.raises(SpotifyError, match=r"no playlist .* \(HTTP 404\).*Made for you"):
        client.import_playlist(fake_id(404, "P"))


def test_import_interrupted_keeps_what_it_got_and_resumes(fake, make_client, waits):
    ids = _playlist_with_oddities(fake)
    client = make_client()
    log_in(client)
    # Spotify fails the second page three times: the two retries are used up, then it stops.
    fake.fail(rf"/playlists/{PLAYLIST}/items", 500, times=3, query={"offset": "50"})
    partial = client.import_playlist(PLAYLIST)
    assert not partial.complete
    assert partial.track_ids == ids[:50] and partial.next_offset == 50
    assert "stopped after 50 tracks of 124" in partial.error and "HTTP 500" in partial.error
    assert "kept" in partial.error
    assert [s for s, _ in waits.messages] == [0.01, 0.02]  # bounded backoff, then give up
    before = fake.count("GET", "/items")
    resumed = client.import_playlist(PLAYLIST, resume=partial)
    assert resumed.complete and len(resumed.tracks) == 120
    assert resumed.track_ids == ids
    assert fake.count("GET", "/items") - before == 2  # pages at 50 and 100 only
    assert partial.track_ids == ids[:50]  # the partial result itself is not changed


def test_import_slow_page_past_timeout_is_partial(fake, make_client):
    ids = _playlist_with_oddities(fake, n=80)
    client = make_client(timeout=0.3)
    log_in(client)
    fake.slow(r"/items$", 1.0, query={"offset": "50"})
    partial = client.import_playlist(PLAYLIST)
    assert partial.track_ids == ids[:50]
    assert "did not answer within 0.3 s" in partial.error


def test_import_rate_limited_mid_way_waits_then_finishes(fake, make_client, waits):
    ids = _playlist_with_oddities(fake, n=80)
    client = make_client()
    log_in(client)
    fake.fail(r"/items$", 429, headers={"Retry-After": "2"}, query={"offset": "50"})
    result = client.import_playlist(PLAYLIST)
    assert result.complete and result.track_ids == ids
    assert waits.slept == [2.0]


# ----------------------------------------------------------------------------- rate limits and retries


def test_429_waits_retry_after_with_a_message(fake, make_client, waits):
    ids = fake.add_tracks(1)
    fake.fail(rf"/v1/tracks/{ids[0]}", 429, headers={"Retry-After": "3"})
    result = make_client().lookup_tracks(ids)
    assert result.complete and [t.track_id for t in result.tracks] == ids
    assert waits.slept == [3.0]
    assert waits.messages[0][0] == 3.0 and "waiting 3 s" in waits.messages[0][1]


def test_429_really_sleeps_a_short_retry_after(fake, make_client):
    ids = fake.add_tracks(1)
    fake.fail(rf"/v1/tracks/{ids[0]}", 429, headers={"Retry-After": "0.2"})
    started = time.monotonic()
    result = make_client(real_sleep=True).lookup_tracks(ids)
    assert result.complete and time.monotonic() - started >= 0.2


def test_429_longer_than_max_wait_fails_at_once(fake, make_client, waits):
    ids = fake.add_tracks(1)
    fake.fail(rf"/v1/tracks/{ids[0]}", 429, headers={"Retry-After": "3600"})
    result = make_client(max_wait=5).lookup_tracks(ids)
    assert waits.slept == []
    assert "HTTP 429" in result.error and "3600 s" in result.error and "5 s this app waits" in result.error


def test_429_repeated_is_bounded(fake, make_client, waits):
    ids = fake.add_tracks(1)
    fake.fail(rf"/v1/tracks/{ids[0]}", 429, times=10, headers={"Retry-After": "1"})
    result = make_client(rate_limit_retries=3).lookup_tracks(ids)
    assert waits.slept == [1.0, 1.0, 1.0]
    assert "HTTP 429" in result.error and "Try again in a few minutes" in result.error


def test_500_then_success_with_backoff(fake, make_client, waits):
    ids = fake.add_tracks(1)
    fake.fail(rf"/v1/tracks/{ids[0]}", 500)
    fake.fail(rf"/v1/tracks/{ids[0]}", 503)
    result = make_client(backoff=0.01, server_retries=2).lookup_tracks(ids)
    assert result.complete and len(result.tracks) == 1
    assert waits.slept == [0.01, 0.02]
    assert "HTTP 500" in waits.messages[0][1] and "retry 1 of 2" in waits.messages[0][1]


def test_500_forever_gives_up(fake, make_client, waits):
    ids = fake.add_tracks(1)
    fake.fail(rf"/v1/tracks/{ids[0]}", 502, times=5)
    result = make_client(server_retries=2).lookup_tracks(ids)
    assert "server error (HTTP 502)" in result.error and "after 2 retries" in result.error
    assert fake.count("GET", rf"/v1/tracks/{ids[0]}") == 3


# ----------------------------------------------------------------------------- tokens and login


def test_expired_app_token_is_refreshed_once(fake, make_client):
    ids = fake.add_tracks(2)
    client = make_client()
    client.lookup_tracks(ids[:1])
    fake.expire_tokens()
    result = client.lookup_tracks(ids[1:])
    assert result.complete and len(result.tracks) == 1
    assert fake.count("POST", "/api/token") == 2


def test_expired_user_token_is_refreshed_once_then_login_is_dropped(fake, make_client):
    store: dict = {}
    client = make_client(store=store)
    assert log_in(client) == {"id": "alice", "display_name": "Alice Example"}
    first_token = store[USER_TOKEN_KEY]["access_token"]
    fake.expire_tokens()
    assert client.me()["id"] == "alice"
    assert store[USER_TOKEN_KEY]["access_token"] != first_token  # refreshed, kept in the store
    fake.fail(r"/v1/me$", 401, times=2)
    with pytest.raises(SpotifyError, match="log in again"):
        client.me()
    assert not client.logged_in and USER_TOKEN_KEY not in store


def test_login_keeps_token_only_in_the_given_store(fake, make_client):
    store_a: dict = {}
    store_b: dict = {}
    a = make_client(store=store_a)
    b = make_client(store=store_b)
    url = a.authorize_url("s1")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [REDIRECT] and query["state"] == ["s1"]
    assert "playlist-modify-private" in query["scope"][0] and CLIENT_SECRET not in url
    log_in(a)
    assert a.logged_in and not b.logged_in and store_b == {}
    assert set(store_a) == {USER_TOKEN_KEY}
    with pytest.raises(SpotifyError, match="Log in with Spotify first"):
        b.my_playlists()
    a.log_out()
    assert not a.logged_in


def test_bad_login_code_and_bad_secret_are_explained(fake, make_client):
    client = make_client()
    client.authorize_url("s")
    with pytest.raises(SpotifyError, match="expired or was already used"):
        client.log_in("not-a-real-code")
    wrong = make_client(secret="wrong-secret-value-123")
    result = wrong.lookup_tracks(fake.add_tracks(1))
    assert "rejected the app credentials" in result.error and "SPOTIPY_CLIENT_SECRET" in result.error
    assert "wrong-secret-value-123" not in result.error


def test_login_needs_a_redirect_uri(fake, make_client):
    client = make_client(redirect=None)
    with pytest.raises(SpotifyError, match="SPOTIPY_REDIRECT_URI"):
        client.authorize_url("s")


def test_login_states_are_single_use_and_expire():
    now = [0.0]
    states = LoginStates(ttl=60, clock=lambda: now[0])
    s1, s2 = states.issue(), states.issue()
    assert s1 != s2 and len(s1) >= 30
    assert states.consume(s1) and not states.consume(s1)
    assert not states.consume("forged") and not states.consume(None)
    now[0] = 61
    assert not states.consume(s2)


# ----------------------------------------------------------------------------- my playlists, saving


def test_my_playlists_lists_owned_and_collaborative(fake, make_client):
    ids = fake.add_tracks(3)
    fake.add_playlist(fake_id(1, "P"), "Mine", "alice", ids)
    fake.add_playlist(fake_id(2, "P"), "Shared", "bob", ids[:1], collaborators=("alice",))
    fake.add_playlist(fake_id(3, "P"), "Not mine", "bob", ids)
    client = make_client()
    log_in(client)
    mine = client.my_playlists()
    assert list(mine["name"]) == ["Mine", "Shared"]
    assert list(mine["tracks"]) == [3, 1] and list(mine["yours"]) == [True, False]


def test_save_recommendations_in_batches_of_100(fake, make_client):
    ids = fake.add_tracks(250)
    client = make_client()
    log_in(client)
    saved = client.create_playlist("  My   picks ", ids + ids[:5] + ["not-an-id"], description="From Tastemap")
    assert saved.complete and saved.added == 250 and saved.requested == 250 and saved.name == "My picks"
    posts = fake.calls("POST", rf"/v1/playlists/{saved.playlist_id}/items")
    assert [len(p.body) for p in posts] == [100, 100, 50]
    created = fake.playlists[saved.playlist_id]
    assert created["owner"] == "alice" and created["public"] is False and created["description"] == "From Tastemap"
    assert [e["item"]["id"] for e in created["entries"]] == ids
    assert saved.url == f"https://open.spotify.com/playlist/{saved.playlist_id}"


def test_save_failure_part_way_reports_what_was_added(fake, make_client):
    ids = fake.add_tracks(250)
    client = make_client()
    log_in(client)
    fake.fail(r"/v1/playlists/.*/items$", 500, method="POST", after=1)
    saved = client.create_playlist("Picks", ids)
    assert not saved.complete and saved.added == 100
    assert "only 100 of 250 tracks were added" in saved.error and "HTTP 500" in saved.error
    # a failed POST is not repeated (it could add tracks twice)
    assert fake.count("POST", r"/v1/playlists/.*/items$") == 2
    assert len(fake.playlists[saved.playlist_id]["entries"]) == 100
    with pytest.raises(SpotifyError, match="no tracks to save"):
        client.create_playlist("Empty", [])


def test_saving_needs_login(fake, make_client):
    with pytest.raises(SpotifyError, match="Log in with Spotify first"):
        make_client().create_playlist("x", fake.add_tracks(1))


# ----------------------------------------------------------------------------- secrets


def test_no_secret_or_token_in_logs_or_messages(fake, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    # The CLI quiets spotipy's logger (tests that run main() in-process leave it so): reset it here.
    caplog.set_level(logging.DEBUG, logger="spotipy")
    store: dict = {}
    ids = _playlist_with_oddities(fake, n=60)
    client = make_client(store=store)
    messages = []
    url = client.authorize_url("st")
    code = parse_qs(urlsplit(requests.get(url, allow_redirects=False, timeout=2).headers["Location"]).query)["code"][0]
    client.log_in(code)
    client.lookup_tracks(ids[:2] + [fake_id(999)])
    client.audio_features(ids[:2])
    client.import_playlist(PLAYLIST)
    fake.expire_tokens()
    client.my_playlists()
    client.create_playlist("x", ids[:3])
    fake.fail(r"/v1/me$", 401, times=2)
    for action in (client.me, lambda: client.log_in(code), lambda: make_client(secret="another-wrong-secret").lookup_tracks(ids[:1]).error):
        try:
            out = action()
            if isinstance(out, str):
                messages.append(out)
        except SpotifyError as exc:
            messages.append(str(exc))
    tokens = set(fake.user_tokens) | set(fake.app_tokens) | set(fake.refresh_tokens)
    assert len(tokens) >= 4
    text = caplog.text + "\n".join(messages)
    assert "Bearer [redacted]" in caplog.text  # spotipy's header logging ran and was redacted
    for secret in tokens | {CLIENT_SECRET, code, "another-wrong-secret"}:
        assert secret not in text, secret


def test_redacting_filter_rewrites_formatted_records():
    f = RedactingFilter()
    f.add_secret("s3cr3t-value")
    record = logging.LogRecord("spotipy.client", logging.DEBUG, __file__, 1, "Headers: %s body %s", ({"Authorization": "Bearer abc.DEF-123"}, "client_secret=s3cr3t-value&code=qwerty"), None)
    assert f.filter(record)
    text = record.getMessage()
    assert "abc.DEF-123" not in text and "s3cr3t-value" not in text and "qwerty" not in text
    assert redact("refresh_token': 'rt_abc'") == "refresh_token': '[redacted]'"
