"""The next case's request is sent ahead while the child computes the current one (runner.run_cases(final=...)):
the child starts it as soon as it has replied instead of waiting for the grader to read and judge the reply. It must
change nothing but the time: the same results for correct and hostile submissions (a case that times out, kills or
crashes its child, with the next case already queued in it), and requests that cannot fit the pipe are not queued."""
import textwrap

import pytest

from autograder.config import Config
from autograder.grading import pipeline
from autograder.grading.report import results_json, without_measurements
from autograder.sandbox import runner
from autograder.sandbox.limits import Limits

from conftest import grade_catalog_only as grade

CONFIG = Config(select=("relu_*", "affine_forward*", "affine_backward*"), limits=Limits(check_seconds=2))


def _relu(body):
    return f"def relu_forward(x):\n{textwrap.indent(textwrap.dedent(body), '    ')}\n"


SUBMISSIONS = {
    "correct": "",
    "loops": _relu("while True:\n    pass"),
    "exits": _relu("import os\nos._exit(0)"),
    "segfault": _relu("import ctypes\nctypes.string_at(0)"),
    "dies_a_moment_later": _relu("import os, signal, threading\n"
                                 "if not getattr(os, 'armed', False):\n"
                                 "    os.armed = True\n"
                                 "    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGKILL)).start()\n"
                                 "return x.clip(min=0), x"),
    "wrong": _relu("return x, x"),
}


def _comparable(report):
    data = without_measurements(results_json(report))
    data.pop("extra_data", None)
    return data


@pytest.fixture
def sent_ahead(monkeypatch):
    """Counts the requests sent ahead (by the real children)."""
    count = []
    original = runner.Child.send_ahead

    def counting(self, request):
        sent = original(self, request)
        count.append(sent)
        return sent
    monkeypatch.setattr(runner.Child, "send_ahead", counting)
    return count


@pytest.mark.parametrize("name", sorted(SUBMISSIONS))
def test_sending_ahead_changes_no_result(name, make_submission, monkeypatch, sent_ahead):
    submission = make_submission({"layers.py": SUBMISSIONS[name]} if SUBMISSIONS[name] else None)
    ahead = grade(submission, config=CONFIG)
    assert any(sent_ahead), "no request was sent ahead"
    monkeypatch.setattr(pipeline, "without_followups", lambda case: False)  # nothing is sent ahead then
    sent_ahead.clear()
    one_by_one = grade(submission, config=CONFIG)
    assert not any(sent_ahead)
    assert _comparable(ahead) == _comparable(one_by_one)
    if name == "correct":
        assert ahead.score == ahead.max_score
    elif name != "dies_a_moment_later":  # its affine checks run again in a fresh child and keep their points
        assert ahead.score < ahead.max_score


def test_a_request_that_does_not_fit_the_pipe_is_not_sent_ahead(make_submission, tmp_path):
    import numpy as np

    outcome = []

    def plan(manifest):
        small = {"id": "a", "probe": "call", "root": "", "inputs": {"target": "relu_forward",
                                                                    "args": (np.ones((2, 3)),)}, "seed": 0}
        big = {**small, "id": "b", "inputs": {"target": "relu_forward", "args": (np.ones((1000, 1000)),)}}
        return [("a", small, 10.0), ("b", big, 10.0), ("c", {**small, "id": "c"}, 10.0)]

    original = runner.Child.send_ahead

    def recording(self, request):
        sent = original(self, request)
        outcome.append((request["id"], sent))
        return sent

    submission = make_submission()
    from autograder.sandbox.submission import open_submission

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    opened = open_submission(submission, scratch, ("cs231n",))
    config = {"root": str(opened.stage_dir), "packages": list(opened.packages), "prefix": "_s", "wanted": ["relu_forward"],
              "pinned": {}, "preferred": [], "provided": []}
    runner.Child.send_ahead = recording
    try:
        result = runner.run_cases(scratch, config, plan, Limits(), final=lambda case_id: True)
    finally:
        runner.Child.send_ahead = original
    assert outcome == [("b", False), ("c", True)]  # 8 MB is not queued; "c" after "b" is
    assert set(result.replies) == {"a", "b", "c"} and all(r.ok for r in result.replies.values())
    assert result.replies["b"].outputs["result"][0].shape == (1000, 1000)  # (out, cache) of relu_forward
    assert [result.replies[c].id for c in "abc"] == list("abc")
