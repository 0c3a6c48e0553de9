"""Course variants and contract details: correct code written for another course year, or with a detail the
assignment never tests, keeps its points; a wrong value or another number of elements still costs them.

- Contract details (a float64 output for float32 input, a shape that differs only by singleton dimensions) are
  0-point warnings by default and failures with ``count_contract = true``.
- Profiles: the project's own assignment (the template) is detected and grades TwoLayerNet; nndl's
  ``TwoLayerNet(hidden_dims=...)``, its optimizer state names and its provided cnn.py's float pad work; the
  2017 starter's Adam (t starts at 1) passes; nndl's homeworks are detected from what is submitted or pinned.
"""
import ast

import numpy as np
import pytest

from autograder import paths
from autograder.catalog import all_cases
from autograder.catalog.judges import DtypeFollows, GradientClose, compare_arrays, singleton_only
from autograder.config import Config, ConfigError, load_config
from autograder.profiles import PROFILES, adapt_inputs, detect
from autograder.grading.report import feedback_markdown, results_json
from conftest import grade_catalog_only
from corpus import fresh, layouts, write_tree


# ----------------------------------------------------------------------------- contract details: judges
@pytest.mark.parametrize("got, want, singleton", [
    ((1, 5), (5,), True), ((5, 1), (5,), True), ((1, 3, 1, 1), (3,), True), ((5,), (1, 5), True),
    ((2, 5), (5,), False), ((5, 2), (2, 5), False), ((10,), (2, 5), False), ((5,), (5,), False),
])
def test_singleton_only_shapes(got, want, singleton):
    assert singleton_only(got, want) is singleton


def test_singleton_shape_passes_with_a_warning_and_wrong_values_still_fail():
    want = np.arange(1.0, 6.0)
    ok = compare_arrays("dgamma", want.reshape(1, 5), want, 1e-7, like="gamma")
    assert ok.passed and "dgamma has shape (1, 5), expected (5,) like gamma" in ok.warning
    wrong = compare_arrays("dgamma", (want + 1).reshape(1, 5), want, 1e-7, like="gamma")
    assert not wrong.passed and "relative error" in wrong.message and "(1, 5)" in wrong.message
    tiled = compare_arrays("dgamma", np.tile(want, (2, 1)), want, 1e-7, like="gamma")
    assert not tiled.passed and tiled.message == "dgamma has shape (2, 5), expected (5,) like gamma"


def test_sampled_gradient_with_a_singleton_shape_is_still_compared():
    """A numerical gradient taken at a few elements: a (1, D) analytic gradient is compared, not waved through."""
    h = 1e-5
    base = np.linspace(-1, 1, 600)
    indices = np.unique(np.linspace(0, 599, 50).round().astype(int))
    # f(x) = sum(x^2): only the perturbed element's term changes, and the numerical gradient is 2x
    plus, minus = (base[indices] + h) ** 2, (base[indices] - h) ** 2
    outputs = {"grads": {"g": None}, "perturbed": [plus, minus], "params": {"g": base}}
    judge = GradientClose("grads.g", "g", 1e-6, "g", dout=None, h=h, perturbed="perturbed", shape_path="params.g")
    outputs["grads"]["g"] = (2 * base).reshape(1, -1)
    right = judge(outputs, {}, {})
    assert right.passed and "only dimensions of size 1" in right.warning
    outputs["grads"]["g"] = (3 * base).reshape(1, -1)
    assert not judge(outputs, {}, {}).passed


def test_another_float_precision_is_a_warning_and_other_dtypes_fail():
    judge = DtypeFollows("out", "args.0", "out")
    inputs = {"args": (np.zeros(3, np.float32),)}
    same = judge({"out": np.zeros(3, np.float32)}, {}, inputs)
    assert same.passed and not same.warning
    wide = judge({"out": np.zeros(3)}, {}, inputs)
    assert wide.passed and wide.warning == "out has dtype float64, expected float32 like the input"
    assert not judge({"out": np.zeros(3, np.int64)}, {}, inputs).passed


def test_count_contract_is_a_config_key(tmp_path):
    toml = tmp_path / "course.toml"
    toml.write_text('count_contract = true\nscope = ["cnn"]\n')
    config = load_config(toml)
    assert config.count_contract is True and config.scope == ("cnn",)
    toml.write_text('scope = ["convnets"]\n')
    with pytest.raises(ConfigError, match="unknown homework.*convnets.*nndl: fc-nets, optimization, cnn"):
        load_config(toml)


# ----------------------------------------------------------------------------- contract details: graded
CONTRACT = {"layers.py": """
    _right_conv_forward_naive = conv_forward_naive
    _right_batchnorm_backward = batchnorm_backward
    def conv_forward_naive(x, w, b, conv_param):
        out, cache = _right_conv_forward_naive(x, w, b, conv_param)
        return out.astype(np.float64), cache   # np.zeros(shape) is float64 whatever the input
    def batchnorm_backward(dout, cache):
        dx, dgamma, dbeta = _right_batchnorm_backward(dout, cache)
        return dx, dgamma.reshape(1, -1), dbeta.reshape(1, -1)   # keepdims=True sums
"""}
CONTRACT_SELECT = ("conv_backward_naive.hidden.float32", "conv_forward_naive.notebook", "batchnorm_backward*")


def test_contract_details_are_warnings_by_default(make_submission):
    report = grade_catalog_only(make_submission(CONTRACT), config=Config(select=CONTRACT_SELECT))
    assert report.score == report.max_score > 0, [(r.name, r.message) for r in report.results if r.status == "failed"]
    warned = {r.name: r for r in report.results if r.warning}
    dtype = warned["conv_forward_naive: float32: output dtype"]
    assert dtype.max_score == 0 and "float64" in dtype.warning
    assert any(name.startswith("batchnorm_backward:") and name.endswith("dgamma") for name in warned)
    data = results_json(report)
    shown = [t["output"] for t in data["tests"] if t["name"] in warned]
    assert shown and all(out.startswith("Warning (no points lost): ") for out in shown)
    assert "⚠️" in feedback_markdown(report)


def test_contract_details_count_when_the_course_says_so(make_submission):
    report = grade_catalog_only(make_submission(CONTRACT), config=Config(select=CONTRACT_SELECT, count_contract=True))
    failed = {r.name: r for r in report.results if r.status == "failed"}
    dtype = failed["conv_forward_naive: float32: output dtype"]
    assert dtype.max_score == 0.5 and "float64" in dtype.message
    assert any(name.endswith("dgamma") and "only dimensions of size 1 differ" in r.message for name, r in failed.items())
    assert not any(r.warning for r in report.results)


# ----------------------------------------------------------------------------- profiles
def _solution_functions():
    """Every function or class of the reference with a solution region: what the template asks students for."""
    names = set()
    for path in paths.reference_dir().rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if paths.SOLUTION_START not in text:
            continue
        lines = text.splitlines()
        for node in ast.parse(text).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                if any(paths.SOLUTION_START in line for line in lines[node.lineno - 1:node.end_lineno]):
                    names.add(node.name)
    return names


def test_project_profile_assigns_what_the_template_asks_for():
    catalog_targets = {name for case in all_cases() for name in case.all_requires()}
    assert PROFILES["project"].assigned == _solution_functions() & catalog_targets
    assert "TwoLayerNet" in PROFILES["project"].assigned


@pytest.mark.parametrize("packages, found, template, profile", [
    (("cs231n",), {"FullyConnectedNet": ["cs231n.classifiers.fc_net", ["hidden_dims", "dropout_keep_ratio"]]},
     True, "project"),
    (("submission",), {"FullyConnectedNet": ["submission.fc_net", ["hidden_dims", "dropout_keep_ratio"]],
                       "TwoLayerNet": ["submission.fc_net", ["input_dim", "hidden_dim"]]}, False, "project"),
    (("cs231n",), {"FullyConnectedNet": ["cs231n.classifiers.fc_net", ["hidden_dims", "dropout_keep_ratio"]]},
     False, "cs231n-2021"),
    (("cs231n",), {"FullyConnectedNet": ["cs231n.classifiers.fc_net", ["hidden_dims", "dropout", "normalization"]],
                   "TwoLayerNet": ["cs231n.classifiers.fc_net", ["input_dim", "hidden_dim"]]}, False, "cs231n-2018"),
    (("nndl", "cs231n"), {"TwoLayerNet": ["nndl.fc_net", ["input_dim", "hidden_dims"]]}, True, "nndl"),
])
def test_detect(packages, found, template, profile):
    assert detect(packages, found, template).name == profile


def _found(*names):
    return {name: ["nndl.x", []] for name in names}


@pytest.mark.parametrize("found, graded, not_graded", [
    # nndl HW3: layers.py with affine, ReLU and the losses, fc_net.py, optim.py with sgd only
    (_found("affine_forward", "softmax_loss", "TwoLayerNet", "FullyConnectedNet", "sgd"),
     {"affine_backward", "FullyConnectedNet", "TwoLayerNet"}, {"adam", "batchnorm_forward", "conv_forward_naive"}),
    # HW4: the optimizers, batchnorm and dropout join
    (_found("affine_forward", "batchnorm_forward", "dropout_forward", "adam", "TwoLayerNet", "FullyConnectedNet"),
     {"affine_backward", "adam", "batchnorm_backward", "FullyConnectedNet"}, {"conv_forward_naive", "ThreeLayerConvNet"}),
    # HW5: layers.py carried over (batchnorm, dropout, optimizers defined), no fc_net.py
    (_found("affine_forward", "batchnorm_forward", "adam", "conv_forward_naive", "ThreeLayerConvNet"),
     {"conv_forward_naive", "spatial_batchnorm_backward", "ThreeLayerConvNet"},
     {"FullyConnectedNet", "TwoLayerNet", "adam", "affine_forward", "batchnorm_forward"}),
    # everything at once (a whole-course submission): every homework
    (_found("TwoLayerNet", "adam", "conv_forward_naive"), {"FullyConnectedNet", "adam", "ThreeLayerConvNet"}, set()),
])
def test_nndl_homework_detected_from_what_is_submitted(found, graded, not_graded):
    profile = PROFILES["nndl"].scoped(found)
    assert all(profile.applies([name]) for name in graded)
    assert not any(profile.applies([name]) for name in not_graded)


def test_nndl_homework_pinned_in_the_config():
    everything = _found("TwoLayerNet", "adam", "conv_forward_naive")
    profile = PROFILES["nndl"].scoped(everything, ("cnn",))
    assert profile.applies(["ThreeLayerConvNet"]) and not profile.applies(["FullyConnectedNet"])
    assert "homework cnn (set in the course config)" in profile.description
    assert PROFILES["cs231n-2021"].scoped(everything, ("cnn",)) is PROFILES["cs231n-2021"]


def test_nndl_inputs_carry_the_course_spelling():
    nndl = PROFILES["nndl"]
    step = {"target": "adam", "w": 1, "dw": 2, "config": {"m": 0, "v": 1, "t": 5}}
    update = adapt_inputs(step, nndl)
    assert update["state_names"] == {"m": "v", "v": "a"} and update["config"] == {"m": 0, "v": 1, "t": 5}
    model = adapt_inputs({"cls": "TwoLayerNet", "spec": {"hidden_dim": 50}}, nndl)
    assert model["spec"]["keyword_names"] == {"hidden_dim": "hidden_dims"}
    assert "state_names" not in adapt_inputs(step | {"target": "sgd_momentum"}, nndl)
    assert "state_names" not in adapt_inputs(step, PROFILES["cs231n-2021"])


def test_fast_layers_accept_an_integral_float_pad():
    from cs231n.fast_layers import conv_backward_fast, conv_forward_fast, max_pool_forward_fast

    rng = np.random.RandomState(0)
    x, w, b = rng.randn(2, 3, 8, 8), rng.randn(4, 3, 7, 7), rng.randn(4)
    filter_size = 7
    out, cache = conv_forward_fast(x, w, b, {"stride": 1, "pad": (filter_size - 1) / 2})  # nndl's cnn.py
    want, want_cache = conv_forward_fast(x, w, b, {"stride": 1, "pad": 3})
    np.testing.assert_array_equal(out, want)
    for got, expected in zip(conv_backward_fast(out, cache), conv_backward_fast(out, want_cache)):
        np.testing.assert_array_equal(got, expected)
    pooled, _ = max_pool_forward_fast(out, {"pool_height": 2.0, "pool_width": 2.0, "stride": 2.0})
    assert pooled.shape == (2, 4, 4, 4)
    with pytest.raises(ValueError, match="conv_forward_fast: pad = 1.5 is not a whole number"):
        conv_forward_fast(x, w, b, {"stride": 1, "pad": 1.5})


# ----------------------------------------------------------------------------- profiles: graded
def _replace(text, old, new, count=1):
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times, expected {count}"
    return text.replace(old, new)


def nndl_variants():
    """nndl/ as UCLA's starter spells it: TwoLayerNet(hidden_dims=..., dropout=0), the provided cnn.py's float
    pad, and the optimizer state in config['a'] (written by layouts.nndl)."""
    files = layouts.nndl("cs231n")
    fc = files["nndl/fc_net.py"]
    fc = _replace(fc, "        hidden_dim=100,\n", "        hidden_dims=100,\n        dropout=0,\n")
    for old in ("randn(input_dim, hidden_dim)", "np.zeros(hidden_dim)", "randn(hidden_dim, num_classes)"):
        fc = _replace(fc, old, old.replace("hidden_dim", "hidden_dims"))
    files["nndl/fc_net.py"] = fc
    files["nndl/cnn.py"] = _replace(files["nndl/cnn.py"], '"pad": (filter_size - 1) // 2', '"pad": (filter_size - 1) / 2')
    assert 'config["a"]' in files["nndl/optim.py"]
    return files


NNDL_SELECT = ("TwoLayerNet.init", "TwoLayerNet.scores", "TwoLayerNet.loss", "rmsprop.*", "adam.*",
               "ThreeLayerConvNet.initial_loss", "ThreeLayerConvNet.gradient")


def test_nndl_variants_keep_full_marks(tmp_path):
    report = grade_catalog_only(write_tree(fresh(tmp_path / "sub"), nndl_variants()), config=Config(select=NNDL_SELECT))
    assert report.profile == "nndl"
    graded = [r for r in report.results if r.status != "not_applicable"]
    assert {r.target for r in graded} == {"TwoLayerNet", "rmsprop", "adam", "ThreeLayerConvNet"}
    assert report.score == report.max_score > 20, [(r.name, r.message) for r in graded if r.status == "failed"]


def test_nndl_cnn_homework_is_not_charged_for_the_fully_connected_net(tmp_path):
    files = nndl_variants()
    del files["nndl/fc_net.py"]
    select = ("FullyConnectedNet.notebook", "TwoLayerNet.init", "adam.notebook", "conv_forward_naive.notebook",
              "ThreeLayerConvNet.initial_loss")
    report = grade_catalog_only(write_tree(fresh(tmp_path / "hw5"), files), config=Config(select=select))
    status = {r.target: r.status for r in report.results}
    assert status == {"FullyConnectedNet": "not_applicable", "TwoLayerNet": "not_applicable",
                      "adam": "not_applicable", "conv_forward_naive": "passed", "ThreeLayerConvNet": "passed"}
    assert report.score == report.max_score > 0
    assert any("homework cnn (detected from what was submitted)" in note for note in report.notes), report.notes


def test_the_2017_starters_adam_passes(make_submission):
    """config.setdefault('t', 1): the first step bias-corrects with t = 2; the starter code chose it, not the student."""
    sub = make_submission()
    optim = sub / "cs231n" / "optim.py"
    text = optim.read_text()
    optim.write_text(_replace(text, 'config.setdefault("t", 0)', 'config.setdefault("t", 1)'))
    report = grade_catalog_only(sub, config=Config(select=("adam.*",)))
    assert report.score == report.max_score > 0, [(r.name, r.message) for r in report.results if r.status == "failed"]
    wrong = make_submission(name="wrong")
    text = (wrong / "cs231n" / "optim.py").read_text()
    (wrong / "cs231n" / "optim.py").write_text(_replace(text, 'config.setdefault("learning_rate", 1e-3)\n    config.setdefault("beta1"',
                                                        'config.setdefault("learning_rate", 1e-2)\n    config.setdefault("beta1"'))
    failed = [r for r in grade_catalog_only(wrong, config=Config(select=("adam.hidden.defaults",))).results
              if r.status == "failed"]
    assert failed, "another default than the starters' must still fail the defaults check"


def test_template_submission_grades_two_layer_net(make_submission):
    """The project's own assignment: detected from the template's layer_checks.py; a wrong TwoLayerNet costs points."""
    sub = make_submission({"classifiers/fc_net.py": """
        _RightTwoLayerNet = TwoLayerNet
        class TwoLayerNet(_RightTwoLayerNet):
            def loss(self, X, y=None):
                if y is None:
                    return 2 * _RightTwoLayerNet.loss(self, X)
                loss, grads = _RightTwoLayerNet.loss(self, X, y)
                return 2 * loss, grads
    """})
    report = grade_catalog_only(sub, config=Config(select=("TwoLayerNet.init", "TwoLayerNet.scores", "TwoLayerNet.loss")))
    assert report.profile == "project"
    graded = [r for r in report.results if r.status != "not_applicable"]
    assert graded and all(r.target == "TwoLayerNet" for r in graded)
    assert 0 < report.score < report.max_score


def test_dropout_convention_stated_by_the_starter_is_followed(tmp_path):
    """Older nndl (and CS231n 2016-2017) starters say 'We drop each neuron output with probability p': a
    dropout written that way, and a FullyConnectedNet passing its dropout argument on as p, keep full marks."""
    files = nndl_variants()
    layers = files["nndl/layers.py"]
    layers = _replace(layers, "We keep each neuron output with probability p.", "We drop each neuron output with probability p.")
    layers = _replace(layers, "if not 0 < p <= 1:", "if not 0 <= p < 1:")
    layers = _replace(layers, "mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype)",
                      "mask = ((np.random.rand(*x.shape) >= p) / (1 - p)).astype(x.dtype)")
    files["nndl/layers.py"] = layers
    fc = files["nndl/fc_net.py"]
    for old, new in (("dropout_keep_ratio=1,", "dropout=0,"), ("self.use_dropout = dropout_keep_ratio != 1",
                                                                "self.use_dropout = dropout > 0"),
                     ('"p": dropout_keep_ratio', '"p": dropout')):
        fc = _replace(fc, old, new)
    files["nndl/fc_net.py"] = fc
    select = ("dropout_forward.*", "dropout_backward.*", "FullyConnectedNet.dropout*")
    report = grade_catalog_only(write_tree(fresh(tmp_path / "sub"), files), config=Config(select=select))
    graded = [r for r in report.results if r.status != "not_applicable"]
    assert {r.target for r in graded} == {"dropout_forward", "dropout_backward", "FullyConnectedNet"}
    assert report.score == report.max_score > 5, [(r.name, r.message) for r in graded if r.status == "failed"]


def test_model_biases_of_shape_1_by_h_are_a_warning():
    from autograder.catalog.models import TWO_LAYER

    init = TWO_LAYER[0].tests[0].judge
    rng = np.random.RandomState(0)
    params = {"W1": 1e-2 * rng.randn(5, 50), "b1": np.zeros((1, 50)), "W2": 1e-2 * rng.randn(50, 7), "b2": np.zeros(7)}
    verdict = init({"params": params}, {}, {})
    assert verdict.passed and verdict.warning == "params['b1'] has shape (1, 50), expected (50,)"
    params["b1"] = np.zeros((2, 50))
    assert not init({"params": params}, {}, {}).passed


def test_the_student_template_is_graded_as_the_projects_assignment():
    from conftest import ROOT

    report = grade_catalog_only(ROOT / "student_template", config=Config(select=("TwoLayerNet.init", "sgd_momentum.notebook")))
    assert report.profile == "project"
    assert {r.target: r.status for r in report.results} == {"TwoLayerNet": "failed", "sgd_momentum": "failed"}


def test_running_statistics_of_shape_1_by_d_are_a_warning(make_submission):
    """sample_mean = x.mean(axis=0, keepdims=True) makes the running averages (1, D): right values, no points lost."""
    sub = make_submission({"layers.py": """
        _right_batchnorm_forward = batchnorm_forward
        def batchnorm_forward(x, gamma, beta, bn_param):
            out, cache = _right_batchnorm_forward(x, gamma, beta, bn_param)
            for key in ("running_mean", "running_var"):
                bn_param[key] = np.asarray(bn_param[key]).reshape(1, -1)
            return out, cache
    """})
    report = grade_catalog_only(sub, config=Config(select=("batchnorm_forward.*",)))
    assert report.score == report.max_score > 0, [(r.name, r.message) for r in report.results if r.status == "failed"]
    assert any("running_mean has shape (1, " in r.warning for r in report.results), [r.warning for r in report.results]
