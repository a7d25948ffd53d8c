"""``validate`` and ``info``: check a data file, summarise a catalog."""
from __future__ import annotations

import argparse
import sys

from ..catalog import load_catalog
from ..errors import CatalogError
from ._common import add_catalog_option, add_format_option, catalog_from_args, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="load a data file and print its load report")
    p.add_argument("path", metavar="PATH", help="CSV, CSV.gz or Parquet file")
    add_format_option(p, ("text", "json"))
    p.set_defaults(func=validate)

    p = sub.add_parser("info", help="tracks, artists, genres, playlists and feature ranges")
    add_catalog_option(p)
    add_format_option(p, ("text", "json"))
    p.set_defaults(func=info)


def validate(args: argparse.Namespace) -> int:
    try:
        catalog = load_catalog(args.path)
    except CatalogError as exc:
        if args.format == "json":
            print_json({"usable": False, "error": str(exc)})
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = catalog.report
    if args.format == "json":
        print_json({"usable": True, **report.to_dict()})
    else:
        print("\n".join(report.summary_lines()))
    return 0


def info(args: argparse.Namespace) -> int:
    summary = catalog_from_args(args).summary()
    if args.format == "json":
        print_json(summary)
        return 0
    for key in ("name", "tracks", "artists", "genres", "subgenres", "playlists", "popularity_known"):
        print(f"{key}: {summary[key]:,}" if isinstance(summary[key], int) else f"{key}: {summary[key]}")
    print(f"popularity range: {summary['popularity_range']}")
    print(f"release years: {summary['year_range']}")
    print("feature ranges (min / median / max):")
    for name, r in summary["feature_ranges"].items():
        print(f"  {name:<17} {r['min']:>12g} {r['median']:>12g} {r['max']:>12g}")
    return 0
