"""Label store: persistence across restarts, profiles, CSV round trip, SIGKILL mid-save."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender.catalog import DATA_DIR
from recommender.errors import LabelError
from recommender.files import data_dir
from recommender.store import LABEL_COLUMNS, LabelStore, label_store_path
from recommender.taste import read_labels
from tests.support.label_rows import make_labels

ROOT = Path(__file__).resolve().parents[2]




def test_default_path_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path / "d"))
    assert data_dir() == tmp_path / "d"
    assert label_store_path() == tmp_path / "d" / "labels.sqlite3"
    store = LabelStore()
    assert store.path.exists()
    monkeypatch.delenv("TASTEMAP_DATA_DIR")
    assert data_dir() == ROOT / ".tastemap"


def test_labels_survive_a_new_store_instance(tmp_path):
    path = tmp_path / "labels.sqlite3"
    LabelStore(path).save("me", make_labels(30))
    reopened = LabelStore(path)  # a restart: nothing shared but the file
    loaded = reopened.load("me")
    assert list(loaded.columns[: len(LABEL_COLUMNS)]) == list(LABEL_COLUMNS)
    assert len(loaded) == 30 and loaded["label"].tolist() == [i % 2 for i in range(30)]
    np.testing.assert_allclose(loaded["energy"], make_labels(30)["energy"])
    assert loaded["danceability"].isna().all()  # unknown stays unknown
    assert loaded["created_at"].notna().all()


def test_profiles_are_separate(tmp_path):
    store = LabelStore(tmp_path / "s.sqlite3")
    store.save("me", make_labels(5))
    store.save("party", make_labels(3, lambda i: 1, prefix="p"))
    assert store.profiles() == ["me", "party"]
    assert store.count("me") == 5 and store.count("party") == 3
    assert store.load("nobody").empty
    store.delete_profile("party")
    assert store.profiles() == ["me"] and store.count("party") == 0
    with pytest.raises(LabelError, match="empty"):
        store.create_profile("  ")


def test_save_replaces_add_updates(tmp_path):
    store = LabelStore(tmp_path / "s.sqlite3")
    store.save("me", make_labels(10))
    store.add("me", make_labels(2, lambda i: 1))  # t0, t1 -> liked
    loaded = store.load("me").set_index("label_key")
    assert len(loaded) == 10 and loaded.loc["t0", "label"] == 1
    store.save("me", make_labels(4, prefix="n"))
    assert sorted(store.load("me")["label_key"]) == ["n0", "n1", "n2", "n3"]
    assert store.remove("me", ["n0"]) == 1 and store.count("me") == 3


def test_invalid_labels_are_refused_and_nothing_changes(tmp_path):
    store = LabelStore(tmp_path / "s.sqlite3")
    store.save("me", make_labels(6))
    bad = make_labels(6, lambda i: 2 if i == 3 else 1)
    with pytest.raises(LabelError, match="not 1 \\(liked\\) or 0"):
        store.save("me", bad)
    assert store.load("me")["label"].tolist() == [i % 2 for i in range(6)]


def test_csv_export_import_round_trip(tmp_path):
    store = LabelStore(tmp_path / "s.sqlite3")
    store.import_csv("demo", DATA_DIR / "liked_disliked.csv")
    original = store.load("demo")
    assert len(original) == 2009
    exported = store.export_csv("demo")
    (tmp_path / "labels.csv").write_bytes(exported)
    store.import_csv("copy", tmp_path / "labels.csv", replace=True)
    copy = store.load("copy")
    cols = ["label_key", "track_name", "artists", "label"]
    pd.testing.assert_frame_equal(original[cols], copy[cols])
    np.testing.assert_allclose(original["tempo"], copy["tempo"], rtol=1e-6)
    direct = read_labels(DATA_DIR / "liked_disliked.csv")
    assert set(direct["label_key"]) == set(copy["label_key"])


def test_export_neutralises_formula_cells(tmp_path):
    store = LabelStore(tmp_path / "s.sqlite3")
    store.save("me", make_labels(3))
    text = store.export_csv("me").decode("utf-8-sig")
    assert "'=song 0" in text


def test_a_damaged_store_file_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LabelError, match="cannot be opened"):
        LabelStore(path)


WRITER = textwrap.dedent("""
    import sys
    import pandas as pd
    sys.path.insert(0, sys.argv[3])
    from recommender.store import LabelStore
    store = LabelStore(sys.argv[1])
    n = int(sys.argv[2])
    frames = [
        pd.DataFrame({"label_key": [f"{tag}{i}" for i in range(n)], "label": [v] * n,
                      "track_name": [tag] * n, "energy": [0.5] * n})
        for tag, v in (("old", 0), ("new", 1))
    ]
    print("ready", flush=True)
    i = 0
    while True:  # alternate the two sets until killed
        store.save("me", frames[i % 2])
        i += 1
""")


def test_sigkill_in_the_middle_of_saves_leaves_old_or_new_never_a_mix(tmp_path):
    path = tmp_path / "kill.sqlite3"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    n = 20_000
    # The "old" set is committed before any writer starts, so every round has a baseline.
    LabelStore(path).save("me", pd.DataFrame({"label_key": [f"old{i}" for i in range(n)], "label": [0] * n,
                                              "track_name": ["old"] * n, "energy": [0.5] * n}))
    seen = set()
    rng = np.random.default_rng(0)
    for round_ in range(8):
        proc = subprocess.Popen([sys.executable, str(script), str(path), str(n), str(ROOT)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3 + rng.uniform(0, 1.2))  # somewhere inside a save of 20,000 rows
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        labels = LabelStore(path).load("me")  # the "restart"
        tags = set(labels["track_name"])
        assert len(labels) == n, f"round {round_}: {len(labels)} rows"
        assert tags in ({"old"}, {"new"}), f"round {round_}: a mix {tags}"
        assert set(labels["label"]) == ({0} if tags == {"old"} else {1})
        seen |= tags
    assert seen


def test_model_record_round_trips_and_is_json_not_pickle(tmp_path):
    import numpy as np

    store = LabelStore(tmp_path / "labels.sqlite3")
    assert store.load_model_record("default") is None
    store.save_model_record("default", label_digest="abc", n_labels=42,
                            settings={"model": "logreg", "features": ["energy"], "params": {}, "random_state": 0},
                            report={"roc_auc": np.float64(0.9), "fold_roc_auc": [float("nan"), 0.8]})
    record = LabelStore(tmp_path / "labels.sqlite3").load_model_record("default")
    assert record["label_digest"] == "abc" and record["n_labels"] == 42
    assert record["settings"]["model"] == "logreg" and record["report"]["roc_auc"] == 0.9
    import sqlite3

    raw = sqlite3.connect(tmp_path / "labels.sqlite3").execute("SELECT settings FROM taste_models").fetchone()[0]
    assert raw.startswith("{")  # plain JSON text
    store.delete_profile("default")
    assert store.load_model_record("default") is None


def test_open_error_names_no_server_folder(tmp_path):
    bad = tmp_path / "deep" / "labels.sqlite3"
    bad.parent.mkdir()
    bad.write_bytes(b"not a database at all, just text" * 100)
    with pytest.raises(LabelError) as info:
        LabelStore(bad)
    assert str(tmp_path) not in str(info.value) and "labels.sqlite3" in str(info.value)


def test_import_file_says_what_was_dropped(tmp_path):
    from recommender.catalog import DATA_DIR

    store = LabelStore(tmp_path / "labels.sqlite3")
    count, notes = store.import_file("default", DATA_DIR / "liked_disliked.csv")
    assert count == 2009 == store.count("default")
    assert notes["rows_read"] == 2017 and notes["duplicates"] == 8
