"""`batch --compare OLD` and `gradebook compare`: the students whose score changed, and by which checks."""
import csv
import json

import pytest
from click.testing import CliRunner

from autograder import paths
from autograder.cli import main
from autograder.cohort.run_comparison import CompareError, compare, load_run


def _results(folder, student, checks, error=""):
    """A results.json as `autograder batch` writes it, with ``checks`` = {name: (score, max_score)}."""
    tests = [{"name": n, "score": s, "max_score": m, "status": "passed" if s == m else "failed",
              "tags": [n.split(":")[0], "value", "g"]} for n, (s, m) in checks.items()]
    data = {"score": sum(s for s, _ in checks.values()), "max_score": sum(m for _, m in checks.values()),
            "tests": tests, "extra_data": {"error": error}}
    (folder / student).mkdir(parents=True, exist_ok=True)
    (folder / student / "results.json").write_text(json.dumps(data))
    return data


def _gradebook(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "gradebook.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "affine", "score", "max_score", "error"])
        for student, score, max_score in rows:
            writer.writerow([student, score, score, max_score, ""])
    return folder / "gradebook.csv"


CHECKS = {"affine_forward: notebook values: output": (2.0, 2.0), "relu_backward: numerical gradient: dx": (2.0, 2.0),
          "adam: notebook: next_w": (1.0, 1.0)}


def test_changes_are_listed_by_student_with_the_checks_that_moved(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        _results(folder, "alice", CHECKS)
        _gradebook(folder, [("alice", 5, 5), ("bob", 0, 0), ("carol", 0, 0)])
    _results(old, "bob", {**CHECKS, "relu_backward: numerical gradient: dx": (0.0, 2.0)})
    _results(new, "bob", CHECKS)
    _results(old, "carol", {**CHECKS, "relu_backward: numerical gradient: dx": (1.0, 2.0)})
    _results(new, "carol", {**CHECKS, "adam: notebook: next_w": (0.0, 1.0)})
    changes = compare(load_run(old), load_run(new))
    assert [c.student for c in changes] == ["bob"]  # carol lost one point and gained one: her score did not change
    (bob,) = changes
    assert bob.delta == 2.0
    assert [(c.name, c.old, c.new) for c in bob.checks] == [("relu_backward: numerical gradient: dx", 0.0, 2.0)]
    assert bob.describe() == "bob: 3/5 -> 5/5 (+2): relu_backward: numerical gradient: dx 0 -> 2"


def test_a_changed_rubric_a_new_and_a_missing_student_are_listed(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    _results(old, "alice", CHECKS)
    _results(new, "alice", {**CHECKS, "adam: hidden: next_w": (0.0, 1.0)})  # same score, one more point possible
    _results(old, "gone", CHECKS)
    _results(new, "newcomer", CHECKS, error="")
    changes = {c.student: c for c in compare(load_run(old), load_run(new))}
    assert set(changes) == {"alice", "gone", "newcomer"}
    assert changes["alice"].delta == 0 and changes["alice"].new.max_score == 6.0
    assert changes["gone"].new is None and changes["gone"].describe().startswith("gone: 5/5 -> absent")
    assert changes["newcomer"].old is None and changes["newcomer"].delta == 5.0


def test_an_old_gradebook_alone_compares_totals(tmp_path):
    old_csv = _gradebook(tmp_path / "old", [("alice", 5, 5), ("bob", 3, 5)])
    new = tmp_path / "new"
    _results(new, "alice", CHECKS)
    _results(new, "bob", {**CHECKS, "adam: notebook: next_w": (0.0, 1.0)})
    _gradebook(new, [("alice", 5, 5), ("bob", 4, 5)])
    changes = compare(load_run(old_csv), load_run(new))
    assert [(c.student, c.delta, c.checks) for c in changes] == [("bob", 1.0, ())]
    assert "totals only" in changes[0].describe()


def test_what_is_not_a_run_is_a_clear_error(tmp_path):
    with pytest.raises(CompareError, match="does not exist"):
        load_run(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CompareError, match="no gradebook.csv"):
        load_run(tmp_path / "empty")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CompareError, match="not a gradebook"):
        load_run(tmp_path / "notes.txt")
    (tmp_path / "other.csv").write_text("name,points\nalice,3\n")
    with pytest.raises(CompareError, match="columns student and score"):
        load_run(tmp_path / "other.csv")
    outcome = CliRunner().invoke(main, ["gradebook", "compare", str(tmp_path / "other.csv"), str(tmp_path / "empty")])
    assert outcome.exit_code == 1 and "columns student and score" in outcome.output and "Traceback" not in outcome.output


def test_gradebook_compare_command(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    _results(old, "bob", {**CHECKS, "relu_backward: numerical gradient: dx": (0.0, 2.0)})
    _results(new, "bob", CHECKS)
    outcome = CliRunner().invoke(main, ["gradebook", "compare", str(old), str(new), "--out", str(tmp_path / "o")])
    assert outcome.exit_code == 0, outcome.output
    assert "1 students' scores changed" in outcome.output and "relu_backward: numerical gradient: dx 0 -> 2" in outcome.output
    rows = list(csv.DictReader(open(tmp_path / "o" / "compare.csv")))
    assert [(r["student"], r["old_score"], r["new_score"], r["delta"]) for r in rows] == [("bob", "3", "5", "+2")]


@pytest.mark.slow
def test_batch_compare_against_its_own_folder_and_similarity(tmp_path):
    """A regrade into the same folder: the old results are read before grading, only the changed student is listed;
    --similarity writes its files next to the gradebook."""
    subs = tmp_path / "subs"
    for name in ("ann", "ben", "cat"):
        paths.copy_reference_package(subs / name / "cs231n")
    config = tmp_path / "course.toml"
    config.write_text('select = ["relu_*"]\n')
    out = tmp_path / "out"
    first = CliRunner().invoke(main, ["batch", str(subs), "--out", str(out), "--config", str(config), "--no-progress"])
    assert first.exit_code == 0, first.output
    layers = subs / "ben" / "cs231n" / "layers.py"
    layers.write_text(layers.read_text() + "\n\ndef relu_backward(dout, cache):\n    return dout\n")
    again = CliRunner().invoke(main, ["batch", str(subs), "--out", str(out), "--config", str(config), "--no-progress",
                                      "--compare", str(out), "--similarity"])
    assert again.exit_code == 0, again.output
    rows = list(csv.DictReader(open(out / "compare.csv")))
    assert [r["student"] for r in rows] == ["ben"] and float(rows[0]["delta"]) < 0
    assert "relu_backward" in rows[0]["checks"] and "relu_forward" not in rows[0]["checks"]
    assert "ben:" in again.output and "1 students' scores changed" in again.output
    assert (out / "similarity.html").is_file()
    pairs = list(csv.DictReader(open(out / "similarity.csv")))
    assert {frozenset((p["student_a"], p["student_b"])) for p in pairs} >= {frozenset(("ann", "cat"))}
    sharded = CliRunner().invoke(main, ["batch", str(subs), "--out", str(out), "--shard", "1/2", "--similarity"])
    assert sharded.exit_code == 2 and "whole class" in sharded.output
    sharded = CliRunner().invoke(main, ["batch", str(subs), "--out", str(out), "--shard", "1/2", "--compare", str(out)])
    assert sharded.exit_code == 2 and "gradebook compare" in sharded.output
    missing = CliRunner().invoke(main, ["batch", str(subs), "--out", str(out), "--compare", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "nope does not exist" in missing.output
