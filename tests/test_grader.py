"""The grader end to end: full marks for the reference, zero for the template, isolation of every check,
clear messages, and a report in Gradescope's schema that is the same bit for bit on every run."""
import json
import subprocess
import sys

import pytest

from autograder.config import Config
from autograder.grade import grade
from autograder.report import results_json
from autograder.runner import Limits

from conftest import ROOT

FAST = ("relu_*", "affine_*")


def by_target(report):
    out = {}
    for r in report.results:
        out.setdefault(r.target, []).append(r)
    return out


def failed(report, target):
    return [r for r in report.results if r.target == target and r.status == "failed"]


@pytest.mark.slow
def test_reference_gets_full_marks_from_the_cli(tmp_path):
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(ROOT / "reference"), "--profile", "all",
                    "--out", str(out)], check=True, capture_output=True, timeout=300)
    results = json.loads((out / "results.json").read_text())
    assert results["score"] == results["max_score"] > 250
    assert all(t["status"] == "passed" for t in results["tests"]), [t for t in results["tests"] if t["status"] != "passed"]
    assert (out / "feedback.md").read_text().startswith("# Feedback for reference")


@pytest.mark.slow
def test_student_template_scores_zero_on_every_student_check():
    report = grade(ROOT / "student_template", config=Config(profile="all"))
    graded = [r for r in report.results if r.status != "not_applicable"]
    assert len(graded) > 250
    assert report.score == 0, [r.name for r in graded if r.status == "passed"]


def test_results_json_follows_the_gradescope_schema(make_submission):
    report = grade(make_submission(), config=Config(select=FAST))
    data = results_json(report)
    assert {"score", "max_score", "execution_time", "output", "visibility", "stdout_visibility", "tests"} <= set(data)
    assert data["score"] == data["max_score"] > 0
    for test in data["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "tags", "visibility"} <= set(test)
        target = test["name"].split(":")[0]
        assert target in test["tags"] and test["status"] in ("passed", "failed")
        assert test["visibility"] in ("visible", "after_published")


def test_same_submission_same_report_bit_for_bit(make_submission):
    sub = make_submission({"layers.py": "def relu_backward(dout, cache):\n    return dout\n"})
    first, second = (results_json(grade(sub, config=Config(select=FAST))) for _ in range(2))
    first.pop("execution_time"), second.pop("execution_time")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert first["score"] < first["max_score"]


def test_an_exception_in_one_function_costs_only_its_checks(make_submission):
    report = grade(make_submission({"layers.py": """
        def relu_forward(x):
            raise ValueError("oops")
    """}), config=Config(select=FAST))
    bad = failed(report, "relu_forward")
    assert bad and all("raised ValueError: oops" in r.message and "layers.py" in r.message for r in bad)
    assert not failed(report, "affine_forward") and not failed(report, "affine_backward")


def test_wrong_shape_is_reported_with_both_shapes(make_submission):
    report = grade(make_submission({"layers.py": """
        _right_affine_backward = affine_backward
        def affine_backward(dout, cache):
            dx, dw, db = _right_affine_backward(dout, cache)
            return dx, dw.T, db
    """}), config=Config(select=("affine_backward",)))
    messages = [r.message for r in failed(report, "affine_backward")]
    assert "dw has shape (5, 6), expected (6, 5) like w" in messages
    assert not any(r.name.endswith(": dx") for r in failed(report, "affine_backward"))


def test_nan_output_is_named(make_submission):
    report = grade(make_submission({"layers.py": """
        import numpy as _np
        def relu_forward(x):
            return _np.full_like(x, _np.nan), x
    """}), config=Config(select=("relu_forward",)))
    assert any("non-finite" in r.message for r in failed(report, "relu_forward"))


def test_missing_function_and_syntax_error_cost_only_their_checks(make_submission):
    sub = make_submission({"layers.py": "del affine_forward\n", "optim.py": "def adam(:\n"})
    report = grade(sub, config=Config(select=("affine_forward", "relu_forward", "adam", "sgd_momentum")))
    assert all("affine_forward was not found" in r.message for r in failed(report, "affine_forward"))
    adam = failed(report, "adam")
    assert adam and all("optim.py" in r.message and "SyntaxError" in r.message for r in adam)
    assert not failed(report, "relu_forward")
    assert any("optim.py could not be imported" in note for note in report.notes)


def test_hard_coded_notebook_answers_fail_the_hidden_checks(make_submission):
    report = grade(make_submission({"layers.py": """
        import numpy as _np
        _real = affine_forward
        def affine_forward(x, w, b):
            out, cache = _real(x, w, b)
            return _np.array([[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]]), cache
    """}), config=Config(select=("affine_*",)))
    notebook = [r for r in report.results if r.case_id == "affine_forward.notebook" and r.name.endswith("output")]
    assert notebook and notebook[0].status == "passed"
    hidden = [r for r in failed(report, "affine_forward") if r.visibility == "hidden"]
    assert hidden and all(r.name.endswith((": output", ": output dtype")) for r in hidden)


def test_an_endless_loop_fails_its_checks_on_a_time_limit_and_the_rest_count(make_submission):
    sub = make_submission({"layers.py": """
        def relu_forward(x):
            while True:
                pass
    """})
    report = grade(sub, config=Config(select=FAST, limits=Limits(check_seconds=2)))
    bad = failed(report, "relu_forward")
    assert bad and all(r.message == "time limit of 2 s exceeded" for r in bad)
    assert not failed(report, "affine_backward")


@pytest.mark.parametrize("body, reason", [
    ("import os\n    os._exit(3)", "exited with code 3"),
    ("import ctypes\n    ctypes.string_at(0)", "SIGSEGV"),
    ("import sys\n    sys.exit(0)", "raised SystemExit"),
])
def test_a_dying_function_fails_alone(make_submission, body, reason):
    sub = make_submission({"layers.py": f"def relu_forward(x):\n    {body}\n"})
    report = grade(sub, config=Config(select=FAST))
    bad = failed(report, "relu_forward")
    assert bad and all(reason in r.message for r in bad)
    assert not failed(report, "affine_backward") and not failed(report, "affine_forward")


def test_an_endless_loop_at_import_fails_everything_with_that_reason(make_submission):
    sub = make_submission({"layers.py": "while True:\n    pass\n"})
    report = grade(sub, config=Config(select=FAST, limits=Limits(startup_seconds=2)))
    assert report.score == 0
    assert all("could not be loaded" in r.message for r in report.results if r.status == "failed")


def test_a_broken_provided_file_is_replaced_by_the_trusted_copy(make_submission):
    sub = make_submission({"fast_layers.py": "raise RuntimeError('edited provided file')\n",
                           "gradient_check.py": "eval_numerical_gradient = None\n"})
    (sub / "cs231n" / "im2col_cython.cpython-311-x86_64-linux-gnu.so").write_bytes(b"not a library")
    report = grade(sub, config=Config(profile="all", select=("conv_relu_pool_backward",)))  # a provided sandwich
    assert report.score == report.max_score > 0


def test_loading_a_submission_in_process_leaves_the_callers_modules_alone(make_submission):
    import sys as _sys

    import cs231n.solver as before

    from autograder.child.loader import Submission
    from autograder.submission import Layout, stage

    root = make_submission()
    stage_dir, packages = stage(Layout(root, ("cs231n",)), root.parent / "scratch")
    sub = Submission(stage_dir, packages, "_in_process_test").load()
    assert sub.find(["affine_forward"])[0]["affine_forward"].__module__.startswith("_in_process_test")
    sub.unload()
    assert _sys.modules["cs231n.solver"] is before
