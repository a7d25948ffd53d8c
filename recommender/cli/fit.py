"""``fit``: fit methods on a catalog into the fit cache that the app, ``serve`` and ``recommend``
read, so nobody waits for a fit that takes minutes (the ``learned`` re-ranker trains on the
catalog's playlists); ``--refit`` trains again."""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable

from ..cache import FitCache, dashboard_kind
from ..catalog import Catalog
from ..errors import TastemapError
from ..recommenders import METHODS, RECOMMENDERS, make_recommender
from ._common import add_catalog_option, catalog_from_args

# What `fit` fits when no method is named: every method the pages offer, and the learned one.
DEFAULT_FIT_METHODS: tuple[str, ...] = (*METHODS, "learned")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit",
        help="fit methods into the cache the app reads (train the learned re-ranker; --refit retrains)",
        description="Fit each method on the catalog and keep the fit in the fit cache "
        "(.tastemap/cache, or $TASTEMAP_CACHE_DIR), where the app, `serve` and `recommend` find "
        "it. A stored fit is reused unless --refit is given. Exit 0 when every method is ready, "
        "1 when one could not be fitted.",
    )
    add_catalog_option(p)
    p.add_argument("--methods", nargs="+", choices=sorted(RECOMMENDERS), default=None, metavar="NAME",
                   help=f"methods to fit (default: {' '.join(DEFAULT_FIT_METHODS)})")
    p.add_argument("--refit", action="store_true", help="fit again even when the cache holds a fit")
    p.set_defaults(func=fit_command)


def fit_command(args: argparse.Namespace) -> int:
    catalog = catalog_from_args(args)
    ready = fit_into_cache(catalog, args.methods or DEFAULT_FIT_METHODS, refit=args.refit)
    return 0 if all(ready.values()) else 1


def fit_into_cache(catalog: Catalog, methods: Iterable[str], *, refit: bool = False,
                   cache: FitCache | None = None, say: Callable[[str], None] = print) -> dict[str, bool]:
    """Fit each of ``methods`` on ``catalog`` through the fit cache under the app's keys; says
    one line per method. Returns method -> ready. A method that needs what this catalog lacks
    (``sound`` needs an audio library) is reported and counted as not ready."""
    cache = cache or FitCache()
    ready: dict[str, bool] = {}
    for method in methods:
        model = make_recommender(method)
        if getattr(model, "requires_sound", False) and catalog.sound is None:
            say(f"{method}: not fitted: it needs the sound of audio files (an audio library), which this catalog has not")
            ready[method] = False
            continue
        key = cache.fit_key(model, catalog, kind=dashboard_kind(method))
        fitted = None if refit else cache.load(key, catalog=catalog)
        how = "already in the cache"
        if fitted is None:
            started = time.perf_counter()
            try:
                fitted = model.fit(catalog)
            except TastemapError as exc:
                say(f"{method}: not fitted: {exc}")
                ready[method] = False
                continue
            how = f"fitted in {time.perf_counter() - started:.1f} s"
            try:
                cache.save(key, fitted, catalog=catalog)
            except OSError as exc:
                say(f"{method}: {how}, but the cache folder {cache.folder} cannot keep it ({exc.strerror or exc})")
                ready[method] = False
                continue
        say(f"{method}: {how}{_about(fitted)}")
        ready[method] = True
    return ready


def cached_fit(method: str, catalog: Catalog, cache: FitCache | None = None):  # noqa: ANN201 - a recommender
    """``method`` fitted on ``catalog``: the cached fit when ``fit`` stored one, else fitted here
    (and not stored: only ``fit`` and the app write the cache)."""
    model = make_recommender(method)
    try:
        cache = cache or FitCache()
        stored = cache.load(cache.fit_key(model, catalog, kind=dashboard_kind(method)), catalog=catalog)
    except Exception:  # noqa: BLE001 - an unusable cache only costs the fit
        stored = None
    return stored if stored is not None else model.fit(catalog)


def _about(model: object) -> str:
    """What a learned model learned from (or why it keeps the hand weights)."""
    fallback = getattr(model, "fallback_", None)
    if fallback:
        return f" (keeps the hand weights: {fallback})"
    training = getattr(model, "training_", None)
    if training:
        return (f" (learned from {training['queries']:,} playlist queries, {training['rows']:,} candidates, "
                f"{training['positives']:,} of them in their playlist)")
    return ""
