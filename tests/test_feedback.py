"""Issue 23: diagnoses of wrong values, hints that never give the answer, the hints setting, feedback.md's order.

The hint scan: every hint (the catalog's, the concepts of :mod:`autograder.hints`, the notebook checks') and every
diagnosis message of :mod:`autograder.grading.diagnosis_relations` is compared with every line of the reference's solution
regions (``reference/cs231n``, between the START and END markers). Both sides are compared with all whitespace
removed, so ``dx = dout * mask`` in a hint matches ``dx=dout*mask`` in a solution. A solution line counts only if it
has at least :data:`MIN_TOKENS` tokens (names, numbers and operators, comments removed): ``return out``,
``pass`` or ``N = x.shape[0]`` say nothing a student would not write anyway.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pytest

from autograder import hints, paths
from autograder.catalog import all_cases
from autograder.grading.diagnoses import Evidence, diagnose
from autograder.grading.diagnosis_relations import RELATIONS
from autograder.model import Report
from autograder.model import TestResult as Result
from corpus import END, START
from test_pipeline_unchanged import SOFTMAX_BUG  # the golden lock's planted softmax bug (dx not divided by N)

MIN_TOKENS = 5
TOKEN = re.compile(r"\w+|[^\w\s]")


def solution_lines():
    """Every line of the reference's solution regions with at least MIN_TOKENS tokens, whitespace removed."""
    lines = set()
    for rel, path in paths.reference_package_files().items():
        if not str(rel).endswith(".py"):
            continue
        inside = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() == START:
                inside = True
            elif line.strip() == END:
                inside = False
            elif inside:
                code = line.split("#", 1)[0]
                if len(TOKEN.findall(code)) >= MIN_TOKENS:
                    lines.add(re.sub(r"\s+", "", code))
    return lines


def leaks(text, lines):
    squeezed = re.sub(r"\s+", "", text)
    return sorted(line for line in lines if line in squeezed)


def every_hint_and_diagnosis():
    from autograder.notebook_checks.checks import HINTS as NOTEBOOK_HINTS

    texts = {f"catalog {case.id}: {test.name}": test.hint for case in all_cases() for test in case.tests if test.hint}
    texts.update({f"concept {name}": text for name, text in hints.CONCEPTS.items()})
    texts.update({f"concept of kind {name}": text for name, text in hints.CONCEPTS_BY_KIND.items()})
    texts.update({f"notebook {name}": text for name, text in NOTEBOOK_HINTS.items()})
    texts.update({f"relation {r.id}": r.message for r in RELATIONS})
    return texts


def test_the_scan_finds_a_solution_line_in_a_hint():
    """Hints given out before issue 23, each holding a line of the solution: the scan catches every one."""
    lines = solution_lines()
    assert len(lines) > 100
    old_hints = ("mask = (np.random.rand(*x.shape) < p) / p; out = x * mask.",
                 "In train mode dx = dout * mask, with the same mask the forward pass used.",
                 "v = momentum * v - learning_rate * dw; next_w = w + v; store v in config['velocity'].",
                 "running_mean = momentum * running_mean + (1 - momentum) * sample_mean, stored back in bn_param.")
    assert all(leaks(hint, lines) for hint in old_hints)
    assert not leaks("return out", lines)


def test_no_hint_or_diagnosis_contains_a_solution_line():
    lines = solution_lines()
    found = {name: leaks(text, lines) for name, text in every_hint_and_diagnosis().items()}
    found = {name: hit for name, hit in found.items() if hit}
    assert not found, found


def test_hints_setting():
    result = Result("c", "dropout_forward: notebook", "dropout_forward", "property", "public", "dropout", 0.0, 1.0,
                        "failed", "wrong", hint="the catalog's own hint")
    assert hints.shown(result, "full").hint == "the catalog's own hint"
    assert hints.shown(result, "concepts").hint == hints.CONCEPTS["dropout"]
    assert hints.shown(result, "none").hint == ""
    with pytest.raises(ValueError, match="full, concepts|'full'"):
        hints.check_setting("some")


# ----------------------------------------------------------------------------- diagnoses
def _ev(got, want, tol=1e-7, **kw):
    return Evidence(kw.pop("label", "dx"), np.asarray(got, float), np.asarray(want, float), tol, **kw)


def test_relations_name_the_mistake():
    rng = np.random.RandomState(0)
    x, dout = rng.randn(6, 4), rng.randn(6, 5)
    want = rng.randn(6, 4)
    inputs = {"args": (x,), "dout": dout}
    cases = {
        "scaled": _ev(6 * want, want, inputs=inputs),
        "sign": _ev(-want, want, inputs=inputs),
        "permuted": _ev(want.T, want, inputs=inputs),
        "reshape": _ev(want.reshape(4, 6), want, inputs=inputs),
        "sum_axes": _ev(dout.sum(axis=1), dout.sum(axis=0), inputs=inputs, label="db", like="b"),
        "axis_constant": _ev(want + want.mean(axis=0), want, inputs=inputs),
    }
    for relation, ev in cases.items():
        found = diagnose(ev)
        assert found is not None and found.relation == relation, (relation, found)
    assert "N (the batch size)" in diagnose(cases["scaled"]).text


def test_no_diagnosis_without_a_relation():
    rng = np.random.RandomState(1)
    want = rng.randn(5, 4)
    assert diagnose(_ev(rng.randn(5, 4), want, inputs={"args": (rng.randn(5, 4),)})) is None
    # within the tolerance only: the right value scaled by N, plus noise above the tolerance, is not "scaled"
    noisy = 5 * want + 1e-3 * rng.randn(5, 4)
    assert diagnose(_ev(noisy, want, inputs={"args": (rng.randn(5, 4),)})) is None


def test_diagnoses_name_no_number_of_a_hidden_case():
    rng = np.random.RandomState(2)
    want = rng.randn(7, 3)
    for ev in (_ev(want.reshape(3, 7), want), _ev(3.7 * want, want)):
        text = diagnose(ev).text
        assert not re.search(r"\d", text.replace("1/2", "")), text


# ----------------------------------------------------------------------------- grading, feedback.md
@pytest.fixture(scope="module")
def softmax_bug():
    from autograder.config import Config
    from autograder.grading.pipeline import grade
    from autograder.sandbox.inprocess import run_in_process

    with tempfile.TemporaryDirectory() as tmp:
        paths.copy_reference_package(Path(tmp) / "sub" / "cs231n")
        with open(Path(tmp) / "sub" / "cs231n" / "layers.py", "a", encoding="utf-8") as handle:
            handle.write("\n\n" + SOFTMAX_BUG)
        yield {setting: grade(Path(tmp) / "sub", config=Config(profile="all", select=("softmax_loss*", "relu_*"),
                                                                   hints=setting), runner=run_in_process)
               for setting in ("concepts", "none")}


def test_a_failure_carries_its_diagnosis_everywhere(softmax_bug):
    from autograder.grading.report import feedback_markdown, results_json

    report = softmax_bug["concepts"]
    failed = [r for r in report.results if r.status == "failed"]
    assert failed and all(r.relation == "scaled" for r in failed if "dx" in r.name), failed
    text = feedback_markdown(report)
    assert "Diagnosis: dx is the expected value scaled by N (the batch size)." in text
    assert text.index("## What to fix") < text.index("## Passed") < text.index("## Notes")
    assert "`relu_forward`" in text.split("## Passed")[1]  # passes folded, after the failures
    tests = results_json(report)["tests"]
    assert any("\nDiagnosis: " in t["output"] for t in tests if t["visibility"] == "visible")
    from autograder.grading.report import read_results_json

    assert [r.diagnosis for r in read_results_json(results_json(report)).results] == \
        [r.diagnosis for r in report.results if r.status != "not_applicable"]


def test_hints_none_prints_no_hint(softmax_bug):
    from autograder.grading.report import feedback_markdown, results_json

    report = softmax_bug["none"]
    assert any(r.status == "failed" for r in report.results)
    assert all(not r.hint for r in report.results)
    assert "Hint" not in feedback_markdown(report)
    assert not any("Hint:" in t["output"] for t in results_json(report)["tests"])


def test_feedback_warnings_are_not_failures():
    from autograder.grading.report import feedback_markdown

    warned = Result("c", "f: float32", "f", "contract", "public", "g", 0.0, 0.0, "passed", "",
                        warning="out has dtype float64, expected float32")
    text = feedback_markdown(Report("s", [warned], notes=["notebook versions: 2024"], profile="cs231n"))
    assert "❌" not in text and "## Warnings" in text and "⚠️" in text
    assert text.index("## Notes") > text.index("## Warnings")


def test_a_missing_function_gets_no_hint_about_the_math():
    from autograder.grading.pipeline import _result
    from autograder.config import Config

    case = next(c for c in all_cases() if c.id == "affine_forward.notebook")
    test = case.tests[0]
    assert test.hint
    missing = _result(case, test, Config(), False, "affine_forward was not found in the submission")
    assert missing.hint == ""
    wrong = _result(case, test, Config(), False, "out is wrong: relative error 1.00e+00 exceeds 1e-07")
    assert wrong.hint == test.hint


def test_notebook_hints_never_ask_to_fix_provided_code():
    from autograder.notebook_checks.checks import _printed_hint
    from autograder.notebook_checks.rules.vocabulary import Rule

    provided = Rule("x", "max_pool_backward_fast", "", (), "dx difference below 1e-8", "")
    assert "Fix" not in _printed_hint(provided) and "provided" in _printed_hint(provided)
    own = Rule("y", "affine_backward", "", (), "errors below 1e-8", "")
    assert "affine_backward" in _printed_hint(own)


def test_a_trusted_layers_shape_message_survives_the_isolation_scrub():
    """A model failing over trusted layers says which argument had which shape; code in an exception does not pass."""
    from autograder.grading import credit_isolation as isolation

    vocabulary = isolation._vocabulary()
    message = "affine_forward: b has shape (1, 32), expected (32,) (x has shape (2, 5), w has shape (5, 32))"
    raised = {"id": "x", "ok": False, "kind": "exception", "type": "ValueError", "error": message,
              "where": "cnn.py, line 97, in loss"}
    assert isolation.scrub_reply(raised, {"cnn.py"}, vocabulary)["error"] == message
    for forged in ("affine_forward: dx = dout * (x > 0)", "dx = dout * (x > 0)"):
        assert isolation.scrub_reply(dict(raised, error=forged), {"cnn.py"}, vocabulary)["error"] == ""


def test_a_changed_provided_function_is_named_as_such(tmp_path):
    from autograder.grading import provided_changes

    package = tmp_path / "cs231n"
    paths.copy_reference_package(package)
    assert provided_changes.changed(tmp_path, ("cs231n",)) == {}
    text = (package / "layer_utils.py").read_text()
    start = text.index("def affine_relu_backward")
    body_end = text.index("return dx, dw, db", start)
    (package / "layer_utils.py").write_text(text[:body_end] + "dx = dx * 2\n    " + text[body_end:])
    assert provided_changes.changed(tmp_path, ("cs231n",)) == {"affine_relu_backward": "cs231n/layer_utils.py"}
    assert "the course provides it" in provided_changes.note("affine_relu_backward", "cs231n/layer_utils.py")
