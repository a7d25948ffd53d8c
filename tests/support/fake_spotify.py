"""A small fake of the Spotify Web API and accounts service, on 127.0.0.1, for tests.

Standard library only (``http.server`` in a thread, a random free port). It speaks the parts
the app uses, with the behaviour of a development-mode app as of 2026:

* ``POST /api/token``: client credentials, authorization code, refresh token (HTTP Basic
  client authentication, ``invalid_client`` / ``invalid_grant`` errors);
* ``GET /authorize``: approves at once as :attr:`FakeSpotify.login_user` and redirects to the
  ``redirect_uri`` with ``code`` and ``state`` (or ``error=access_denied``);
* ``GET /v1/tracks/{id}``; ``GET /v1/tracks?ids=`` (403 in development mode);
  ``GET /v1/audio-features`` (403 unless ``audio_features=True``);
* ``GET /v1/playlists/{id}/items`` with offset/limit pagination (403 unless the user owns or
  collaborates on it, when ``owner_only``); ``GET /v1/me``; ``GET``/``POST /v1/me/playlists``;
  ``POST /v1/playlists/{id}/items`` (at most 100 URIs).

Scripted failures: :meth:`FakeSpotify.fail` queues answers (any status, headers such as
``Retry-After``, a delay past the client's timeout) for requests whose path matches a regex;
:meth:`FakeSpotify.expire_tokens` makes every issued access token answer 401.
Every request is recorded in :attr:`FakeSpotify.requests` (method, path, query, auth kind).
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "fakeclientid0123456789abcdef"
CLIENT_SECRET = "fake-secret-Zq8wX2vR7tY4"


def fake_id(n: int, prefix: str = "T") -> str:
    """A valid 22-character base62 ID: ``prefix`` then zero-padded ``n``."""
    return f"{prefix}{n:0{22 - len(prefix)}d}"


@dataclass
class Scripted:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    auth: str  # "app", "user:<id>", "basic", "none", "bad"
    body: Any = None


class FakeSpotify:
    """The fake server. Use as a context manager, or call :meth:`start` / :meth:`stop`."""

    def __init__(
        self,
        *,
        dev_mode: bool = True,
        audio_features: bool = False,
        owner_only: bool = True,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
    ) -> None:
        self.dev_mode = dev_mode
        self.audio_features = audio_features
        self.owner_only = owner_only
        self.client_id = client_id
        self.client_secret = client_secret
        self.tracks: dict[str, dict] = {}
        self.features: dict[str, dict] = {}
        self.playlists: dict[str, dict] = {}
        self.users: dict[str, dict] = {
            "alice": {"id": "alice", "display_name": "Alice Example", "type": "user"},
            "bob": {"id": "bob", "display_name": "Bob Example", "type": "user"},
        }
        self.login_user = "alice"
        self.deny_login = False
        self.app_tokens: set[str] = set()
        self.user_tokens: dict[str, str] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.codes: dict[str, tuple[str, str]] = {}
        self.expired: set[str] = set()
        self.requests: list[Recorded] = []
        self._scripts: list[tuple[str, re.Pattern, dict, list[int], deque[Scripted]]] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._next_playlist = 0

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeSpotify:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-spotify", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSpotify:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return self._server.server_address[1]

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api_base(self) -> str:
        return self.root + "v1/"

    @property
    def accounts_base(self) -> str:
        return self.root

    def env(self, redirect_uri: str | None = "http://127.0.0.1:8501/Spotify") -> dict[str, str]:
        """Environment variables that point the app at this fake."""
        env = {
            "SPOTIPY_CLIENT_ID": self.client_id,
            "SPOTIPY_CLIENT_SECRET": self.client_secret,
            "SPOTIFY_API_BASE": self.api_base,
            "SPOTIFY_ACCOUNTS_BASE": self.accounts_base,
        }
        if redirect_uri:
            env["SPOTIPY_REDIRECT_URI"] = redirect_uri
        return env

    # -- data -----------------------------------------------------------------------------

    def add_track(self, track_id: str, name: str | None = None, artists: tuple[str, ...] = ("Fake Artist",), *, features: dict | None = None) -> dict:
        track = {
            "id": track_id,
            "name": name or f"Song {track_id[-4:]}",
            "type": "track",
            "uri": f"spotify:track:{track_id}",
            "artists": [{"id": fake_id(i, "A"), "name": a, "type": "artist"} for i, a in enumerate(artists)],
            "album": {"id": fake_id(len(self.tracks), "L"), "name": "Fake Album", "release_date": "2021-05-07", "release_date_precision": "day"},
            "duration_ms": 201000,
            "explicit": False,
            "is_local": False,
            "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
        }
        with self._lock:
            self.tracks[track_id] = track
            if features is not None:
                self.features[track_id] = {"id": track_id, "type": "audio_features", **features}
        return track

    def add_tracks(self, n: int, prefix: str = "T", start: int = 0) -> list[str]:
        ids = [fake_id(start + i, prefix) for i in range(n)]
        for i in ids:
            self.add_track(i)
        return ids

    def add_playlist(self, playlist_id: str, name: str, owner: str, track_ids: list[str], *, extra: list[dict] | None = None, collaborators: tuple[str, ...] = ()) -> None:
        """A playlist holding ``track_ids`` (which must be known tracks) then ``extra`` raw entries."""
        entries = [{"added_at": "2025-01-01T00:00:00Z", "is_local": False, "item": self.tracks[t]} for t in track_ids]
        entries += extra or []
        with self._lock:
            self.playlists[playlist_id] = {
                "id": playlist_id,
                "name": name,
                "owner": owner,
                "collaborators": set(collaborators),
                "followers": set(),
                "entries": entries,
            }

    # -- scripting ------------------------------------------------------------------------

    def fail(
        self,
        path: str,
        status: int,
        *,
        times: int = 1,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: Any = None,
        delay: float = 0.0,
        query: dict[str, str] | None = None,
        after: int = 0,
    ) -> None:
        """Requests whose path matches regex ``path`` (and whose query has ``query``'s values)
        answer ``status``, ``times`` times, once ``after`` matching requests have passed.

        ``status=200`` with ``delay`` makes a slow but otherwise normal answer.
        """
        answer = Scripted(status, dict(headers or {}), body, delay)
        with self._lock:
            self._scripts.append(
                (method.upper(), re.compile(path), dict(query or {}), [after], deque([answer] * times))
            )

    def slow(self, path: str, seconds: float, *, times: int = 1, method: str = "GET", query: dict[str, str] | None = None) -> None:
        self.fail(path, 200, times=times, method=method, delay=seconds, query=query)

    def expire_tokens(self) -> None:
        """Every access token issued so far now answers 401 (refresh tokens still work)."""
        with self._lock:
            self.expired |= self.app_tokens | set(self.user_tokens)

    def count(self, method: str, path: str) -> int:
        pattern = re.compile(path)
        return sum(1 for r in self.requests if r.method == method.upper() and pattern.search(r.path))

    def calls(self, method: str, path: str) -> list[Recorded]:
        pattern = re.compile(path)
        return [r for r in self.requests if r.method == method.upper() and pattern.search(r.path)]

    def _scripted(self, method: str, path: str, query: dict[str, list[str]] | None = None) -> Scripted | None:
        query = query or {}
        with self._lock:
            for m, pattern, wanted, skip, queue in self._scripts:
                if m != method or not queue or not pattern.search(path):
                    continue
                if any(query.get(k, [None])[-1] != v for k, v in wanted.items()):
                    continue
                if skip[0] > 0:
                    skip[0] -= 1
                    continue
                return queue.popleft()
        return None

    # -- token endpoint -------------------------------------------------------------------

    def _issue(self, user: str | None) -> dict:
        token = "at_" + secrets.token_urlsafe(16)
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        with self._lock:
            if user is None:
                self.app_tokens.add(token)
            else:
                self.user_tokens[token] = user
        return answer

    def _token(self, auth_header: str, form: dict[str, str]) -> tuple[int, dict]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if auth_header != f"Basic {expected}":
            return 400, {"error": "invalid_client", "error_description": "Invalid client"}
        grant = form.get("grant_type")
        if grant == "client_credentials":
            return 200, self._issue(None)
        if grant == "authorization_code":
            with self._lock:
                found = self.codes.pop(form.get("code", ""), None)
            if found is None or found[1] != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "Invalid authorization code"}
            user = found[0]
            answer = self._issue(user)
            refresh = "rt_" + secrets.token_urlsafe(16)
            with self._lock:
                self.refresh_tokens[refresh] = user
            answer.update(refresh_token=refresh, scope=form.get("scope", ""))
            return 200, answer
        if grant == "refresh_token":
            user = self.refresh_tokens.get(form.get("refresh_token", ""))
            if user is None:
                return 400, {"error": "invalid_grant", "error_description": "Invalid refresh token"}
            return 200, self._issue(user)
        return 400, {"error": "unsupported_grant_type", "error_description": f"grant_type {grant!r}"}

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        if query.get("client_id") != self.client_id:
            return 400, {}
        redirect = query.get("redirect_uri", "")
        if self.deny_login:
            params = {"error": "access_denied", "state": query.get("state", "")}
        else:
            code = "code_" + secrets.token_urlsafe(12)
            with self._lock:
                self.codes[code] = (self.login_user, redirect)
            params = {"code": code, "state": query.get("state", "")}
        return 302, {"Location": f"{redirect}?{urlencode(params)}"}

    # -- Web API --------------------------------------------------------------------------

    def _who(self, auth_header: str) -> str:
        if not auth_header.startswith("Bearer "):
            return "none"
        token = auth_header[len("Bearer ") :]
        with self._lock:
            if token in self.expired:
                return "expired"
            if token in self.app_tokens:
                return "app"
            if token in self.user_tokens:
                return "user:" + self.user_tokens[token]
        return "bad"

    def _api(self, method: str, path: str, query: dict[str, list[str]], who: str, body: Any) -> tuple[int, Any]:
        q = {k: v[-1] for k, v in query.items()}
        user = who.split(":", 1)[1] if who.startswith("user:") else None
        parts = [p for p in path.split("/") if p][1:]  # drop "v1"
        err = lambda status, message: (status, {"error": {"status": status, "message": message}})  # noqa: E731

        if method == "GET" and parts == ["tracks"]:
            if self.dev_mode:
                return err(403, "Forbidden")
            ids = [i for i in q.get("ids", "").split(",") if i]
            return 200, {"tracks": [self.tracks.get(i) for i in ids]}
        if method == "GET" and len(parts) == 2 and parts[0] == "tracks":
            if not re.fullmatch(r"[0-9A-Za-z]{22}", parts[1]):
                return err(400, "Invalid base62 id")
            track = self.tracks.get(parts[1])
            return (200, track) if track else err(404, "Resource not found")
        if method == "GET" and parts and parts[0] == "audio-features":
            if not self.audio_features:
                return err(403, "Forbidden")
            ids = [i for i in q.get("ids", "").split(",") if i] or parts[1:2]
            return 200, {"audio_features": [self.features.get(i) for i in ids]}
        if method == "GET" and parts == ["me"]:
            if user is None:
                return err(401, "This request requires user authentication.")
            return 200, self.users[user]
        if parts == ["me", "playlists"]:
            if user is None:
                return err(401, "This request requires user authentication.")
            if method == "GET":
                mine = [p for p in self.playlists.values() if p["owner"] == user or user in p["followers"] or user in p["collaborators"]]
                return 200, self._page([self._simple(p) for p in mine], q, path, max_limit=50)
            if method == "POST":
                if not isinstance(body, dict) or not str(body.get("name", "")).strip():
                    return err(400, "Missing required field: name")
                with self._lock:
                    self._next_playlist += 1
                    pid = fake_id(self._next_playlist, "NEW")
                self.add_playlist(pid, body["name"], user, [])
                self.playlists[pid]["description"] = body.get("description", "")
                self.playlists[pid]["public"] = body.get("public", True)
                return 201, self._simple(self.playlists[pid])
        if len(parts) == 3 and parts[0] == "playlists" and parts[2] == "items":
            playlist = self.playlists.get(parts[1])
            if playlist is None:
                return err(404, "Resource not found")
            allowed = user is not None and (user == playlist["owner"] or user in playlist["collaborators"])
            if method == "GET":
                if self.owner_only and not allowed:
                    return err(403, "Forbidden")
                return 200, self._page(playlist["entries"], q, path, max_limit=50)
            if method == "POST":
                if not allowed:
                    return err(403, "You cannot add tracks to a playlist you don't own.")
                uris = body if isinstance(body, list) else (body or {}).get("uris", [])
                if len(uris) > 100:
                    return err(400, "You can add a maximum of 100 tracks per request.")
                for uri in uris:
                    track_id = str(uri).rsplit(":", 1)[-1]
                    item = self.tracks.get(track_id) or {"id": track_id, "name": "?", "type": "track", "artists": []}
                    playlist["entries"].append({"added_at": "2026-03-01T00:00:00Z", "is_local": False, "item": item})
                return 201, {"snapshot_id": secrets.token_hex(8)}
        return err(404, "Service not found")

    @staticmethod
    def _simple(p: dict) -> dict:
        return {
            "id": p["id"],
            "name": p["name"],
            "owner": {"id": p["owner"], "display_name": p["owner"].title()},
            "items": {"href": None, "total": len(p["entries"])},
            "tracks": None,
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{p['id']}"},
        }

    def _page(self, items: list, q: dict[str, str], path: str, *, max_limit: int) -> dict:
        limit = int(q.get("limit", 20))
        offset = int(q.get("offset", 0))
        if not 1 <= limit <= max_limit:
            return {"error": {"status": 400, "message": "Invalid limit"}}
        chunk = items[offset : offset + limit]
        base = self.root.rstrip("/") + path
        nxt = f"{base}?offset={offset + limit}&limit={limit}" if offset + limit < len(items) else None
        return {"href": f"{base}?offset={offset}&limit={limit}", "items": chunk, "limit": limit, "next": nxt, "offset": offset, "previous": None, "total": len(items)}


def _make_handler(fake: FakeSpotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            try:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = parts.path.rstrip("/") or "/"
            query = parse_qs(parts.query)
            raw = self._body()
            auth_header = self.headers.get("Authorization", "")
            if path == "/api/token" and method == "POST":
                form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
                fake.requests.append(Recorded(method, path, {}, "basic" if auth_header.startswith("Basic ") else "none", None))
                scripted = fake._scripted(method, path)
                if scripted is not None:
                    time.sleep(scripted.delay)
                    if scripted.status != 200:
                        self._send(scripted.status, scripted.body or {"error": "server_error"}, scripted.headers)
                        return
                status, answer = fake._token(auth_header, form)
                self._send(status, answer)
                return
            if path == "/authorize" and method == "GET":
                fake.requests.append(Recorded(method, path, query, "none"))
                status, headers = fake._authorize({k: v[-1] for k, v in query.items()})
                self._send(status, None if status == 302 else {"error": "invalid_client"}, headers)
                return
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                self._send(400, {"error": {"status": 400, "message": "Malformed JSON"}})
                return
            who = fake._who(auth_header)
            fake.requests.append(Recorded(method, path, query, who, body))
            scripted = fake._scripted(method, path, query)
            if scripted is not None:
                time.sleep(scripted.delay)
                if scripted.status != 200:
                    body_out = scripted.body if scripted.body is not None else {"error": {"status": scripted.status, "message": "Scripted failure"}}
                    self._send(scripted.status, body_out, scripted.headers)
                    return
            if who in ("none", "bad", "expired"):
                message = "The access token expired" if who == "expired" else "Invalid access token"
                self._send(401, {"error": {"status": 401, "message": message}})
                return
            status, answer = fake._api(method, path, query, who, body)
            if isinstance(answer, dict) and "error" in answer and status == 200:
                status = answer["error"]["status"]
            self._send(status, answer)

        def do_GET(self) -> None:  # noqa: N802
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

    return Handler
