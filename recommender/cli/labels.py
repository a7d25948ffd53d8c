"""``labels import | export | profiles``: the label store from the command line, for scripts and
for checking a deployment. ``TASTEMAP_DATABASE_URL`` set: PostgreSQL; unset: the SQLite file."""
from __future__ import annotations

import argparse
import sys

from ..label_store import DEFAULT_PROFILE, open_label_store
from ..taste import explain_import
from ._common import add_format_option, print_json, print_table

_OWNER_HELP = "whose rows to use (default '': anonymous / this machine; a signed-in person's id on a shared server)"


def register(sub: argparse._SubParsersAction) -> None:
    labels = sub.add_parser("labels", help="liked/disliked labels in the label store: import, export, list profiles")
    commands = labels.add_subparsers(dest="labels_command", metavar="SUBCOMMAND", required=True)

    p = commands.add_parser("import", help="add the labels of a file to a profile (same track = updated, not doubled)")
    p.add_argument("file", metavar="FILE", help="labelled file: any catalog layout plus a target/liked/label/like column")
    p.add_argument("--profile", default=DEFAULT_PROFILE, help=f"profile name (default {DEFAULT_PROFILE!r})")
    p.add_argument("--replace", action="store_true", help="replace the profile's labels instead of adding to them")
    p.add_argument("--owner", default="", help=_OWNER_HELP)
    add_format_option(p)
    p.set_defaults(func=import_labels)

    p = commands.add_parser("export", help="print a profile's labels (CSV is spreadsheet-safe and imports back)")
    p.add_argument("--profile", default=DEFAULT_PROFILE, help=f"profile name (default {DEFAULT_PROFILE!r})")
    p.add_argument("--owner", default="", help=_OWNER_HELP)
    add_format_option(p, ("csv", "json"))
    p.set_defaults(func=export_labels)

    p = commands.add_parser("profiles", help="list the profiles and how many labels each holds")
    p.add_argument("--owner", default="", help=_OWNER_HELP)
    add_format_option(p)
    p.set_defaults(func=list_profiles)


def import_labels(args: argparse.Namespace) -> int:
    store = open_label_store(owner=args.owner)
    count, notes = store.import_file(args.profile, args.file, replace=args.replace)
    total = store.count(args.profile)
    if args.format == "json":
        print_json({"store": store.location, "profile": args.profile, "imported": count, "labels": total,
                    "import_notes": notes})
        return 0
    print(f"imported {count:,} labels into profile {args.profile!r} ({total:,} in it now; {store.location})")
    if explain_import(notes):
        print(f"note: {explain_import(notes)}")
    return 0


def export_labels(args: argparse.Namespace) -> int:
    store = open_label_store(owner=args.owner)
    if args.profile not in store.profiles():
        print(f"error: there is no profile {args.profile!r} in the {store.location}; "
              "'labels profiles' lists them.", file=sys.stderr)
        return 2
    if args.format == "csv":
        sys.stdout.flush()
        sys.stdout.buffer.write(store.export_csv(args.profile))
        sys.stdout.buffer.flush()
        return 0
    frame = store.load(args.profile)
    print_json({"store": store.location, "profile": args.profile, "n_labels": len(frame),
                "labels": frame.astype(object).where(frame.notna(), None).to_dict(orient="records")})
    return 0


def list_profiles(args: argparse.Namespace) -> int:
    store = open_label_store(owner=args.owner)
    rows = [{"profile": name, "labels": store.count(name)} for name in store.profiles()]
    if args.format == "json":
        print_json({"store": store.location, "profiles": rows})
        return 0
    import pandas as pd

    print(f"label store: {store.location}")
    print_table(pd.DataFrame(rows, columns=["profile", "labels"]))
    return 0
