"""Convolution, max pooling and the sandwich layers (the ConvolutionalNetworks / CNN-layers notebooks)."""
import numpy as np

from .build import gradient_case, reference_case, title_id, value_case
from .inputs import linspace, randn

CONV_OUT = [[[[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
             [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
             [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
            [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
             [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
             [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]]]
POOL_OUT = [[[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
             [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
             [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
            [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
             [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
             [[0.32631579, 0.34105263], [0.38526316, 0.4]]]]

CONV_NAMES = ("x", "w", "b", "conv_param")
POOL_NAMES = ("x", "pool_param")
# The true db of a layer followed by a normalization is exactly 0, so its relative error against central
# differences is meaningless; db is compared with the reference in the hidden cases instead.
NO_DB = {"dx": 0, "dw": 1, "dgamma": 3, "dbeta": 4}
HINT_CONV = "Pad only the two spatial axes; each output is one window of the padded input against one filter, plus that filter's bias; windows move by the stride."
HINT_CONV_BACK = ("Each output position's gradient flows back to its window and its filter; accumulate, and remove "
                  "the padding from dx at the end (mind pad = 0).")
HINT_POOL_BACK = "Only the maximum of each window receives its gradient; overlapping windows add up."


def _out_size(size, k, stride, pad):
    return (size + 2 * pad - k) // stride + 1


def _conv_args(n, c, h, w, f, hh, ww, stride, pad, dtype="float64"):
    def make(rng):
        x, wt, b = randn(rng, n, c, h, w, dtype=dtype), randn(rng, f, c, hh, ww, dtype=dtype), randn(rng, f, dtype=dtype)
        dout = randn(rng, n, f, _out_size(h, hh, stride, pad), _out_size(w, ww, stride, pad), dtype=dtype)
        return (x, wt, b, {"stride": stride, "pad": pad}), dout
    return make


def _pool_args(n, c, h, w, ph, pw, stride, dtype="float64"):
    def make(rng):
        x = randn(rng, n, c, h, w, dtype=dtype)
        dout = randn(rng, n, c, _out_size(h, ph, stride, 0), _out_size(w, pw, stride, 0), dtype=dtype)
        return (x, {"pool_height": ph, "pool_width": pw, "stride": stride}), dout
    return make


def _conv_relu_pool_args(n, c, h, w, f, k):
    def make(rng):
        x, wt, b = rng.randn(n, c, h, w), rng.randn(f, c, k, k), rng.randn(f)
        dout = rng.randn(n, f, h // 2, w // 2)
        return (x, wt, b, {"stride": 1, "pad": (k - 1) // 2},
                {"pool_height": 2, "pool_width": 2, "stride": 2}), dout
    return make


def _affine_relu_args(rng):
    x, w, b = rng.randn(2, 3, 4), rng.randn(12, 10), rng.randn(10)
    return (x, w, b), rng.randn(2, 10)


def _affine_norm_relu_args(param):
    def make(rng):
        x, w, b = rng.randn(4, 3, 2), rng.randn(6, 5), rng.randn(5)
        gamma, beta = rng.randn(5), rng.randn(5)
        return (x, w, b, gamma, beta, dict(param)), rng.randn(4, 5)
    return make


def _conv_bn_relu_args(rng):
    x, w, b = rng.randn(2, 3, 6, 6), rng.randn(4, 3, 3, 3), rng.randn(4)
    gamma, beta = rng.randn(4), rng.randn(4)
    return (x, w, b, gamma, beta, {"stride": 1, "pad": 1}, {"mode": "train"}), rng.randn(2, 4, 6, 6)


CONV_HIDDEN = [  # (title, n, c, h, w, f, hh, ww, stride, pad)
    ("stride 1, pad 0", 2, 3, 5, 5, 2, 3, 3, 1, 0),
    ("stride 3, pad 2, non-square", 2, 2, 11, 10, 3, 3, 2, 3, 2),
    ("batch of 1, stride 2, pad 1", 1, 3, 6, 6, 4, 2, 2, 2, 1),
    ("1x1 filters", 3, 4, 4, 3, 2, 1, 1, 1, 0),
]
POOL_HIDDEN = [  # (title, n, c, h, w, ph, pw, stride)
    ("overlapping 3x3 windows, stride 1", 2, 3, 6, 6, 3, 3, 1),
    ("non-square window and input", 2, 2, 7, 8, 3, 2, 2),
    ("windows that do not tile the input", 1, 3, 7, 7, 3, 3, 2),
]

CASES = [
    value_case("conv_forward_naive.notebook", "conv_forward_naive",
               lambda rng: (linspace(-0.1, 0.5, (2, 3, 4, 4)), linspace(-0.2, 0.3, (3, 3, 4, 4)),
                            linspace(-0.1, 0.2, (3,)), {"stride": 2, "pad": 1}),
               CONV_OUT, 1e-7, arg_names=CONV_NAMES, hint=HINT_CONV),
    gradient_case("conv_backward_naive.notebook", "conv_forward_naive", "conv_backward_naive",
                  _conv_args(4, 3, 5, 5, 2, 3, 3, 1, 1), ("dx", "dw", "db"), 1e-7, arg_names=CONV_NAMES, seed=231,
                  hint=HINT_CONV_BACK),
    value_case("max_pool_forward_naive.notebook", "max_pool_forward_naive",
               lambda rng: (linspace(-0.3, 0.4, (2, 3, 4, 4)), {"pool_width": 2, "pool_height": 2, "stride": 2}),
               POOL_OUT, 1e-7, arg_names=POOL_NAMES, hint="Each output is the maximum of one window; the output size follows from the window's height and width and the stride."),
    gradient_case("max_pool_backward_naive.notebook", "max_pool_forward_naive", "max_pool_backward_naive",
                  _pool_args(3, 2, 8, 8, 2, 2, 2), ("dx",), 1e-9, arg_names=POOL_NAMES, seed=231, hint=HINT_POOL_BACK),
    gradient_case("affine_relu_backward.notebook", "affine_relu_forward", "affine_relu_backward", _affine_relu_args,
                  ("dx", "dw", "db"), 1e-8, arg_names=("x", "w", "b"), seed=231, out_points=1.0),
    gradient_case("conv_relu_backward.notebook", "conv_relu_forward", "conv_relu_backward",
                  _conv_args(2, 3, 8, 8, 3, 3, 3, 1, 1), ("dx", "dw", "db"), 1e-7, arg_names=CONV_NAMES, seed=231,
                  out_points=1.0),
    gradient_case("conv_relu_pool_backward.notebook", "conv_relu_pool_forward", "conv_relu_pool_backward",
                  _conv_relu_pool_args(2, 3, 16, 16, 3, 3), ("dx", "dw", "db"), 1e-6,
                  arg_names=CONV_NAMES + ("pool_param",), seed=231, out_points=1.0),
    gradient_case("affine_bn_relu_backward.gradient", "affine_bn_relu_forward", "affine_bn_relu_backward",
                  _affine_norm_relu_args({"mode": "train"}), ("dx", "dw", "db", "dgamma", "dbeta"), 1e-6, numeric=NO_DB,
                  arg_names=("x", "w", "b", "gamma", "beta", "bn_param"), seed=231, out_points=1.0),
    gradient_case("affine_ln_relu_backward.gradient", "affine_ln_relu_forward", "affine_ln_relu_backward",
                  _affine_norm_relu_args({}), ("dx", "dw", "db", "dgamma", "dbeta"), 1e-6, numeric=NO_DB,
                  arg_names=("x", "w", "b", "gamma", "beta", "ln_param"), seed=231, out_points=1.0),
    gradient_case("conv_bn_relu_backward.gradient", "conv_bn_relu_forward", "conv_bn_relu_backward",
                  _conv_bn_relu_args, ("dx", "dw", "db", "dgamma", "dbeta"), 1e-6, numeric=NO_DB,
                  arg_names=("x", "w", "b", "gamma", "beta", "conv_param", "bn_param"), seed=231, out_points=1.0),
] + [
    reference_case(title_id("conv_backward_naive.hidden", title), "conv_forward_naive", "conv_backward_naive",
                   _conv_args(*shape), ("dx", "dw", "db"), arg_names=CONV_NAMES, title=title)
    for title, *shape in CONV_HIDDEN
] + [
    reference_case("conv_backward_naive.hidden.float32", "conv_forward_naive", "conv_backward_naive",
                   _conv_args(2, 2, 5, 5, 3, 3, 3, 2, 1, "float32"), ("dx", "dw", "db"), arg_names=CONV_NAMES,
                   title="float32", dtype="float32"),
] + [
    reference_case(title_id("max_pool_backward_naive.hidden", title), "max_pool_forward_naive", "max_pool_backward_naive",
                   _pool_args(*shape), ("dx",), arg_names=POOL_NAMES, title=title)
    for title, *shape in POOL_HIDDEN
] + [
    reference_case("max_pool_backward_naive.hidden.float32", "max_pool_forward_naive", "max_pool_backward_naive",
                   _pool_args(2, 3, 4, 6, 2, 2, 2, "float32"), ("dx",), arg_names=POOL_NAMES, title="float32",
                   dtype="float32"),
    reference_case("conv_relu_pool_backward.hidden", "conv_relu_pool_forward", "conv_relu_pool_backward",
                   _conv_relu_pool_args(2, 2, 6, 6, 3, 5), ("dx", "dw", "db"),
                   arg_names=CONV_NAMES + ("pool_param",), title="5x5 filters"),
    reference_case("affine_bn_relu_backward.hidden", "affine_bn_relu_forward", "affine_bn_relu_backward",
                   _affine_norm_relu_args({"mode": "train"}), ("dx", "dw", "db", "dgamma", "dbeta"),
                   arg_names=("x", "w", "b", "gamma", "beta"), title="train mode", zero_grads=("db",)),
    reference_case("affine_ln_relu_backward.hidden", "affine_ln_relu_forward", "affine_ln_relu_backward",
                   _affine_norm_relu_args({}), ("dx", "dw", "db", "dgamma", "dbeta"),
                   arg_names=("x", "w", "b", "gamma", "beta"), title="4x6"),
    reference_case("conv_bn_relu_backward.hidden", "conv_bn_relu_forward", "conv_bn_relu_backward",
                   _conv_bn_relu_args, ("dx", "dw", "db", "dgamma", "dbeta"),
                   arg_names=("x", "w", "b", "gamma", "beta"), title="2x3x6x6", zero_grads=("db",)),
]
