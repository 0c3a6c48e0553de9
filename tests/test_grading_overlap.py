"""The grader's own work overlaps its child's and copies nothing it need not (issue 21's speed criterion): the
cases' inputs are made while the child starts, each case is judged once while the child runs the next one (its
time not counted against the child), the inputs are shared read-only, the fixtures are read as numpy reads them,
and the students' pytest grades in two children at once, in shares of about equal work."""
import io
import time
from collections import Counter

import numpy as np
import pytest

from autograder.catalog import all_cases, fixtures
from autograder.child.probes import sample_indices
from autograder.config import Config
from autograder.editions.pytest_plugin import shares_of
from autograder.grading import pipeline
from autograder.sandbox.limits import Limits

from conftest import grade_catalog_only as grade


def _np_load(data):
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _same(a, b):
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and np.array_equal(a[k], b[k], equal_nan=True) for k in a)


def test_the_fixtures_are_read_as_np_load_reads_them():
    folder = fixtures.paths.fixtures_dir()
    for name in fixtures.FILES.values():
        data = (folder / name).read_bytes()
        assert _same(fixtures._npz_arrays(data), _np_load(data))
    odd = {"bool": np.ones((2, 3), bool), "scalar": np.float32(2.5), "empty": np.zeros((0, 4)), "big": np.arange(7),
           "strided": np.arange(12.0).reshape(3, 4)[:, ::2]}
    data = fixtures._npz_bytes(odd)
    assert _same(fixtures._npz_arrays(data), _np_load(data))
    buffer = io.BytesIO()  # a header _npz_bytes never writes (Fortran order) is read by numpy itself
    np.savez(buffer, f=np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    assert _same(fixtures._npz_arrays(buffer.getvalue()), _np_load(buffer.getvalue()))


def test_cached_inputs_are_read_only_and_made_inputs_are_writable_copies():
    case = next(c for c in all_cases() if c.id == "dropout_forward.notebook.p0.25")
    shared = fixtures.cached_inputs(case, fixtures.DEFAULT_HIDDEN_SEED)
    assert shared is fixtures.cached_inputs(case, fixtures.DEFAULT_HIDDEN_SEED)
    with pytest.raises(ValueError):
        shared["args"][0][0, 0] = 1.0
    copy = fixtures.make_inputs(case, fixtures.DEFAULT_HIDDEN_SEED)
    copy["args"][0][0, 0] = 1.0
    assert shared["args"][0][0, 0] != 1.0


def test_sample_indices_are_the_distinct_evenly_spread_indices():
    for size in (1, 5, 13, 199, 200, 201, 1000, 8192):
        for points in (1, 2, 3, 7, 12, 200):
            expected = np.arange(size) if size <= points else np.unique(
                np.linspace(0, size - 1, points).round().astype(np.int64))
            got = sample_indices(size, points)
            assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_the_shares_split_the_cases_by_work_each_in_catalog_order():
    cases = [c for c in all_cases() if c.visibility == "public"]
    shares = shares_of(cases, 2)
    order = [c.id for c in cases]
    assert len(shares) == 2 and sorted(sum(shares, [])) == sorted(order)
    for share in shares:
        assert share == sorted(share, key=order.index)
    models = [{i for i in share if i.startswith(("FullyConnectedNet.", "TwoLayerNet.", "ThreeLayerConvNet."))}
              for share in shares]
    assert all(len(m) >= 4 for m in models)  # the models' numerical gradients are dealt to both
    assert shares_of(cases[:3], 2) == [order[:3]] and shares_of(cases, 1) == [order]


def test_each_case_is_judged_once_and_the_report_is_the_same(monkeypatch, make_submission):
    sub = make_submission()
    config = Config(select=("relu_*", "affine_forward*", "TwoLayerNet*"))
    judged, warmed = Counter(), []
    real_judge, real_warm = pipeline._judge_case, pipeline.warm_inputs
    monkeypatch.setattr(pipeline, "_judge_case", lambda case, *a: judged.update([case.id]) or real_judge(case, *a))
    monkeypatch.setattr(pipeline, "warm_inputs", lambda ctx: warmed.append(len(ctx.cases)) or real_warm(ctx))
    report = grade(sub, config=config)
    selected = {c.id for c in all_cases() if pipeline.selected(c, config.select)}
    assert set(judged) == selected and set(judged.values()) == {1}
    assert warmed == [len(selected)]
    assert report.score == report.max_score > 0
    assert report.timings["cpu"] > 0  # the sandboxed child's CPU seconds


def test_the_graders_work_meanwhile_does_not_count_against_the_child(monkeypatch, make_submission):
    sub = make_submission()
    slow = []
    real_judge = pipeline._judge_case

    def judge_slowly(case, *args):
        if not slow:  # the first case's judging takes longer than the next case's time limit
            slow.append(case.id)
            time.sleep(2.5)
        return real_judge(case, *args)

    monkeypatch.setattr(pipeline, "_judge_case", judge_slowly)
    report = grade(sub, config=Config(select=("relu_*",), limits=Limits(check_seconds=2.0)))
    assert slow and report.score == report.max_score > 0
    assert all(seconds < 2.0 for seconds in report.timings["cases"].values())


def test_a_case_run_again_in_a_new_child_is_judged_once_on_its_final_reply(tmp_path, monkeypatch):
    from autograder.sandbox import runner
    from test_runner_retry import ScriptedChild

    class Scripted(ScriptedChild):
        def ask(self, request, seconds, meanwhile=None):
            if meanwhile is not None:
                meanwhile()
            return super().ask(request, seconds)

    monkeypatch.setattr(runner, "Child", Scripted)
    monkeypatch.setattr(runner, "install_child_code", lambda scratch: None)
    Scripted.started, Scripted.arms, Scripted.crashes, Scripted.hangs = [], {"a"}, set(), set()
    told = []
    outcome = runner.run_cases(tmp_path, None, lambda manifest: [(c, {"id": c}, 5.0) for c in "abc"], Limits(),
                               answered=lambda case, out: told.append((case, case in out.replies, case in out.failures)))
    assert outcome.children == 2  # "b" died in the first child (armed by "a") and ran again in a second
    assert told == [("a", True, False), ("b", True, False), ("c", True, False)]


@pytest.mark.parametrize("select", [("affine_relu_backward*", "FullyConnectedNet.train.*"), ("affine_relu_backward*",)])
def test_a_changed_provided_function_is_named_whenever_its_comparison_runs(monkeypatch, make_submission, select):
    """The provided functions are compared with the trusted ones once per grade: while the child trains a model when
    there is a training case to wait for, else after the child has finished; the report names them either way."""
    sub = make_submission()
    layer_utils = sub / "cs231n" / "layer_utils.py"
    text = layer_utils.read_text()
    end = text.index("return dx, dw, db", text.index("def affine_relu_backward"))
    layer_utils.write_text(text[:end] + "dx = dx * 2\n    " + text[end:])
    calls = []
    original = pipeline.provided_edits
    monkeypatch.setattr(pipeline, "provided_edits", lambda opened: calls.append(1) or original(opened))
    report = grade(sub, config=Config(profile="all", select=select))  # a profile that grades the provided helpers
    assert len(calls) == 1
    failed = [r for r in report.results if r.target == "affine_relu_backward" and r.status == "failed"]
    assert failed and all("the course provides it" in r.message for r in failed), [r.message for r in failed]
