"""A function that hangs costs its time limit once: later checks that would call it are not run (or stop right
before calling it) and say "not checked: relu_forward timed out in an earlier check"; checks that do not call it
run as always, and credit isolation still reruns a model whose layer hung over the trusted layers."""
import textwrap

from autograder.catalog import all_cases
from autograder.child.protocol import Reply
from autograder.config import Config
from autograder.grading.hangs import Hangs, reach, source_calls
from autograder.sandbox.runner import Limits

from conftest import grade_catalog_only as grade

LIMIT = 2
CASES = {case.id: case for case in all_cases()}


def loops(name, args):
    return f"def {name}({args}):\n    while True:\n        pass\n"


def _waited(report):
    """Seconds the grader waited on checks, in the submission's child and the credit-isolation child."""
    timings = report.timings
    return sum(timings["cases"].values()) + sum((timings.get("isolation") or {}).get("cases", {}).values())


def _messages(report, target, case_id=None):
    return {r.message for r in report.results
            if r.target == target and r.status == "failed" and (case_id is None or r.case_id == case_id)}


# ----------------------------------------------------------------------------- graded submissions
def test_a_forward_that_loops_costs_one_time_limit_and_its_callers_say_why(make_submission):
    report = grade(make_submission({"layers.py": loops("relu_forward", "x")}),
                   config=Config(select=("relu_*", "affine_*"), limits=Limits(check_seconds=LIMIT)))
    assert LIMIT <= _waited(report) < 1.5 * LIMIT  # not one limit per check that calls relu_forward
    assert _messages(report, "relu_forward", "relu_forward.notebook") == {f"time limit of {LIMIT} s exceeded"}
    later = [r for r in report.results if r.status == "failed" and r.case_id != "relu_forward.notebook"
             and r.target in ("relu_forward", "relu_backward")]
    assert later and {r.message for r in later} == {"not checked: relu_forward timed out in an earlier check"}
    assert all(r.score == 0 for r in later)
    # the checks that never call relu_forward ran and passed
    for target in ("affine_forward", "affine_backward"):
        ran = [r for r in report.results if r.target == target]
        assert ran and all(r.status == "passed" for r in ran), target


def test_a_backward_that_loops_leaves_its_forwards_checks_alone_in_every_later_check(make_submission):
    report = grade(make_submission({"layers.py": loops("relu_backward", "dout, cache")}),
                   config=Config(select=("relu_*",), limits=Limits(check_seconds=LIMIT)))
    assert LIMIT <= _waited(report) < 1.5 * LIMIT
    forward = [r for r in report.results if r.target == "relu_forward"]
    assert {r.case_id for r in forward} > {"relu_forward.notebook", "relu_backward.notebook"}  # in later cases too
    assert all(r.status == "passed" for r in forward), [(r.name, r.message) for r in forward if r.status != "passed"]
    assert _messages(report, "relu_backward", "relu_backward.notebook") == {f"time limit of {LIMIT} s exceeded"}
    assert _messages(report, "relu_backward") == {f"time limit of {LIMIT} s exceeded",
                                                  "not checked: relu_backward timed out in an earlier check"}


def test_a_model_whose_layer_hangs_is_still_checked_over_the_trusted_layers(make_submission):
    report = grade(make_submission({"layers.py": loops("affine_forward", "x, w, b")}),
                   config=Config(select=("affine_forward*", "TwoLayerNet*"), limits=Limits(check_seconds=LIMIT)))
    assert LIMIT <= _waited(report) < 1.5 * LIMIT + 3  # (+ the models' reruns over trusted layers)
    graded = [r for r in report.results if r.target == "TwoLayerNet" and r.max_score > 0]
    assert graded and all(r.status == "passed" for r in graded), [(r.name, r.message) for r in graded
                                                                   if r.status != "passed"]
    line = [r for r in report.results if r.target == "TwoLayerNet" and r.max_score == 0 and r.kind != "contract"]
    assert line and "not checked: affine_forward timed out in an earlier check" in line[0].message
    assert report.timings["isolation"]["cases"]


def test_a_correct_submission_is_graded_as_before(make_submission):
    report = grade(make_submission(), config=Config(select=("relu_*", "affine_*")))
    assert report.score == report.max_score > 0


# ----------------------------------------------------------------------------- which checks need what
SOURCE = {
    "layers.py": """
        def affine_forward(x, w, b):
            return helper(x) @ w + b, (x, w, b)

        def helper(x):
            return x.reshape(x.shape[0], -1)

        def relu_forward(x):
            return x.clip(min=0), x
    """,
    "layer_utils.py": """
        from .layers import *

        def affine_relu_forward(x, w, b):
            a, fc = affine_forward(x, w, b)
            return relu_forward(a)
    """,
    "classifiers/fc_net.py": """
        from .. import layer_utils as lu

        class TwoLayerNet:
            def loss(self, X, y=None):
                return lu.affine_relu_forward(X, self.w, self.b)

        class FullyConnectedNet:
            def loss(self, X, y=None):
                if self.normalization == "batchnorm":
                    X = batchnorm_forward(X, 1.0, 0.0, {"mode": "train"})[0]
                return X  # calls no other layer
    """,
}


def _package(tmp_path):
    for rel, text in SOURCE.items():
        path = tmp_path / "cs231n" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (tmp_path / "cs231n" / "broken.py").write_text("def (:\n")  # a file that does not parse is skipped
    return tmp_path


def test_the_calls_are_read_from_the_submissions_source(tmp_path):
    mentions = source_calls(_package(tmp_path), ["cs231n"])
    assert reach(mentions, ["TwoLayerNet"]) >= {"affine_relu_forward", "affine_forward", "helper", "relu_forward"}
    assert not reach(mentions, ["FullyConnectedNet"]) & {"affine_forward", "relu_forward"}
    assert reach(mentions, ["relu_forward"]) == {"relu_forward"}


def _request(case_id):
    case = CASES[case_id]
    inputs = case.make_inputs(__import__("numpy").random.RandomState(0))
    return {"id": case_id, "probe": case.probe, "inputs": inputs}


def test_only_the_checks_that_reach_a_hung_function_are_held_back(tmp_path):
    hangs = Hangs.for_submission(all_cases(), _package(tmp_path), ["cs231n"])
    hangs.timed_out("relu_forward.notebook", _request("relu_forward.notebook"), None)
    assert hangs.hung == {"relu_forward": "relu_forward.notebook"}
    skipped = "not checked: relu_forward timed out in an earlier check"
    assert hangs.before("TwoLayerNet.loss", _request("TwoLayerNet.loss"))[1] == skipped  # through its sandwich
    request, reason = hangs.before("FullyConnectedNet.notebook", _request("FullyConnectedNet.notebook"))
    assert reason == "" and "halt" not in request  # calls no layer: runs as always
    assert hangs.before("affine_forward.notebook", _request("affine_forward.notebook"))[1] == ""
    # a layer a model calls only when built with it: the model's other checks run
    hangs.timed_out("batchnorm_forward.notebook.train", _request("batchnorm_forward.notebook.train"), None)
    assert hangs.hung["batchnorm_forward"] == "batchnorm_forward.notebook.train"
    assert hangs.before("FullyConnectedNet.notebook", _request("FullyConnectedNet.notebook"))[1] == ""
    assert hangs.before("FullyConnectedNet.batchnorm", _request("FullyConnectedNet.batchnorm"))[1] == \
        "not checked: batchnorm_forward timed out in an earlier check"
    # a forward-backward check runs, told to stop right before the function that reaches the hung one
    request, reason = hangs.before("relu_backward.notebook", _request("relu_backward.notebook"))
    assert not reason and request["halt"] == {"relu_forward": "relu_forward timed out in an earlier check"}


def test_only_a_function_known_to_be_the_one_running_is_recorded(tmp_path):
    hangs = Hangs.for_submission(all_cases(), _package(tmp_path), ["cs231n"])
    # a model that ran out of time without saying which function ran: it calls layers, so it is not known
    hangs.timed_out("TwoLayerNet.loss", _request("TwoLayerNet.loss"), None)
    # a function that returned in an earlier check is slow on this input, not stuck
    hangs.answered("affine_forward.notebook", Reply("affine_forward.notebook", True, {}))
    hangs.timed_out("affine_backward.notebook", _request("affine_backward.notebook"),
                    {"function": "affine_forward", "partial": {}})
    # the forward again, for the numerical gradient, after it returned in this very check
    hangs.timed_out("relu_backward.notebook", _request("relu_backward.notebook"),
                    {"function": "relu_forward", "partial": {"out": 1}})
    assert hangs.hung == {}
    hangs.timed_out("relu_backward.notebook", _request("relu_backward.notebook"),
                    {"function": "relu_backward", "partial": {"out": 1}})
    assert hangs.hung == {"relu_backward": "relu_backward.notebook"}
