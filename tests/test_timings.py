"""Per-check wall time and the children's peak memory: instructor-only data in results.json's ``extra_data``
(Gradescope stores it and shows it to no student), printed by ``autograder grade --timings``, and nowhere else."""
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from autograder.catalog import all_cases
from autograder.cli import main
from autograder.config import Config
from autograder.grading.report import MEASURED, results_json, slowest_checks, without_measurements

from conftest import grade_catalog_only as grade

BUG = """
def relu_backward(dout, cache):
    return dout  # the mask is missing: the models fail with it, and credit isolation reruns them
"""
SELECT = ("relu_*", "affine_*", "TwoLayerNet*")
TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "tags", "visibility"}


def _grade_cli(submission, out, *extra):
    args = ["grade", str(submission), "--out", str(out), *[a for p in SELECT for a in ("-k", p)], *extra]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output, json.loads((out / "results.json").read_text()), (out / "feedback.md").read_text()


def test_the_timed_report_equals_the_untimed_one_and_its_timings_are_consistent(make_submission, tmp_path):
    sub = make_submission({"layers.py": BUG})
    timed_output, timed, timed_feedback = _grade_cli(sub, tmp_path / "timed", "--timings")
    plain_output, plain, plain_feedback = _grade_cli(sub, tmp_path / "plain")
    assert without_measurements(timed) == without_measurements(plain)
    assert timed_feedback == plain_feedback
    assert "slowest checks" in timed_output and "slowest checks" not in plain_output
    ids = {case.id for case in all_cases()}
    for data in (timed, plain):
        extra = data["extra_data"]
        timings = extra["timings"]
        assert timings["children"] >= 1 and timings["startup"] > 0
        assert timings["cases"] and set(timings["cases"]) <= ids
        isolation = timings["isolation"]  # the models failed over the student's layers: rerun over trusted ones
        assert isolation["children"] == 1 and isolation["cases"] and set(isolation["cases"]) <= ids
        seconds = [*timings["cases"].values(), *isolation["cases"].values(), timings["startup"], isolation["startup"]]
        assert all(s >= 0 for s in seconds)
        assert sum(seconds) <= data["execution_time"] + 0.1
        assert extra["peak_child_memory_bytes"] > 20 * 2**20
        # nothing of it reaches the student: not the per-test entries, the output or feedback.md
        assert all(set(test) == TEST_KEYS for test in data["tests"])
        assert "timings" not in data["output"] and "memory" not in data["output"]
    assert "timings" not in timed_feedback and "memory" not in timed_feedback
    # the slowest checks, as printed after the table: seconds, case id, function
    printed = timed_output[timed_output.index("slowest checks"):]
    rows = re.findall(r"^ *([0-9.]+) s  (\S+)( \(isolation\))?  (\S+)$", printed, flags=re.M)
    assert 1 <= len(rows) <= 15
    assert all(float(r[0]) >= 0 and r[1] in ids and r[3] == r[1].split(".")[0] for r in rows), rows
    assert [float(r[0]) for r in rows] == sorted((float(r[0]) for r in rows), reverse=True)


def test_the_slowest_checks_come_first_and_name_their_function():
    from autograder.model import Report

    report = Report("s", timings={"startup": 0.2, "children": 1, "cases": {
        "relu_forward.notebook": 0.5, "affine_backward.notebook": 2.0, "TwoLayerNet.loss": 1.0},
        "isolation": {"startup": 0.1, "children": 1, "cases": {"TwoLayerNet.loss": 3.0}}})
    assert slowest_checks(report, n=3) == [(3.0, "TwoLayerNet.loss (isolation)", "TwoLayerNet"),
                                           (2.0, "affine_backward.notebook", "affine_backward"),
                                           (1.0, "TwoLayerNet.loss", "TwoLayerNet")]
    data = results_json(report)
    assert set(MEASURED) - {"peak_child_memory_bytes"} <= set(data["extra_data"])
    assert "peak_child_memory_bytes" not in data["extra_data"]  # not measured: not written


ALLOCATE = """
_own_relu_forward = relu_forward

def relu_forward(x):
    import numpy as np
    block = np.ones(2**30 // 8)  # 1 GiB, every page written: more than the grader's own peak
    {end}
"""


@pytest.mark.parametrize("sandbox", ["auto", "limits"])
@pytest.mark.parametrize("end", ["return _own_relu_forward(x)", "import os; os._exit(3)"])
def test_the_peak_memory_is_the_student_codes_process(make_submission, sandbox, end):
    """Measured on the process running student code, not the sandbox's small wrappers; also for a child that
    died (read from wait4 then)."""
    config = Config(select=("relu_forward*",), sandbox=sandbox, isolate_dependencies=False)
    big = grade(make_submission({"layers.py": ALLOCATE.format(end=end)}, name="big"), config=config)
    ballast = np.ones(300 * 2**20 // 8)  # the grader's own peak, which a forked child's ru_maxrss starts from
    small = grade(make_submission(name="small"), config=config)
    del ballast
    assert big.peak_child_memory_bytes >= 2**30
    assert 10 * 2**20 < small.peak_child_memory_bytes < 300 * 2**20
