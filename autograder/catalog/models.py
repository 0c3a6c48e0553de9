"""TwoLayerNet, FullyConnectedNet and ThreeLayerConvNet: initialisation, the notebooks' scores and losses,
initial loss about log(C), regularization, and numerical gradient checks of every parameter."""
import math

import numpy as np

from .judges import Close, GradientClose, Predicate, SameAsReference, singleton_only
from ..model import Case, Test
from .inputs import linspace

TWO_LAYER_SCORES = [
    [11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
    [12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143],
    [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319],
]
N, D, H, C = 3, 5, 50, 7
TWO_LAYER_SPEC = {"input_dim": D, "hidden_dim": H, "num_classes": C, "weight_scale": 1e-2}
HINT_REG = "L2 regularization penalizes every weight matrix (not the biases); its gradient must match the penalty in the loss (mind the factor 0.5)."


def _two_layer_params():
    return {"W1": linspace(-0.7, 0.3, (D, H)), "b1": linspace(-0.1, 0.9, (H,)),
            "W2": linspace(-0.3, 0.4, (H, C)), "b2": linspace(-0.9, 0.1, (C,))}


def _two_layer_X():
    return np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T


def param_shape(name, value, shape):
    """``(error, warning)`` of a model parameter's shape: another shape is an error; one that differs only by
    singleton axes (b1 of shape (1, H) broadcasts like (H,)) is a contract detail, a 0-point warning."""
    if value.shape == shape:
        return None, None
    text = f"params[{name!r}] has shape {value.shape}, expected {shape}"
    return (None, text) if singleton_only(value.shape, shape) else (text, None)


def _init_check(shapes, std):
    def check(outputs, inputs):
        params = outputs["params"]
        warnings = []
        for name, shape in shapes.items():
            if name not in params:
                return False, f"model.params has no {name!r}", None
            value = np.asarray(params[name])
            error, warning = param_shape(name, value, shape)
            if error:
                return False, error, None
            warnings += [warning] if warning else []
            if name.startswith("b") and np.any(value != 0):
                return False, f"params[{name!r}] should start at zero", None
            if name.startswith("W") and abs(value.std() - std) > std / 10:
                return False, f"params[{name!r}] has std {value.std():.4g}, expected about weight_scale = {std}", None
        return True, "", None, "; ".join(warnings)
    return check


def _loss_equals(run, value, tol):
    def check(outputs, inputs):
        loss = float(outputs["runs"][run]["loss"])
        ok = abs(loss - value) < tol
        return ok, "" if ok else f"loss is {loss:.10f}, expected {value} (within {tol:g})", loss
    check.evidence = lambda outputs, inputs: (  # for the diagnoses: the value, the target and the tolerance
        "loss", float(outputs["runs"][run]["loss"]), value, tol / (2 * abs(value)), f"runs.{run}.loss")
    return check


def _scores_close(outputs, inputs):
    scores = np.asarray(outputs["scores"], dtype=np.float64)
    want = np.asarray(TWO_LAYER_SCORES)
    if scores.shape != want.shape:
        return False, f"scores have shape {scores.shape}, expected {want.shape}", None
    diff = float(np.abs(scores - want).sum())
    return diff < 1e-6, "" if diff < 1e-6 else f"scores differ from the notebook's by {diff:.3g} in total (limit 1e-6)", diff


def _initial_loss(run, classes, tol):
    def check(outputs, inputs):
        loss = float(outputs["runs"][run]["loss"])
        ok = abs(loss - math.log(classes)) < tol
        return ok, "" if ok else f"initial loss is {loss:.4f}, expected about log({classes}) = {math.log(classes):.4f}", loss
    return check


def _reg_term(run_plain, run_reg, reg):
    """loss(reg) - loss(0) must be 0.5 * reg * (sum of squared weights), weights being params named W*."""
    def measured(outputs):
        """(the loss the regularization added, the penalty it should be)."""
        params = outputs["params"]
        penalty = 0.5 * reg * sum(float(np.sum(np.asarray(v, np.float64) ** 2)) for k, v in params.items() if k.startswith("W"))
        return float(outputs["runs"][run_reg]["loss"]) - float(outputs["runs"][run_plain]["loss"]), penalty

    def check(outputs, inputs):
        got, penalty = measured(outputs)
        ok = abs(got - penalty) <= 1e-6 * max(1.0, abs(penalty))
        return ok, "" if ok else (f"the regularization adds {got:.6g} to the loss, expected 0.5 * reg * sum(W**2) = "
                                  f"{penalty:.6g}"), got

    def evidence(outputs, inputs):  # for the diagnoses: the added loss against the penalty (run_reg's reg)
        return ("the regularization term", *measured(outputs), 1e-6, f"runs.{run_reg}.loss")
    check.evidence = evidence
    return check


def _grad_tests(run, names, tol, title, h=1e-5, tols=None, metric="max", params=None):
    """Numerical gradient checks of a model's parameters ``names`` in run ``run``; ``params`` (every parameter of
    the model) lets the grader skip the numerics where the loss is the reference's (:class:`SameAsReference`)."""
    shortcut = SameAsReference(tuple(params)) if params else None
    return tuple(
        Test(f"{title}: gradient {name}",
             GradientClose(f"runs.{run}.grads.{name}", name, (tols or {}).get(name, tol), name, dout=None, h=h,
                           perturbed=f"runs.{run}.perturbed_{name}", shape_path=f"params.{name}", metric=metric,
                           shortcut=shortcut),
             1.0, "model", "Check the backward pass layer by layer, and the regularization's gradient of each weight.")
        for name in names)


def _model_inputs(cls, spec, make_X, regs=(None,), numeric=(), params=None, h=1e-5, max_points=None, labels=None,
                  keep_grads=True):
    def make(rng):
        X, y = make_X(rng)
        inputs = {"cls": cls, "spec": dict(spec), "X": X, "y": y if labels is None else np.asarray(labels),
                  "regs": regs, "numeric": numeric, "h": h, "max_points": max_points}
        if not keep_grads:
            inputs["keep_grads"] = False
        if numeric:
            inputs["directions"] = numeric
        if params is not None:
            inputs["params"] = params()
        return inputs
    return make


def _random_batch(n, shape, classes):
    def make(rng):
        return rng.randn(n, *shape), rng.randint(classes, size=n)
    return make


TWO_LAYER_NAMES = ("W1", "b1", "W2", "b2")
TWO_LAYER = [
    Case("TwoLayerNet.init", "TwoLayerNet", "model_init", lambda rng: {"cls": "TwoLayerNet", "spec": dict(TWO_LAYER_SPEC)}, (
        Test("initialization: shapes, zero biases, weight std about weight_scale",
             Predicate(_init_check({"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}, 1e-2)), 1.0, "model",
             "Weights: small random normal values scaled by weight_scale; biases start at zero."),
    ), seed=231, group="models"),
    Case("TwoLayerNet.scores", "TwoLayerNet", "model_loss",
         _model_inputs("TwoLayerNet", TWO_LAYER_SPEC, lambda rng: (_two_layer_X(), None), params=_two_layer_params), (
             Test("notebook: test-time scores", Predicate(_scores_close), 1.0, "model",
                  "Without y, loss returns the class scores of the affine - relu - affine network."),
         ), seed=231, group="models"),
    Case("TwoLayerNet.loss", "TwoLayerNet", "model_loss",
         _model_inputs("TwoLayerNet", TWO_LAYER_SPEC, lambda rng: (_two_layer_X(), None), regs=(0.0, 1.0, 0.7),
                       numeric=TWO_LAYER_NAMES, params=_two_layer_params, labels=[0, 5, 1]),
         (Test("notebook: training loss without regularization is 3.4702243556",
               Predicate(_loss_equals(0, 3.4702243556, 1e-10)), 1.0, "model", "Softmax loss of the scores."),
          Test("notebook: loss with reg = 1.0 is 26.5948426952", Predicate(_loss_equals(1, 26.5948426952, 1e-10)),
               1.0, "model", HINT_REG))
         + _grad_tests(0, TWO_LAYER_NAMES, 1e-6, "reg = 0", params=TWO_LAYER_NAMES)
         + _grad_tests(2, TWO_LAYER_NAMES, 1e-5, "reg = 0.7", params=TWO_LAYER_NAMES),
         seed=231, group="models"),
]

FC_SPEC = {"hidden_dims": [20, 30], "input_dim": 15, "num_classes": 10, "weight_scale": 5e-2, "dtype": "float64"}
FC_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")
FC_NORM_NAMES = ("W1", "W2", "W3", "b3", "gamma1", "beta1", "gamma2", "beta2")
FC_NORM_PARAMS = FC_NAMES + ("gamma1", "beta1", "gamma2", "beta2")


def _fc_case(id, title, spec, names, tol, regs=(0.0, 3.14), initial=True, seed=231, tols=None, requires=(),
             params=FC_NAMES):
    tests = ()
    if initial:
        tests += (Test(f"{title}: initial loss about log(10) with reg = 0", Predicate(_initial_loss(0, 10, 0.2)),
                       1.0, "model", "Small random weights give uniform class scores, so the loss is about log(C)."),
                  Test(f"{title}: regularization term 0.5 * reg * sum(W**2)", Predicate(_reg_term(0, 1, regs[1])),
                       1.0, "model", HINT_REG))
    for run, reg in enumerate(regs):
        tests += _grad_tests(run, names, tol, f"{title}, reg = {reg}", tols=tols, params=params)
    return Case(id, "FullyConnectedNet", "model_loss",
                _model_inputs("FullyConnectedNet", spec, _random_batch(2, (15,), 10), regs=regs, numeric=names,
                              max_points=200),
                tests, requires=requires, seed=seed, group="models")


def _fc_given_params(normalization):
    """Hidden: the net with normalization and given parameters (gamma != 1, beta != 0, so a net that ignores the
    normalization layers gives another loss) against the reference: loss and every gradient, reg 0 and 0.7."""
    dims = [FC_SPEC["input_dim"], *FC_SPEC["hidden_dims"], FC_SPEC["num_classes"]]

    def make(rng):
        params = {}
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
            params[f"W{i}"], params[f"b{i}"] = 0.3 * rng.randn(fan_in, fan_out), 0.1 * rng.randn(fan_out)
            if i < len(dims) - 1:
                params[f"gamma{i}"], params[f"beta{i}"] = 1 + 0.5 * rng.randn(fan_out), 0.5 * rng.randn(fan_out)
        return {"cls": "FullyConnectedNet", "spec": {**FC_SPEC, "normalization": normalization},
                "X": rng.randn(4, FC_SPEC["input_dim"]), "y": rng.randint(FC_SPEC["num_classes"], size=4),
                "regs": (0.0, 0.7), "numeric": (), "params": params}
    last = len(dims) - 1  # the true db of a layer before a normalization is exactly 0: compared only for the last
    names = [n for i in range(1, last + 1) for n in ((f"W{i}", f"gamma{i}", f"beta{i}") if i < last else (f"W{i}", f"b{i}"))]
    hint = f"Use {normalization} after every hidden affine layer (affine - {normalization} - relu) and backpropagate through it."
    tests = tuple(Test(f"{normalization}, given parameters, reg = {reg}: loss", Close(f"runs.{run}.loss", 1e-7, "loss"),
                       1.0, "reference", hint) for run, reg in enumerate((0.0, 0.7)))
    tests += tuple(Test(f"{normalization}, given parameters, reg = 0.7: gradient {name}",
                        Close(f"runs.1.grads.{name}", 1e-6, name, like=name), 0.5, "reference", hint) for name in names)
    return Case(f"FullyConnectedNet.{normalization}.given_params", "FullyConnectedNet", "model_loss", make, tests,
                requires=(f"{normalization}_forward",), seed=12, visibility="hidden", group="models")


FULLY_CONNECTED = [
    _fc_case("FullyConnectedNet.notebook", "notebook", FC_SPEC, FC_NAMES, 1e-5),
    _fc_case("FullyConnectedNet.batchnorm", "batchnorm", {**FC_SPEC, "normalization": "batchnorm"}, FC_NORM_NAMES,
             1e-4, initial=False, requires=("batchnorm_forward",), params=FC_NORM_PARAMS),
    _fc_case("FullyConnectedNet.layernorm", "layernorm", {**FC_SPEC, "normalization": "layernorm"}, FC_NORM_NAMES,
             1e-4, initial=False, requires=("layernorm_forward",), params=FC_NORM_PARAMS),
] + [
    _fc_case(f"FullyConnectedNet.dropout{keep}", f"dropout keep {keep}",
             {**FC_SPEC, "dropout_keep": keep, "seed": 123}, FC_NAMES, 1e-4, regs=(0.0,), initial=False,
             requires=("dropout_forward",))
    for keep in (0.75, 0.5)
] + [_fc_given_params("batchnorm"), _fc_given_params("layernorm")]

# The notebook's small net, with weight_scale 1e-2 instead of 1e-3: at 1e-3 the activations are so small that
# finite differences cross ReLU and max-pool kinks and correct code shows errors up to 4e-1 (seed 002 prints
# W1 3.7e-01). The norm-based error of the whole gradient is used for the same reason; on the reference it stays
# below 4e-7 for ten initialisation seeds, and real bugs give errors above 1e-2.
CONV_SPEC = {"num_filters": 3, "filter_size": 3, "input_dim": (3, 16, 16), "hidden_dim": 7, "dtype": "float64",
             "weight_scale": 1e-2}
CONV_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")
# The notebook's initial-loss cell uses 50 images; 5 decide the same (at weight_scale 1e-3 every example's loss is
# log(10) to 6 digits, and a loss summed instead of averaged is 5x too large) in a tenth of the time.
THREE_LAYER = [
    Case("ThreeLayerConvNet.initial_loss", "ThreeLayerConvNet", "model_loss",
         _model_inputs("ThreeLayerConvNet", {"dtype": "float64"}, _random_batch(5, (3, 32, 32), 10), regs=(0.0, 0.5),
                       keep_grads=False),  # the loss is checked, not its gradients (6.5 MB for W2 alone)
         (Test("notebook: initial loss about log(10) without regularization", Predicate(_initial_loss(0, 10, 0.05)),
               1.0, "model", "Default weight_scale 1e-3 gives a loss of about 2.3026."),
          Test("notebook: regularization term 0.5 * reg * sum(W**2)", Predicate(_reg_term(0, 1, 0.5)), 1.0, "model",
               HINT_REG)),
         seed=231, group="models", timeout=30.0),
    Case("ThreeLayerConvNet.gradient", "ThreeLayerConvNet", "model_loss",
         _model_inputs("ThreeLayerConvNet", CONV_SPEC, _random_batch(2, (3, 16, 16), 10), regs=(0.0,),
                       numeric=CONV_NAMES, h=1e-6, max_points=150),
         _grad_tests(0, CONV_NAMES, 1e-5, "small net", h=1e-6, metric="norm", params=CONV_NAMES), seed=260,
         group="models", timeout=30.0),
]

CASES = TWO_LAYER + FULLY_CONNECTED + THREE_LAYER
