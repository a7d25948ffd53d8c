"""Spotify page helpers: credentials, this session's client, the login redirect, sections.

Security: the user's token lives in ``st.session_state`` (a dict under :data:`TOKEN_STORE_KEY`)
of the browser session that logged in, never in ``st.cache_resource``. The only shared object
is :func:`login_states`, which holds random single-use ``state`` nonces, no tokens. The login
``code`` is removed from the address bar as soon as it is read. Text from Spotify or the URL is
shown in tables or escaped, never as live Markdown/HTML.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import streamlit as st

from recommender.catalog import Catalog
from recommender.errors import SpotifyError
from recommender.ids import parse_track_ids
from recommender.spotify import (
    LoginStates,
    PlaylistImport,
    SpotifyClient,
    SpotifyConfig,
    SpotifyCredentials,
    catalog_with_spotify_tracks,
    load_credentials,
    parse_playlist_id,
)
from ui.data import set_active_catalog
from ui.run_secrets import secret
from ui.state import LAST_RECOMMENDATIONS as RECS_KEY
from ui.state import PENDING_LIKES as LIKES_KEY
from ui.state import SEED_TEXT as SEED_KEY
from ui.state import SPOTIFY_CLIENT as CLIENT_KEY
from ui.state import SPOTIFY_IMPORT as IMPORT_KEY
from ui.state import SPOTIFY_LOGIN_STATE as LOGIN_STATE_KEY
from ui.state import SPOTIFY_LOOKUP as LOOKUP_KEY
from ui.state import SPOTIFY_MY_PLAYLISTS as MY_PLAYLISTS_KEY
from ui.state import SPOTIFY_PROFILE as PROFILE_KEY
from ui.state import SPOTIFY_SAVED as SAVED_KEY
from ui.state import SPOTIFY_TOKENS as TOKEN_STORE_KEY
from ui.text import md_escape

DEFAULT_REDIRECT = "http://127.0.0.1:8501/Spotify"  # when the address in use is not known
SPOTIFY_PAGE_PATH = "Spotify"  # this page's URL path (ui.pages.SPOTIFY)
_STATE_REUSE_SECONDS = 120
MAX_LOOKUP = 100  # unknown tracks looked up per press


def plain(text: object) -> str:
    """Text (from Spotify, the URL or an error) escaped for st.info/st.error/st.success."""
    return md_escape(text)


# ----------------------------------------------------------------------------- setup


def redirect_uri_from_url(url: str | None, page: str = SPOTIFY_PAGE_PATH) -> str | None:
    """The login redirect URI for the app opened at ``url`` (``st.context.url``): the same scheme,
    host and port, and the path of the Spotify page. ``localhost`` becomes ``127.0.0.1``, since
    Spotify no longer accepts ``localhost`` redirect URIs. None unless ``url`` is http(s)."""
    if not isinstance(url, str) or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port that is not a number
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    path = parts.path.rstrip("/")
    if path.rsplit("/", 1)[-1].lower() != page.lower():
        path = f"{path}/{page}"  # opened at the app's root (or a base path)
    # No user:password, query or fragment: only what Spotify compares.
    return urlunsplit((parts.scheme, host + (f":{port}" if port else ""), path, "", ""))


def configured_redirect_uri() -> str | None:
    """The redirect URI set in the ``[spotify]`` secrets or ``SPOTIPY_REDIRECT_URI``, if any."""
    section = secrets_section() or {}
    for value in (section.get("redirect_uri"), os.environ.get("SPOTIPY_REDIRECT_URI")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def page_url() -> str | None:
    """The address this page is open at in the browser (None in tests and bare runs)."""
    try:
        return st.context.url
    except Exception:
        return None


def shown_redirect_uri(configured: str | None = None) -> str:
    """The redirect URI to tell the listener: the configured one wins; else the one matching
    the address in use (any port); else the documented default."""
    return configured or redirect_uri_from_url(page_url()) or DEFAULT_REDIRECT


def _spotify_accepts(redirect: str) -> bool:
    """Spotify's rule: https, or http on a loopback address (127.0.0.1 / [::1])."""
    parts = urlsplit(redirect)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1"))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def secrets_section() -> dict[str, Any] | None:
    section = secret("spotify")  # None without a (readable) secrets file
    try:
        return dict(section) if section else None
    except (TypeError, ValueError):
        return None


def credentials() -> tuple[SpotifyCredentials | None, str | None]:
    """``(credentials, None)``, ``(None, None)`` when not configured, ``(None, problem)``."""
    try:
        return load_credentials(secrets_section()), None
    except SpotifyError as exc:
        return None, str(exc)


@st.cache_resource
def login_states() -> LoginStates:
    """Pending login ``state`` nonces, shared because the redirect opens a new session."""
    return LoginStates()


def session_client(creds: SpotifyCredentials) -> SpotifyClient:
    """This browser session's client; its token store is this session's own dict."""
    config = SpotifyConfig.from_env()
    client = st.session_state.get(CLIENT_KEY)
    if not isinstance(client, SpotifyClient) or client.credentials != creds or client.config != config:
        store = st.session_state.setdefault(TOKEN_STORE_KEY, {})
        client = SpotifyClient(creds, config=config, token_store=store)
        st.session_state[CLIENT_KEY] = client
    return client


def wait_notifier(placeholder: Any) -> Callable[[float, str], None]:
    def show(seconds: float, message: str) -> None:
        placeholder.info(plain(message), icon="⏳")

    return show


def render_not_connected(problem: str | None) -> None:
    redirect = shown_redirect_uri(configured_redirect_uri())
    if problem:
        st.error(plain(problem))
    st.info(
        "**Spotify is not connected, and that is fine.** Everything else works without it: explore "
        "the catalog, paste track IDs or links as seeds, label tracks you like, get, explain and "
        "export recommendations, and play any track through its open.spotify.com link.\n\n"
        "Connecting a Spotify app adds: names for pasted tracks that are not in the catalog, "
        "importing a playlist as seeds or liked tracks, listing your playlists and saving "
        "recommendations as a new playlist in your account."
    )
    st.markdown(
        "**How to connect**\n"
        "1. Create an app at https://developer.spotify.com/dashboard (the app owner needs Spotify "
        "Premium; in development mode up to 5 users you add under *User Management* can use it).\n"
        f"2. Add the redirect URI `{redirect}` to the app and open this dashboard at "
        f"{_origin(redirect)} (Spotify no longer accepts `localhost`).\n"
        "3. Set `SPOTIPY_CLIENT_ID`, `SPOTIPY_CLIENT_SECRET` and `SPOTIPY_REDIRECT_URI` in the "
        "environment, or copy `.streamlit/secrets.toml.example` to `.streamlit/secrets.toml` and "
        "fill in its `[spotify]` section; then restart the app."
    )
    st.code(
        '[spotify]\nclient_id = "your-client-id"\nclient_secret = "your-client-secret"\n'
        f'redirect_uri = "{redirect}"',
        language="toml",
    )
    if not _spotify_accepts(redirect):
        st.caption(plain(
            f"Spotify accepts a plain http:// redirect URI only on this computer (127.0.0.1): for {_origin(redirect)} "
            "serve Tastemap over https, or open it at http://127.0.0.1 on the machine it runs on."
        ))


def _query_value(name: str) -> str | None:
    try:
        value = st.query_params.get(name)
    except Exception:
        return None
    return value if isinstance(value, str) and value else None


def handle_login_redirect(client: SpotifyClient) -> None:
    """Finish a login when Spotify sent the browser back here with ``code`` and ``state``."""
    code, state, error = _query_value("code"), _query_value("state"), _query_value("error")
    if code is None and error is None:
        return
    # Remove the code from the address bar at once: it must not be bookmarked or shared.
    for name in ("code", "state", "error"):
        if name in st.query_params:
            del st.query_params[name]
    if error is not None:
        login_states().consume(state)
        st.warning("The Spotify login was cancelled or refused, so you are not logged in. You can try again below.")
        return
    if not login_states().consume(state):
        st.error(
            "This login link is not valid any more: it expired, was used already, or did not start "
            "in this app. Press 'Log in with Spotify' again."
        )
        return
    try:
        profile = client.log_in(code)
    except SpotifyError as exc:
        st.error(plain(exc))
        return
    st.session_state[PROFILE_KEY] = profile
    st.session_state.pop(LOGIN_STATE_KEY, None)
    st.success(plain(f"Logged in to Spotify as {profile['display_name']}."))


# ----------------------------------------------------------------------------- name tracks


def render_lookup(client: SpotifyClient, catalog: Catalog) -> None:
    st.subheader("Name pasted tracks")
    st.caption("Paste track IDs or links. Tracks that are not in the catalog are looked up on Spotify so you can see what they are.")
    text = st.text_area("Track IDs or links", key="spotify_lookup_text", height=100)
    if st.button("Look up", key="spotify_lookup_button"):
        parsed = parse_track_ids(text)
        unknown = [i for i in parsed.ids if i not in catalog]
        entry: dict[str, Any] = {"known": len(parsed.ids) - len(unknown), "invalid": parsed.invalid, "result": None, "features": None}
        # One request per track in development mode: keep a press short and polite.
        entry["skipped"] = len(unknown[MAX_LOOKUP:])
        unknown = unknown[:MAX_LOOKUP]
        if unknown:
            with st.spinner(f"Looking up {len(unknown)} tracks on Spotify…"):
                result = client.lookup_tracks(unknown)
                entry["result"] = result
                if result.tracks:
                    try:
                        entry["features"] = client.audio_features([t.track_id for t in result.tracks])
                    except SpotifyError as exc:
                        entry["features_error"] = str(exc)
        st.session_state[LOOKUP_KEY] = entry
    entry = st.session_state.get(LOOKUP_KEY)
    if not entry:
        return
    for bad in entry["invalid"][:20]:
        st.caption(plain(f"Skipped: {bad.reason}"))
    if entry["known"]:
        st.caption(f"{entry['known']} pasted tracks are in the catalog already.")
    if entry.get("skipped"):
        st.caption(f"Only the first {MAX_LOOKUP} unknown tracks were looked up; {entry['skipped']} were left out.")
    result = entry["result"]
    if result is None:
        if not entry["invalid"]:
            st.info("Every pasted track is in the catalog: nothing to look up." if entry["known"] else "Paste at least one track ID or link.")
        return
    if result.tracks:
        st.dataframe(
            result.frame(),
            hide_index=True,
            column_config={"url": st.column_config.LinkColumn("Link", display_text="Open in Spotify")},
        )
    if result.not_found:
        st.warning(plain(f"Spotify does not know {len(result.not_found)} of the IDs: " + ", ".join(result.not_found[:20])))
    if result.error:
        st.warning(plain(result.error))
    if client.audio_features_notice:
        st.info(plain(client.audio_features_notice))
    if entry.get("features_error"):
        st.warning(plain(entry["features_error"]))
    features = entry.get("features")
    if isinstance(features, pd.DataFrame) and not features.empty:
        if st.button(f"Add {len(features)} tracks to this session's catalog", key="spotify_add_to_catalog"):
            grown, added = catalog_with_spotify_tracks(catalog, result.tracks, features)
            set_active_catalog(grown)
            st.success(f"{len(added)} tracks joined this session's catalog and can now be seeds.")


# ----------------------------------------------------------------------------- import


def _append_seeds(ids: list[str]) -> int:
    current = str(st.session_state.get(SEED_KEY) or "")
    present = set(parse_track_ids(current).ids)
    new = [i for i in ids if i not in present]
    if new:
        st.session_state[SEED_KEY] = (current.rstrip() + "\n" if current.strip() else "") + "\n".join(new)
    return len(new)


def _append_likes(ids: list[str]) -> int:
    current = list(st.session_state.get(LIKES_KEY) or [])
    present = set(current)
    new = [i for i in ids if i not in present]
    st.session_state[LIKES_KEY] = current + new
    return len(new)


def render_import(client: SpotifyClient, catalog: Catalog) -> None:
    st.subheader("Import a playlist")
    if not client.logged_in:
        st.caption(
            "Spotify lets development-mode apps read only playlists you own or collaborate on: "
            "log in below first (apps with extended access can read any public playlist)."
        )
    link = st.text_input("Playlist link", key="spotify_playlist_link", placeholder="https://open.spotify.com/playlist/…")
    use = st.radio("Use its tracks as", ["seeds", "liked tracks"], key="spotify_import_as", horizontal=True)
    if st.button("Import", key="spotify_import_button"):
        previous = st.session_state.get(IMPORT_KEY)
        resume = None
        try:
            wanted = parse_playlist_id(link)
        except SpotifyError:
            wanted = None
        if previous and not previous["result"].complete and previous["result"].playlist_id == wanted:
            resume = previous["result"]
        bar = st.progress(0.0, text="Reading the playlist…")

        def progress(got: int, total: int | None) -> None:
            bar.progress(min(1.0, got / total) if total else 0.0, text=f"Read {got}" + (f" of {total}" if total else "") + " items")

        try:
            result = client.import_playlist(link, resume=resume, on_progress=progress)
        except SpotifyError as exc:
            bar.empty()
            st.error(plain(exc))
        else:
            bar.empty()
            _store_import(result, use, catalog)
    _show_import(st.session_state.get(IMPORT_KEY))


def _store_import(result: PlaylistImport, use: str, catalog: Catalog) -> None:
    frame = result.frame(catalog)
    usable = frame.loc[frame["in_catalog"], "track_id"].tolist()
    # Applied at once, even for a partial import, so nothing already read is lost.
    added = _append_seeds(usable) if use == "seeds" else _append_likes(usable)
    st.session_state[IMPORT_KEY] = {"result": result, "frame": frame, "use": use, "added": added}


def _show_import(entry: dict | None) -> None:
    if not entry:
        return
    result: PlaylistImport = entry["result"]
    frame: pd.DataFrame = entry["frame"]
    in_catalog = int(frame["in_catalog"].sum())
    target = "seeds (the Recommend page)" if entry["use"] == "seeds" else "liked tracks (the Taste page)"
    st.success(
        plain(f"{result.summary()}. {in_catalog} are in the catalog; {entry['added']} new ones were added as {target}.")
    )
    if not result.complete:
        st.warning(plain(result.error))
    rest = frame.loc[~frame["in_catalog"], ["track_id", "track_name", "artists"]]
    if len(rest):
        st.caption(f"{len(rest)} tracks are not in the catalog (no audio features, so they cannot be seeds):")
        st.dataframe(rest, hide_index=True)


# ----------------------------------------------------------------------------- account


def _login_state() -> str:
    issued = st.session_state.get(LOGIN_STATE_KEY)
    if not issued or time.monotonic() - issued[1] > _STATE_REUSE_SECONDS:
        issued = (login_states().issue(), time.monotonic())
        st.session_state[LOGIN_STATE_KEY] = issued
    return issued[0]


def render_account(client: SpotifyClient) -> None:
    st.subheader("Your Spotify account")
    if not client.credentials.can_log_in:
        st.info(
            plain(
                "To log in, set SPOTIPY_REDIRECT_URI (or redirect_uri in the [spotify] secrets) to "
                f"{shown_redirect_uri()} and add the same URI to your app in the Spotify developer dashboard."
            )
        )
        return
    if not client.logged_in:
        st.session_state.pop(PROFILE_KEY, None)
        try:
            url = client.authorize_url(_login_state())
        except SpotifyError as exc:
            st.error(plain(exc))
            return
        here = redirect_uri_from_url(page_url())
        configured = client.credentials.redirect_uri or ""
        if here and _origin(here) != _origin(configured):
            # Spotify sends the browser to the configured address, not to the one in use.
            st.warning(plain(
                f"This page is open at {_origin(here)}, but the configured redirect URI is {configured}: after "
                f"logging in, Spotify sends you there. Open Tastemap at {_origin(configured)}, or set the redirect "
                f"URI to {here} (and add it to your app in the Spotify developer dashboard)."
            ))
        st.link_button("Log in with Spotify", url)
        st.caption(
            "Spotify asks you to approve this app, then sends you back to this page. The login lasts "
            "for that browser tab only and is never stored on the server's disk."
        )
        return
    profile = st.session_state.get(PROFILE_KEY)
    if not profile:
        try:
            profile = client.me()
        except SpotifyError as exc:
            st.error(plain(exc))
            return
        st.session_state[PROFILE_KEY] = profile
    st.write(f"Logged in as **{plain(profile['display_name'])}**.")
    if st.button("Log out", key="spotify_logout"):
        client.log_out()
        for key in (PROFILE_KEY, MY_PLAYLISTS_KEY, SAVED_KEY):
            st.session_state.pop(key, None)
        st.rerun()
    _render_my_playlists(client)
    _render_save(client)


def _render_my_playlists(client: SpotifyClient) -> None:
    if st.button("List my playlists", key="spotify_list_playlists"):
        try:
            st.session_state[MY_PLAYLISTS_KEY] = client.my_playlists()
        except SpotifyError as exc:
            st.error(plain(exc))
    playlists = st.session_state.get(MY_PLAYLISTS_KEY)
    if isinstance(playlists, pd.DataFrame):
        if playlists.empty:
            st.info("You have no playlists yet.")
        else:
            st.caption("Copy a playlist's link into 'Import a playlist' above to use it.")
            st.dataframe(
                playlists[["name", "owner", "tracks", "yours", "url"]],
                hide_index=True,
                column_config={"url": st.column_config.LinkColumn("Link")},
            )


def _render_save(client: SpotifyClient) -> None:
    st.markdown("**Save recommendations as a playlist**")
    recs = st.session_state.get(RECS_KEY)
    if not isinstance(recs, pd.DataFrame) or recs.empty or "track_id" not in recs:
        st.info("Get recommendations on the Recommend page first; then you can save them here.")
        return
    ids = [i for i in recs["track_id"].astype(str) if i]
    name = st.text_input("Playlist name", value="Tastemap recommendations", key="spotify_save_name", max_chars=100)
    st.caption(f"{len(ids)} tracks, saved as a new private playlist.")
    if st.button("Save as a new playlist", key="spotify_save_button"):
        try:
            saved = client.create_playlist(name, ids, description="Recommended by Tastemap")
        except SpotifyError as exc:
            st.error(plain(exc))
        else:
            st.session_state[SAVED_KEY] = saved
    saved = st.session_state.get(SAVED_KEY)
    if saved is not None:
        if saved.complete:
            st.success(plain(f"Saved {saved.added} tracks to the new playlist '{saved.name}'."))
        else:
            st.warning(plain(saved.error))
        st.link_button("Open the playlist in Spotify", saved.url)
