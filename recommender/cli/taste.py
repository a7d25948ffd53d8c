"""``taste train`` and ``taste score``: learn liked/disliked labels, score tracks with the model."""
from __future__ import annotations

import argparse

import pandas as pd

from ..catalog import load_default_catalog
from ..errors import SeedError
from ..ids import parse_track_ids
from ..taste import DEFAULT_MODEL, MODELS, TasteModel, explain_import, read_labels
from ..taste import train as train_model
from ._common import StderrProgress, add_format_option, catalog_from_args, print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    taste = sub.add_parser("taste", help="taste model: train on liked/disliked labels, score tracks")
    commands = taste.add_subparsers(dest="taste_command", metavar="SUBCOMMAND", required=True)

    p = commands.add_parser("train", help="cross-validate (grouped by artist) and train a taste model")
    p.add_argument("--labels", required=True, metavar="PATH",
                   help="labelled file: any catalog layout plus a target/liked/label/like column")
    p.add_argument("--model", choices=MODELS, default=DEFAULT_MODEL, help=f"classifier (default {DEFAULT_MODEL})")
    p.add_argument("--tune", action="store_true", help="search a small grid (nested grouped CV reports the score)")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--seed", type=int, default=0, help="random_state of the split and the model (default 0)")
    p.add_argument("--no-importance", action="store_true", help="skip permutation importance (faster)")
    p.add_argument("--catalog", metavar="PATH",
                   help="catalog the model will score (default: the embedded one); limits extra features to it")
    p.add_argument("--save", metavar="PATH", help="write the trained model here")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_format_option(p)
    p.set_defaults(func=train)

    p = commands.add_parser("score", help="score tracks with a saved taste model")
    p.add_argument("--model", required=True, metavar="PATH", help="model file written by 'taste train --save'")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--seeds", metavar="TEXT", help="track IDs, URIs or links to score (looked up in the default catalog)")
    src.add_argument("--catalog", metavar="PATH", help="score every track of this catalog")
    p.add_argument("--top", type=int, default=20, help="rows to print when scoring a catalog (default 20; 0 = all)")
    add_format_option(p)
    p.set_defaults(func=score)


def train(args: argparse.Namespace) -> int:
    catalog = catalog_from_args(args)
    labels = read_labels(args.labels, catalog=catalog)
    # The same path as the Taste page (grouped CV, then the final fit), so both give one model.
    with StderrProgress(quiet=args.quiet) as progress:
        model, report = train_model(labels, args.model, catalog=catalog, tune_grid=args.tune,
                                    importance=not args.no_importance, random_state=args.seed,
                                    n_splits=args.folds, progress=progress.update)
    model.metadata_ = {"roc_auc": report.roc_auc, "cv": report.cv, "labels": str(args.labels)}
    out = report.to_dict()
    notes = labels.attrs.get("import_notes")
    out["import_notes"] = notes
    if args.save:
        out["saved"] = str(model.save(args.save))
    if args.format == "json":
        print_json(out)
        return 0
    print(f"model: {report.model} {report.params or ''}".rstrip())
    print(f"labels: {report.n_labels:,} ({report.n_liked:,} liked, {report.n_disliked:,} disliked"
          + (f"; {report.n_dropped:,} without features skipped" if report.n_dropped else "") + ")")
    if explain_import(notes):
        print(f"note: {explain_import(notes)}")
    print(f"imbalance: {report.imbalance}")
    print(f"cv: {report.cv}")
    print(f"features: {', '.join(report.features)}")
    print_table(pd.DataFrame({
        "metric": ["roc_auc (fold mean)", "roc_auc (pooled)", "accuracy", "precision", "recall", "f1"],
        "value": [f"{report.roc_auc:.4f} ± {report.roc_auc_std:.4f}", f"{report.roc_auc_pooled:.4f}",
                  f"{report.accuracy:.4f}", f"{report.precision:.4f}", f"{report.recall:.4f}", f"{report.f1:.4f}"],
    }))
    (tn, fp), (fn, tp) = report.confusion_matrix
    print(f"confusion matrix (rows true, columns predicted; disliked, liked): [[{tn}, {fp}], [{fn}, {tp}]]")
    if report.tuning:
        print(f"tuning chose: {report.tuning['chosen']}")
    if len(report.importance):
        print("permutation importance (drop in ROC AUC):")
        print_table(report.importance.round(4))
    if args.save:
        print(f"saved: {out['saved']}")
    return 0


def score(args: argparse.Namespace) -> int:
    if args.seeds is not None:
        catalog = load_default_catalog()
        parsed = parse_track_ids(args.seeds)
        if not parsed.ids:
            raise SeedError("No track ID was found in --seeds; paste Spotify track IDs, URIs or links.")
        model = TasteModel.load(args.model, catalog=catalog)
        scored = model.score_catalog(catalog, parsed.ids)
        unknown = [t for t in parsed.ids if t not in catalog]
        extra = {"unknown_ids": unknown, "invalid": [i.token for i in parsed.invalid]}
    else:
        catalog = catalog_from_args(args)
        model = TasteModel.load(args.model, catalog=catalog)
        scored = model.score_catalog(catalog)
        if args.top > 0:
            scored = scored.head(args.top)
        extra = {}
    if args.format == "json":
        print_json({"model": model.model, "features": model.feature_names_, "n_scored": len(scored),
                    "tracks": scored.astype(object).where(scored.notna(), None).to_dict(orient="records"), **extra})
        return 0
    print_table(scored.assign(like_probability=scored["like_probability"].round(3)))
    for tid in extra.get("unknown_ids", []):
        print(f"not in the catalog: {tid}")
    return 0
