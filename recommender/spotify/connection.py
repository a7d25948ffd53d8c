"""One session's connection to Spotify through spotipy: tokens, bounded waits, plain errors.

* ``429`` waits for ``Retry-After`` only up to :attr:`SpotifyConfig.max_wait` and tells the
  caller it is waiting (``on_wait``); ``5xx`` on reads is retried a bounded number of times
  with exponential backoff; timeouts are short; ``401`` refreshes the token once;
* every failure becomes a :class:`~recommender.errors.SpotifyApiError` with a plain message
  that says what to do, and never carries a secret or a token;
* the logged-in user's token lives in the mapping the caller passes, never on disk.

spotipy's own retry adapter is not used: it sleeps for whatever ``Retry-After`` says.
:class:`~recommender.spotify.client.SpotifyClient` builds the app's questions on this.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError

from ..errors import SpotifyApiError, SpotifyError
from .auth import SCOPES, USER_TOKEN_KEY, MappingCacheHandler, NoPromptOAuth
from .redaction import LOGGER_NAME, install_redaction, redact
from .settings import DEFAULT_API_BASE, SpotifyConfig, SpotifyCredentials

__all__ = ["ACCESS_HINT", "SpotifyConnection"]

_log = logging.getLogger(LOGGER_NAME)

ACCESS_HINT = (
    "In development mode only the app owner (who needs Spotify Premium) and up to 5 users added "
    "under 'User Management' in the Spotify developer dashboard may use the app."
)


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    raw = None
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            raw = value
            break
    if raw is None:
        return None
    try:
        value = float(str(raw).strip())
    except ValueError:
        return None  # an HTTP date: treat as unknown, fall back to the backoff
    return max(0.0, value) if np.isfinite(value) else None


def _server_message(exc: SpotifyException) -> str:
    msg = str(exc.msg or "")
    if ":\n" in msg:  # spotipy prefixes the URL
        msg = msg.split(":\n", 1)[1]
    msg = msg.strip()
    return redact(msg)[:200] if msg and msg != "None" else ""


class SpotifyConnection:
    """The app's token for catalog reads and the user's token once logged in, behind one
    :meth:`_call` that waits, retries and explains. Parameters: see
    :class:`~recommender.spotify.client.SpotifyClient`."""

    def __init__(
        self,
        credentials: SpotifyCredentials,
        *,
        config: SpotifyConfig | None = None,
        token_store: MutableMapping[str, Any] | None = None,
        on_wait: Callable[[float, str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(credentials, SpotifyCredentials):
            raise SpotifyError("Spotify credentials are missing: set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET.")
        install_redaction(credentials.client_secret)
        self.credentials = credentials
        self.config = config or SpotifyConfig.from_env()
        self.token_store: MutableMapping[str, Any] = {} if token_store is None else token_store
        self.on_wait = on_wait
        self._sleep = sleep
        self._app_auth = spotipy.SpotifyClientCredentials(
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            requests_session=requests.Session(),
            requests_timeout=self.config.timeout,
            cache_handler=MemoryCacheHandler(),
        )
        self._app_auth.OAUTH_TOKEN_URL = self.config.accounts_base + "api/token"
        self._app = self._spotify(self._app_auth)
        self._user_auth: NoPromptOAuth | None = None
        self._user: spotipy.Spotify | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.credentials.client_id!r}, api_base={self.config.api_base!r}, logged_in={self.logged_in})"

    # -- plumbing -------------------------------------------------------------------------

    def _spotify(self, auth: Any) -> spotipy.Spotify:
        # A plain requests.Session: no urllib3 retry adapter, so waits stay ours and bounded.
        sp = spotipy.Spotify(
            auth_manager=auth,
            requests_session=requests.Session(),
            requests_timeout=self.config.timeout,
            retries=0,
            status_retries=0,
        )
        sp.prefix = self.config.api_base
        return sp

    def _user_client(self) -> spotipy.Spotify:
        if not self.credentials.redirect_uri:
            raise SpotifyError(
                "Logging in needs a redirect URI: set SPOTIPY_REDIRECT_URI (or redirect_uri in the "
                "[spotify] secrets) to the Spotify page's address, e.g. http://127.0.0.1:8501/Spotify, "
                "and add the same URI to your app in the Spotify developer dashboard."
            )
        if self._user is None:
            auth = NoPromptOAuth(
                client_id=self.credentials.client_id,
                client_secret=self.credentials.client_secret,
                redirect_uri=self.credentials.redirect_uri,
                scope=list(SCOPES),
                requests_session=requests.Session(),
                requests_timeout=self.config.timeout,
                open_browser=False,
                cache_handler=MappingCacheHandler(self.token_store),
            )
            auth.OAUTH_TOKEN_URL = self.config.accounts_base + "api/token"
            auth.OAUTH_AUTHORIZE_URL = self.config.accounts_base + "authorize"
            self._user_auth = auth
            self._user = self._spotify(auth)
        return self._user

    def _wait(self, seconds: float, message: str) -> None:
        _log.info("%s", message)
        if self.on_wait is not None:
            try:
                self.on_wait(seconds, message)
            except Exception:  # a display problem must not break the import
                _log.debug("on_wait callback failed", exc_info=True)
        self._sleep(seconds)

    def _refresh(self, user: bool) -> None:
        if user:
            token = self.token_store.get(USER_TOKEN_KEY) or {}
            refresh_token = token.get("refresh_token") if isinstance(token, Mapping) else None
            if not refresh_token:
                self.log_out()
                raise SpotifyApiError("Your Spotify login has expired: log in again.", 401)
            self._user_client()
            assert self._user_auth is not None
            self._user_auth.refresh_access_token(refresh_token)
        else:
            self._app_auth.get_access_token(as_dict=False, check_cache=False)

    def _call(
        self,
        what: str,
        fn: Callable[[], Any],
        *,
        user: bool = False,
        method: str = "GET",
        forbidden: str | None = None,
        not_found: str | None = None,
    ) -> Any:
        """Run one API call with bounded 429 waits, 5xx retries and one token refresh."""
        cfg = self.config
        refreshed = rate_waits = server_tries = 0
        while True:
            try:
                return fn()
            except SpotifyException as exc:
                status = int(exc.http_status or 0)
                _log.debug("Spotify answered HTTP %s while %s", status, what)
                if status == 401 and not refreshed:
                    refreshed = 1
                    try:
                        self._refresh(user)
                    except SpotifyOauthError as oauth_exc:
                        if user:
                            self.log_out()
                        raise self._oauth_error(oauth_exc, what) from None
                    except requests.RequestException as req_exc:
                        raise self._network_error(req_exc, what) from None
                    continue
                if status == 429:
                    wait = _retry_after(exc.headers)
                    if wait is None:
                        wait = cfg.backoff * 2**rate_waits
                    if wait > cfg.max_wait or rate_waits >= cfg.rate_limit_retries:
                        raise SpotifyApiError(
                            f"Spotify is limiting how often this app may call it (HTTP 429) while "
                            f"{what}: it asks to wait {wait:g} s"
                            + (f", longer than the {cfg.max_wait:g} s this app waits" if wait > cfg.max_wait else f", after {rate_waits} waits already")
                            + ". Try again in a few minutes.",
                            429,
                        ) from None
                    rate_waits += 1
                    self._wait(wait, f"Spotify asked this app to slow down: waiting {wait:g} s before {what} again.")
                    continue
                if status >= 500 and method == "GET" and server_tries < cfg.server_retries:
                    # Only reads are repeated: a repeated POST could create a playlist twice.
                    delay = cfg.backoff * 2**server_tries
                    server_tries += 1
                    self._wait(delay, f"Spotify had a server error (HTTP {status}) while {what}: retry {server_tries} of {cfg.server_retries} in {delay:g} s.")
                    continue
                raise self._http_error(exc, status, what, user=user, forbidden=forbidden, not_found=not_found) from None
            except SpotifyOauthError as exc:
                raise self._oauth_error(exc, what) from None
            except requests.RequestException as exc:
                raise self._network_error(exc, what) from None
            except (ValueError, KeyError, TypeError) as exc:
                _log.debug("unreadable Spotify answer while %s: %s", what, type(exc).__name__)
                raise SpotifyApiError(f"Spotify sent an answer this app cannot read while {what}. Try again later.") from None

    def _http_error(
        self, exc: SpotifyException, status: int, what: str, *, user: bool, forbidden: str | None, not_found: str | None
    ) -> SpotifyApiError:
        detail = _server_message(exc)
        said = f" Spotify said: {detail!r}." if detail else ""
        if status == 401:
            if user:
                self.log_out()
                return SpotifyApiError(f"Spotify no longer accepts your login (HTTP 401) while {what}: log in again.", 401)
            return SpotifyApiError(
                f"Spotify rejected this app's access token (HTTP 401) while {what}. Check SPOTIPY_CLIENT_ID and "
                "SPOTIPY_CLIENT_SECRET, and that the app owner's Spotify Premium is active.",
                401,
            )
        if status == 403:
            return SpotifyApiError(forbidden or f"Spotify refused access (HTTP 403) while {what}. {ACCESS_HINT}{said}", 403)
        if status == 404:
            return SpotifyApiError(not_found or f"Spotify could not find what was asked for (HTTP 404) while {what}. Check the link or ID.", 404)
        if status == 429:
            return SpotifyApiError(f"Spotify is limiting how often this app may call it (HTTP 429) while {what}. Try again in a few minutes.", 429)
        if status >= 500:
            tries = f", also after {self.config.server_retries} retries" if exc is not None and self.config.server_retries else ""
            return SpotifyApiError(f"Spotify had a server error (HTTP {status}) while {what}{tries}. Try again in a few minutes.", status)
        if status == 400:
            return SpotifyApiError(f"Spotify refused the request (HTTP 400) while {what}.{said}", 400)
        return SpotifyApiError(f"Spotify answered HTTP {status} while {what}.{said}", status)

    def _oauth_error(self, exc: SpotifyOauthError, what: str) -> SpotifyApiError:
        error = str(getattr(exc, "error", "") or "")
        if error == "invalid_client":
            return SpotifyApiError(
                f"Spotify rejected the app credentials while {what} (invalid client). Check SPOTIPY_CLIENT_ID and "
                "SPOTIPY_CLIENT_SECRET (or the [spotify] section of .streamlit/secrets.toml) against your app's "
                "settings in the Spotify developer dashboard.",
                400,
            )
        if error == "invalid_grant":
            return SpotifyApiError(
                f"Spotify did not accept the login while {what}: the code or refresh token has expired or was "
                "already used. Log in again.",
                400,
            )
        description = redact(getattr(exc, "error_description", "") or error or "no details")[:200]
        return SpotifyApiError(f"Spotify's login service refused the request while {what} ({description}).", 400)

    def _network_error(self, exc: requests.RequestException, what: str) -> SpotifyApiError:
        host = urlsplit(self.config.api_base).netloc
        if isinstance(exc, requests.Timeout):
            return SpotifyApiError(
                f"Spotify did not answer within {self.config.timeout:g} s while {what}. It may be slow or down: "
                "try again in a minute.",
            )
        if isinstance(exc, requests.ConnectionError):
            return SpotifyApiError(
                f"Cannot reach Spotify ({host}) while {what}. Check the internet connection"
                + (" and SPOTIFY_API_BASE." if self.config.api_base != DEFAULT_API_BASE else "."),
            )
        return SpotifyApiError(f"The request to Spotify failed while {what} ({type(exc).__name__}). Try again later.")

    # -- login ----------------------------------------------------------------------------

    @property
    def logged_in(self) -> bool:
        token = self.token_store.get(USER_TOKEN_KEY)
        return isinstance(token, Mapping) and bool(token.get("access_token"))

    def authorize_url(self, state: str) -> str:
        """The Spotify page where the user approves this app; it redirects back with a code."""
        self._user_client()
        assert self._user_auth is not None
        return self._user_auth.get_authorize_url(state=state)

    def log_in(self, code: str) -> dict[str, Any]:
        """Exchange the ``code`` from the redirect for a token (kept in ``token_store``).

        Returns the user's profile (``id``, ``display_name``).
        """
        if not code or not isinstance(code, str):
            raise SpotifyError("The redirect from Spotify carried no login code: log in again.")
        self._user_client()
        assert self._user_auth is not None
        auth = self._user_auth
        self.log_out()
        try:
            auth.get_access_token(code=code, as_dict=False, check_cache=False)
        except SpotifyOauthError as exc:
            raise self._oauth_error(exc, "logging in") from None
        except requests.RequestException as exc:
            raise self._network_error(exc, "logging in") from None
        return self.me()

    def log_out(self) -> None:
        self.token_store.pop(USER_TOKEN_KEY, None)

    def _require_login(self) -> spotipy.Spotify:
        sp = self._user_client()
        if not self.logged_in:
            raise SpotifyError("Log in with Spotify first (on the Spotify page).")
        return sp

    def me(self) -> dict[str, Any]:
        sp = self._require_login()
        data = self._call("reading your profile", sp.me, user=True) or {}
        profile = {"id": str(data.get("id") or ""), "display_name": str(data.get("display_name") or data.get("id") or "")}
        return profile
