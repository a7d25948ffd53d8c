"""Seeds resolved once per request: parsed, looked up, and every rejected item with its reason.

The Recommend page, the CLI and the engine all call :func:`resolve_seeds`; the engine accepts
the resulting :class:`SeedSet` as it is (no second parse, no second look-up), and the page
shows the same ``invalid`` / ``not_in_catalog`` reasons the engine would report.

>>> seeds = resolve_seeds(catalog, "spotify:track:6f807x0ima9a1j3VPbc7VN, nope")  # doctest: +SKIP
>>> seeds.found, [t.reason for t in seeds.invalid]                                # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .catalog import Catalog
from .errors import SeedError
from .ids import InvalidToken, parse_tokens, parse_track_ids

__all__ = ["SeedSet", "resolve_seeds"]


@dataclass(frozen=True)
class SeedSet:
    """Seeds as given, resolved against one catalog.

    ``ids``: every parsed track ID in input order, without repeats; ``found`` / ``positions``:
    those in the catalog and their rows; ``not_in_catalog``: valid IDs the catalog lacks;
    ``invalid``: items that are no track ID, each with its reason; ``duplicates``: repeats
    counted once.
    """

    ids: tuple[str, ...] = ()
    found: tuple[str, ...] = ()
    positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    not_in_catalog: tuple[str, ...] = ()
    invalid: tuple[InvalidToken, ...] = ()
    duplicates: int = 0
    catalog_name: str = ""

    def __bool__(self) -> bool:  # truthy when at least one seed is usable
        return bool(self.found)

    def resolved_in(self, catalog: Catalog) -> bool:
        """Whether the positions are rows of ``catalog`` (the same IDs at those rows)."""
        if len(self.positions) != len(self.found) or (len(self.positions) and self.positions.max() >= len(catalog)):
            return False
        ids = catalog.tracks["track_id"]
        return all(ids.iat[p] == t for p, t in zip(self.positions.tolist(), self.found))

    def error(self) -> SeedError:
        """Why no seed can be used (for methods that need seeds)."""
        if not self.ids and not self.invalid:
            return SeedError("no seed tracks given: paste Spotify track IDs, URIs or links.")
        if not self.ids:
            reasons = "; ".join(t.reason for t in self.invalid[:3])
            more = f" (and {len(self.invalid) - 3} more)" if len(self.invalid) > 3 else ""
            return SeedError(f"none of the pasted items is a track ID: {reasons}{more}.")
        shown = ", ".join(self.ids[:3]) + (f" and {len(self.ids) - 3} more" if len(self.ids) > 3 else "")
        return SeedError(
            f"none of the {len(self.ids)} seed track(s) is in the catalog {self.catalog_name!r} ({shown}); "
            "pick seeds from the catalog, or load a catalog that holds them."
        )


def resolve_seeds(catalog: Catalog, seeds: str | Iterable[str] | SeedSet | None) -> SeedSet:
    """Parse pasted text (IDs, ``spotify:track:`` URIs, open.spotify.com links, mixed) or a
    list of such items, and look the IDs up in ``catalog``; a :class:`SeedSet` already
    resolved in this catalog comes back as it is. Never raises on user text."""
    if isinstance(seeds, SeedSet) and seeds.resolved_in(catalog):
        return seeds
    if isinstance(seeds, SeedSet):
        seeds = list(seeds.ids)
    parsed = parse_track_ids(seeds) if isinstance(seeds, str) else parse_tokens(seeds or ())
    ids, invalid, duplicates = list(parsed.ids), list(parsed.invalid), parsed.duplicates
    positions = catalog.positions(ids) if ids else np.zeros(0, dtype=np.int64)
    positions = np.asarray(positions, dtype=np.int64)
    found_mask = positions >= 0
    return SeedSet(
        ids=tuple(ids),
        found=tuple(t for t, ok in zip(ids, found_mask) if ok),
        positions=positions[found_mask],
        not_in_catalog=tuple(t for t, ok in zip(ids, found_mask) if not ok),
        invalid=tuple(invalid),
        duplicates=duplicates,
        catalog_name=catalog.name,
    )
