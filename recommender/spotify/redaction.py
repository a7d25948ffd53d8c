"""Keep tokens, auth headers, login codes and the client secret out of logs and messages.

spotipy logs request headers (``Authorization: Bearer ...``) and token request bodies at DEBUG
level, so a filter rewrites every record on spotipy's, urllib3's and this package's loggers.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

__all__ = ["LOGGER_NAME", "RedactingFilter", "install_redaction", "redact"]

# One logger for the whole package: a logger's filters do not see records logged by its
# children, so every module logs here, where the redacting filter sits.
LOGGER_NAME = "recommender.spotify"

_REDACTED = "[redacted]"
_SECRET_PATTERNS = (
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(\bbasic\s+)[A-Za-z0-9+/=]+"),
    re.compile(
        r"""(?i)(['"]?\b(?:access_token|refresh_token|client_secret|code)['"]?\s*[:=]\s*['"]?)"""
        r"""[^'"\s,&}]+"""
    ),
)


def redact(text: object, extra: Iterable[str] = ()) -> str:
    """``text`` with tokens, auth headers, login codes and the given secrets replaced."""
    out = str(text)
    for secret in extra:
        if secret and len(secret) >= 4:
            out = out.replace(secret, _REDACTED)
    for pattern in _SECRET_PATTERNS:
        out = pattern.sub(lambda m: m.group(1) + _REDACTED, out)
    return out


class RedactingFilter(logging.Filter):
    """Rewrites log records so no token, auth header, login code or client secret survives.

    spotipy logs request headers (``Authorization: Bearer ...``) and token request bodies at
    DEBUG level; this filter sits on its loggers and on ours.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add_secret(self, secret: str | None) -> None:
        # Only the app's client secret is registered (it is the same for every user);
        # user tokens are caught by the patterns, so no per-user value is kept here.
        if secret:
            with self._lock:
                self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not leak its raw args either
            message = str(record.msg)
        with self._lock:
            known = tuple(self._secrets)
        record.msg = redact(message, known)
        record.args = None
        if record.name.startswith("spotipy") and record.levelno >= logging.ERROR and message.startswith(("HTTP Error", "Max Retries")):
            # spotipy logs every HTTP error as ERROR; SpotifyClient handles and explains them.
            record.levelno, record.levelname = logging.INFO, "INFO"
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info), known)
            record.exc_info = None
        return True


_FILTER = RedactingFilter()
_FILTERED_LOGGERS = (
    "spotipy",
    "spotipy.client",
    "spotipy.oauth2",
    "spotipy.util",
    "spotipy.cache_handler",
    "urllib3.connectionpool",
    LOGGER_NAME,
)
_installed = False
_install_lock = threading.Lock()


def install_redaction(secret: str | None = None) -> RedactingFilter:
    """Put the redacting filter on spotipy's, urllib3's and this package's loggers (once)."""
    global _installed
    with _install_lock:
        if not _installed:
            for name in _FILTERED_LOGGERS:
                logging.getLogger(name).addFilter(_FILTER)
            _installed = True
    _FILTER.add_secret(secret)
    return _FILTER


install_redaction()
