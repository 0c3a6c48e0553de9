"""A check judges only the function it names: an exception in a backward pass leaves its forward's checks
alone (and the other way round, a backward that cannot run says which forward stopped it), and every side
effect is charged to the function and the argument it changed."""
import numpy as np
import pytest

from autograder.catalog import all_cases
from autograder.child.probes import PROBES, Partial, ProbeError
from autograder.catalog.judges import Unchanged
from autograder.config import Config

from conftest import grade_catalog_only as grade

SANDWICH_FORWARDS = ("affine_relu_forward", "conv_relu_forward", "conv_relu_pool_forward", "affine_bn_relu_forward",
                     "conv_bn_relu_forward", "affine_ln_relu_forward")


def of(report, target):
    return [r for r in report.results if r.target == target]


def failed(report, target=None):
    return [r for r in report.results if r.status == "failed" and (target is None or r.target == target)]


def lost(results):
    return sum(r.max_score - r.score for r in results)


# ----------------------------------------------------------------------------- the probe
def _relu_api(backward):
    def relu_forward(x):
        return np.maximum(0, x), x
    return {"relu_forward": relu_forward, "relu_backward": backward}


def test_the_probe_keeps_the_forward_outputs_when_backward_raises():
    def relu_backward(dout, cache):
        raise TypeError("bad")
    x, dout = np.linspace(-1, 1, 6).reshape(2, 3), np.ones((2, 3))
    with pytest.raises(Partial) as info:
        PROBES["forward_backward"](_relu_api(relu_backward), "relu_forward", "relu_backward", (x,), dout, numeric=(0,))
    assert info.value.function == "relu_backward" and isinstance(info.value.__cause__, TypeError)
    assert np.array_equal(info.value.outputs["out"], np.maximum(0, x))
    assert "grads" not in info.value.outputs and "perturbed_0" not in info.value.outputs


def test_the_probe_blames_a_malformed_forward_result_on_the_forward():
    api = {"relu_forward": lambda x: None, "relu_backward": lambda dout, cache: dout}
    with pytest.raises(Partial) as info:
        PROBES["forward_backward"](api, "relu_forward", "relu_backward", (np.ones(3),), np.ones(3))
    assert info.value.function == "relu_forward" and info.value.outputs == {}
    assert isinstance(info.value.__cause__, ProbeError) and "relu_forward: not implemented yet (returns None" in str(info.value.__cause__)


def test_the_probe_snapshots_inputs_after_forward_and_the_cache_around_backward():
    def relu_backward(dout, cache):
        dx = dout * (cache > 0)
        cache[cache < 0] = 0  # changes the cached x, which is also the caller's x
        return dx
    x = np.linspace(-1, 1, 6)
    outputs = PROBES["forward_backward"](_relu_api(relu_backward), "relu_forward", "relu_backward", (x,), np.ones(6))
    assert np.array_equal(outputs["args_after"][0], x)  # the forward left x alone
    assert np.array_equal(outputs["cache_before"], x) and not np.array_equal(outputs["cache_after"], x)


# ----------------------------------------------------------------------------- judges
def test_unchanged_names_the_function_the_argument_and_the_part_of_the_cache():
    judge = Unchanged("cache_after", "cache_before", "its cache", function="affine_backward", before_in_outputs=True)
    before = (np.zeros(2), {"w": np.ones(2)})
    after = (np.zeros(2), {"w": np.array([1.0, 5.0])})
    verdict = judge({"cache_before": before, "cache_after": after}, {}, {})
    assert not verdict.passed
    assert verdict.message == "affine_backward modified its cache in place (cache[1]['w'] changed)"
    assert judge({"cache_before": before, "cache_after": before}, {}, {}).passed


def test_bn_param_may_change_only_its_running_statistics():
    judge = Unchanged("after", "bn_param", "bn_param", function="batchnorm_forward",
                      ignore=("running_mean", "running_var"))
    given = {"bn_param": {"mode": "train", "running_mean": np.zeros(3), "running_var": np.ones(3)}}
    updated = {"mode": "train", "running_mean": np.full(3, 0.1), "running_var": np.full(3, 0.9), "added": 1}
    assert judge({"after": updated}, {}, given).passed
    verdict = judge({"after": dict(updated, mode="test")}, {}, given)
    assert not verdict.passed and verdict.message == "batchnorm_forward modified bn_param in place (key 'mode')"


# ----------------------------------------------------------------------------- the catalog
def test_every_sandwich_forward_has_public_output_checks_of_its_own():
    for forward in SANDWICH_FORWARDS:
        own = [(case, test) for case in all_cases() for test in case.tests
               if test.target == forward and test.kind != "side_effect"]
        assert any(case.visibility == "public" for case, _ in own), forward
        assert any(case.visibility == "hidden" for case, _ in own) or forward in ("affine_relu_forward",
                                                                                 "conv_relu_forward"), forward


def test_side_effect_tests_are_named_after_the_function_they_judge():
    for case in all_cases():
        if case.probe != "forward_backward":
            continue
        inputs = case.make_inputs(np.random.RandomState(0))
        for test in case.tests:
            judge = test.judge
            if isinstance(judge, Unchanged):
                target = test.target or case.target
                assert judge.function == target, f"{case.id}: {test.name} judges {judge.function}, named {target}"
                expected = inputs["backward"] if judge.after in ("dout_after", "cache_after") else inputs["forward"]
                assert target == expected, f"{case.id}: {test.name}"


def test_update_rules_may_change_w_and_config_in_place():
    for case in all_cases():
        if case.probe == "update":
            reads = {getattr(t.judge, "after", None) for t in case.tests}
            assert not reads & {"w_after", "config_after"}, case.id


# ----------------------------------------------------------------------------- planted submissions
def test_a_backward_that_raises_costs_only_the_backward(make_submission):
    report = grade(make_submission({"layers.py": """
        def max_pool_backward_naive(dout, cache):
            raise TypeError("unsupported operand")
    """}), config=Config(select=("max_pool_*",)))
    forward = of(report, "max_pool_forward_naive")
    assert any(r.visibility == "hidden" and r.name.endswith(": output") for r in forward)
    assert forward and all(r.status == "passed" for r in forward), [(r.name, r.message) for r in forward
                                                                    if r.status != "passed"]
    backward = of(report, "max_pool_backward_naive")
    assert backward and all(r.status == "failed" and r.score == 0 for r in backward)
    assert all(r.message.startswith("raised TypeError: unsupported operand at layers.py, line ")
               and r.message.endswith("in max_pool_backward_naive") for r in backward), {r.message for r in backward}


def test_a_forward_that_raises_makes_its_backward_not_checked(make_submission):
    report = grade(make_submission({"layers.py": """
        def conv_forward_naive(x, w, b, conv_param):
            raise ValueError("shapes do not match")
    """}), config=Config(select=("conv_*_naive",)))
    forward = of(report, "conv_forward_naive")
    assert forward and all(r.status == "failed" and r.message.startswith("raised ValueError: shapes do not match")
                           for r in forward), {r.message for r in forward}
    backward = of(report, "conv_backward_naive")
    assert backward and all(r.status == "failed" and r.score == 0 for r in backward)
    assert {r.message for r in backward} == {"not checked: conv_forward_naive raised ValueError on this input"}


def test_a_forward_stub_makes_its_backward_not_checked_with_the_stubs_reason(make_submission):
    report = grade(make_submission({"layers.py": """
        def relu_forward(x):
            out, cache = None, x
            return out, cache
    """}), config=Config(select=("relu_*",)))
    messages = {r.message for r in of(report, "relu_backward")}
    assert messages == {"not checked: relu_forward: not implemented yet (returns out = None)"}, messages
    assert all(r.score == 0 for r in of(report, "relu_forward"))


def test_relu_backward_zeroing_dout_loses_only_the_dout_side_effect(make_submission):
    report = grade(make_submission({"layers.py": """
        def relu_backward(dout, cache):
            x = cache
            dx = dout
            dx[x <= 0] = 0
            return dx
    """}), config=Config(select=("relu_*",)))
    bad = failed(report)
    assert [(r.name, r.message) for r in bad] == [
        ("relu_backward: numerical gradient: does not modify dout", "relu_backward modified dout in place")]
    assert lost(bad) == 0.25 and report.max_score - report.score == 0.25


def test_a_backward_that_changes_its_cache_is_reported_as_such(make_submission):
    report = grade(make_submission({"layers.py": """
        def relu_backward(dout, cache):
            x = cache
            x[x < 0] = 0
            x[x > 0] = 1
            return x * dout
    """}), config=Config(select=("relu_*",)))
    bad = failed(report)
    assert [(r.name, r.message) for r in bad] == [
        ("relu_backward: numerical gradient: does not modify its cache", "relu_backward modified its cache in place")]
    assert not failed(report, "relu_forward")


def test_a_changed_tuple_cache_names_the_element(make_submission):
    report = grade(make_submission({"layers.py": """
        _right_affine_backward = affine_backward
        def affine_backward(dout, cache):
            grads = _right_affine_backward(dout, cache)
            cache[2][...] = 0
            return grads
    """}), config=Config(select=("affine_backward",)))
    bad = [(r.name, r.message) for r in failed(report)]
    assert bad == [("affine_backward: numerical gradient: does not modify its cache",
                    "affine_backward modified its cache in place (cache[2] changed)")], bad


def test_a_forward_that_changes_its_input_is_charged_to_the_forward(make_submission):
    report = grade(make_submission({"layers.py": """
        _right_conv_forward_naive = conv_forward_naive
        def conv_forward_naive(x, w, b, conv_param):
            result = _right_conv_forward_naive(x.copy(), w, b, conv_param)
            x[...] = 0  # the caller's x; the cache holds the copy, so backward is right
            return result
    """}), config=Config(select=("conv_*_naive",)))
    bad = failed(report)
    assert [r.name for r in bad] == ["conv_forward_naive: notebook values: does not modify x",
                                     "conv_forward_naive: numerical gradient: does not modify x"]
    assert {r.message for r in bad} == {"conv_forward_naive modified x in place"}
    assert lost(bad) == 0.25  # 0 points in the notebook's value case, 0.25 in the gradient check's


IN_PLACE_RULES = """
    def sgd_momentum(w, dw, config=None):
        if config is None:
            config = {}
        config.setdefault("learning_rate", 1e-2)
        config.setdefault("momentum", 0.9)
        v = config.setdefault("velocity", np.zeros_like(w))
        v *= config["momentum"]
        v -= config["learning_rate"] * dw
        w += v
        return w, config

    def rmsprop(w, dw, config=None):
        if config is None:
            config = {}
        config.setdefault("learning_rate", 1e-2)
        config.setdefault("decay_rate", 0.99)
        config.setdefault("epsilon", 1e-8)
        cache = config.setdefault("cache", np.zeros_like(w))
        cache *= config["decay_rate"]
        cache += (1 - config["decay_rate"]) * dw**2
        w -= config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
        return w, config

    def adam(w, dw, config=None):
        if config is None:
            config = {}
        config.setdefault("learning_rate", 1e-3)
        config.setdefault("beta1", 0.9)
        config.setdefault("beta2", 0.999)
        config.setdefault("epsilon", 1e-8)
        m = config.setdefault("m", np.zeros_like(w))
        v = config.setdefault("v", np.zeros_like(w))
        config.setdefault("t", 0)
        config["t"] += 1
        m *= config["beta1"]
        m += (1 - config["beta1"]) * dw
        v *= config["beta2"]
        v += (1 - config["beta2"]) * dw**2
        m_hat = m / (1 - config["beta1"] ** config["t"])
        v_hat = v / (1 - config["beta2"] ** config["t"])
        w -= config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
        return w, config
"""


def test_update_rules_that_change_w_and_config_in_place_keep_full_marks(make_submission):
    report = grade(make_submission({"optim.py": IN_PLACE_RULES}),
                   config=Config(select=("sgd_momentum", "rmsprop", "adam")))
    assert {r.target for r in report.results} == {"sgd_momentum", "rmsprop", "adam"}
    assert any(r.visibility == "hidden" for r in report.results)
    assert report.score == report.max_score > 0, [(r.name, r.message) for r in failed(report)]


def test_an_update_rule_that_changes_dw_loses_that_side_effect(make_submission):
    report = grade(make_submission({"optim.py": """
        _right_sgd_momentum = sgd_momentum
        def sgd_momentum(w, dw, config=None):
            result = _right_sgd_momentum(w, dw, config)
            dw *= 0
            return result
    """}), config=Config(select=("sgd_momentum",)))
    assert [(r.name, r.message) for r in failed(report)] == [
        ("sgd_momentum: notebook: does not modify dw", "sgd_momentum modified dw in place")]


def test_a_sandwich_forward_is_judged_by_its_own_output_check(make_submission):
    report = grade(make_submission({"layer_utils.py": """
        _right_affine_relu_forward = affine_relu_forward
        def affine_relu_forward(x, w, b):
            out, cache = _right_affine_relu_forward(x, w, b)
            return out + 1, cache  # wrong, but with the same gradients
    """}), config=Config(select=("affine_relu_*",), include_hidden=False, profile="all", isolate_dependencies=False))
    bad = failed(report)
    assert bad and all(r.target == "affine_relu_forward" for r in bad)
    assert bad[0].name == "affine_relu_forward: numerical gradient: output" and bad[0].max_score == 1
    # the real cause first (issue 23): the provided sandwich was changed; then what is wrong, and which kind
    assert bad[0].message.startswith("affine_relu_forward in cs231n/layer_utils.py is not the course's copy")
    assert "out is wrong: relative error" in bad[0].message and bad[0].relation == "offset"
    # its side effects are not credited while its output is wrong on this input
    assert {r.message for r in bad[1:]} == {"not credited until the function's other checks on this input pass"}
    assert [r.name for r in bad[1:]] == [f"affine_relu_forward: numerical gradient: does not modify {a}" for a in "xwb"]
    assert all(r.status == "passed" for r in of(report, "affine_relu_backward"))


def test_a_sandwich_forward_that_raises_is_named_in_its_backwards_checks(make_submission):
    report = grade(make_submission({"layer_utils.py": """
        def conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param):
            raise KeyError("running_mean")
    """}), config=Config(select=("conv_bn_relu_*",), profile="all", isolate_dependencies=False))
    forward, backward = of(report, "conv_bn_relu_forward"), of(report, "conv_bn_relu_backward")
    assert {r.visibility for r in forward} == {"public", "hidden"}
    # conv_bn_relu_forward is provided code the student changed: its failures say so first (issue 23)
    assert forward and all(r.message.startswith("conv_bn_relu_forward in cs231n/layer_utils.py is not the course's "
                                                "copy") and "raised KeyError" in r.message for r in forward)
    assert {r.message for r in backward} == {"not checked: conv_bn_relu_forward raised KeyError on this input"}


def test_a_missing_backward_leaves_its_forwards_checks_alone(make_submission):
    report = grade(make_submission({"layers.py": "del batchnorm_backward_alt\n"}),
                   config=Config(select=("batchnorm_backward*",)))
    backward = of(report, "batchnorm_backward_alt")
    assert backward and {r.message for r in backward} == {"batchnorm_backward_alt was not found in the submission"}
    forward = of(report, "batchnorm_forward")
    assert any(r.case_id == "batchnorm_backward_alt.hidden.train" for r in forward)
    assert forward and all(r.status == "passed" for r in forward), [(r.name, r.message) for r in forward]


def test_a_missing_forward_makes_its_backward_not_checked(make_submission):
    report = grade(make_submission({"layers.py": "del relu_forward\n"}), config=Config(select=("relu_*",)))
    assert {r.message for r in of(report, "relu_forward")} == {"relu_forward was not found in the submission"}
    assert {r.message for r in of(report, "relu_backward")} == {
        "not checked: relu_forward was not found in the submission"}


def test_an_update_rule_that_raises_in_training_is_named_as_the_cause(make_submission):
    path = make_submission({"optim.py": """
        def rmsprop(w, dw, config=None):
            raise ZeroDivisionError("no")
    """})
    select = ("FullyConnectedNet.train.rmsprop", "rmsprop")
    report = grade(path, config=Config(select=select, isolate_dependencies=False))
    training = [r for r in report.results if r.case_id == "FullyConnectedNet.train.rmsprop"]
    assert [r.message for r in training] == ["not checked: rmsprop raised ZeroDivisionError on this input"]
    assert all(r.message.startswith("raised ZeroDivisionError: no") for r in of(report, "rmsprop"))
    # With credit isolation (the default) the training run passes with the trusted update rule, and the model's
    # 0-point line names rmsprop as the cause of its failing with the student's own code.
    isolated = grade(path, config=Config(select=select))
    training = [r for r in isolated.results if r.case_id == "FullyConnectedNet.train.rmsprop"]
    assert [(r.status, r.max_score) for r in training if r.max_score] == [("passed", training[0].max_score)]
    line = [r for r in isolated.results if r.target == "FullyConnectedNet" and r.max_score == 0 and r.status == "failed"]
    assert line and "rmsprop" in line[0].message


def test_a_backward_that_never_returns_leaves_its_forwards_checks_alone(make_submission):
    from autograder.sandbox.runner import Limits

    report = grade(make_submission({"layers.py": """
        def relu_backward(dout, cache):
            while True:
                pass
    """}), config=Config(select=("relu_backward.notebook",), limits=Limits(check_seconds=2)))
    assert {r.message for r in of(report, "relu_backward")} == {"time limit of 2 s exceeded"}
    forward = of(report, "relu_forward")
    assert forward and all(r.status == "passed" for r in forward), [(r.name, r.message) for r in forward]


def test_a_forward_that_crashes_makes_its_backward_not_checked(make_submission):
    report = grade(make_submission({"layers.py": """
        def relu_forward(x):
            import os
            os._exit(3)
    """}), config=Config(select=("relu_backward.notebook",)))
    assert {r.message for r in of(report, "relu_forward")} == {"the process exited with code 3 during this check"}
    assert {r.message for r in of(report, "relu_backward")} == {
        "not checked: relu_forward did not finish (the process exited with code 3 during this check)"}
