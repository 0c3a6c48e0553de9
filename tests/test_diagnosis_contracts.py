"""The relations of :mod:`autograder.grading.diagnosis_contracts` on synthetic values: each names its mistake, and
neither a correct value nor an unrelated error gets it. The mistaken values are written out here by hand (not
with the relations' own code)."""
from __future__ import annotations

import numpy as np
import pytest

from autograder.grading.diagnoses import Evidence, diagnose

RNG = np.random.RandomState(23)


def _ev(got, want, target, path, tol=1e-7, inputs=None, label="out"):
    return Evidence(label, None if got is None else np.asarray(got, float),
                    None if want is None else np.asarray(want, float), tol, inputs=inputs or {}, target=target,
                    path=path)


def _said(ev, message):
    return Evidence("", None, None, 0.0, inputs=ev.inputs, target=ev.target, message=message)


def _relation(ev):
    found = diagnose(ev)
    return found.relation if found else None


def _noisy(want, seed=0):
    return want + 1e-3 * np.random.RandomState(seed).randn(*np.shape(want))


# ----------------------------------------------------------------------------- value relations
def _sgd():
    w, dw, v0 = RNG.randn(4, 3), RNG.randn(4, 3), RNG.randn(4, 3)
    config = {"learning_rate": 0.2, "momentum": 0.5, "velocity": v0}
    want, got = w + 0.5 * v0 - 0.2 * dw, w + 0.9 * v0 - 0.2 * dw  # got: momentum left at its default 0.9
    return "sgd_momentum", "next_w", {"w": w, "dw": dw, "config": config}, want, got


def _adam_eps_inside():
    w, dw, m0, v0 = RNG.randn(5), RNG.randn(5), RNG.randn(5), RNG.rand(5)
    config = {"learning_rate": 0.3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-2, "m": m0, "v": v0, "t": 5}
    m, v = 0.9 * m0 + 0.1 * dw, 0.999 * v0 + 0.001 * dw**2
    m_hat, v_hat = m / (1 - 0.9**6), v / (1 - 0.999**6)
    want, got = w - 0.3 * m_hat / (np.sqrt(v_hat) + 1e-2), w - 0.3 * m_hat / np.sqrt(v_hat + 1e-2)
    return "adam", "next_w", {"w": w, "dw": dw, "config": config}, want, got


def _normalized(x, gamma, beta, mean, var, eps):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _bn_train(slip):
    x, gamma, beta = 2 * RNG.randn(7, 4) + 1, RNG.randn(4), RNG.randn(4)
    rm, rv = RNG.randn(4), RNG.rand(4) + 0.5
    bn = {"mode": "train", "momentum": 0.5, "eps": 0.01, "running_mean": rm, "running_var": rv}
    inputs = {"args": (x, gamma, beta, bn)}
    mean, var = x.mean(axis=0), x.var(axis=0)
    if slip == "eps":
        return ("batchnorm_forward", "result.0", inputs, _normalized(x, gamma, beta, mean, var, 0.01),
                _normalized(x, gamma, beta, mean, var, 1e-5))
    if slip == "no_eps":
        return ("batchnorm_forward", "result.0", inputs, _normalized(x, gamma, beta, mean, var, 0.01),
                _normalized(x, gamma, beta, mean, var, 0.0))
    if slip == "momentum":
        return ("batchnorm_forward", "args_after.3.running_mean", inputs, 0.5 * rm + 0.5 * mean, 0.9 * rm + 0.1 * mean)
    return "batchnorm_forward", "args_after.3.running_mean", inputs, 0.5 * rm + 0.5 * mean, mean  # replaced


def _spatial_rows():
    N, C, H, W = 2, 3, 2, 3
    x, gamma, beta = 2 * RNG.randn(N, C, H, W) + 1, RNG.randn(C), RNG.randn(C)
    bn = {"mode": "train", "momentum": 0.3}

    def through_rows(rows):
        out = _normalized(rows, gamma, beta, rows.mean(axis=0), rows.var(axis=0), 1e-5)
        return out.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    want = through_rows(x.transpose(0, 2, 3, 1).reshape(-1, C))
    return "spatial_batchnorm_forward", "result.0", {"args": (x, gamma, beta, bn)}, want, through_rows(x.reshape(-1, C))


def _gradient(f, x, dout, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = np.sum(f(x) * dout)
        x[i] = old - h
        minus = np.sum(f(x) * dout)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def _bn_backward_eps():
    x, gamma, beta, dout = 2 * RNG.randn(6, 4) + 1, RNG.randn(4), RNG.randn(4), RNG.randn(6, 4)
    inputs = {"args": (x, gamma, beta, {"mode": "train", "eps": 0.1}), "dout": dout}

    def forward(eps):
        return lambda z: _normalized(z, gamma, beta, z.mean(axis=0), z.var(axis=0), eps)
    want, got = _gradient(forward(0.1), x.copy(), dout), _gradient(forward(1e-5), x.copy(), dout)
    return "batchnorm_backward", "grads.0", inputs, want, got


def _layernorm_batch_sum():
    x, gamma, dout = RNG.randn(5, 6), RNG.randn(6), RNG.randn(5, 6)
    D, std = 6, np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    x_hat, dx_hat = (x - x.mean(axis=1, keepdims=True)) / std, dout * gamma

    def dx(axis):
        return (D * dx_hat - np.sum(dx_hat, axis=axis, keepdims=True)
                - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)) / (D * std)
    return "layernorm_backward", "grads.0", {"args": (x, gamma, RNG.randn(6), {}), "dout": dout}, dx(1), dx(0)


def _clamped_softmax():
    x, y = RNG.randn(4, 5), np.array([0, 1, 2, 3])
    x[0, 4] = x[0, 0] + 60  # a wrong class far ahead: its log-probability is below log(1e-20)
    p = np.exp(x - x.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    log_p = np.log(p[np.arange(4), y])
    want, got = -np.mean(log_p), -np.mean(np.log(np.maximum(p[np.arange(4), y], 1e-20)))
    return "softmax_loss", "result.0", {"args": (x, y)}, want, got


def _pool_from_zero():
    want = RNG.randn(2, 3, 2, 2)
    return "max_pool_forward_naive", "result.0", {"args": (RNG.randn(2, 3, 4, 4), {})}, want, np.maximum(want, 0)


VALUE_CASES = {"setting_default": _sgd, "epsilon_inside": _adam_eps_inside,
               "bn_setting": lambda: _bn_train("eps"), "no_eps": lambda: _bn_train("no_eps"),
               "running_replaced": lambda: _bn_train("replaced"), "channels_mixed": _spatial_rows,
               "backward_eps": _bn_backward_eps, "batch_axis_sum": _layernorm_batch_sum,
               "clamped_log": _clamped_softmax, "clipped_at_zero": _pool_from_zero}


@pytest.mark.parametrize("relation", sorted(VALUE_CASES))
def test_a_value_relation_names_its_mistake_only(relation):
    target, path, inputs, want, got = VALUE_CASES[relation]()
    tol = 1e-5 if relation == "backward_eps" else 1e-7  # numerical gradients: a gradient check's tolerance
    assert _relation(_ev(got, want, target, path, tol, inputs)) == relation
    assert _relation(_ev(want, want, target, path, tol, inputs)) is None  # the right value
    assert _relation(_ev(_noisy(want), want, target, path, tol, inputs)) != relation  # an unrelated error


def test_bn_momentum_at_its_default_is_named_with_the_key():
    target, path, inputs, want, got = _bn_train("momentum")
    found = diagnose(_ev(got, want, target, path, inputs=inputs))
    assert found.relation == "bn_setting" and "momentum" in found.text


def test_a_default_that_equals_the_given_setting_is_not_a_mistake():
    target, path, inputs, want, _ = _sgd()
    inputs["config"] = dict(inputs["config"], momentum=0.9)
    assert _relation(_ev(_noisy(want), want, target, path, inputs=inputs)) != "setting_default"


# ----------------------------------------------------------------------------- relations that read a message
MODEL = {"input_dim": (3, 8, 12), "num_filters": 5, "filter_size": 5, "hidden_dim": 11, "weight_scale": 0.05}
MESSAGE_CASES = [  # (relation, target, inputs, message naming the mistake, message of another mistake)
    ("unbound_variable", "FullyConnectedNet.__init__", {},
     "raised UnboundLocalError: cannot access local variable 'i' where it is not associated with a value",
     "raised NameError: name 'i' is not defined"),
    ("test_mode_mask", "dropout_backward", {"args": (RNG.randn(3, 4), {"mode": "test", "p": 0.3})},
     "raised TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'",
     "raised TypeError: unsupported operand type(s) for *: 'float' and 'str'"),
    ("non_square", "max_pool_backward_naive",
     {"args": (RNG.randn(1, 1, 2, 2), (RNG.randn(1, 1, 6, 4), {"pool_height": 3, "pool_width": 1, "stride": 2}))},
     "raised IndexError: index 5 is out of bounds for axis 3 with size 5", "raised ValueError: bad shape"),
    ("init_scale", "FullyConnectedNet.__init__", {"spec": MODEL},
     "params['W1'] has std 0.00927, expected about weight_scale = 0.05",
     "params['W1'] has std 0.2, expected about weight_scale = 0.05"),
    ("dtype_ignored", "FullyConnectedNet.__init__", {"spec": MODEL},
     "params['W1'] has dtype float64, expected float32 (the dtype argument)", "params['W1'] is missing"),
    ("filter_size", "ThreeLayerConvNet.__init__", {"spec": MODEL},
     "params['W1'] has shape (5, 3, 3, 3), expected (5, 3, 5, 5)",
     "params['W1'] has shape (4, 3, 5, 5), expected (5, 3, 5, 5)"),
    ("square_images", "ThreeLayerConvNet.__init__", {"spec": MODEL},
     "params['W2'] has shape (80, 11), expected (120, 11)", "params['W2'] has shape (60, 11), expected (120, 11)"),
    ("pool_missing", "ThreeLayerConvNet.loss", {"spec": MODEL},
     "raised ValueError: affine_forward: x has D = prod(x.shape[1:]) = 480 features per example but w has 120 rows "
     "(x has shape (3, 5, 8, 12), w has shape (120, 11), b has shape (11,))",
     "raised ValueError: affine_forward: x has D = prod(x.shape[1:]) = 120 features per example but w has 480 rows "
     "(x has shape (3, 5, 4, 6), w has shape (480, 11), b has shape (11,))"),
    ("conv_shrinks", "ThreeLayerConvNet.loss", {"spec": MODEL},
     "raised ValueError: affine_forward: x has D = prod(x.shape[1:]) = 60 features per example but w has 120 rows "
     "(x has shape (3, 5, 3, 4), w has shape (120, 11), b has shape (11,))",
     "raised ValueError: affine_forward: x has D = prod(x.shape[1:]) = 30 features per example but w has 120 rows "
     "(x has shape (3, 5, 2, 3), w has shape (120, 11), b has shape (11,))"),
]


@pytest.mark.parametrize("relation, target, inputs, named, other", MESSAGE_CASES, ids=[c[0] for c in MESSAGE_CASES])
def test_a_message_relation_names_its_mistake_only(relation, target, inputs, named, other):
    ev = Evidence("", None, None, 0.0, inputs=inputs, target=target)
    assert _relation(_said(ev, named)) == relation
    assert _relation(_said(ev, other)) != relation


def test_the_new_diagnoses_name_no_number_of_the_case():
    for relation, case in VALUE_CASES.items():
        target, path, inputs, want, got = case()
        found = diagnose(_ev(got, want, target, path, 1e-5, inputs))
        assert found and not any(ch.isdigit() for ch in found.text.replace("axis (0)", "").replace("axis 1", "")), \
            found


# ----------------------------------------------------------------------------- added at the merge
def test_layernorm_and_groupnorm_with_the_default_eps_are_named():
    x, gamma, beta = 2 * RNG.randn(4, 6) + 1, RNG.randn(6), RNG.randn(6)
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    want, got = _normalized(x, gamma, beta, mean, var, 0.2), _normalized(x, gamma, beta, mean, var, 1e-5)
    inputs = {"args": (x, gamma, beta, {"eps": 0.2})}
    assert _relation(_ev(got, want, "layernorm_forward", "out", inputs=inputs)) == "norm_eps"
    assert _relation(_ev(want, want, "layernorm_forward", "out", inputs=inputs)) is None
    assert _relation(_ev(_noisy(want), want, "layernorm_forward", "out", inputs=inputs)) != "norm_eps"
    x4 = RNG.randn(2, 4, 3, 3)
    g4, b4 = RNG.randn(1, 4, 1, 1), RNG.randn(1, 4, 1, 1)
    rows = x4.reshape(2, 2, -1)
    m, v = rows.mean(axis=2, keepdims=True), rows.var(axis=2, keepdims=True)
    want4 = g4 * ((rows - m) / np.sqrt(v + 0.3)).reshape(x4.shape) + b4
    got4 = g4 * ((rows - m) / np.sqrt(v + 1e-5)).reshape(x4.shape) + b4
    inputs4 = {"args": (x4, g4, b4, 2, {"eps": 0.3})}
    assert _relation(_ev(got4, want4, "spatial_groupnorm_forward", "out", inputs=inputs4)) == "norm_eps"


def test_a_pool_output_as_wide_as_the_window_is_high_is_named():
    x = RNG.randn(2, 3, 7, 7)
    pool = {"pool_height": 3, "pool_width": 1, "stride": 2}
    want = np.zeros((2, 3, 3, 4))  # width 1 + (7 - 1) // 2
    got = np.zeros((2, 3, 3, 3))  # width from pool_height: 1 + (7 - 3) // 2
    inputs = {"args": (x, pool)}
    assert _relation(_ev(got, want, "max_pool_forward_naive", "result.0", inputs=inputs)) == "width_from_height"
    square = {"pool_height": 2, "pool_width": 2, "stride": 2}
    assert _relation(_ev(np.zeros((2, 3, 3, 2)), np.zeros((2, 3, 3, 3)), "max_pool_forward_naive", "result.0",
                         inputs={"args": (x, square)})) != "width_from_height"


def test_a_convolution_window_as_wide_as_the_filter_is_high_is_named():
    x, w, b = RNG.randn(1, 2, 5, 5), RNG.randn(2, 2, 3, 5), RNG.randn(2)
    inputs = {"args": (x, w, b, {"stride": 1, "pad": 3})}
    ev = _said(_ev(None, None, "conv_forward_naive", "out", inputs=inputs),
               "raised ValueError: shapes (1,18) and (30,2) not aligned: 18 (dim 1) != 30 (dim 0)")
    found = diagnose(ev)
    assert found and found.relation == "conv_window" and "filter's own width" in found.text
    ev = _said(ev, "raised ValueError: shapes (1,50) and (30,2) not aligned: 50 (dim 1) != 30 (dim 0)")
    found = diagnose(ev)
    assert not found or "filter's own width" not in found.text
