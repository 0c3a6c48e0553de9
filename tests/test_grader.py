"""The grader end to end: full marks for the reference, zero for the template, isolation of every check,
clear messages, and a report in Gradescope's schema that is the same bit for bit on every run."""
import json
import subprocess
import sys

import pytest

from autograder.config import Config
from autograder.grading.pipeline import grade
from autograder.grading.report import results_json, without_measurements
from autograder.sandbox import confinement as sandbox
from autograder.cli import main
from autograder.sandbox.runner import Limits
from autograder.sandbox.submission import find_layout

from conftest import ROOT

NEEDS_NAMESPACES = pytest.mark.skipif(bool(sandbox.namespaces_available()),
                                      reason=f"no namespaces here: {sandbox.namespaces_available()}")

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
    first, second = without_measurements(first), without_measurements(second)
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
    # the first check that calls it runs out of time; the later ones are not run (it would hang again)
    timed_out = [r for r in bad if r.case_id == "relu_forward.notebook"]
    assert timed_out and all(r.message == "time limit of 2 s exceeded" for r in timed_out)
    assert bad != timed_out and all(r.message == "not checked: relu_forward timed out in an earlier check"
                                    for r in bad if r not in timed_out)
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
    assert report.error.startswith("the submission could not be loaded: time limit exceeded")


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
    from autograder.sandbox.submission import Layout, stage

    root = make_submission()
    stage_dir, packages = stage(Layout(root, ("cs231n",)), root.parent / "scratch")
    sub = Submission(stage_dir, packages, "_in_process_test").load()
    assert sub.find(["affine_forward"])[0]["affine_forward"].__module__.startswith("_in_process_test")
    sub.unload()
    assert _sys.modules["cs231n.solver"] is before


# ----------------------------------------------------------------------------- submission-level errors
def _cli(*args):
    from click.testing import CliRunner

    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("kind, message", [("empty", "no student package found in empty"),
                                           ("not_a_zip", "is neither a folder nor a valid .zip archive"),
                                           ("no_package", "no student package found in no_package")])
def test_an_ungradable_submission_is_one_line_and_a_non_zero_exit_with_a_valid_results_json(tmp_path, kind, message):
    target = tmp_path / kind
    if kind == "not_a_zip":
        target = tmp_path / "sub.zip"
        target.write_text("not a zip")
    else:
        target.mkdir()
        if kind == "no_package":
            (target / "notes.txt").write_text("my answers are in the notebook")
    outcome = _cli("grade", target, "--out", tmp_path / "out")
    assert outcome.exit_code == 1, outcome.output
    errors = [line for line in outcome.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], outcome.output
    assert "TOTAL" not in outcome.output and "note:" not in outcome.output
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["score"] == 0 and message in data["output"] and message in data["extra_data"]["error"]
    assert {"score", "max_score", "execution_time", "output", "visibility", "stdout_visibility", "tests"} <= set(data)
    assert all("Hint:" not in t["output"] for t in data["tests"])


def test_a_gradable_submission_exits_zero_even_with_failures(make_submission):
    sub = make_submission({"layers.py": "def relu_forward(x):\n    return x, x\n"})
    outcome = _cli("grade", sub, "-k", "relu_forward")
    assert outcome.exit_code == 0, outcome.output
    assert "TOTAL" in outcome.output and "error:" not in outcome.output


@NEEDS_NAMESPACES
def test_hidden_paths_inside_other_hidden_paths_or_missing_do_not_break_the_sandbox(make_submission, tmp_path):
    """A wheel install hides site-packages/autograder and also its _reference/ and _fixtures/ inside it."""
    outer = tmp_path / "grader"
    (outer / "inner" / "deeper").mkdir(parents=True)
    (outer / "inner" / "secret.npz").write_text("answers")
    hidden = [outer, outer / "inner", outer / "inner" / "secret.npz", outer / "inner" / "deeper",
              tmp_path / "does-not-exist", tmp_path / "does-not-exist" / "below"]
    sub = make_submission({"layers.py": f"""
        _real_relu_forward = relu_forward
        def relu_forward(x):
            import os
            if os.path.exists({str(outer / "inner" / "secret.npz")!r}) or os.listdir({str(outer)!r}):
                return x * 0, x
            return _real_relu_forward(x)
    """})
    report = grade(sub, config=Config(select=("relu_forward",)), hidden=hidden)
    assert not report.error, report.error
    assert report.score == report.max_score > 0


def test_only_the_outermost_hidden_paths_are_mounted(tmp_path):
    paths = [tmp_path / "a" / "b", tmp_path / "a", tmp_path / "c" / "d", tmp_path / "ab"]
    assert sandbox.outermost(paths) == [tmp_path / "a", tmp_path / "ab", tmp_path / "c" / "d"]


@pytest.fixture
def broken_unshare(monkeypatch):
    """Namespaces work here, but the sandbox's unshare command line fails (as a kernel that forbids them would)."""
    if sandbox.namespaces_available():
        pytest.skip(f"no namespaces here: {sandbox.namespaces_available()}")
    monkeypatch.setattr(sandbox, "UNSHARE", [*sandbox.UNSHARE, "--no-such-option"])


def test_a_sandbox_that_cannot_be_set_up_is_an_error_of_the_submission(make_submission, broken_unshare):
    report = grade(make_submission(), config=Config(select=("relu_forward",)))
    assert report.score == 0
    assert report.error.startswith("the submission could not be loaded: the sandbox could not be set up (")
    assert "no-such-option" in report.error
    assert results_json(report)["extra_data"]["error"] == report.error
    outcome = _cli("grade", make_submission(name="again"), "-k", "relu_forward")
    assert outcome.exit_code == 1
    assert [line for line in outcome.output.splitlines() if line.strip()] == [f"error: again: {report.error}"]


def test_a_child_that_cannot_start_is_an_error_of_the_submission(make_submission, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/nonexistent/python3")
    report = grade(make_submission(), config=Config(select=("relu_forward",)))
    assert report.score == 0
    assert report.error.startswith("the submission could not be loaded: "), report.error
    assert all(r.status == "failed" for r in report.results)


# ----------------------------------------------------------------------------- layouts and the course config
def test_configured_packages_match_any_of_the_listed_folders(tmp_path):
    (tmp_path / "sub" / "cs231n").mkdir(parents=True)
    (tmp_path / "sub" / "cs231n" / "layers.py").write_text("")
    assert find_layout(tmp_path / "sub", ("nndl", "cs231n")).packages == ("cs231n",)
    (tmp_path / "sub" / "nndl").mkdir()
    assert find_layout(tmp_path / "sub", ("nndl", "cs231n")).packages == ("nndl", "cs231n")
    with pytest.raises(Exception, match=r"none of the configured package folders \(libs/, cs260/\) is in sub"):
        find_layout(tmp_path / "sub", ("libs", "cs260"))


def test_the_readme_sample_config_grades_the_readme_example_bob(tmp_path):
    """The manual's sample configuration (docs/instructors/config.md) on examples/other-courses/bob.zip (an nndl/
    submission without cs231n/)."""
    page = (ROOT / "docs" / "instructors" / "config.md").read_text()
    block = page.split("```toml\n", 1)[1].split("```", 1)[0]
    assert 'packages = ["nndl", "cs231n"]' in block
    (tmp_path / "course.toml").write_text(block)
    from autograder.config import load_config

    report = grade(ROOT / "examples" / "other-courses" / "bob.zip", config=load_config(tmp_path / "course.toml"))
    assert not report.error, report.error
    assert report.profile == "nndl"
    assert not failed(report, "conv_forward_naive") and not failed(report, "conv_backward_naive")
    assert failed(report, "max_pool_backward_naive")  # bob's planted bug: overlapping windows overwrite
