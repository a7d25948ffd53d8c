"""``python -m recommender taste train|score``."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recommender.catalog import AUDIO_FEATURES
from recommender.cli import main


@pytest.fixture(scope="module")
def labels_csv(tmp_path_factory, default_catalog):
    """60 catalog tracks labelled by energy, with track IDs (a file any layout could give)."""
    t = default_catalog.tracks
    liked = t[t["energy"] > 0.8].head(30)
    disliked = t[t["energy"] < 0.3].head(30)
    frame = pd.concat([liked.assign(liked="like"), disliked.assign(liked="dislike")])
    path = tmp_path_factory.mktemp("labels") / "labels.csv"
    frame[["track_id", "track_name", "artists", *AUDIO_FEATURES, "liked"]].to_csv(path, index=False)
    return path


def run_json(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_train_json_and_save_then_score(tmp_path, capsys, labels_csv, default_catalog):
    model_path = tmp_path / "m.model"
    out = run_json(capsys, ["taste", "train", "--labels", str(labels_csv), "--model", "logreg",
                            "--save", str(model_path), "--format", "json"])
    for key in ("model", "cv", "n_labels", "roc_auc", "accuracy", "precision", "recall", "f1", "confusion_matrix"):
        assert key in out
    assert out["model"] == "logreg" and out["n_labels"] == 60
    assert out["cv"].startswith("StratifiedGroupKFold") and out["roc_auc"] > 0.9
    assert np.asarray(out["confusion_matrix"]).sum() == 60
    assert model_path.exists()
    t = default_catalog.tracks
    loud, quiet = t[t["energy"] > 0.95]["track_id"].iloc[0], t[t["energy"] < 0.1]["track_id"].iloc[0]
    scored = run_json(capsys, ["taste", "score", "--model", str(model_path), "--seeds", f"{loud} {quiet}",
                               "--format", "json"])
    probs = {r["track_id"]: r["like_probability"] for r in scored["tracks"]}
    assert probs[loud] > 0.5 > probs[quiet]


def test_train_table_output(capsys, labels_csv):
    assert main(["taste", "train", "--labels", str(labels_csv), "--model", "rf", "--no-importance"]) == 0
    out = capsys.readouterr().out
    assert "roc_auc (fold mean)" in out and "grouped by artist" in out and "class_weight='balanced'" in out


def test_score_a_catalog_file(tmp_path, capsys, labels_csv):
    model_path = tmp_path / "m.model"
    # Trained against the default catalog, the model also uses popularity and release year,
    # which this file lacks: refused with a reason. Trained for this file, it scores it.
    main(["taste", "train", "--labels", str(labels_csv), "--model", "logreg", "--no-importance",
          "--save", str(model_path)])
    capsys.readouterr()
    assert main(["taste", "score", "--model", str(model_path), "--catalog", str(labels_csv)]) == 2
    assert "has no popularity, release_year for its tracks" in capsys.readouterr().err
    main(["taste", "train", "--labels", str(labels_csv), "--model", "logreg", "--no-importance",
          "--catalog", str(labels_csv), "--save", str(model_path)])
    capsys.readouterr()
    out = run_json(capsys, ["taste", "score", "--model", str(model_path), "--catalog", str(labels_csv),
                            "--top", "5", "--format", "json"])
    assert out["n_scored"] == 5
    probs = [r["like_probability"] for r in out["tracks"]]
    assert probs == sorted(probs, reverse=True)


def test_errors_are_messages_not_tracebacks(tmp_path, capsys):
    few = tmp_path / "few.csv"
    few.write_text("track_id,energy,liked\n4iV5W9uYEdYUVa79Axb7Rh,0.5,1\n")
    assert main(["taste", "train", "--labels", str(few)]) == 2
    assert "error:" in capsys.readouterr().err
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"garbage")
    assert main(["taste", "score", "--model", str(bad), "--seeds", "4iV5W9uYEdYUVa79Axb7Rh"]) == 2
    assert "not a Tastemap taste model" in capsys.readouterr().err
    assert main(["taste", "train", "--labels", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_train_on_the_demo_labels_says_why_rows_were_dropped(capsys):
    from recommender.catalog import DATA_DIR

    assert main(["taste", "train", "--labels", str(DATA_DIR / "liked_disliked.csv"), "--model", "logreg",
                 "--no-importance"]) == 0
    out = capsys.readouterr().out
    assert "labels: 2,009" in out
    assert "note: The file has 2,017 rows and 2,009 labels were kept: 8 tracks appear twice" in out
