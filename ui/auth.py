"""Who is using the app: sign-in with Streamlit's ``st.login`` (OpenID Connect).

Sign-in is on when ``.streamlit/secrets.toml`` has an ``[auth]`` section (redirect_uri,
cookie_secret, client_id, client_secret, server_metadata_url). Then a person must sign in
before any page runs, unless the operator allows anonymous use explicitly
(``TASTEMAP_ALLOW_ANONYMOUS=1`` or ``allow_anonymous = true`` in the secrets). Without
``[auth]`` (one person on their own machine) nothing changes: no gate, owner ''.

A signed-in person's labels and profiles belong to :func:`owner`: the ID token's issuer and
subject (stable for one account at one provider; an e-mail address can change hands). The id
is read from ``st.user`` of this session on every call and never kept in a shared cache.
"""
from __future__ import annotations

import hashlib
import os
import time

import streamlit as st

from recommender.errors import TastemapError
from ui.run_secrets import secret
from ui.text import md_escape

__all__ = ["ALLOW_ANONYMOUS_ENV", "SignInRequired", "account_control", "anonymous_allowed", "auth_configured",
           "owner", "require_sign_in", "sign_in_required", "sign_in_screen", "signed_in_user"]

ALLOW_ANONYMOUS_ENV = "TASTEMAP_ALLOW_ANONYMOUS"
_TRUE = {"1", "true", "yes", "on"}
_MAX_OWNER = 200  # the label store's limit


class SignInRequired(TastemapError):
    """This session may not read or write labels before the person signs in."""


def auth_configured() -> bool:
    """Whether the operator set up sign-in (an ``[auth]`` section in the secrets)."""
    section = secret("auth")
    return hasattr(section, "keys") and len(section) > 0


def anonymous_allowed() -> bool:
    """Whether the operator allows use without signing in (only matters with ``[auth]``)."""
    env = os.environ.get(ALLOW_ANONYMOUS_ENV, "").strip().lower()
    if env:
        return env in _TRUE
    value = secret("allow_anonymous")
    return value is True or str(value).strip().lower() in _TRUE


def sign_in_required() -> bool:
    return auth_configured() and not anonymous_allowed()


def _user() -> dict:
    try:
        return dict(st.user.to_dict())
    except Exception:  # noqa: BLE001 - no script context (a plain import): nobody is signed in
        return {}


def _expired(info: dict) -> bool:
    """The provider's ID token said how long the sign-in holds (``exp``); past it, sign in again.
    (Streamlit's own cookie lives 30 days whatever the provider said.)"""
    exp = info.get("exp")
    try:
        return exp is not None and float(exp) <= time.time()
    except (TypeError, ValueError):
        return True  # an unreadable expiry is not trusted


def signed_in_user() -> dict | None:
    """The signed-in person's claims (``iss``, ``sub``, ``email``, ...) when sign-in is configured
    and their sign-in holds; None otherwise (not signed in, expired, or no subject)."""
    if not auth_configured():
        return None
    info = _user()
    if not info.get("is_logged_in") or _expired(info):
        return None
    if not str(info.get("sub") or "").strip() or not str(info.get("iss") or "").strip():
        return None
    return info


def owner() -> str:
    """Whose labels this session reads and writes: '' without sign-in (this machine, or anonymous
    use the operator allowed), else the signed-in account's ``issuer#subject``.

    Raises :class:`SignInRequired` when sign-in is required and nobody (still) is."""
    info = signed_in_user()
    if info is None:
        if sign_in_required():
            raise SignInRequired("Sign in to see and save your labels.")
        return ""
    stable = f"{str(info['iss']).strip()}#{str(info['sub']).strip()}"
    if len(stable) > _MAX_OWNER or any(ord(ch) < 32 for ch in stable):
        stable = "oidc-sha256:" + hashlib.sha256(stable.encode("utf-8")).hexdigest()
    return stable


def _display_name(info: dict) -> str:
    for key in ("name", "email", "preferred_username", "sub"):
        value = str(info.get(key) or "").strip()
        if value:
            return value
    return "you"


def _login() -> None:
    try:
        st.login()
    except Exception as exc:  # noqa: BLE001 - a misconfigured [auth] must say so, not show a trace
        st.error("Sign-in is set up on this server but cannot start: "
                 + md_escape(f"{type(exc).__name__}: {exc}")
                 + ". Ask whoever runs it to check the [auth] section of its secrets (see docs/sharing.md).")


def sign_in_screen() -> None:
    """What a session that must sign in first sees, at every page's address."""
    info = _user()
    st.title("Tastemap")
    if info.get("is_logged_in"):
        st.warning("Your sign-in has ended. Sign in again to go on.")
    st.write("Sign in to use Tastemap. Your labels and taste profiles are kept for you alone: nobody else "
             "who uses this server sees or changes them.")
    if st.button("Sign in", key="auth_sign_in", type="primary"):
        _login()


def require_sign_in() -> None:
    """Show the sign-in screen and stop this run when the session must sign in first.

    For a page script that runs without :func:`ui.pages.navigation`: on a freshly started
    server, Streamlit answers the first request for a page's address (``/Taste``) from the
    ``pages/`` folder directly, before any run of ``app.py`` has switched to the navigation."""
    if sign_in_required() and signed_in_user() is None:
        sign_in_screen()
        st.stop()


def account_control() -> None:
    """In the sidebar: who is signed in and a Sign out button; with anonymous use allowed, a Sign in
    button. Nothing at all without ``[auth]``."""
    if not auth_configured():
        return
    info = signed_in_user()
    with st.sidebar:
        if info is None:
            st.caption("You are not signed in: your labels are kept in the shared anonymous space.")
            if st.button("Sign in", key="auth_sidebar_sign_in"):
                _login()
            return
        st.caption(f"Signed in as {md_escape(_display_name(info))}")
        if st.button("Sign out", key="auth_sign_out"):
            st.logout()  # the browser is sent to sign out, and comes back in a new, empty session
            st.stop()  # nothing more of the page for this run (the redirect is already on its way)
