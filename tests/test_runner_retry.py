"""A child that dies after answering earlier cases: the case it died in runs once more in a new child, and is charged
only if it dies there too (what killed the process may have been set off by an earlier case: a thread, a signal, a
killed parent whose death arrives late). Timeouts are never run again. Deterministic: a scripted stand-in child."""
import pytest

from autograder.sandbox import runner
from autograder.sandbox.runner import ChildFailure, Limits, run_cases


class ScriptedChild:
    """Answers every case, except that it dies on the request after one of ``arms`` (a delayed death) and always
    on ``crashes`` and ``hangs`` (a case that kills or hangs any child)."""

    started = []
    arms, crashes, hangs = set(), set(), set()

    def __init__(self, scratch, config, limits, sandbox=None):
        self.armed, self.peak_memory, self.progress = False, 0, None
        ScriptedChild.started.append(self)

    def start(self):
        return {"found": {}}

    def ask(self, request, seconds):
        case = request["id"]
        if case in self.hangs:
            raise ChildFailure("time limit exceeded during this check")
        if self.armed or case in self.crashes:
            raise ChildFailure("the process was killed by SIGKILL during this check")
        self.armed = case in self.arms
        return {"id": case, "ok": True, "outputs": case}

    def close(self):
        pass


@pytest.fixture
def child(monkeypatch):
    monkeypatch.setattr(runner, "Child", ScriptedChild)
    monkeypatch.setattr(runner, "install_child_code", lambda scratch: None)
    ScriptedChild.started = []
    return ScriptedChild


def _run(tmp_path, cases):
    plan = lambda manifest: [(c, {"id": c}, 5.0) for c in cases]  # noqa: E731
    return run_cases(tmp_path, None, plan, Limits())


def test_a_case_killed_by_an_earlier_cases_delayed_death_runs_again_and_keeps_its_reply(tmp_path, child):
    child.arms, child.crashes, child.hangs = {"a"}, set(), set()
    outcome = _run(tmp_path, ["a", "b", "c"])
    assert sorted(outcome.replies) == ["a", "b", "c"] and not outcome.failures
    assert outcome.children == len(child.started) == 2


def test_a_case_that_kills_every_child_is_charged_after_one_more_try(tmp_path, child):
    child.arms, child.crashes, child.hangs = set(), {"b"}, set()
    outcome = _run(tmp_path, ["a", "b", "c"])
    assert sorted(outcome.replies) == ["a", "c"]
    assert "killed by SIGKILL" in outcome.failures["b"]
    assert outcome.children == 3  # the first, the retry of b, one for c


def test_a_case_that_dies_first_in_a_new_child_is_not_run_again(tmp_path, child):
    child.arms, child.crashes, child.hangs = set(), {"a"}, set()
    outcome = _run(tmp_path, ["a", "b"])
    assert list(outcome.failures) == ["a"] and list(outcome.replies) == ["b"]
    assert outcome.children == 2


def test_a_timed_out_case_is_never_run_again(tmp_path, child):
    child.arms, child.crashes, child.hangs = set(), set(), {"b"}
    outcome = _run(tmp_path, ["a", "b", "c"])
    assert outcome.failures["b"].startswith("time limit of 5 s exceeded")
    assert outcome.children == 2
