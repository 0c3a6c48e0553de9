"""Tests for cs231n.layer_utils: the sandwich layers' gradients (notebook cells), composition, purity."""
import copy

import numpy as np
import pytest

from conftest import rel_error
from cs231n.gradient_check import eval_numerical_gradient_array
from cs231n.layers import (affine_backward, affine_forward, batchnorm_backward, batchnorm_forward,
                           conv_backward_naive, conv_forward_naive, layernorm_backward,
                           layernorm_forward, max_pool_backward_naive, max_pool_forward_naive,
                           relu_backward, relu_forward, spatial_batchnorm_backward,
                           spatial_batchnorm_forward)
from cs231n.layer_utils import *


@pytest.fixture(autouse=True)
def _restore_global_rng():
    """Every test seeds numpy's global generator itself; put the state back afterwards."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def gradient_errors(forward, backward, args, dout):
    """Relative errors between backward(dout, cache) and numerical gradients of forward(*args)[0]."""
    _, cache = forward(*args)
    analytic = backward(dout, cache)
    errors = []
    for k, grad in enumerate(analytic):
        def f_k(a, k=k):
            return forward(*args[:k], a, *args[k + 1:])[0]
        errors.append(rel_error(grad, eval_numerical_gradient_array(f_k, args[k], dout)))
    return errors


# --------------------------------------------------------------------------- notebook cells

def test_affine_relu_numerical():
    np.random.seed(231)
    x = np.random.randn(2, 3, 4)
    w = np.random.randn(12, 10)
    b = np.random.randn(10)
    dout = np.random.randn(2, 10)
    dx, dw, db = gradient_errors(affine_relu_forward, affine_relu_backward, [x, w, b], dout)
    assert dx < 1e-9 and dw < 1e-9 and db < 1e-9  # notebooks: 1.7e-10, 1.1e-10, 1.9e-11


@pytest.mark.slow
@pytest.mark.parametrize("seed", [231, 260])
def test_conv_relu_pool_numerical(seed):
    np.random.seed(seed)
    x = np.random.randn(2, 3, 16, 16)
    w = np.random.randn(3, 3, 3, 3)
    b = np.random.randn(3,)
    dout = np.random.randn(2, 3, 8, 8)
    conv_param = {'stride': 1, 'pad': 1}
    pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}

    def forward(x, w, b):
        return conv_relu_pool_forward(x, w, b, conv_param, pool_param)
    dx, dw, db = gradient_errors(forward, conv_relu_pool_backward, [x, w, b], dout)
    # Notebooks: dx 1.9e-08 / 1.3e-08, dw 3.1e-09 / 1.2e-09, db 1.6e-11 / 7.6e-11. The numerical gradient's
    # rounding depends on the CPU's BLAS kernels: on an AMD EPYC without AVX-512, db measures 4.2e-09 at seed 231.
    assert dx < 1e-7 and dw < 1e-7 and db < 1e-8


@pytest.mark.parametrize("seed", [231, 260])
def test_conv_relu_numerical(seed):
    np.random.seed(seed)
    x = np.random.randn(2, 3, 8, 8)
    w = np.random.randn(3, 3, 3, 3)
    b = np.random.randn(3,)
    dout = np.random.randn(2, 3, 8, 8)
    conv_param = {'stride': 1, 'pad': 1}

    def forward(x, w, b):
        return conv_relu_forward(x, w, b, conv_param)
    dx, dw, db = gradient_errors(forward, conv_relu_backward, [x, w, b], dout)
    # Notebooks: dx 5.2e-09 / 3.7e-09, dw 4.5e-09 / 8.9e-09, db 3.7e-11 / 3.9e-11
    assert dx < 1e-7 and dw < 1e-7 and db < 1e-9


def test_conv_bn_relu_numerical():
    np.random.seed(231)
    x = np.random.randn(2, 3, 8, 8)
    w = np.random.randn(3, 3, 3, 3)
    b = np.random.randn(3,)
    gamma = np.random.randn(3,)
    beta = np.random.randn(3,)
    dout = np.random.randn(2, 3, 8, 8)
    conv_param = {'stride': 1, 'pad': 1}
    bn_param = {'mode': 'train'}

    def forward(x, w, b, gamma, beta):
        return conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param)
    dx, dw, _, dgamma, dbeta = gradient_errors(forward, conv_bn_relu_backward, [x, w, b, gamma, beta], dout)
    # measured dx 4.8e-08 on one CPU and 1.2e-07 on another (the BLAS kernels round differently), dw 8.8e-09
    assert dx < 1e-6 and dw < 1e-7 and dgamma < 1e-9 and dbeta < 1e-9
    # Batchnorm removes each channel's mean, so the conv bias has no effect: its gradient is zero
    # (both numerical and analytic values are rounding noise, so compare it absolutely).
    db = conv_bn_relu_backward(dout, forward(x, w, b, gamma, beta)[1])[2]
    np.testing.assert_allclose(db, 0, atol=1e-12)


@pytest.mark.parametrize("sandwich", ["bn", "ln"])
def test_affine_norm_relu_numerical(sandwich):
    np.random.seed(231)
    N, D, M = 4, 6, 5
    x = np.random.randn(N, 2, 3)
    w = np.random.randn(D, M)
    b = np.random.randn(M)
    gamma = np.random.randn(M)
    beta = np.random.randn(M)
    dout = np.random.randn(N, M)
    if sandwich == "bn":
        forward_fn, backward = affine_bn_relu_forward, affine_bn_relu_backward
        param = {'mode': 'train'}
    else:
        forward_fn, backward = affine_ln_relu_forward, affine_ln_relu_backward
        param = {}

    def forward(x, w, b, gamma, beta):
        return forward_fn(x, w, b, gamma, beta, param)
    dx, dw, db, dgamma, dbeta = gradient_errors(forward, backward, [x, w, b, gamma, beta], dout)
    assert dx < 1e-8 and dw < 1e-8 and dgamma < 1e-9 and dbeta < 1e-9
    if sandwich == "bn":
        # Batchnorm removes each feature's batch mean, so the affine bias has no effect at all.
        np.testing.assert_allclose(backward(dout, forward(x, w, b, gamma, beta)[1])[2], 0, atol=1e-12)
    else:
        assert db < 1e-9


# --------------------------------------------------------------------------- composition

def _chain(funcs_and_args, x):
    """Run forward layers in sequence, returning the output and the list of caches."""
    caches = []
    for f, args in funcs_and_args:
        x, cache = f(x, *args)
        caches.append(cache)
    return x, caches


def _sandwich_cases():
    """(name, sandwich forward, sandwich backward, chain of layers, backward chain, inputs)."""
    rng = np.random.RandomState(231)
    x2, w2, b2 = rng.randn(4, 2, 3), rng.randn(6, 5), rng.randn(5)
    g2, be2 = rng.randn(5), rng.randn(5)
    x4, w4, b4 = rng.randn(2, 3, 6, 6), rng.randn(4, 3, 3, 3), rng.randn(4)
    g4, be4 = rng.randn(4), rng.randn(4)
    conv_param = {'stride': 1, 'pad': 1}
    pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
    return {
        "affine_relu": (lambda: affine_relu_forward(x2, w2, b2), affine_relu_backward,
                        x2, [(affine_forward, (w2, b2)), (relu_forward, ())],
                        [affine_backward, relu_backward]),
        "affine_bn_relu": (lambda: affine_bn_relu_forward(x2, w2, b2, g2, be2, {'mode': 'train'}),
                           affine_bn_relu_backward, x2,
                           [(affine_forward, (w2, b2)), (batchnorm_forward, (g2, be2, {'mode': 'train'})),
                            (relu_forward, ())],
                           [affine_backward, batchnorm_backward, relu_backward]),
        "affine_ln_relu": (lambda: affine_ln_relu_forward(x2, w2, b2, g2, be2, {}),
                           affine_ln_relu_backward, x2,
                           [(affine_forward, (w2, b2)), (layernorm_forward, (g2, be2, {})), (relu_forward, ())],
                           [affine_backward, layernorm_backward, relu_backward]),
        "conv_relu": (lambda: conv_relu_forward(x4, w4, b4, conv_param), conv_relu_backward, x4,
                      [(conv_forward_naive, (w4, b4, conv_param)), (relu_forward, ())],
                      [conv_backward_naive, relu_backward]),
        "conv_bn_relu": (lambda: conv_bn_relu_forward(x4, w4, b4, g4, be4, conv_param, {'mode': 'train'}),
                         conv_bn_relu_backward, x4,
                         [(conv_forward_naive, (w4, b4, conv_param)),
                          (spatial_batchnorm_forward, (g4, be4, {'mode': 'train'})), (relu_forward, ())],
                         [conv_backward_naive, spatial_batchnorm_backward, relu_backward]),
        "conv_relu_pool": (lambda: conv_relu_pool_forward(x4, w4, b4, conv_param, pool_param),
                           conv_relu_pool_backward, x4,
                           [(conv_forward_naive, (w4, b4, conv_param)), (relu_forward, ()),
                            (max_pool_forward_naive, (pool_param,))],
                           [conv_backward_naive, relu_backward, max_pool_backward_naive]),
    }


SANDWICHES = list(_sandwich_cases())


@pytest.mark.parametrize("name", SANDWICHES)
def test_sandwich_equals_the_chain_of_its_layers(name):
    forward, backward, x, chain, backward_chain = _sandwich_cases()[name]
    out, cache = forward()
    expected_out, caches = _chain(chain, x)
    np.testing.assert_allclose(out, expected_out, rtol=1e-9, atol=1e-10)

    dout = np.random.RandomState(1).randn(*out.shape)
    grads = backward(dout, cache)
    # Backward through the chain by hand: the last layer's dx feeds the previous layer.
    d, param_grads = dout, []
    for back, layer_cache in reversed(list(zip(backward_chain, caches))):
        result = back(d, layer_cache)
        d, rest = (result[0], result[1:]) if isinstance(result, tuple) else (result, ())
        param_grads = list(rest) + param_grads
    expected = [d] + param_grads
    assert len(grads) == len(expected)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", SANDWICHES)
def test_sandwiches_never_modify_inputs_or_caches(name):
    forward, backward, x, chain, _ = _sandwich_cases()[name]
    x_before = x.copy()
    params_before = copy.deepcopy([args for _, args in chain])
    out, cache = forward()
    np.testing.assert_array_equal(x, x_before)
    for (_, args), before in zip(chain, params_before):
        for a, b in zip(args, before):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b)
    cache_before = copy.deepcopy(cache)
    dout = np.random.RandomState(2).randn(*out.shape)
    grads1 = backward(dout, cache)
    grads2 = backward(dout, cache)
    for g1, g2 in zip(grads1, grads2):
        np.testing.assert_array_equal(g1, g2)
    for g in grads1:
        g[...] = 0
    grads3 = backward(dout, cache)
    for g2, g3 in zip(grads2, grads3):
        np.testing.assert_array_equal(g2, g3)
    assert _same(cache, cache_before)


def _same(a, b):
    """Recursive equality of nested tuples / dicts of arrays and scalars."""
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    return a == b


@pytest.mark.parametrize("name", SANDWICHES)
def test_sandwiches_float32_in_float32_out(name):
    rng = np.random.RandomState(3)
    f32 = lambda *shape: rng.randn(*shape).astype(np.float32)  # noqa: E731
    conv_param = {'stride': 1, 'pad': 1}
    pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
    x2, w2, b2, g2, be2 = f32(4, 6), f32(6, 5), f32(5), f32(5), f32(5)
    x4, w4, b4, g4, be4 = f32(2, 3, 4, 4), f32(2, 3, 3, 3), f32(2), f32(2), f32(2)
    forward, backward = {
        "affine_relu": (lambda: affine_relu_forward(x2, w2, b2), affine_relu_backward),
        "affine_bn_relu": (lambda: affine_bn_relu_forward(x2, w2, b2, g2, be2, {'mode': 'train'}),
                           affine_bn_relu_backward),
        "affine_ln_relu": (lambda: affine_ln_relu_forward(x2, w2, b2, g2, be2, {}), affine_ln_relu_backward),
        "conv_relu": (lambda: conv_relu_forward(x4, w4, b4, conv_param), conv_relu_backward),
        "conv_bn_relu": (lambda: conv_bn_relu_forward(x4, w4, b4, g4, be4, conv_param, {'mode': 'train'}),
                         conv_bn_relu_backward),
        "conv_relu_pool": (lambda: conv_relu_pool_forward(x4, w4, b4, conv_param, pool_param),
                           conv_relu_pool_backward),
    }[name]
    out, cache = forward()
    assert out.dtype == np.float32
    for g in backward(np.ones_like(out), cache):
        assert g.dtype == np.float32


def test_sandwiches_report_bad_shapes_from_the_layer():
    with pytest.raises(ValueError, match="conv_forward_naive|conv_forward_fast"):
        conv_relu_pool_forward(np.ones((1, 3, 5, 5)), np.ones((2, 3, 2, 2)), np.ones(2),
                               {'stride': 2, 'pad': 0}, {'pool_height': 2, 'pool_width': 2, 'stride': 2})
    with pytest.raises(ValueError, match="affine_forward"):
        affine_relu_forward(np.ones((2, 5)), np.ones((4, 3)), np.ones(3))
