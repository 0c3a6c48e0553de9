"""Contract checks of the layers: every documented key of ``bn_param``, ``ln_param``, ``gn_param``,
``dropout_param``, ``conv_param`` and ``pool_param`` at values the notebooks never use, and extreme but valid
inputs (logits of magnitude 1e3, class gaps above 50, constant features, large activations).

Hidden; values are compared with the reference's on the same inputs. Each test is worth :data:`POINTS`.
"""
import numpy as np

from .judges import Close, Predicate
from ..model import Case, Test
from .build import reference_case, title_id
from .conv import CONV_NAMES, POOL_NAMES, _conv_args, _pool_args
from .norm import _keep_rate

POINTS = 0.25
BN_NAMES, LN_NAMES, GN_NAMES = ("x", "gamma", "beta", "bn_param"), ("x", "gamma", "beta", "ln_param"), \
    ("x", "gamma", "beta", "", "gn_param")
HINT_EPS = "Read eps from the param dict (its documented default is 1e-5) and use that same eps in the backward pass."


def _norm_args(shape, param_shape, extra, constant=None, scale=2.0, shift=1.0):
    """``(x, gamma, beta, *extra)`` and dout; ``constant`` (an index expression) sets part of x to 3.0 exactly."""
    def make(rng):
        x = scale * rng.randn(*shape) + shift
        if constant is not None:
            x[constant] = 3.0
        gamma, beta = rng.randn(*param_shape), rng.randn(*param_shape)
        params = tuple(dict(p) if isinstance(p, dict) else p for p in extra)
        return (x, gamma, beta) + params, rng.randn(*shape)
    return make


def _ref(target, title, make_args, grads, names, forward=None, **kw):
    forward = forward or target.replace("_backward_alt", "_forward").replace("_backward", "_forward")
    return reference_case(title_id(f"{target}.contract", title), forward, target, make_args, grads, arg_names=names,
                          title=title, points=POINTS, **kw)


DX3 = ("dx", "dgamma", "dbeta")
NORMALIZATION = [
    _ref("batchnorm_backward", "bn_param eps = 0.1", _norm_args((6, 4), (4,), ({"mode": "train", "eps": 0.1},)),
         DX3, BN_NAMES),
    _ref("batchnorm_backward_alt", "bn_param eps = 0.1", _norm_args((5, 3), (3,), ({"mode": "train", "eps": 0.1},)),
         DX3, BN_NAMES),
    _ref("batchnorm_backward", "a constant feature (zero variance, eps decides)",
         _norm_args((8, 3), (3,), ({"mode": "train", "eps": 1e-3},), constant=(slice(None), 1)), DX3, BN_NAMES),
    _ref("layernorm_backward", "ln_param eps = 0.2", _norm_args((4, 6), (6,), ({"eps": 0.2},)), DX3, LN_NAMES),
    _ref("layernorm_backward", "a constant example (zero variance, eps decides)",
         _norm_args((3, 8), (8,), ({"eps": 1e-3},), constant=(0, slice(None))), DX3, LN_NAMES),
    _ref("spatial_batchnorm_backward", "bn_param eps = 0.3", _norm_args((2, 3, 3, 4), (3,), ({"mode": "train", "eps": 0.3},)),
         DX3, BN_NAMES),
    _ref("spatial_groupnorm_backward", "G = 2, gn_param eps = 0.2",
         _norm_args((2, 4, 3, 3), (1, 4, 1, 1), (2, {"eps": 0.2})), DX3, GN_NAMES),
    _ref("spatial_groupnorm_backward", "a constant group (zero variance, eps decides)",
         _norm_args((2, 4, 2, 4), (1, 4, 1, 1), (2, {"eps": 1e-3}), constant=(0, slice(0, 2))), DX3, GN_NAMES),
]


def _bn_call(target, shape, bn_param):
    """One forward call with a given ``bn_param`` (running statistics included): out and the updated stats."""
    channels = shape[1]

    def make(rng):
        param = dict(bn_param, running_mean=rng.randn(channels), running_var=rng.rand(channels) + 0.5)
        x = 2 * rng.randn(*shape) + 1
        return {"target": target, "args": (x, rng.randn(channels), rng.randn(channels), param)}
    return make


def _bn_forward_case(target, title, shape, bn_param):
    tests = (Test(f"{title}: out", Close("result.0", 1e-7, "out", like="x"), POINTS, "reference", HINT_EPS),)
    if bn_param["mode"] == "train":
        tests += tuple(Test(f"{title}: bn_param['{k}']", Close(f"args_after.3.{k}", 1e-7, k), POINTS, "reference",
                            "Update the running averages with bn_param's own momentum, as the docstring describes.")
                       for k in ("running_mean", "running_var"))
    return Case(title_id(f"{target}.contract", title), target, "call", _bn_call(target, shape, bn_param), tests,
                visibility="hidden", group="batchnorm")


RUNNING = [
    _bn_forward_case("batchnorm_forward", "train, momentum = 0.5, eps = 0.01", (7, 4),
                     {"mode": "train", "momentum": 0.5, "eps": 0.01}),
    _bn_forward_case("batchnorm_forward", "test, eps = 0.5", (5, 3), {"mode": "test", "eps": 0.5}),
    _bn_forward_case("spatial_batchnorm_forward", "train, momentum = 0.3", (2, 3, 2, 3),
                     {"mode": "train", "momentum": 0.3}),
    _bn_forward_case("spatial_batchnorm_forward", "test, eps = 0.2", (2, 2, 3, 3), {"mode": "test", "eps": 0.2}),
]


def _dropout_args(mode, p):
    def make(rng):
        return (rng.randn(6, 5), {"mode": mode, "p": p, "seed": 7}), rng.randn(6, 5)
    return make


def _dropout_rate(p):
    def make(rng):
        # 40,000 units: at p = 0.9 the keep rate's and the mean's sampling errors are under a fifth of
        # _keep_rate's tolerances (a low p needs ten times more units for its mean: the notebook's cases have them)
        return {"target": "dropout_forward", "args": (rng.randn(200, 200) + 10, {"mode": "train", "p": p})}
    return make


DROPOUT = [
    _ref("dropout_backward", "test mode, p = 0.3", _dropout_args("test", 0.3), ("dx",), ("x", "dropout_param")),
    # No case at p = 1 (keep every unit): under the courses whose p drops a unit (CS231n 2016-2017) it becomes
    # p = 0, which their complete solutions read either way (see norm._keep_rate), and its dx would judge the
    # backward pass by the forward pass's mask; measured on real submissions (docs/measured/agreement.md), it
    # charged 16 correct dropout_backward functions.
] + [
    Case(title_id("dropout_forward.contract", f"p = {p}"), "dropout_forward", "call", _dropout_rate(p), (
        Test(f"p = {p} (probability of keeping a unit): keep rate, scaling and mean", Predicate(_keep_rate(p)), POINTS,
             "reference", "Use dropout_param['p'] as the course defines it, and scale the kept units (inverted dropout)."),
    ), visibility="hidden", group="dropout") for p in (0.9,)
]

CONV_ROWS = [  # (title, n, c, h, w, f, hh, ww, stride, pad)
    ("5x5 filters, stride 2, pad 0, non-square input", 2, 2, 9, 7, 3, 5, 5, 2, 0),
    ("3x5 filters, stride 1, pad 3", 1, 2, 4, 5, 2, 3, 5, 1, 3),
]
POOL_ROWS = [  # (title, n, c, h, w, ph, pw, stride)
    ("1x1 windows, stride 1", 2, 2, 3, 4, 1, 1, 1),
    ("2x2 windows, stride 3 (gaps between windows)", 1, 3, 8, 8, 2, 2, 3),
    ("3x1 windows, stride 2", 2, 2, 7, 5, 3, 1, 2),
]


def _scaled(make_args, scale, shift=0.0):
    """``make_args`` with its first argument scaled (large activations, all-negative inputs)."""
    def make(rng):
        args, dout = make_args(rng)
        return (args[0] * scale + shift,) + tuple(args[1:]), dout
    return make


def _relu_args(rng):
    return (rng.randn(5, 7),), rng.randn(5, 7)


CONV = [_ref("conv_backward_naive", title, _conv_args(*shape), ("dx", "dw", "db"), CONV_NAMES)
        for title, *shape in CONV_ROWS] + [
    _ref("max_pool_backward_naive", title, _pool_args(*shape), ("dx",), POOL_NAMES) for title, *shape in POOL_ROWS
] + [
    _ref("max_pool_backward_naive", "large activations (|x| about 1e6)", _scaled(_pool_args(2, 2, 4, 4, 2, 2, 2), 1e6),
         ("dx",), POOL_NAMES),
    _ref("max_pool_backward_naive", "all inputs negative", _scaled(_pool_args(2, 2, 4, 7, 2, 3, 2), 0.1, -5.0),
         ("dx",), POOL_NAMES),
    _ref("relu_backward", "large activations (|x| about 1e8)", _scaled(_relu_args, 1e8), ("dx",), ("x",)),
]


def _logits(kind):
    """Scores of magnitude 1e3 (gaps of a few units, so that a log of a probability stays finite), or with a wrong
    class 60 above the correct one (a probability of about e^-60: finite in float64, below any clamp)."""
    def make(rng):
        n, c = 6, 5
        y = rng.randint(c, size=n)
        if kind == "large":  # rows around +1000 and -1000: exp overflows or underflows without the max shift
            x = np.where(np.arange(n)[:, None] % 2 == 0, 1e3, -1e3) + 3 * rng.randn(n, c)
        else:
            x = rng.randn(n, c)
            x[np.arange(n), (y + 1) % c] += 60.0
        return {"args": (x, y), "numeric": ()}
    return make


def _loss_case(target, title, kind):
    def make(rng):
        return {"target": target, **_logits(kind)(rng)}
    hint = "Shift the scores by their row maximum before exponentiating, and take logs of the shifted scores."
    tests = (Test(f"{title}: loss", Close("loss", 1e-7, "loss"), POINTS, "reference", hint if target == "softmax_loss" else ""),
             Test(f"{title}: dx", Close("dx", 1e-7, "dx", like="x"), POINTS, "reference",
                  hint if target == "softmax_loss" else ""))
    return Case(title_id(f"{target}.contract", title), target, "loss_gradient", make, tests, visibility="hidden",
                group="losses")


LOSSES = [_loss_case(target, title, kind) for target in ("softmax_loss", "svm_loss")
          for title, kind in (("scores of magnitude 1e3", "large"), ("a wrong class 60 above the rest", "gap"))]

CASES = NORMALIZATION + RUNNING + DROPOUT + CONV + LOSSES
