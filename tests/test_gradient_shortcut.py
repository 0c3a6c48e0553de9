"""Numerical gradients only where they decide (issue 16): a gradient check whose function is shown to be the
reference's own is judged against the reference's numerical gradient without perturbing the student's code;
every other check gets its perturbed calls in a follow-up request, and each verdict and message is the one the
full numerical check gives."""
import numpy as np
import pytest

import autograder.grading.pipeline as grading
from autograder.config import Config
from autograder.catalog.fixtures import Store
from autograder.sandbox.inprocess import run_in_process

MODELS = ("FullyConnectedNet.notebook", "FullyConnectedNet.batchnorm", "TwoLayerNet.loss", "softmax_loss.notebook",
          "conv_backward_naive.notebook")
STALE_PARAMS = """
_right_loss = FullyConnectedNet.loss

def _stale_loss(self, X, y=None):
    # a forward that computes with copies of the parameters taken at the first call: right at that point, blind to
    # any later change (a perturbed parameter, or a training step)
    if not hasattr(self, "_frozen"):
        self._frozen = {k: v.copy() for k, v in self.params.items()}
    live, self.params = self.params, self._frozen
    try:
        return _right_loss(self, X, y)
    finally:
        self.params = live

FullyConnectedNet.loss = _stale_loss
"""
CALL_COUNTER = """
_right_softmax = softmax_loss
_calls = [0]

def softmax_loss(x, y):
    # right on the first call only: the loss drifts with every later call
    loss, dx = _right_softmax(x, y)
    _calls[0] += 1
    return loss + 1e-3 * (_calls[0] - 1), dx
"""
W2_GRADIENT_BUG = """
_right_loss = TwoLayerNet.loss

def _bugged_loss(self, X, y=None):
    out = _right_loss(self, X, y)
    if y is None:
        return out
    loss, grads = out
    grads["W2"] = grads["W2"] * 1.01
    return loss, grads

TwoLayerNet.loss = _bugged_loss
"""


@pytest.fixture
def followups(monkeypatch):
    """The follow-up requests the grader made: (case id, the numerical gradients asked for)."""
    asked, original = [], grading.followups

    def recording(ctx):
        followup = original(ctx)

        def wrapped(sent, reply):
            more = followup(sent, reply)
            if more is not None:
                asked.append((sent["id"], tuple(more["inputs"]["numeric"])))
                # the same request, asking for perturbed calls: nothing else changes (no expected value goes out)
                assert more["inputs"].keys() == sent["inputs"].keys()
                assert {k for k, v in more["inputs"].items() if v is not sent["inputs"][k]} == {"numeric"}
            return more
        return wrapped
    monkeypatch.setattr(grading, "followups", recording)
    return asked


def _graded(submission, select, **kwargs):
    report = grading.grade(submission, config=Config(select=select, isolate_dependencies=False),
                           runner=run_in_process, **kwargs)
    return [(r.name, r.status, r.score, r.message) for r in report.results if r.group != "notebooks"]


def _without_shortcut(monkeypatch, submission, select):
    with monkeypatch.context() as m:
        m.setattr(Store, "has_optional", lambda self, case: False)
        return _graded(submission, select)


def test_the_reference_needs_no_numerical_gradient_and_keeps_full_marks(make_submission, followups, monkeypatch):
    sub = make_submission()
    results = _graded(sub, MODELS)
    assert followups == []
    assert results and all(status == "passed" for _, status, _, _ in results)
    assert results == _without_shortcut(monkeypatch, sub, MODELS)


def test_the_first_request_holds_no_expected_value_and_no_perturbation(make_submission, monkeypatch):
    sent = []

    def runner(config, plan, followup=None):
        def recorded(manifest):
            requests = plan(manifest)
            sent.extend(request for _, request, _ in requests)
            return requests
        return run_in_process(config, recorded, followup)
    grading.grade(make_submission(), config=Config(select=MODELS, isolate_dependencies=False), runner=runner)
    assert {r["id"] for r in sent} == set(MODELS)
    from autograder.catalog import all_cases
    from autograder.catalog.fixtures import load, optional_paths

    store = load()
    answers = [store.arrays[f"{c.id}:{p}"] for c in all_cases() if c.id in MODELS for p in optional_paths(c)
               if not p.startswith("params.") and f"{c.id}:{p}" in store.arrays]  # (TwoLayerNet's params are inputs)
    assert answers
    for request in sent:
        assert request["inputs"]["numeric"] == ()
        assert request["inputs"]["directions"]  # the evidence is asked for instead
        sent_arrays = list(_arrays(request))
        assert not [a for a in answers for b in sent_arrays if a.shape == b.shape and np.array_equal(a, b)]


def _arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arrays(v)


def test_a_forward_blind_to_its_parameters_gets_the_full_numerical_check(make_submission, followups, monkeypatch):
    sub = make_submission({"classifiers/fc_net.py": STALE_PARAMS})
    select = ("FullyConnectedNet.notebook",)
    results = _graded(sub, select)
    assert followups and followups[0][0] == "FullyConnectedNet.notebook"
    failed = [name for name, status, _, message in results if status == "failed"]
    assert failed and all("gradient" in name for name in failed)
    assert results == _without_shortcut(monkeypatch, sub, select)


def test_a_function_that_changes_from_call_to_call_gets_the_full_numerical_check(make_submission, followups,
                                                                                 monkeypatch):
    sub = make_submission({"layers.py": CALL_COUNTER})
    select = ("softmax_loss.notebook",)
    results = _graded(sub, select)
    assert followups == [("softmax_loss.notebook", (0,))]
    assert ("softmax_loss: notebook: gradient dx", "failed") in [(n, s) for n, s, _, _ in results]
    assert results == _without_shortcut(monkeypatch, sub, select)


def test_a_wrong_gradient_is_checked_numerically_with_the_usual_message(make_submission, followups, monkeypatch):
    sub = make_submission({"classifiers/fc_net.py": W2_GRADIENT_BUG})
    select = ("TwoLayerNet.loss",)
    results = _graded(sub, select)
    assert followups == [("TwoLayerNet.loss", ("W2",))]  # only the parameter still undecided
    bad = [(name, message) for name, status, _, message in results if status == "failed"]
    assert [name for name, _ in bad] == ["TwoLayerNet: reg = 0: gradient W2", "TwoLayerNet: reg = 0.7: gradient W2"]
    assert all("does not match the numerical gradient" in message for _, message in bad)
    assert results == _without_shortcut(monkeypatch, sub, select)


def test_the_sandboxed_child_answers_follow_ups_too(make_submission, followups):
    sub = make_submission({"classifiers/fc_net.py": W2_GRADIENT_BUG})
    report = grading.grade(sub, config=Config(select=("TwoLayerNet.loss",), isolate_dependencies=False))
    assert followups == [("TwoLayerNet.loss", ("W2",))]
    assert [r.name for r in report.results if r.status == "failed"] == [
        "TwoLayerNet: reg = 0: gradient W2", "TwoLayerNet: reg = 0.7: gradient W2"]


def test_without_the_hidden_fixtures_the_numerics_are_computed_as_before(make_submission, followups):
    report = grading.grade(make_submission(), config=Config(select=("TwoLayerNet.loss",), include_hidden=False,
                                                            isolate_dependencies=False), runner=run_in_process)
    assert followups == [] and report.results and all(r.status == "passed" for r in report.results)
