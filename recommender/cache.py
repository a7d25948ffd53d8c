"""Fitted state on disk, so a restart on the same catalog file does not refit.

A cache entry is one file: a magic line, a JSON header, then the pickled payload. The header
holds the entry's key (what it was fitted on: the catalog's ``content_hash``, the settings,
including an estimator's class-level settings such as the hybrid's ``DEFAULT_WEIGHTS``, a
fingerprint of the library's code, the library version and this format's version) and the payload's length and SHA-256. On
load every one of these is checked; a file that is truncated, corrupt, written for other
settings or another catalog, or by another library version is reported with a warning,
deleted and rebuilt, never used. Files are written with :func:`~recommender.files.atomic_write_bytes`,
so a crash mid-write leaves the old entry or none.

The folder is ``$TASTEMAP_CACHE_DIR`` if set, else ``.tastemap/cache`` in the repository root
(git-ignored). The checksum guards against damage, not against someone who can write to the
folder: the payload is a pickle, so only point the cache at a folder you own.

>>> cache = FitCache()                                               # doctest: +SKIP
>>> model = cache.fitted(SimilarRecommender(), catalog)              # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import pickle
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .errors import CacheError  # defined with the other errors; imported here for old callers
from .files import atomic_write_bytes

_log = logging.getLogger(__name__)

__all__ = ["CACHE_ENV", "FORMAT_VERSION", "CacheKey", "FitCache", "class_settings", "code_fingerprint", "dashboard_kind",
           "default_cache_dir"]

CACHE_ENV = "TASTEMAP_CACHE_DIR"
FORMAT_VERSION = 1
MAGIC = b"TASTEMAP-FIT-CACHE\n"
SUFFIX = ".tmcache"
_HEADER_LEN = struct.Struct("<Q")  # 8-byte little-endian length of the JSON header
_MAX_HEADER = 1 << 20
_CATALOG_REF = "tastemap:catalog"

T = TypeVar("T")


def dashboard_kind(method: str) -> str:
    """The cache kind of ``method``'s fit as the app stores it (and ``tastemap fit``, ``serve``
    and ``tastemap recommend`` find it)."""
    return f"dashboard-{method}"


def default_cache_dir() -> Path:
    """``$TASTEMAP_CACHE_DIR``, else ``<repo>/.tastemap/cache``."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent / ".tastemap" / "cache"


def _canonical(value: Any) -> Any:
    """Settings as plain JSON (sorted keys, tuples as lists, numpy scalars as numbers)."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_canonical(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, range):
        return {"range": [value.start, value.stop, value.step]}
    return repr(value)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of every module of the library as it is on disk: after any change to the code
    (a weight, a signal, a loader fix), fits made by the old code miss instead of being served."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def class_settings(estimator: object) -> dict[str, Any]:
    """An estimator class's upper-case attributes (e.g. ``DEFAULT_WEIGHTS``): settings that
    change a fit's result without being parameters of ``__init__``."""
    cls = type(estimator)
    return {name: getattr(cls, name) for name in dir(cls)
            if name.isupper() and not name.startswith("_") and not callable(getattr(cls, name))}


@dataclass(frozen=True)
class CacheKey:
    """What an entry was fitted on; equal keys mean the entry can be reused."""

    kind: str
    catalog_hash: str
    settings: Mapping[str, Any]
    code: str = field(default_factory=code_fingerprint)
    library_version: str = __version__
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "catalog_hash": self.catalog_hash,
            "settings": _canonical(self.settings),
            "code": self.code,
            "library_version": self.library_version,
            "format_version": self.format_version,
        }

    @property
    def digest(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def filename(self) -> str:
        safe_kind = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.kind)[:40]
        return f"{safe_kind}-{self.catalog_hash[:12]}-{self.digest[:16]}{SUFFIX}"


class _Pickler(pickle.Pickler):
    """Writes the catalog as a reference: the caller's catalog is re-attached on load."""

    def __init__(self, file, catalog: object | None) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._catalog = catalog

    def persistent_id(self, obj: object) -> str | None:
        return _CATALOG_REF if self._catalog is not None and obj is self._catalog else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, catalog: object | None) -> None:
        super().__init__(file)
        self._catalog = catalog

    def persistent_load(self, pid: str) -> object:
        if pid == _CATALOG_REF and self._catalog is not None:
            return self._catalog
        raise CacheError(f"unknown reference {pid!r} in the payload")


class FitCache:
    """Fitted objects on disk, keyed by catalog content and settings.

    Parameters
    ----------
    folder:
        Where entries live (default :func:`default_cache_dir`).
    max_entries:
        Older entries (by last use) beyond this count are deleted after each write.
    """

    def __init__(self, folder: str | os.PathLike | None = None, *, max_entries: int = 16) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.max_entries = int(max_entries)

    def __repr__(self) -> str:
        return f"FitCache({str(self.folder)!r})"

    def key(self, kind: str, catalog: Any, settings: Mapping[str, Any] | None = None) -> CacheKey:
        """The key for ``kind`` fitted on ``catalog`` (a Catalog or its content hash)."""
        catalog_hash = catalog if isinstance(catalog, str) else catalog.content_hash
        return CacheKey(kind=kind, catalog_hash=catalog_hash, settings=dict(settings or {}))

    def path(self, key: CacheKey) -> Path:
        return self.folder / key.filename

    # ------------------------------------------------------------------ read / write
    def save(self, key: CacheKey, value: Any, *, catalog: object | None = None) -> Path:
        """Write ``value`` atomically; ``catalog`` (if given) is stored as a reference only."""
        buffer = io.BytesIO()
        _Pickler(buffer, catalog).dump(value)
        payload = buffer.getbuffer()
        header = json.dumps(
            {
                "key": key.to_dict(),
                "payload_bytes": len(payload),
                "payload_sha256": hashlib.sha256(payload).hexdigest(),
            },
            sort_keys=True,
        ).encode("utf-8")
        blob = b"".join([MAGIC, _HEADER_LEN.pack(len(header)), header, payload])
        del payload
        path = atomic_write_bytes(self.path(key), blob)
        _log.info("cache: wrote %s (%.1f MB)", path.name, len(blob) / 1e6)
        self._prune(keep=path)
        return path

    def load(self, key: CacheKey, *, catalog: object | None = None) -> Any | None:
        """The cached value for ``key``, or None when there is none or it cannot be trusted.

        An unusable file (truncated, corrupt, stale) is logged as a warning and deleted.
        """
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            _log.warning("cache: cannot read %s (%s); refitting", path, exc)
            return None
        try:
            value = self._decode(data, key, catalog)
        except CacheError as exc:
            _log.warning("cache: ignoring %s: %s; refitting and replacing it", path.name, exc)
            self._remove(path)
            return None
        try:
            os.utime(path)  # last use, for pruning
        except OSError:
            pass
        _log.info("cache: hit %s", path.name)
        return value

    def get_or_build(
        self, key: CacheKey, build: Callable[[], T], *, catalog: object | None = None
    ) -> T:
        """The cached value for ``key``, else ``build()`` saved under ``key``."""
        value = self.load(key, catalog=catalog)
        if value is not None:
            return value
        value = build()
        try:
            self.save(key, value, catalog=catalog)
        except OSError as exc:  # a read-only or full disk must not stop the app
            _log.warning("cache: cannot write to %s (%s); continuing without a cache", self.folder, exc)
        return value

    def fitted(self, estimator: T, catalog: Any, *, kind: str | None = None,
               on_step: Callable[[int, int, str], None] | None = None) -> T:
        """``estimator`` fitted on ``catalog``, from the cache when an identical fit is stored
        (``on_step``, when given, goes to the estimator's ``fit``: its progress).

        The key is the estimator's class, its ``get_params()``, its class-level settings
        (:func:`class_settings`), the library's code (:func:`code_fingerprint`) and the
        catalog's content hash. The catalog itself is not stored: the cached estimator gets
        ``catalog`` back.
        """
        key = self.fit_key(estimator, catalog, kind=kind)
        fit = (lambda: estimator.fit(catalog)) if on_step is None else (lambda: estimator.fit(catalog, on_step=on_step))
        return self.get_or_build(key, fit, catalog=catalog)

    def fit_key(self, estimator: Any, catalog: Any, *, kind: str | None = None) -> CacheKey:
        """The key :meth:`fitted` stores ``estimator``'s fit on ``catalog`` under."""
        params = estimator.get_params() if hasattr(estimator, "get_params") else {}
        params = {**params, **{f"class.{name}": value for name, value in class_settings(estimator).items()}}
        name = kind or f"{type(estimator).__module__}.{type(estimator).__qualname__}"
        return self.key(name, catalog, params)

    def clear(self) -> int:
        """Delete every entry; returns how many were deleted."""
        removed = 0
        for path in self._entries():
            removed += self._remove(path)
        return removed

    # ------------------------------------------------------------------ internals
    def _decode(self, data: bytes, key: CacheKey, catalog: object | None) -> Any:
        view = memoryview(data)
        if not data.startswith(MAGIC):
            raise CacheError("not a Tastemap cache file (bad magic)")
        at = len(MAGIC)
        if len(data) < at + _HEADER_LEN.size:
            raise CacheError("truncated header")
        (header_len,) = _HEADER_LEN.unpack_from(data, at)
        at += _HEADER_LEN.size
        if header_len > _MAX_HEADER or len(data) < at + header_len:
            raise CacheError("truncated or damaged header")
        try:
            header = json.loads(bytes(view[at : at + header_len]).decode("utf-8"))
            stored_key = header["key"]
            size = int(header["payload_bytes"])
            checksum = str(header["payload_sha256"])
        except (ValueError, KeyError, TypeError) as exc:
            raise CacheError(f"unreadable header ({exc})") from None
        if stored_key != key.to_dict():
            changed = sorted(k for k in key.to_dict() if stored_key.get(k) != key.to_dict()[k]) if isinstance(stored_key, dict) else ["key"]
            raise CacheError(f"stale: fitted with a different {', '.join(changed)}")
        payload = view[at + header_len :]
        if len(payload) != size:
            raise CacheError(f"truncated: {len(payload):,} of {size:,} payload bytes")
        if hashlib.sha256(payload).hexdigest() != checksum:
            raise CacheError("checksum mismatch (the file is corrupt)")
        try:
            return _Unpickler(io.BytesIO(payload), catalog).load()
        except CacheError:
            raise
        except Exception as exc:  # a checksum-valid payload that still fails: other code
            raise CacheError(f"payload cannot be restored ({type(exc).__name__}: {exc})") from None

    def _entries(self) -> list[Path]:
        try:
            return [p for p in self.folder.iterdir() if p.name.endswith(SUFFIX)]
        except OSError:
            return []

    def _prune(self, keep: Path) -> None:
        entries = sorted(self._entries(), key=lambda p: _mtime(p), reverse=True)
        for path in entries[self.max_entries :]:
            if path != keep:
                self._remove(path)

    @staticmethod
    def _remove(path: Path) -> int:
        try:
            path.unlink()
            return 1
        except OSError:
            return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
