"""The operator's secrets (``.streamlit/secrets.toml``), read at most once per key per script run.

A page asks several times a run (sign-in, the label store's database); without a secrets file
Streamlit looks for the files again on every ask, under its lock: under load that was ~5 % of
the server's time holding the GIL (py-spy --gil, docs/reliability.md). A value is remembered
for the rest of the run only, so an edited secrets file counts from the next run on.
"""
from __future__ import annotations

import threading
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

__all__ = ["secret"]

_lock = threading.Lock()
# session id -> (the run's cursors dict, {name: value}). ScriptRunContext.reset gives every run a
# new cursors dict, so identity tells runs apart; one entry per session, replaced each run.
_by_session: dict[str, tuple[object, dict[str, Any]]] = {}
_MAX_SESSIONS = 10_000


def _read(name: str) -> Any:
    try:
        return st.secrets.get(name)
    except Exception:  # noqa: BLE001 - no secrets file, or an unreadable one: it configures nothing
        return None


def secret(name: str) -> Any:
    """``st.secrets[name]``, or None when it (or any secrets file) is missing or unreadable."""
    ctx = get_script_run_ctx(suppress_warning=True)
    run = getattr(ctx, "cursors", None)
    if ctx is None or run is None:
        return _read(name)
    with _lock:
        entry = _by_session.get(ctx.session_id)
        if entry is not None and entry[0] is run and name in entry[1]:
            return entry[1][name]
    value = _read(name)
    with _lock:
        entry = _by_session.get(ctx.session_id)
        if entry is None or entry[0] is not run:
            if len(_by_session) >= _MAX_SESSIONS:
                _by_session.clear()
            entry = (run, {})
            _by_session[ctx.session_id] = entry
        entry[1][name] = value
    return value
