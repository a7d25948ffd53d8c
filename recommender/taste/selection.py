"""Choosing a taste model honestly: evaluate, tune, and train with progress.

:func:`evaluate` scores a model with stratified cross-validation grouped by artist when
artists are known, because a random split puts the same artist on both sides and flatters
the score. :func:`train` runs that check then the final fit, reporting each step to a
progress callback. :func:`tune` searches a small grid with nested grouped cross-validation
(an explicit option: it fits dozens of models).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, StratifiedKFold

from ..catalog import Catalog
from .estimators import DEFAULT_MODEL, IMBALANCE_NOTE
from .labels import canonical_labels
from .model import TasteModel, _training_data, choose_features, training_frame
from .sound import SOUND_INPUTS, inputs_of

_log = logging.getLogger(__name__)

__all__ = ["TUNING_GRIDS", "Progress", "TasteReport", "evaluate", "train", "tune"]

# Small grids for tune(): parameter paths inside the pipeline built by _build_estimator.
TUNING_GRIDS: dict[str, dict[str, list]] = {
    "rf": {"model__min_samples_leaf": [1, 3], "model__max_features": ["sqrt", 0.5]},
    "et": {"model__min_samples_leaf": [1, 2, 4], "model__max_features": ["sqrt", 0.5]},
    "svc": {"model__estimator__C": [0.5, 1.0, 2.0], "model__estimator__gamma": ["scale", 0.15]},
    "hgb": {"model__learning_rate": [0.05, 0.1], "model__max_depth": [3, None]},
    "logreg": {"model__C": [0.1, 1.0, 10.0]},
    "ensemble": {"svc__model__estimator__C": [0.5, 1.0, 2.0], "et__model__min_samples_leaf": [1, 3]},
}

# progress(steps_done, steps_total, what_is_happening); called from the caller's thread.
Progress = Callable[[int, int, str], None]
# Threads for the folds of one evaluation (a shared server runs several trainings at once).
TRAIN_THREADS = 2


def _workers(n_jobs: int | None) -> int:
    return max(1, n_jobs if n_jobs is not None else min(TRAIN_THREADS, os.cpu_count() or 1))


@dataclass
class TasteReport:
    """Cross-validated scores of one model on one label set."""

    model: str
    cv: str
    n_labels: int
    n_liked: int
    n_disliked: int
    features: list[str]
    imbalance: str
    roc_auc: float
    roc_auc_std: float
    roc_auc_pooled: float
    accuracy: float
    precision: float
    recall: float
    f1: float
    confusion_matrix: list[list[int]]
    fold_roc_auc: list[float]
    roc_curve: dict[str, list[float]]
    importance: pd.DataFrame = field(default_factory=pd.DataFrame)
    params: dict = field(default_factory=dict)
    tuning: dict | None = None
    n_dropped: int = 0

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in (
            "model", "cv", "n_labels", "n_liked", "n_disliked", "features", "imbalance", "roc_auc",
            "roc_auc_std", "roc_auc_pooled", "accuracy", "precision", "recall", "f1",
            "confusion_matrix", "fold_roc_auc", "roc_curve", "params", "tuning", "n_dropped")}
        out["importance"] = self.importance.to_dict(orient="records") if len(self.importance) else []
        return out

    @classmethod
    def from_dict(cls, data: dict) -> TasteReport:
        """The report :meth:`to_dict` wrote (JSON-safe), back as a report."""
        values = dict(data)
        values["importance"] = pd.DataFrame(values.get("importance") or [])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


def _splitter(y: np.ndarray, groups: np.ndarray, known: bool, n_splits: int, random_state: int,
              grouped: bool = True):
    """The CV splitter and its description; grouped by artist when artists are known."""
    min_class = int(min(y.sum(), len(y) - y.sum()))
    n_groups = len(set(groups))
    use_groups = known and grouped
    k = max(2, min(n_splits, min_class, n_groups if use_groups else len(y)))
    if use_groups:
        return (StratifiedGroupKFold(k, shuffle=True, random_state=random_state),
                f"StratifiedGroupKFold({k} folds, grouped by artist: {n_groups} artists, "
                f"shuffle, random_state={random_state})")
    why = ("random split: artists on both sides, flattering (for comparison only)" if known
           else "no artists known, so not grouped")
    return (StratifiedKFold(k, shuffle=True, random_state=random_state),
            f"StratifiedKFold({k} folds, shuffle, random_state={random_state}; {why})")


def evaluate(labels: pd.DataFrame, model: str | TasteModel = DEFAULT_MODEL, *, n_splits: int = 5,
             random_state: int = 0, importance: bool = True, importance_repeats: int = 2,
             catalog: Catalog | None = None, group_by_artist: bool = True,
             progress: Progress | None = None, extra_steps: int = 0, n_jobs: int | None = None) -> TasteReport:
    """Honest cross-validated scores of ``model`` on ``labels``.

    Folds are stratified and grouped by first artist (when artists are known) so no artist
    is on both sides. ROC AUC is the mean over folds; the other metrics and the ROC curve
    come from the pooled out-of-fold probabilities (threshold 0.5). Permutation importance
    is measured on each fold's held-out tracks (drop in ROC AUC when a feature is shuffled).
    ``group_by_artist=False`` gives the flattering random split, for comparison only.
    ``progress(done, total, what)`` is called after each fold; ``extra_steps`` adds steps the
    caller runs afterwards (the final fit) to the total it reports. Folds run on ``n_jobs``
    threads (default: up to 2, see :func:`_workers`).
    """
    taste = model if isinstance(model, TasteModel) else TasteModel(model, random_state=random_state,
                                                                   inputs=inputs_of(catalog))
    features = taste.features or choose_features(labels, catalog)
    X, y, groups, known, dropped = _training_data(training_frame(labels, taste.inputs, catalog), features)
    if taste.inputs == SOUND_INPUTS:
        importance = False  # 400 embedding numbers one by one say nothing a listener can use
    splitter, description = _splitter(y, groups, known, n_splits, random_state, grouped=group_by_artist)
    proba = np.zeros(len(y))
    fold_auc: list[float] = []
    drops = []
    split_groups = groups if isinstance(splitter, StratifiedGroupKFold) else None
    n_folds = splitter.get_n_splits()
    total = n_folds + extra_steps
    if progress is not None:
        progress(0, total, f"Testing on artists held out: part 1 of {n_folds}")
    splits = list(splitter.split(X, y, split_groups))

    def fold(i: int, train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        est = taste.make_estimator().fit(X.iloc[train], y[train])
        fold_proba = est.predict_proba(X.iloc[test])[:, 1]
        drop = None
        if importance:
            drop = permutation_importance(est, X.iloc[test], y[test], scoring="roc_auc",
                                          n_repeats=importance_repeats, random_state=random_state + i).importances_mean
        return fold_proba, drop

    # Folds are independent: threads (tree building and libsvm release the GIL) share the cores.
    # Each fold's model is seeded on its own, so the result does not depend on the order.
    results: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
    with ThreadPoolExecutor(max_workers=_workers(n_jobs)) as pool:
        futures = {pool.submit(fold, i, train, test): i for i, (train, test) in enumerate(splits)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            done = len(results)
            if progress is not None:
                progress(done, total, (f"Testing on artists held out: part {done + 1} of {n_folds}" if done < n_folds
                                       else "Tested; now learning from all your labels"))
    for i, (_train, test) in enumerate(splits):
        proba[test] = results[i][0]
        fold_auc.append(float(roc_auc_score(y[test], proba[test])) if len(set(y[test])) > 1 else float("nan"))
        if importance:
            drops.append(results[i][1])
        _log.info("fold %d: ROC AUC %.4f", i + 1, fold_auc[-1])
    predicted = (proba >= 0.5).astype(int)
    fpr, tpr, thr = roc_curve(y, proba)
    step = max(1, len(fpr) // 200)
    keep = np.unique(np.r_[np.arange(0, len(fpr), step), len(fpr) - 1])
    imp = pd.DataFrame()
    if drops:
        arr = np.vstack(drops)
        imp = pd.DataFrame({"feature": features, "importance": arr.mean(axis=0), "std": arr.std(axis=0)})
        imp = imp.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    return TasteReport(
        model=taste.model,
        cv=description,
        n_labels=int(len(y)),
        n_liked=int(y.sum()),
        n_disliked=int(len(y) - y.sum()),
        features=list(features),
        imbalance=IMBALANCE_NOTE,
        roc_auc=float(np.nanmean(fold_auc)),
        roc_auc_std=float(np.nanstd(fold_auc)),
        roc_auc_pooled=float(roc_auc_score(y, proba)),
        accuracy=float(accuracy_score(y, predicted)),
        precision=float(precision_score(y, predicted, zero_division=0)),
        recall=float(recall_score(y, predicted, zero_division=0)),
        f1=float(f1_score(y, predicted, zero_division=0)),
        confusion_matrix=confusion_matrix(y, predicted, labels=[0, 1]).tolist(),
        fold_roc_auc=fold_auc,
        roc_curve={"fpr": fpr[keep].tolist(), "tpr": tpr[keep].tolist(),
                   "threshold": np.nan_to_num(thr[keep], posinf=1.0).tolist()},
        importance=imp,
        params=dict(taste.params),
        n_dropped=dropped,
    )


def tune(labels: pd.DataFrame, model: str = DEFAULT_MODEL, *, grid: dict | None = None, n_splits: int = 5,
         inner_splits: int = 3, random_state: int = 0, catalog: Catalog | None = None,
         importance: bool = False, progress: Progress | None = None) -> tuple[TasteModel, TasteReport]:
    """Search a small grid; score the search honestly with nested grouped CV.

    Each outer fold (the same split :func:`evaluate` uses) runs its own grid search on its
    training part only (inner grouped folds), so the reported score never saw its test
    artists. The returned model's parameters come from a final search over all labels.
    """
    grid = grid or TUNING_GRIDS[model]
    inputs = inputs_of(catalog)
    base = TasteModel(model, random_state=random_state, inputs=inputs)
    features = choose_features(labels, catalog)
    X, y, groups, known, dropped = _training_data(training_frame(labels, inputs, catalog), features)
    outer, description = _splitter(y, groups, known, n_splits, random_state)

    def search(train_idx: np.ndarray) -> GridSearchCV:
        inner, _ = _splitter(y[train_idx], groups[train_idx], known, inner_splits, random_state + 1)
        gs = GridSearchCV(base.make_estimator(), grid, scoring="roc_auc", cv=inner, refit=True)
        inner_groups = groups[train_idx] if isinstance(inner, StratifiedGroupKFold) else None
        return gs.fit(X.iloc[train_idx], y[train_idx], groups=inner_groups)

    proba = np.zeros(len(y))
    fold_auc, chosen = [], []
    n_outer = outer.get_n_splits()
    total = n_outer + 2  # outer folds, the search on all labels, the final fit and its report

    def step(done: int, what: str) -> None:
        if progress is not None:
            progress(done, total, what)

    step(0, f"Trying settings on artists held out: part 1 of {n_outer}")
    for i, (train, test) in enumerate(outer.split(X, y, groups if isinstance(outer, StratifiedGroupKFold) else None)):
        gs = search(train)
        proba[test] = gs.predict_proba(X.iloc[test])[:, 1]
        fold_auc.append(float(roc_auc_score(y[test], proba[test])))
        chosen.append(gs.best_params_)
        step(i + 1, f"Trying settings on artists held out: part {i + 2} of {n_outer}" if i + 1 < n_outer
             else "Choosing the best settings on all your labels")
    final = search(np.arange(len(y)))
    step(n_outer + 1, "Learning from all your labels with the chosen settings")
    best = {k: (v.item() if hasattr(v, "item") else v) for k, v in final.best_params_.items()}
    tuned = TasteModel(model, features=features, params=best, random_state=random_state,
                       inputs=inputs).fit(labels, catalog=catalog)
    report = evaluate(labels, tuned, n_splits=n_splits, random_state=random_state, importance=importance,
                      catalog=catalog)
    # Replace the plain CV numbers with the nested ones: those are the honest score of "tune".
    predicted = (proba >= 0.5).astype(int)
    report.roc_auc = float(np.mean(fold_auc))
    report.roc_auc_std = float(np.std(fold_auc))
    report.roc_auc_pooled = float(roc_auc_score(y, proba))
    report.fold_roc_auc = fold_auc
    report.accuracy = float(accuracy_score(y, predicted))
    report.precision = float(precision_score(y, predicted, zero_division=0))
    report.recall = float(recall_score(y, predicted, zero_division=0))
    report.f1 = float(f1_score(y, predicted, zero_division=0))
    report.confusion_matrix = confusion_matrix(y, predicted, labels=[0, 1]).tolist()
    report.cv = f"nested: outer {description}; inner {inner_splits}-fold grouped grid search per outer fold"
    report.tuning = {
        "grid": {k: list(v) for k, v in grid.items()},
        "chosen": best,
        "chosen_per_outer_fold": chosen,
        "best_inner_roc_auc": float(final.best_score_),
    }
    report.params = best
    step(total, "Done")
    return tuned, report


def train(labels: pd.DataFrame, model: str = DEFAULT_MODEL, *, catalog: Catalog | None = None,
          tune_grid: bool = False, importance: bool = False, random_state: int = 0, n_splits: int = 5,
          progress: Progress | None = None) -> tuple[TasteModel, TasteReport]:
    """Score ``model`` with grouped CV, then fit it on all labels: ``(model, report)``.

    The default path fits one model per fold and one final model (no grid search, no
    permutation importance): a few seconds on the 2,009 demo labels. ``tune_grid`` runs the
    nested grid search of :func:`tune`; ``importance`` adds permutation importance per fold.
    Labels are put in :func:`~recommender.taste.labels.canonical_labels` order first, so the
    same labels always give the same model (a stored model is refitted from its labels and
    settings, see :func:`~recommender.taste.model.refit`).
    """
    labels = canonical_labels(labels)
    if tune_grid:
        return tune(labels, model, catalog=catalog, importance=importance, random_state=random_state,
                    n_splits=n_splits, progress=progress)
    fitted = TasteModel(model, features=choose_features(labels, catalog), random_state=random_state,
                        inputs=inputs_of(catalog))
    # The final fit does not wait for the folds: it runs beside them.
    with ThreadPoolExecutor(max_workers=1) as pool:
        final = pool.submit(fitted.fit, labels, catalog=catalog)
        try:
            report = evaluate(labels, fitted, catalog=catalog, importance=importance, random_state=random_state,
                              n_splits=n_splits, progress=progress, extra_steps=1)
        finally:
            final.result()
    if progress is not None:
        total = len(report.fold_roc_auc) + 1
        progress(total, total, "Done")
    return fitted, report
