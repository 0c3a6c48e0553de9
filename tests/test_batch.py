"""Batch grading: bad entries become error rows, results do not depend on -j, and a killed batch resumes."""
import csv
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from autograder import paths
from autograder.cohort.batch import discover, run_batch
from autograder.grading.report import without_measurements
from autograder.config import Config
from autograder.sandbox.runner import Limits

from conftest import ROOT

CONFIG = Config(select=("relu_*", "affine_forward*"), limits=Limits(check_seconds=5))


def _correct(root):
    paths.copy_reference_package(root / "cs231n")


def _class(tmp_path, n=4):
    subs = tmp_path / "subs"
    for i in range(n):
        _correct(subs / f"student{i}")
    return subs


def _reports(out):
    data = {}
    for path in sorted(out.glob("*/results.json")):
        data[path.parent.name] = without_measurements(json.loads(path.read_text()))
    return data


def test_bad_entries_become_rows_with_a_clear_error_and_the_batch_goes_on(tmp_path):
    subs = tmp_path / "subs"
    _correct(subs / "good")
    (subs / "empty").mkdir()
    (subs / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    with zipfile.ZipFile(subs / "escape.zip", "w") as archive:
        archive.writestr("../../evil.py", "print('outside')")
    (subs / "broken.ipynb").write_text('{"cells": [')
    result = run_batch(subs, tmp_path / "out", jobs=2, config=CONFIG, progress=False)
    assert sorted(result.graded) == ["broken", "corrupt", "empty", "escape", "good"]
    rows = {row["student"]: row for row in csv.DictReader(open(tmp_path / "out" / "gradebook.csv"))}
    assert float(rows["good"]["score"]) == float(rows["good"]["max_score"]) > 0
    expected = {"empty": "no student package", "corrupt": "neither a folder nor a valid .zip",
                "escape": "points outside the submission folder", "broken": "not a valid notebook (not JSON"}
    for student, text in expected.items():
        assert float(rows[student]["score"]) == 0 and text in rows[student]["error"], rows[student]
    assert not (tmp_path / "evil.py").exists() and not (tmp_path.parent / "evil.py").exists()
    sources = {"good": "good/", "empty": "empty/", "corrupt": "corrupt.zip", "escape": "escape.zip",
               "broken": "broken.ipynb"}
    assert {student: row["source"] for student, row in rows.items()} == sources
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "## Functions" in summary and "| relu_forward |" in summary and "with errors: 4" in summary
    assert all(f"- {student} ({sources[student]}): " in summary for student in expected)
    for name in ("report.html", "figures/score_histogram.png", "figures/function_pass_rates.png",
                 "figures/heat_map.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0, name


def test_the_gradebook_says_which_file_or_folder_each_row_was_graded_from(tmp_path):
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice.zip").write_bytes(b"not a zip")
    run_batch(subs, tmp_path / "out", jobs=1, config=CONFIG, progress=False)
    rows = list(csv.DictReader(open(tmp_path / "out" / "gradebook.csv")))
    assert [(r["student"], r["source"]) for r in rows] == [("alice", "alice/"), ("alice-2", "alice.zip")]
    assert "no student package" in rows[0]["error"] and "neither a folder nor a valid .zip" in rows[1]["error"]


@pytest.mark.slow
def test_results_do_not_depend_on_the_number_of_workers(tmp_path):
    subs = _class(tmp_path, 4)
    (subs / "student2" / "cs231n" / "layers.py").open("a").write("\ndef relu_backward(dout, cache):\n    return dout\n")
    run_batch(subs, tmp_path / "j1", jobs=1, config=CONFIG, progress=False)
    run_batch(subs, tmp_path / "j4", jobs=4, config=CONFIG, progress=False)
    assert _reports(tmp_path / "j1") == _reports(tmp_path / "j4")
    assert (tmp_path / "j1" / "gradebook.csv").read_text() == (tmp_path / "j4" / "gradebook.csv").read_text()


def test_entries_are_named_uniquely_and_safely(tmp_path):
    for name in ("Ann Lee", "ann_lee.zip", "bob"):
        path = tmp_path / name
        path.mkdir() if not name.endswith(".zip") else path.write_bytes(b"")
    (tmp_path / ".hidden").mkdir()
    assert [e.student for e in discover(tmp_path)] == ["Ann_Lee", "ann_lee", "bob"]


@pytest.mark.slow
def test_a_batch_killed_with_sigkill_resumes_without_regrading_or_half_written_files(tmp_path):
    subs, out = _class(tmp_path, 6), tmp_path / "out"
    command = [sys.executable, "-m", "autograder.cli", "batch", str(subs), "--out", str(out), "-j", "2",
               "--no-progress", "--profile", "cs231n-2021"]
    env = dict(os.environ)
    proc = subprocess.Popen(command + ["--config", str(_config_file(tmp_path))], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("*/results.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/results.json")}
    assert 2 <= len(finished) < 6
    for path in out.rglob("*"):
        assert not path.name.endswith(".tmp"), f"half-written file left behind: {path}"
    for path in out.glob("*/results.json"):
        json.loads(path.read_text())
    again = subprocess.run(command + ["--config", str(_config_file(tmp_path))], capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"already done {len(finished)}" in again.stdout
    for student, mtime in finished.items():
        assert (out / student / "results.json").stat().st_mtime_ns == mtime, f"{student} was graded again"
    rows = list(csv.DictReader(open(out / "gradebook.csv")))
    assert len(rows) == 6 and all(float(r["score"]) == float(r["max_score"]) > 0 for r in rows)


def _config_file(tmp_path):
    path = tmp_path / "course.toml"
    path.write_text('select = ["relu_*", "affine_forward*"]\n[limits]\ncheck_seconds = 5\n')
    return path


def test_a_sandbox_that_cannot_be_set_up_is_an_error_row_and_counted(tmp_path, monkeypatch):
    from autograder.sandbox import confinement as sandbox

    if sandbox.namespaces_available():
        pytest.skip(f"no namespaces here: {sandbox.namespaces_available()}")
    monkeypatch.setattr(sandbox, "UNSHARE", [*sandbox.UNSHARE, "--no-such-option"])  # the workers get it pickled
    # The probe (cached per user) would see the bad option and fall back to limits only: it ran before the option
    # broke, as when a machine's namespaces stop working between the probe and a child's start.
    monkeypatch.setattr(sandbox, "namespaces_available", lambda user=(): "")
    subs = _class(tmp_path, 2)
    result = run_batch(subs, tmp_path / "out", jobs=2, config=CONFIG, progress=False)
    assert sorted(result.errors) == ["student0", "student1"]
    rows = list(csv.DictReader(open(tmp_path / "out" / "gradebook.csv")))
    for row in rows:
        assert float(row["score"]) == 0 and "the sandbox could not be set up" in row["error"], row
    assert "with errors: 2" in (tmp_path / "out" / "summary.md").read_text()


@pytest.mark.parametrize("held", ["cs231n", "layers.py"])
def test_batch_warns_in_one_line_when_pointed_at_one_submission(tmp_path, held):
    from click.testing import CliRunner

    from autograder.cohort.batch import single_submission_warning
    from autograder.cli import main

    one = tmp_path / "alice"
    if held == "cs231n":
        _correct(one)
    else:
        one.mkdir()
        (one / "layers.py").write_text("def relu_forward(x):\n    return x, x\n")
    warning = single_submission_warning(one)
    assert "looks like a single submission" in warning and f"holds {held}" in warning
    assert not single_submission_warning(_class(tmp_path, 2))
    if held == "layers.py":  # nothing to grade in it: the CLI is quick
        outcome = CliRunner().invoke(main, ["batch", str(one), "--out", str(tmp_path / "out"), "--no-progress"])
        assert outcome.exit_code == 0, outcome.output
        assert [line for line in outcome.output.splitlines() if line.startswith("warning:")] == [f"warning: {warning}"]
