"""Relations for mistakes against the documented API (the contract checks' bugs): a setting of ``config``,
``bn_param`` or a constructor that is not read (its default used instead), epsilon under the square root, a loss
capped by a clamped probability, a maximum that starts from 0, and the shapes of a model's parameters or
activations that do not follow its arguments. Each function takes the
:class:`~autograder.grading.diagnoses.Evidence` and returns the message's fields or None (see
:mod:`autograder.grading.diagnosis_relations`, whose table lists them). The defaults are the course's documented
defaults (the starters' ``config.setdefault`` and ``bn_param.get`` lines, the constructors' signatures): data, no
branches.
"""
from __future__ import annotations

import re

import numpy as np

from .diagnosis_cases import _args, _message_numbers, _shapes_in

RULE_DEFAULTS = {
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
"""The documented default of every setting of an update rule's ``config``."""

BN_DEFAULTS = {"eps": 1e-5, "momentum": 0.9}
"""The documented defaults of ``bn_param``'s ``eps`` and ``momentum``."""

INIT_SCALES = {"FullyConnectedNet": 1e-2, "TwoLayerNet": 1e-3, "ThreeLayerConvNet": 1e-3}
"""Each model constructor's default ``weight_scale``."""

CLAMPS = (1e-20, 1e-15, 1e-12, 1e-10, 1e-8)
"""Floors a probability is commonly clamped at before its log."""


# ----------------------------------------------------------------------------- update rules
def rule_step(target, w, dw, config, eps_inside=False):
    """The outputs of one step of ``target`` (``{name: value}``: next_w and the state it keeps) for ``config``."""
    c = {**RULE_DEFAULTS[target], **config}
    lr = c["learning_rate"]
    if target == "sgd_momentum":
        v = c["momentum"] * np.asarray(c.get("velocity", np.zeros_like(w)), np.float64) - lr * dw
        return {"next_w": w + v, "velocity": v}
    if target == "rmsprop":
        cache = c["decay_rate"] * np.asarray(c.get("cache", np.zeros_like(w)), np.float64) + (1 - c["decay_rate"]) * dw**2
        root = np.sqrt(cache + c["epsilon"]) if eps_inside else np.sqrt(cache) + c["epsilon"]
        return {"next_w": w - lr * dw / root, "cache": cache}
    t = c.get("t", 0) + 1
    m = c["beta1"] * np.asarray(c.get("m", np.zeros_like(w)), np.float64) + (1 - c["beta1"]) * dw
    v = c["beta2"] * np.asarray(c.get("v", np.zeros_like(w)), np.float64) + (1 - c["beta2"]) * dw**2
    m_hat, v_hat = m / (1 - c["beta1"]**t), v / (1 - c["beta2"]**t)
    root = np.sqrt(v_hat + c["epsilon"]) if eps_inside else np.sqrt(v_hat) + c["epsilon"]
    return {"next_w": w - lr * m_hat / root, "m": m, "v": v}


def _step_inputs(ev):
    if ev.target not in RULE_DEFAULTS or "w" not in ev.inputs or "dw" not in ev.inputs:
        return None
    config = ev.inputs.get("config")
    return (np.asarray(ev.inputs["w"], np.float64), np.asarray(ev.inputs["dw"], np.float64),
            dict(config) if isinstance(config, dict) else {})


def _output(values, ev):
    return values.get(ev.path.rsplit(".", 1)[-1])


def setting_default(ev):
    """An update rule's step recomputed with one setting of config at its default: the setting is not read."""
    found = _step_inputs(ev)
    if found is None:
        return None
    w, dw, config = found
    for key, default in RULE_DEFAULTS[ev.target].items():
        if key in config and config[key] != default and ev.fits(_output(rule_step(ev.target, w, dw,
                                                                                   {**config, key: default}), ev)):
            return {"key": key}
    return None


def epsilon_inside(ev):
    """rmsprop's or adam's step with epsilon added under the square root."""
    found = _step_inputs(ev)
    if found is None or ev.target == "sgd_momentum":
        return None
    return {} if ev.fits(_output(rule_step(ev.target, *found, eps_inside=True), ev)) else None


# ----------------------------------------------------------------------------- batchnorm's settings
def _rows(x, transpose=True):
    """A batchnorm input as rows of features: (N, D) as is, (N, C, H, W) as (N * H * W, C) (with ``transpose``
    False: by a reshape alone, which mixes the channels)."""
    x = np.asarray(x, np.float64)
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1]) if transpose else x.reshape(-1, x.shape[1])


def _bn_outputs(x, gamma, beta, bn, eps, momentum, transpose=True):
    """batchnorm's out (in x's shape) and running statistics for one call, with the given eps and momentum."""
    rows = _rows(x, transpose)
    gamma, beta = np.asarray(gamma, np.float64).reshape(-1), np.asarray(beta, np.float64).reshape(-1)
    if bn.get("mode") == "test":
        mean, var, stats = np.asarray(bn["running_mean"]), np.asarray(bn["running_var"]), {}
    else:
        mean, var = rows.mean(axis=0), rows.var(axis=0)
        stats = {"running_mean": momentum * np.asarray(bn.get("running_mean", np.zeros_like(mean))) + (1 - momentum) * mean,
                 "running_var": momentum * np.asarray(bn.get("running_var", np.zeros_like(var))) + (1 - momentum) * var}
    out = gamma * (rows - mean) / np.sqrt(var + eps) + beta
    if np.ndim(x) == 4:
        N, C, H, W = np.shape(x)
        out = np.moveaxis(out.reshape(N, H, W, C), -1, 1)
    return {"out": out, **stats}


def bn_setting(ev):
    """batchnorm's output or running statistics recomputed with bn_param's eps or momentum at its default (or no
    eps at all)."""
    found = _bn_call(ev)
    if found is None:
        return None
    x, gamma, beta, bn, eps, momentum, name = found
    tries = [({"key": "eps"}, BN_DEFAULTS["eps"], momentum), ({"key": "momentum"}, eps, BN_DEFAULTS["momentum"])]
    for fields, e, m in tries:
        if (e, m) != (eps, momentum) and ev.fits(_bn_outputs(x, gamma, beta, bn, e, m).get(name)):
            return fields
    return None


def norm_eps(ev):
    """layer or group norm's output recomputed with the documented default eps instead of the param dict's
    (``ln_param['eps']``, ``gn_param['eps']``)."""
    args = _args(ev)
    if not (ev.path == "out" or ev.path.startswith("result")):
        return None
    if len(args) == 4 and isinstance(args[3], dict) and np.ndim(args[0]) == 2:
        x, gamma, beta, param, groups = *args, None
    elif len(args) == 5 and isinstance(args[4], dict) and np.ndim(args[0]) == 4:
        x, gamma, beta, groups, param = args
    else:
        return None
    eps = float(param.get("eps", BN_DEFAULTS["eps"]))
    if eps == BN_DEFAULTS["eps"]:
        return None
    x = np.asarray(x, np.float64)
    rows = x if groups is None else x.reshape(x.shape[0], int(groups), -1)
    axis = 1 if groups is None else 2
    mean, var = rows.mean(axis=axis, keepdims=True), rows.var(axis=axis, keepdims=True)
    normalized = ((rows - mean) / np.sqrt(var + BN_DEFAULTS["eps"])).reshape(x.shape)
    return {"key": "eps"} if ev.fits(np.asarray(gamma) * normalized + np.asarray(beta)) else None


def _bn_call(ev):
    """``(x, gamma, beta, bn_param, eps, momentum, name of the compared output)`` of a batchnorm call, or None."""
    args = _args(ev)
    if len(args) < 4 or not isinstance(args[3], dict):
        return None
    bn = args[3]
    eps, momentum = float(bn.get("eps", BN_DEFAULTS["eps"])), float(bn.get("momentum", BN_DEFAULTS["momentum"]))
    name = "out" if ev.path.startswith("result") else ev.path.rsplit(".", 1)[-1]
    return args[0], args[1], args[2], bn, eps, momentum, name


def backward_eps(ev):
    """batchnorm's dx with the backward pass's std taken with the default eps instead of bn_param's: either the whole
    backward pass with the default eps, or the given one's scaled by the ratio of the two stds."""
    found, dout = _bn_call(ev), ev.inputs.get("dout")
    if found is None or dout is None or found[-1] != "0" or np.ndim(found[0]) != 2:  # dx: the first gradient
        return None
    x, gamma, _, _, eps, _, _ = found
    if eps == BN_DEFAULTS["eps"]:
        return None
    x, dout, gamma = np.asarray(x, np.float64), np.asarray(dout, np.float64), np.asarray(gamma, np.float64)
    n, mu = x.shape[0], x.mean(axis=0)
    std, default_std = np.sqrt(x.var(axis=0) + eps), np.sqrt(x.var(axis=0) + BN_DEFAULTS["eps"])
    x_hat = (x - mu) / default_std
    whole = gamma / (n * default_std) * (n * dout - dout.sum(axis=0) - x_hat * np.sum(dout * x_hat, axis=0))
    return {} if ev.fits(whole) or ev.fits(ev.want * std / default_std) else None


def running_replaced(ev):
    """A running statistic equal to the batch's own: replaced instead of averaged with momentum."""
    found = _bn_call(ev)
    if found is None or found[-1] not in ("running_mean", "running_var") or found[3].get("mode") != "train":
        return None
    *call, eps, _, name = found
    return {} if ev.fits(_bn_outputs(*call, eps, 0.0).get(name)) else None


def channels_mixed(ev):
    """spatial batchnorm recomputed on rows made by a reshape of (N, C, H, W) alone, without moving C last."""
    found = _bn_call(ev)
    if found is None or np.ndim(found[0]) != 4:
        return None
    *call, name = found
    return {} if ev.fits(_bn_outputs(*call, transpose=False).get(name)) else None


def batch_axis_sum(ev):
    """layernorm's dx off by a term that, times each example's std, is a per-example plus a per-feature term: a sum
    taken over the batch axis where the statistics are per example."""
    args = _args(ev)
    if len(args) < 1 or np.ndim(args[0]) != 2 or ev.got.shape != np.shape(args[0]) or np.shape(args[0])[0] < 2:
        return None
    param = args[3] if len(args) > 3 and isinstance(args[3], dict) else {}
    x = np.asarray(args[0], np.float64)
    std = np.sqrt(x.var(axis=1, keepdims=True) + float(param.get("eps", BN_DEFAULTS["eps"])))
    r = (ev.got - ev.want) * std
    per_feature = r.mean(axis=0, keepdims=True) - r.mean()
    rest = r - r.mean(axis=1, keepdims=True) - per_feature
    scale = max(1e-12, float(np.max(np.abs(ev.want * std))))
    if np.max(np.abs(per_feature)) <= 10 * max(ev.tol, 1e-9) * scale:
        return None  # the difference does not vary along the features: no sum over the batch
    return {} if np.max(np.abs(rest)) <= max(ev.tol, 1e-9) * scale else None


def unbound_variable(ev):
    """A local variable read where no value was given to it: set only in a loop or branch that did not run."""
    return {} if re.search(r"UnboundLocalError|referenced before assignment|not associated with a value",
                           ev.message) else None


def no_eps(ev):
    """batchnorm's output recomputed without eps."""
    found = _bn_call(ev)
    if found is None or found[-1] != "out":
        return None
    x, gamma, beta, bn, _, momentum, _ = found
    return {} if ev.fits(_bn_outputs(x, gamma, beta, bn, 0.0, momentum)["out"]) else None


# ----------------------------------------------------------------------------- losses and pooling
def clamped_log(ev):
    """softmax's loss computed from probabilities clamped at a small floor: each example's loss is capped."""
    args = _args(ev)
    if len(args) < 2 or ev.got.size != 1:
        return None
    x, y = np.asarray(args[0], np.float64), np.asarray(args[1]).astype(int)
    if x.ndim != 2:
        return None
    shifted = x - x.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    picked = log_p[np.arange(len(y)), y]
    for floor in CLAMPS:
        if ev.fits(np.reshape(-np.mean(np.maximum(picked, np.log(floor))), ev.got.shape)):
            return {}
    return None


def clipped_at_zero(ev):
    """The expected value with its negative elements replaced by 0."""
    return {} if (ev.want < 0).any() and ev.fits(np.maximum(ev.want, 0)) else None


def test_mode_mask(ev):
    """dropout_backward in test mode failing on the cache's mask, which test mode does not keep."""
    test = any(isinstance(v, dict) and v.get("mode") == "test" for v in _flat_args(ev))
    return {} if test and "NoneType" in ev.message else None


def _flat_args(ev):
    """The case's arguments, with those inside a tuple argument (a cache) too."""
    args = list(_args(ev))
    return args + [v for value in args if isinstance(value, (tuple, list)) for v in value]


def non_square(ev):
    """Max pooling indexing past the end of an axis on a non-square window or input."""
    if "IndexError" not in ev.message or "out of bounds" not in ev.message:
        return None
    args = _flat_args(ev)
    pools = [v for v in args if isinstance(v, dict) and "pool_height" in v]
    images = [v for v in args if isinstance(v, np.ndarray) and v.ndim == 4]
    if not pools or not images:
        return None
    pool, shapes = pools[0], [np.shape(v) for v in images]
    return {} if pool.get("pool_height") != pool.get("pool_width") or any(s[2] != s[3] for s in shapes) else None


def width_from_height(ev):
    """A pooling or convolution output whose width is what the window's (filter's) height gives along the width axis:
    pool_height for pool_width, or a filter's HH for its WW."""
    got, want = ev.got, ev.want
    if got is None or want is None or np.ndim(got) != 4 or np.ndim(want) != 4:
        return None
    if got.shape[:3] != want.shape[:3] or got.shape[3] == want.shape[3]:
        return None
    args = _flat_args(ev)
    images = [np.shape(v) for v in args if isinstance(v, np.ndarray) and v.ndim == 4]
    params = [v for v in args if isinstance(v, dict) and "stride" in v]
    if not images or not params:
        return None
    param, width = params[0], images[0][3]
    if "pool_height" in param:
        height, pad = param["pool_height"], 0
    elif len(images) > 1:  # conv: x, then w of shape (F, C, HH, WW)
        height, pad = images[1][2], param.get("pad", 0)
    else:
        return None
    return {} if got.shape[3] == 1 + (width + 2 * int(pad) - int(height)) // int(param["stride"]) else None


# ----------------------------------------------------------------------------- models: constructor arguments
def init_scale(ev):
    """A model's weights drawn with the constructor's default weight_scale instead of the one given."""
    numbers = _message_numbers(ev, r"has std ([\d.e+-]+), expected about weight_scale = ([\d.e+-]+)")
    default = INIT_SCALES.get(ev.target.split(".")[0])
    if not numbers or not default or abs(numbers[1] - default) <= 0.25 * default:
        return None
    return {} if abs(numbers[0] - default) <= 0.25 * default else None


def dtype_ignored(ev):
    return {} if re.search(r"has dtype \w+, expected \w+ \(the dtype argument\)", ev.message) else None


def _spec(ev):
    spec = ev.inputs.get("spec")
    return spec if isinstance(spec, dict) else {}


def filter_size(ev):
    """The first convolution's filters with another height and width than filter_size."""
    shapes = _shapes_in(ev.message) if "params['W1'] has shape" in ev.message else []
    size = _spec(ev).get("filter_size")
    if len(shapes) < 2 or len(shapes[0]) != 4 or len(shapes[1]) != 4 or size is None:
        return None
    got, want = shapes[:2]
    return {} if got[:2] == want[:2] and want[2:] == (size, size) and got[2:] != want[2:] else None


def square_images(ev):
    """The hidden affine layer's weight sized with the image's height for its width (or the other way round)."""
    shapes = _shapes_in(ev.message) if "params['W2'] has shape" in ev.message else []
    spec = _spec(ev)
    if len(shapes) < 2 or "input_dim" not in spec or "num_filters" not in spec:
        return None
    _, H, W = spec["input_dim"]
    F = spec["num_filters"]
    rows = shapes[0][0]
    return {} if H != W and rows in (F * (H // 2) ** 2, F * (W // 2) ** 2) else None


def _affine_mismatch(ev):
    """``(features per example of x, rows of w, x's shape)`` of a failed affine shape check, or None."""
    numbers = _message_numbers(ev, r"x has D = .*? = (\d+) features per example but w has (\d+) rows")
    shapes = _shapes_in(ev.message)
    if not numbers or not shapes:
        return None
    return int(numbers[0]), int(numbers[1]), shapes[0]


def pool_missing(ev):
    """The activations reaching the first affine layer are 4 times what its weight expects: no 2x2 pooling."""
    found = _affine_mismatch(ev)
    return {} if found and len(found[2]) == 4 and found[0] == 4 * found[1] else None


def conv_shrinks(ev):
    """The activations reaching the first affine layer have fewer positions than the weight expects, and not the
    4 times fewer of a missing halving: the convolution changes height and width."""
    found = _affine_mismatch(ev)
    if not found or len(found[2]) != 4:
        return None
    features, rows, shape = found
    channels = shape[1]
    return {} if rows % channels == 0 and rows > features and rows != 4 * features else None
