"""``autograder grade`` starts the submission's child before its own imports (autograder.grading.early_child) and
ends without tearing down the interpreter (autograder.cli.run): the same grades, nothing left behind, and every
failure still reported by the pipeline as before."""
import json
import os
import subprocess
import sys
import time

import pytest

from autograder.config import Config
from autograder.grading import early_child as early_module
from autograder.grading.pipeline import grade
from autograder.grading.report import results_json, without_measurements
from autograder.sandbox import portable_child

pytestmark = pytest.mark.skipif(not portable_child.sandbox_supported() or portable_child.portable(),
                                reason="the early child is started where the sandbox wraps children (POSIX)")

CONFIG = Config(select=("relu_forward*", "affine_forward*", "TwoLayerNet.loss"))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:  # a zombie is not alive
        return handle.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_the_command_imports_nothing_heavy_before_the_child_starts():
    code = ("import sys, autograder.cli, autograder.grading.early_child; "
            "heavy = sorted(m for m in ('numpy', 'autograder.catalog.fixtures', 'autograder.grading.pipeline') "
            "if m in sys.modules); print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_an_adopted_early_child_grades_like_a_child_started_by_the_pipeline(make_submission):
    submission = make_submission({"layers.py": "def relu_forward(x):\n    return x * (x > 1), x\n"})
    expected = grade(submission, config=CONFIG)
    with early_module.early_child(submission, CONFIG) as early:
        assert early is not None and early.spawned is not None
        pid = early.spawned.proc.pid
        report = grade(submission, config=CONFIG, early=early)
        assert early.spawned is None  # taken by the grading, which stopped it
    assert not _alive(pid)
    assert not early.scratch.exists()
    assert report.score == expected.score < report.max_score
    assert without_measurements(results_json(report)) == without_measurements(results_json(expected))


def test_a_child_never_taken_is_stopped_and_its_scratch_removed(make_submission):
    with early_module.early_child(make_submission(), CONFIG) as early:
        pid, scratch = early.spawned.proc.pid, early.scratch
        assert _alive(pid) and (scratch / "_agchild").is_dir() and early.opened.stage_dir.is_dir()
        time.sleep(0.3)  # the sandbox's setup has written its status file beside the scratch folder
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert not scratch.exists()
    assert not (scratch.parent / f".{scratch.name}.sandbox").exists()  # the sandbox's leftovers are reaped too
    assert str(scratch) not in early.sandbox._groups


def test_what_cannot_start_early_is_left_to_the_pipeline_which_reports_it(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with early_module.early_child(empty, CONFIG) as early:
        assert early is None
        report = grade(empty, config=CONFIG, early=early)
    assert report.error.startswith("no student package found"), report.error


def test_early_cannot_be_combined_with_another_runner_or_sandbox(make_submission):
    from autograder.sandbox.inprocess import run_in_process

    with early_module.early_child(make_submission(), CONFIG) as early:
        with pytest.raises(ValueError, match="early="):
            grade(make_submission(name="other"), config=CONFIG, early=early, runner=run_in_process)


@pytest.mark.parametrize("broken", [False, True])
def test_the_command_writes_everything_and_exits_with_its_status(make_submission, tmp_path, broken):
    """The console script ends with os._exit after `grade`: its output and files must be complete, its status
    right (1 when the submission could not be graded)."""
    submission = tmp_path / "empty" if broken else make_submission()
    submission.mkdir(exist_ok=True)
    out = tmp_path / "out"
    script = "import sys; from autograder.cli import run; sys.argv[0] = 'autograder'; run()"
    done = subprocess.run([sys.executable, "-c", script, "grade", str(submission), "-k", "relu_forward*", "--out",
                           str(out)], capture_output=True, text=True, timeout=300)
    results = json.loads((out / "results.json").read_text())
    if broken:
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("error: no student package found in empty"), done.stderr
        assert results["score"] == 0
    else:
        assert done.returncode == 0, done.stderr
        assert "TOTAL" in done.stdout and done.stdout.rstrip().endswith(f"wrote {out / 'results.json'} and "
                                                                          f"{out / 'feedback.md'}"), done.stdout
        assert results["score"] == results["max_score"] > 0
    assert (out / "feedback.md").read_text().strip()
