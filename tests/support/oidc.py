"""A real OpenID Connect provider for tests: ``oidc-provider-mock`` (a Flask app) served by
Werkzeug's threaded server on a free 127.0.0.1 port, and the ``secrets.toml`` that points
Streamlit's ``st.login`` at it.

The provider speaks the real protocol (discovery, authorization form, code + PKCE exchange,
signed ID tokens, end_session); any client ID and secret are accepted. Tests register users
with :meth:`OidcProvider.add_user`; the authorization form signs in whoever's ``sub`` is typed.
"""
from __future__ import annotations

import contextlib
import json
import secrets
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

CLIENT_ID = "tastemap-tests"
CLIENT_SECRET = "not-a-real-secret"


@dataclass(frozen=True)
class OidcProvider:
    url: str  # the issuer: http://127.0.0.1:PORT

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def add_user(self, sub: str, **claims: object) -> None:
        """Register ``sub`` with the claims its ID token carries (email, name, ...)."""
        request = urllib.request.Request(f"{self.url}/users/{quote(sub, safe='')}", method="PUT",
                                         data=json.dumps(claims).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - our own loopback server
            assert answer.status == 204, answer.status

    def owner_of(self, sub: str) -> str:
        """The label store's owner id the app gives this account (issuer#subject)."""
        return f"{self.url}#{sub}"


@contextlib.contextmanager
def running_provider(*, token_max_age: timedelta = timedelta(hours=1)) -> Iterator[OidcProvider]:
    """Start the provider; yields once its discovery document answers; stops it at the end.
    ``token_max_age``: how long its ID tokens hold (``exp``)."""
    oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
    from werkzeug.serving import make_server

    app = oidc_provider_mock.app(access_token_max_age=token_max_age)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    provider = OidcProvider(f"http://127.0.0.1:{server.server_port}")
    try:
        # The socket listens from make_server on; this answers once the app serves requests.
        with urllib.request.urlopen(provider.metadata_url, timeout=30) as answer:  # noqa: S310 - loopback
            assert json.load(answer)["issuer"] == provider.url
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=30)
        server.server_close()


def write_secrets(folder: Path, provider: OidcProvider, *, allow_anonymous: bool = False,
                  extra: str = "") -> Path:
    """A ``secrets.toml`` with an ``[auth]`` section for ``provider``; ``{port}`` in the redirect
    URI is filled in by Streamlit with the port it serves on."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secrets.toml"
    top = "allow_anonymous = true\n" if allow_anonymous else ""
    path.write_text(
        f"{top}{extra}\n[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n',
        encoding="utf-8",
    )
    return path
