"""Tests for cs231n.layers: the notebooks' printed values, numerical gradients, purity, dtypes, errors.

The inputs and tolerances are those of the assignment notebooks (shared/seeds): CS231n 2020
layers and ConvolutionalNetworks (seed 231), cs260 2022 (seed 260), nndl and libs/ 2019.
"""
import copy

import numpy as np
import pytest

from conftest import rel_error
from cs231n.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array
from cs231n.layers import *
from cs231n.layers import _conv_output_shape, _pool_output_shape


@pytest.fixture(autouse=True)
def _restore_global_rng():
    """Every test seeds numpy's global generator itself; put the state back afterwards."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def num_grads(f, args, dout):
    """Numerical gradients of sum(f(*args) * dout) with respect to each array in args."""
    grads = []
    for k in range(len(args)):
        def f_k(a, k=k):
            return f(*args[:k], a, *args[k + 1:])
        grads.append(eval_numerical_gradient_array(f_k, args[k], dout))
    return grads


def assert_grads(f_forward, backward, args, dout, tol):
    """Check backward(dout, cache) against numerical gradients of f_forward(*args)[0].

    tol is one relative-error bound for all gradients, or a tuple with one per gradient.
    """
    _, cache = f_forward(*args)
    analytic = backward(dout, cache)
    analytic = analytic if isinstance(analytic, tuple) else (analytic,)
    tols = tol if isinstance(tol, tuple) else (tol,) * len(analytic)
    numeric = num_grads(lambda *a: f_forward(*a)[0], list(args)[:len(analytic)], dout)
    for k, (a, n, t) in enumerate(zip(analytic, numeric, tols)):
        assert a.shape == n.shape
        assert rel_error(a, n) < t, (k, rel_error(a, n))


# --------------------------------------------------------------------------- affine / relu

def test_affine_forward_matches_notebook():
    num_inputs, input_shape, output_dim = 2, (4, 5, 6), 3
    input_size = num_inputs * np.prod(input_shape)
    weight_size = output_dim * np.prod(input_shape)
    x = np.linspace(-0.1, 0.5, num=input_size).reshape(num_inputs, *input_shape)
    w = np.linspace(-0.2, 0.3, num=weight_size).reshape(np.prod(input_shape), output_dim)
    b = np.linspace(-0.3, 0.1, num=output_dim)
    out, _ = affine_forward(x, w, b)
    correct_out = np.array([[1.49834967, 1.70660132, 1.91485297],
                            [3.25553199, 3.5141327, 3.77273342]])
    assert out.shape == (2, 3)
    assert rel_error(out, correct_out) < 1e-8  # notebook: 9.77e-10


def test_affine_backward_numerical():
    np.random.seed(231)
    x = np.random.randn(10, 2, 3)
    w = np.random.randn(6, 5)
    b = np.random.randn(5)
    dout = np.random.randn(10, 5)
    assert_grads(affine_forward, affine_backward, (x, w, b), dout, 1e-9)


def test_relu_forward_matches_notebook():
    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    out, _ = relu_forward(x)
    correct_out = np.array([[0., 0., 0., 0.],
                            [0., 0., 0.04545455, 0.13636364],
                            [0.22727273, 0.31818182, 0.40909091, 0.5]])
    assert rel_error(out, correct_out) < 1e-7  # notebook: 5e-08


def test_relu_backward_numerical():
    np.random.seed(231)
    x = np.random.randn(10, 10)
    dout = np.random.randn(*x.shape)
    assert_grads(relu_forward, relu_backward, (x,), dout, 1e-10)


def test_relu_backward_is_zero_where_input_is_not_positive():
    x = np.array([[-1.0, 0.0, 2.0]])
    _, cache = relu_forward(x)
    np.testing.assert_array_equal(relu_backward(np.array([[5.0, 6.0, 7.0]]), cache), [[0, 0, 7]])


# --------------------------------------------------------------------------- losses

def _loss_inputs():
    np.random.seed(231)
    num_classes, num_inputs = 10, 50
    x = 0.001 * np.random.randn(num_inputs, num_classes)
    y = np.random.randint(num_classes, size=num_inputs)
    return x, y


def test_svm_loss_matches_notebook():
    x, y = _loss_inputs()
    dx_num = eval_numerical_gradient(lambda x: svm_loss(x, y)[0], x, verbose=False)
    loss, dx = svm_loss(x, y)
    assert abs(loss - 9.0) < 0.01  # notebook: 8.9986
    assert rel_error(dx_num, dx) < 1e-8  # notebook: 3e-09


def test_softmax_loss_matches_notebook():
    x, y = _loss_inputs()
    dx_num = eval_numerical_gradient(lambda x: softmax_loss(x, y)[0], x, verbose=False)
    loss, dx = softmax_loss(x, y)
    assert abs(loss - np.log(10)) < 1e-3  # notebook: 2.3024
    assert rel_error(dx_num, dx) < 1e-7  # notebook: 9.7e-09


def test_losses_on_a_hand_computed_example():
    x = np.array([[1.0, 2.0, 3.0], [1.0, 0.5, -2.0]])
    y = np.array([2, 0])
    loss, dx = svm_loss(x, y)
    # Row 0: margins max(0, 1-3+1), max(0, 2-3+1) = 0, 0; row 1: max(0, 0.5-1+1) = 0.5, 0.
    assert loss == pytest.approx(0.25)
    np.testing.assert_allclose(dx, [[0, 0, 0], [-0.5, 0.5, 0]])

    loss, dx = softmax_loss(x, y)
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-(np.log(p[0, 2]) + np.log(p[1, 0])) / 2)
    np.testing.assert_allclose(dx, (p - np.eye(3)[y]) / 2)


def test_softmax_loss_is_stable_for_large_scores():
    loss, dx = softmax_loss(np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([0, 0]))
    assert np.isfinite(loss) and np.all(np.isfinite(dx))
    assert loss == pytest.approx(500.0)


# --------------------------------------------------------------------------- convolution

def test_conv_forward_naive_matches_notebook():
    x_shape, w_shape = (2, 3, 4, 4), (3, 3, 4, 4)
    x = np.linspace(-0.1, 0.5, num=np.prod(x_shape)).reshape(x_shape)
    w = np.linspace(-0.2, 0.3, num=np.prod(w_shape)).reshape(w_shape)
    b = np.linspace(-0.1, 0.2, num=3)
    out, _ = conv_forward_naive(x, w, b, {'stride': 2, 'pad': 1})
    correct_out = np.array([[[[-0.08759809, -0.10987781],
                              [-0.18387192, -0.2109216]],
                             [[0.21027089, 0.21661097],
                              [0.22847626, 0.23004637]],
                             [[0.50813986, 0.54309974],
                              [0.64082444, 0.67101435]]],
                            [[[-0.98053589, -1.03143541],
                              [-1.19128892, -1.24695841]],
                             [[0.69108355, 0.66880383],
                              [0.59480972, 0.56776003]],
                             [[2.36270298, 2.36904306],
                              [2.38090835, 2.38247847]]]])
    assert rel_error(out, correct_out) < 1e-7  # notebook: 2.2e-08


def _conv_by_definition(x, w, b, stride, pad):
    """out[n, f, i, j] = b[f] + sum_{c,k,l} x_pad[n, c, i*stride + k, j*stride + l] * w[f, c, k, l]."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    x_pad[:, :, pad:pad + H, pad:pad + W] = x
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    patch = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = b[f] + np.sum(patch * w[f])
    return out


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", [
    ((2, 3, 7, 5), (4, 3, 3, 1), 2, 1),
    ((1, 2, 6, 6), (3, 2, 2, 2), 2, 0),
    ((2, 1, 5, 5), (2, 1, 5, 5), 1, 2),
])
def test_conv_forward_naive_matches_the_definition(x_shape, w_shape, stride, pad):
    np.random.seed(0)
    x, w, b = np.random.randn(*x_shape), np.random.randn(*w_shape), np.random.randn(w_shape[0])
    out, _ = conv_forward_naive(x, w, b, {'stride': stride, 'pad': pad})
    np.testing.assert_allclose(out, _conv_by_definition(x, w, b, stride, pad), rtol=1e-12, atol=1e-12)


def test_conv_forward_naive_image_filters():
    """The notebook's grayscale and edge filters on a tiny image: padding is zeros on both sides."""
    x = np.arange(2 * 3 * 5 * 5, dtype=float).reshape(2, 3, 5, 5)
    w = np.zeros((2, 3, 3, 3))
    w[0, :, 1, 1] = [0.3, 0.6, 0.1]
    w[1, 2] = [[1, 2, 1], [0, 0, 0], [-1, -2, -1]]
    out, _ = conv_forward_naive(x, w, np.array([0, 128]), {'stride': 1, 'pad': 1})
    np.testing.assert_allclose(out[:, 0], 0.3 * x[:, 0] + 0.6 * x[:, 1] + 0.1 * x[:, 2])
    # Interior rows: the blue channel grows by 5 per row, so the edge filter gives -4 * 2 * 5.
    np.testing.assert_allclose(out[:, 1, 1:-1, 1:-1], 128 - 40)


def test_conv_backward_naive_numerical():
    np.random.seed(231)
    x = np.random.randn(4, 3, 5, 5)
    w = np.random.randn(2, 3, 3, 3)
    b = np.random.randn(2,)
    dout = np.random.randn(4, 2, 5, 5)
    conv_param = {'stride': 1, 'pad': 1}
    forward = lambda x, w, b: conv_forward_naive(x, w, b, conv_param)  # noqa: E731
    # Notebooks: dx 1.5e-09 / 8.4e-10 on unseeded inputs; on this seeded input the rounding noise
    # of the numerical gradient alone gives dx ~8e-09, so dx gets headroom over "around 1e-8".
    assert_grads(forward, conv_backward_naive, (x, w, b), dout, (5e-8, 1e-8, 1e-8))


def test_conv_backward_naive_numerical_with_stride_and_rectangular_filter():
    np.random.seed(260)
    x = np.random.randn(2, 2, 7, 6)
    w = np.random.randn(3, 2, 3, 2)
    b = np.random.randn(3,)
    conv_param = {'stride': 2, 'pad': 1}
    forward = lambda x, w, b: conv_forward_naive(x, w, b, conv_param)  # noqa: E731
    dout = np.random.randn(*forward(x, w, b)[0].shape)
    assert_grads(forward, conv_backward_naive, (x, w, b), dout, (5e-8, 1e-8, 1e-8))  # dx ~1e-08


def test_conv_forward_naive_speed():
    """The grader runs numerical gradients through the naive layers: they must vectorize inside."""
    import time
    np.random.seed(231)
    x, w, b = np.random.randn(2, 3, 16, 16), np.random.randn(3, 3, 3, 3), np.random.randn(3)
    conv_param = {'stride': 1, 'pad': 1}
    start = time.perf_counter()
    for _ in range(20):
        conv_forward_naive(x, w, b, conv_param)
    assert (time.perf_counter() - start) / 20 < 0.01


# --------------------------------------------------------------------------- max pooling

def test_max_pool_forward_naive_matches_notebook():
    x_shape = (2, 3, 4, 4)
    x = np.linspace(-0.3, 0.4, num=np.prod(x_shape)).reshape(x_shape)
    out, _ = max_pool_forward_naive(x, {'pool_width': 2, 'pool_height': 2, 'stride': 2})
    correct_out = np.array([[[[-0.26315789, -0.24842105],
                              [-0.20421053, -0.18947368]],
                             [[-0.14526316, -0.13052632],
                              [-0.08631579, -0.07157895]],
                             [[-0.02736842, -0.01263158],
                              [0.03157895, 0.04631579]]],
                            [[[0.09052632, 0.10526316],
                              [0.14947368, 0.16421053]],
                             [[0.20842105, 0.22315789],
                              [0.26736842, 0.28210526]],
                             [[0.32631579, 0.34105263],
                              [0.38526316, 0.4]]]])
    assert rel_error(out, correct_out) < 1e-7  # notebook: 4.2e-08


@pytest.mark.parametrize("seed", [231, 260])
def test_max_pool_backward_naive_numerical(seed):
    np.random.seed(seed)
    x = np.random.randn(3, 2, 8, 8)
    dout = np.random.randn(3, 2, 4, 4)
    pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
    forward = lambda x: max_pool_forward_naive(x, pool_param)  # noqa: E731
    assert_grads(forward, max_pool_backward_naive, (x,), dout, 1e-10)  # notebook: 3.3e-12


def test_max_pool_overlapping_windows_accumulate_gradients():
    np.random.seed(231)
    x = np.random.randn(2, 2, 7, 6)
    pool_param = {'pool_height': 3, 'pool_width': 2, 'stride': 1}
    forward = lambda x: max_pool_forward_naive(x, pool_param)  # noqa: E731
    out, _ = forward(x)
    assert out.shape == (2, 2, 5, 5)
    assert_grads(forward, max_pool_backward_naive, (x,), np.random.randn(*out.shape), 1e-10)
    # A global maximum is in every window that covers it: its gradient is the sum over them.
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0
    out, cache = max_pool_forward_naive(x, {'pool_height': 2, 'pool_width': 2, 'stride': 1})
    dx = max_pool_backward_naive(np.ones_like(out), cache)
    assert dx[0, 0, 1, 1] == 4.0 and dx.sum() == 4.0


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = np.ones((1, 1, 4, 4))
    out, cache = max_pool_forward_naive(x, {'pool_height': 2, 'pool_width': 2, 'stride': 2})
    dx = max_pool_backward_naive(np.arange(1.0, 5.0).reshape(1, 1, 2, 2), cache)
    expected = np.zeros((4, 4))
    expected[[0, 0, 2, 2], [0, 2, 0, 2]] = [1, 2, 3, 4]
    np.testing.assert_array_equal(dx[0, 0], expected)


# --------------------------------------------------------------------------- batch normalization

def _bn_activations(seed, N=200):
    np.random.seed(seed)
    D1, D2, D3 = 50, 60, 3
    X = np.random.randn(N, D1)
    W1 = np.random.randn(D1, D2)
    W2 = np.random.randn(D2, D3)
    return np.maximum(0, X.dot(W1)).dot(W2)


def test_batchnorm_forward_train_normalizes_features():
    a = _bn_activations(231)
    a_norm, _ = batchnorm_forward(a, np.ones(3), np.zeros(3), {'mode': 'train'})
    np.testing.assert_allclose(a_norm.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(a_norm.std(axis=0), 1, atol=1e-7)
    gamma, beta = np.asarray([1.0, 2.0, 3.0]), np.asarray([11.0, 12.0, 13.0])
    a_norm, _ = batchnorm_forward(a, gamma, beta, {'mode': 'train'})
    np.testing.assert_allclose(a_norm.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(a_norm.std(axis=0), gamma, atol=1e-7)


def test_batchnorm_forward_test_mode_after_warm_up_matches_notebook():
    np.random.seed(231)
    N, D1, D2, D3 = 200, 50, 60, 3
    W1 = np.random.randn(D1, D2)
    W2 = np.random.randn(D2, D3)
    bn_param = {'mode': 'train'}
    gamma, beta = np.ones(D3), np.zeros(D3)
    for _ in range(50):
        X = np.random.randn(N, D1)
        batchnorm_forward(np.maximum(0, X.dot(W1)).dot(W2), gamma, beta, bn_param)
    bn_param['mode'] = 'test'
    X = np.random.randn(N, D1)
    a_norm, _ = batchnorm_forward(np.maximum(0, X.dot(W1)).dot(W2), gamma, beta, bn_param)
    # CS231n BatchNormalization notebook, test-time forward pass.
    np.testing.assert_allclose(a_norm.mean(axis=0), [-0.03927354, -0.04349152, -0.10452688], atol=1e-8)
    np.testing.assert_allclose(a_norm.std(axis=0), [1.01531428, 1.01238373, 0.97819988], atol=1e-8)


def test_batchnorm_running_average_update():
    np.random.seed(231)
    x = np.random.randn(20, 4) * 3 + 1
    old_mean, old_var = np.random.randn(4), np.random.rand(4)
    bn_param = {'mode': 'train', 'momentum': 0.7, 'running_mean': old_mean, 'running_var': old_var}
    batchnorm_forward(x, np.ones(4), np.zeros(4), bn_param)
    np.testing.assert_allclose(bn_param['running_mean'], 0.7 * old_mean + 0.3 * x.mean(axis=0))
    np.testing.assert_allclose(bn_param['running_var'], 0.7 * old_var + 0.3 * x.var(axis=0))

    bn_param = {'mode': 'train'}  # defaults: momentum 0.9, running averages start at zero
    batchnorm_forward(x.astype(np.float32), np.ones(4), np.zeros(4), bn_param)
    np.testing.assert_allclose(bn_param['running_mean'], 0.1 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn_param['running_var'], 0.1 * x.var(axis=0), rtol=1e-5)

    # Test mode uses (and keeps) the running averages, with eps from bn_param.
    bn_param = {'mode': 'test', 'eps': 0.5, 'running_mean': old_mean, 'running_var': old_var}
    out, _ = batchnorm_forward(x, 2 * np.ones(4), np.ones(4), bn_param)
    np.testing.assert_allclose(out, 2 * (x - old_mean) / np.sqrt(old_var + 0.5) + 1)
    assert bn_param['running_mean'] is old_mean and bn_param['running_var'] is old_var


def test_batchnorm_backward_numerical():
    np.random.seed(231)
    N, D = 4, 5
    x = 5 * np.random.randn(N, D) + 12
    gamma = np.random.randn(D)
    beta = np.random.randn(D)
    dout = np.random.randn(N, D)
    bn_param = {'mode': 'train'}
    forward = lambda x, g, b: batchnorm_forward(x, g, b, bn_param)  # noqa: E731
    assert_grads(forward, batchnorm_backward, (x, gamma, beta), dout, 1e-8)  # notebook: 1.7e-09


def test_batchnorm_backward_alt_equals_batchnorm_backward():
    np.random.seed(231)
    N, D = 100, 500
    x = 5 * np.random.randn(N, D) + 12
    gamma = np.random.randn(D)
    beta = np.random.randn(D)
    dout = np.random.randn(N, D)
    _, cache = batchnorm_forward(x, gamma, beta, {'mode': 'train'})
    for a, b in zip(batchnorm_backward(dout, cache), batchnorm_backward_alt(dout, cache)):
        assert rel_error(a, b) < 1e-10


def test_batchnorm_invalid_mode():
    with pytest.raises(ValueError, match='Invalid forward batchnorm mode "eval"'):
        batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), {'mode': 'eval'})


@pytest.mark.parametrize("gamma, beta, name", [
    (np.ones(4), np.zeros(3), "gamma"), (np.ones(3), np.zeros((3, 1)), "beta"), (np.ones((2, 3)), np.zeros(3), "gamma")])
def test_batchnorm_parameter_shape_mismatch(gamma, beta, name):
    with pytest.raises(ValueError, match=rf"batchnorm_forward: {name} has shape .*\(2, 3\)"):
        batchnorm_forward(np.ones((2, 3)), gamma, beta, {'mode': 'train'})


@pytest.mark.parametrize("forward, backward, param", [
    (batchnorm_forward, batchnorm_backward, {"mode": "train"}), (batchnorm_forward, batchnorm_backward_alt, {"mode": "train"}),
    (layernorm_forward, layernorm_backward, {})])
def test_norm_parameters_kept_2d_by_a_model_broadcast_the_same_and_get_gradients_of_their_shape(forward, backward, param):
    # A model that keeps gamma and beta as (1, D) (correct with its own layers) must work over the trusted layers too.
    x, dout = np.random.RandomState(0).randn(2, 4, 3)
    gamma, beta = np.arange(1.0, 4.0), np.array([0.5, -1.0, 2.0])
    out, cache = forward(x, gamma, beta, dict(param))
    out2, cache2 = forward(x, gamma.reshape(1, 3), beta.reshape(1, 3), dict(param))
    np.testing.assert_allclose(out2, out)
    dx, dgamma, dbeta = backward(dout, cache)
    dx2, dgamma2, dbeta2 = backward(dout, cache2)
    assert dgamma2.shape == dbeta2.shape == (1, 3) and dgamma.shape == (3,)
    np.testing.assert_allclose(dx2, dx)
    np.testing.assert_allclose(dgamma2[0], dgamma)
    np.testing.assert_allclose(dbeta2[0], dbeta)


# --------------------------------------------------------------------------- layer normalization

def test_layernorm_forward_normalizes_each_example():
    a = _bn_activations(231, N=4)
    ln_param = {}
    a_norm, _ = layernorm_forward(a, np.ones(3), np.zeros(3), ln_param)
    np.testing.assert_allclose(a_norm.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(a_norm.std(axis=1), 1, atol=1e-6)
    a_norm, _ = layernorm_forward(a, np.asarray([3.0, 3.0, 3.0]), np.asarray([5.0, 5.0, 5.0]), ln_param)
    np.testing.assert_allclose(a_norm.mean(axis=1), 5, atol=1e-12)
    np.testing.assert_allclose(a_norm.std(axis=1), 3, atol=1e-5)
    assert ln_param == {}  # no running averages


def test_layernorm_backward_numerical():
    np.random.seed(231)
    N, D = 4, 5
    x = 5 * np.random.randn(N, D) + 12
    gamma = np.random.randn(D)
    beta = np.random.randn(D)
    dout = np.random.randn(N, D)
    forward = lambda x, g, b: layernorm_forward(x, g, b, {})  # noqa: E731
    assert_grads(forward, layernorm_backward, (x, gamma, beta), dout, 1e-8)  # notebook: 1.4e-09


def test_layernorm_is_batchnorm_of_the_transpose():
    np.random.seed(231)
    x = np.random.randn(6, 8)
    out, _ = layernorm_forward(x, np.ones(8), np.zeros(8), {'eps': 1e-3})
    out_t, _ = batchnorm_forward(x.T, np.ones(6), np.zeros(6), {'mode': 'train', 'eps': 1e-3})
    np.testing.assert_allclose(out, out_t.T, atol=1e-12)


# --------------------------------------------------------------------------- dropout

@pytest.mark.parametrize("p", [0.25, 0.4, 0.7])
def test_dropout_keeps_fraction_p_and_preserves_the_mean(p):
    np.random.seed(231)
    x = np.random.randn(500, 500) + 10
    out, (_, mask) = dropout_forward(x, {'mode': 'train', 'p': p})
    out_test, _ = dropout_forward(x, {'mode': 'test', 'p': p})
    assert abs((out == 0).mean() - (1 - p)) < 0.01
    assert abs(out.mean() - x.mean()) < 0.05
    np.testing.assert_array_equal(np.unique(mask), [0, 1 / p])  # inverted dropout: kept units scaled
    np.testing.assert_array_equal(out, x * mask)
    np.testing.assert_array_equal(out_test, x)


def test_dropout_seed_reproduces_the_cs231n_mask():
    np.random.seed(231)
    x = np.random.randn(10, 10) + 10
    dropout_param = {'mode': 'train', 'p': 0.2, 'seed': 123}
    out1, (_, mask1) = dropout_forward(x, dropout_param)
    np.random.randn(7)  # moving the global state in between changes nothing
    out2, (_, mask2) = dropout_forward(x, dropout_param)
    np.random.seed(123)
    expected_mask = (np.random.rand(*x.shape) < 0.2) / 0.2
    np.testing.assert_array_equal(mask1, expected_mask)
    np.testing.assert_array_equal(out1, x * expected_mask)
    np.testing.assert_array_equal(out2, out1)


def test_dropout_backward_numerical():
    np.random.seed(231)
    x = np.random.randn(10, 10) + 10
    dout = np.random.randn(*x.shape)
    dropout_param = {'mode': 'train', 'p': 0.2, 'seed': 123}
    out, cache = dropout_forward(x, dropout_param)
    dx = dropout_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda xx: dropout_forward(xx, dropout_param)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-9  # notebook: 5.4e-11


def test_dropout_test_mode_is_the_identity_both_ways():
    np.random.seed(231)
    x, dout = np.random.randn(3, 4), np.random.randn(3, 4)
    out, cache = dropout_forward(x, {'mode': 'test', 'p': 0.3})
    np.testing.assert_array_equal(out, x)
    assert cache[1] is None
    np.testing.assert_array_equal(dropout_backward(dout, cache), dout)


@pytest.mark.parametrize("param, message", [
    ({'mode': 'train', 'p': 0.0}, "p = 0.0"), ({'mode': 'train', 'p': 1.5}, "p = 1.5"),
    ({'mode': 'eval', 'p': 0.5}, 'Invalid forward dropout mode "eval"')])
def test_dropout_bad_parameters(param, message):
    with pytest.raises(ValueError, match=message):
        dropout_forward(np.ones((2, 2)), param)


# --------------------------------------------------------------------------- spatial batchnorm

def test_spatial_batchnorm_forward_train_matches_seed_260():
    np.random.seed(260)
    N, C, H, W = 2, 3, 4, 5
    x = 4 * np.random.randn(N, C, H, W) + 10
    np.testing.assert_allclose(x.mean(axis=(0, 2, 3)), [10.1270009, 10.34995476, 10.22876718], atol=1e-8)
    np.testing.assert_allclose(x.std(axis=(0, 2, 3)), [4.34690483, 3.86000959, 3.80904389], atol=1e-8)
    bn_param = {'mode': 'train'}
    out, _ = spatial_batchnorm_forward(x, np.ones(C), np.zeros(C), bn_param)
    assert out.shape == (N, C, H, W)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-14)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), [0.99999974, 0.99999966, 0.99999966], atol=1e-8)
    out, _ = spatial_batchnorm_forward(x, np.asarray([3, 4, 5]), np.asarray([6, 7, 8]), bn_param)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), [6, 7, 8], atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), [2.99999921, 3.99999866, 4.99999828], atol=1e-8)


def test_spatial_batchnorm_forward_test_mode_matches_seed_260():
    np.random.seed(260)
    N, C, H, W = 10, 4, 11, 12
    bn_param = {'mode': 'train'}
    gamma, beta = np.ones(C), np.zeros(C)
    for _ in range(50):
        x = 2.3 * np.random.randn(N, C, H, W) + 13
        spatial_batchnorm_forward(x, gamma, beta, bn_param)
    bn_param['mode'] = 'test'
    x = 2.3 * np.random.randn(N, C, H, W) + 13
    a_norm, _ = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(a_norm.mean(axis=(0, 2, 3)),
                               [0.04302458, 0.08924234, 0.05991434, 0.03833107], atol=1e-8)
    np.testing.assert_allclose(a_norm.std(axis=(0, 2, 3)),
                               [1.01576135, 0.99228064, 0.98902125, 0.9988344], atol=1e-8)
    assert bn_param['running_mean'].shape == (C,)


def test_spatial_batchnorm_is_batchnorm_per_channel():
    np.random.seed(231)
    x = np.random.randn(3, 2, 4, 5)
    gamma, beta = np.random.randn(2), np.random.randn(2)
    out, _ = spatial_batchnorm_forward(x, gamma, beta, {'mode': 'train'})
    for c in range(2):
        flat = x[:, c].reshape(-1, 1)
        expected, _ = batchnorm_forward(flat, gamma[c:c + 1], beta[c:c + 1], {'mode': 'train'})
        np.testing.assert_allclose(out[:, c].reshape(-1, 1), expected, atol=1e-12)


@pytest.mark.parametrize("scale, shift, tol", [
    (5, 12, 1e-6),  # CS231n ConvolutionalNetworks cell: the notebook itself prints dx error 2.8e-07
    (1, 0, 1e-7),
])
def test_spatial_batchnorm_backward_numerical(scale, shift, tol):
    np.random.seed(231)
    N, C, H, W = 2, 3, 4, 5
    x = scale * np.random.randn(N, C, H, W) + shift
    gamma = np.random.randn(C)
    beta = np.random.randn(C)
    dout = np.random.randn(N, C, H, W)
    bn_param = {'mode': 'train'}
    forward = lambda x, g, b: spatial_batchnorm_forward(x, g, b, bn_param)  # noqa: E731
    _, cache = forward(x, gamma, beta)
    dx, dgamma, dbeta = spatial_batchnorm_backward(dout, cache)
    dx_num, dgamma_num, dbeta_num = num_grads(lambda *a: forward(*a)[0], [x, gamma, beta], dout)
    assert rel_error(dx, dx_num) < tol
    assert rel_error(dgamma, dgamma_num) < 1e-9  # notebook: 7e-12
    assert rel_error(dbeta, dbeta_num) < 1e-9  # notebook: 3e-12


def test_spatial_batchnorm_gamma_shape_mismatch():
    with pytest.raises(ValueError, match=r"spatial_batchnorm_forward: gamma has shape \(4,\), expected \(3,\)"):
        spatial_batchnorm_forward(np.ones((2, 3, 4, 4)), np.ones(4), np.zeros(3), {'mode': 'train'})


# --------------------------------------------------------------------------- spatial groupnorm

def test_spatial_groupnorm_forward_normalizes_each_group():
    np.random.seed(231)
    N, C, H, W, G = 2, 6, 4, 5, 2
    x = 4 * np.random.randn(N, C, H, W) + 10
    gamma, beta = np.ones((1, C, 1, 1)), np.zeros((1, C, 1, 1))
    out, _ = spatial_groupnorm_forward(x, gamma, beta, G, {'mode': 'train'})
    out_g = out.reshape((N * G, -1))
    np.testing.assert_allclose(out_g.mean(axis=1), 0, atol=1e-14)
    # CS231n notebook: [0.99999963 0.99999948 0.99999973 0.99999968]
    np.testing.assert_allclose(out_g.std(axis=1), [0.99999963, 0.99999948, 0.99999973, 0.99999968], atol=1e-8)

    gamma, beta = np.arange(1.0, C + 1).reshape(1, C, 1, 1), np.full((1, C, 1, 1), 3.0)
    scaled, _ = spatial_groupnorm_forward(x, gamma, beta, G, {})
    np.testing.assert_allclose(scaled, gamma * out + 3.0, atol=1e-12)


def test_spatial_groupnorm_extremes_are_layernorm_and_instance_norm():
    np.random.seed(231)
    N, C, H, W = 3, 4, 2, 3
    x = np.random.randn(N, C, H, W)
    ones, zeros = np.ones((1, C, 1, 1)), np.zeros((1, C, 1, 1))
    out, _ = spatial_groupnorm_forward(x, ones, zeros, 1, {})
    expected, _ = layernorm_forward(x.reshape(N, -1), np.ones(C * H * W), np.zeros(C * H * W), {})
    np.testing.assert_allclose(out, expected.reshape(x.shape), atol=1e-12)
    out, _ = spatial_groupnorm_forward(x, ones, zeros, C, {})
    expected, _ = layernorm_forward(x.reshape(N * C, -1), np.ones(H * W), np.zeros(H * W), {})
    np.testing.assert_allclose(out, expected.reshape(x.shape), atol=1e-12)


def test_spatial_groupnorm_backward_numerical():
    np.random.seed(231)
    N, C, H, W, G = 2, 6, 4, 5, 2
    x = 5 * np.random.randn(N, C, H, W) + 12
    gamma = np.random.randn(1, C, 1, 1)
    beta = np.random.randn(1, C, 1, 1)
    dout = np.random.randn(N, C, H, W)
    forward = lambda x, g, b: spatial_groupnorm_forward(x, g, b, G, {})  # noqa: E731
    _, cache = forward(x, gamma, beta)
    dx, dgamma, dbeta = spatial_groupnorm_backward(dout, cache)
    assert dgamma.shape == dbeta.shape == (1, C, 1, 1)
    dx_num, dgamma_num, dbeta_num = num_grads(lambda *a: forward(*a)[0], [x, gamma, beta], dout)
    assert rel_error(dx, dx_num) < 1e-7  # notebook: 7.4e-08
    assert rel_error(dgamma, dgamma_num) < 1e-9
    assert rel_error(dbeta, dbeta_num) < 1e-9


def test_spatial_groupnorm_bad_parameters():
    x = np.ones((2, 6, 3, 3))
    with pytest.raises(ValueError, match=r"G = 4 groups do not divide C = 6 .*\(2, 6, 3, 3\)"):
        spatial_groupnorm_forward(x, np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1)), 4, {})
    with pytest.raises(ValueError, match=r"gamma has shape \(6,\), expected \(1, 6, 1, 1\)"):
        spatial_groupnorm_forward(x, np.ones(6), np.zeros((1, 6, 1, 1)), 3, {})


# --------------------------------------------------------------------------- purity and dtypes

def _layer_cases(dtype):
    """(name, forward thunk, backward) for every layer, on inputs of the given dtype."""
    rng = np.random.RandomState(231)

    def r(*shape):
        return rng.randn(*shape).astype(dtype)

    conv_param, pool_param = {'stride': 2, 'pad': 1}, {'pool_height': 2, 'pool_width': 2, 'stride': 2}
    x4, w4, b4 = r(2, 3, 6, 6), r(4, 3, 3, 3), r(4)
    x2, g, bt = r(5, 4), r(4), r(4)
    gg, gb = r(1, 4, 1, 1), r(1, 4, 1, 1)
    return [
        ("affine", lambda: affine_forward(r(3, 2, 3), r(6, 4), r(4)), affine_backward),
        ("relu", lambda: relu_forward(r(3, 4)), relu_backward),
        ("batchnorm", lambda: batchnorm_forward(x2, g, bt, {'mode': 'train'}), batchnorm_backward),
        ("batchnorm_alt", lambda: batchnorm_forward(x2, g, bt, {'mode': 'train'}), batchnorm_backward_alt),
        ("layernorm", lambda: layernorm_forward(x2, g, bt, {}), layernorm_backward),
        ("dropout", lambda: dropout_forward(x2, {'mode': 'train', 'p': 0.5, 'seed': 1}), dropout_backward),
        ("dropout_test", lambda: dropout_forward(x2, {'mode': 'test', 'p': 0.5}), dropout_backward),
        ("conv", lambda: conv_forward_naive(r(2, 3, 5, 5), w4, b4, conv_param), conv_backward_naive),
        ("max_pool", lambda: max_pool_forward_naive(x4, pool_param), max_pool_backward_naive),
        ("spatial_batchnorm", lambda: spatial_batchnorm_forward(r(2, 4, 3, 3), g, bt, {'mode': 'train'}),
         spatial_batchnorm_backward),
        ("spatial_groupnorm", lambda: spatial_groupnorm_forward(r(2, 4, 3, 3), gg, gb, 2, {}),
         spatial_groupnorm_backward),
    ]


LAYER_NAMES = [name for name, _, _ in _layer_cases(np.float64)]


def _assert_same(a, b):
    """Recursive equality of nested tuples / lists / dicts of arrays and scalars."""
    if isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            _assert_same(u, v)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_layers_never_modify_inputs_or_caches(name):
    _, forward, backward = dict((n, (n, f, b)) for n, f, b in _layer_cases(np.float64))[name]
    out, cache = forward()
    cache_before = copy.deepcopy(cache)
    out[...] = 0  # the caller owns the output: changing it must not reach the cache
    _assert_same(cache, cache_before)
    dout = np.random.RandomState(0).randn(*out.shape)
    dout_before = dout.copy()
    grads1 = backward(dout, cache)
    _assert_same(cache, cache_before)
    np.testing.assert_array_equal(dout, dout_before)
    grads2 = backward(dout, cache)
    _assert_same(grads1, grads2)
    # Mutating what the backward pass returned must not reach the cache either.
    for g in grads1 if isinstance(grads1, tuple) else (grads1,):
        g[...] = 0
    _assert_same(cache, cache_before)


def test_forward_passes_never_modify_their_inputs():
    np.random.seed(231)
    args = {
        "affine_forward": (np.random.randn(3, 2, 3), np.random.randn(6, 4), np.random.randn(4)),
        "relu_forward": (np.random.randn(3, 4),),
        "svm_loss": (np.random.randn(5, 3), np.array([0, 1, 2, 1, 0])),
        "softmax_loss": (np.random.randn(5, 3), np.array([0, 1, 2, 1, 0])),
        "batchnorm_forward": (np.random.randn(5, 4), np.random.randn(4), np.random.randn(4), {'mode': 'train'}),
        "layernorm_forward": (np.random.randn(5, 4), np.random.randn(4), np.random.randn(4), {}),
        "dropout_forward": (np.random.randn(5, 4), {'mode': 'train', 'p': 0.5, 'seed': 0}),
        "conv_forward_naive": (np.random.randn(2, 3, 5, 5), np.random.randn(2, 3, 3, 3), np.random.randn(2),
                               {'stride': 2, 'pad': 1}),
        "max_pool_forward_naive": (np.random.randn(2, 3, 4, 4), {'pool_height': 2, 'pool_width': 2, 'stride': 2}),
        "spatial_batchnorm_forward": (np.random.randn(2, 3, 2, 2), np.random.randn(3), np.random.randn(3),
                                      {'mode': 'train'}),
        "spatial_groupnorm_forward": (np.random.randn(2, 4, 2, 2), np.random.randn(1, 4, 1, 1),
                                      np.random.randn(1, 4, 1, 1), 2, {}),
    }
    for name, a in args.items():
        before = copy.deepcopy(a)
        globals()[name](*a)
        arrays = [(u, v) for u, v in zip(a, before) if isinstance(u, np.ndarray)]
        for u, v in arrays:
            np.testing.assert_array_equal(u, v, err_msg=name)


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_float32_in_float32_out(name):
    _, forward, backward = dict((n, (n, f, b)) for n, f, b in _layer_cases(np.float32))[name]
    out, cache = forward()
    assert out.dtype == np.float32, name
    grads = backward(np.ones_like(out), cache)
    for g in grads if isinstance(grads, tuple) else (grads,):
        assert g.dtype == np.float32, name


@pytest.mark.parametrize("loss_fn", [svm_loss, softmax_loss])
def test_losses_float32(loss_fn):
    x = np.random.RandomState(0).randn(6, 4).astype(np.float32)
    loss, dx = loss_fn(x, np.array([0, 1, 2, 3, 0, 1]))
    assert dx.dtype == np.float32
    assert np.isfinite(loss)


def test_batchnorm_running_averages_keep_float32():
    bn_param = {'mode': 'train'}
    x = np.random.RandomState(0).randn(5, 3).astype(np.float32)
    ones, zeros = np.ones(3, np.float32), np.zeros(3, np.float32)
    batchnorm_forward(x, ones, zeros, bn_param)
    assert bn_param['running_mean'].dtype == bn_param['running_var'].dtype == np.float32
    bn_param['mode'] = 'test'
    assert batchnorm_forward(x, ones, zeros, bn_param)[0].dtype == np.float32


# --------------------------------------------------------------------------- shape validation

def test_output_shape_helpers():
    assert _conv_output_shape((2, 3, 4, 4), (3, 3, 4, 4), {'stride': 2, 'pad': 1}, "f") == (2, 2)
    assert _conv_output_shape((1, 1, 7, 5), (1, 1, 3, 1), {'stride': 2, 'pad': 0}, "f") == (3, 3)
    assert _pool_output_shape((2, 3, 8, 6), {'pool_height': 2, 'pool_width': 3, 'stride': 1}, "f") == (7, 4)
    assert _pool_output_shape((2, 3, 4, 4), {'pool_height': 2, 'pool_width': 2, 'stride': 2}, "f") == (2, 2)


CONV_ERRORS = [
    # x shape, w shape, b shape, conv_param, expected message fragment
    ((2, 3, 4, 4), (3, 3, 2, 2), (3,), {'stride': 3, 'pad': 1},
     r"conv_forward_naive: \(H \+ 2\*pad - HH\) = 4 is not divisible by stride = 3"),
    ((2, 3, 5, 5), (3, 3, 2, 2), (3,), {'stride': 2, 'pad': 0},
     r"conv_forward_naive: \(H \+ 2\*pad - HH\) = 3 is not divisible by stride = 2 "
     r"\(x has shape \(2, 3, 5, 5\), w has shape \(3, 3, 2, 2\)\)"),
    ((2, 3, 4, 5), (3, 3, 2, 2), (3,), {'stride': 2, 'pad': 0},
     r"\(W \+ 2\*pad - WW\) = 3 is not divisible by stride = 2"),
    ((2, 3, 4, 4), (3, 2, 3, 3), (3,), {'stride': 1, 'pad': 1}, r"w has 2 channels but x has 3 channels"),
    ((2, 3, 4, 4), (3, 3, 3), (3,), {'stride': 1, 'pad': 1}, r"w must be 4-D .*w has shape \(3, 3, 3\)"),
    ((2, 3, 4, 4), (3, 3, 3, 3), (2,), {'stride': 1, 'pad': 1}, r"b has shape \(2,\), expected \(F,\) = \(3,\)"),
    ((2, 3, 4, 4), (3, 3, 7, 3), (3,), {'stride': 1, 'pad': 1},
     r"filter HH = 7 is larger than the padded input H \+ 2\*pad = 6"),
    ((3, 4, 4), (3, 3, 3, 3), (3,), {'stride': 1, 'pad': 1}, r"x must be 4-D"),
]


@pytest.mark.parametrize("x_shape, w_shape, b_shape, conv_param, message", CONV_ERRORS)
def test_conv_forward_naive_rejects_bad_shapes(x_shape, w_shape, b_shape, conv_param, message):
    with pytest.raises(ValueError, match=message):
        conv_forward_naive(np.ones(x_shape), np.ones(w_shape), np.ones(b_shape), conv_param)


@pytest.mark.parametrize("x_shape, pool_param, message", [
    ((1, 1, 2, 4), {'pool_height': 3, 'pool_width': 2, 'stride': 1},
     r"max_pool_forward_naive: pool_height = 3 is larger than the input H = 2"),
    ((1, 1, 4, 2), {'pool_height': 2, 'pool_width': 3, 'stride': 1}, r"pool_width = 3 is larger than the input W = 2"),
    ((1, 1, 5, 4), {'pool_height': 2, 'pool_width': 2, 'stride': 2},
     r"\(H - pool_height\) = 3 is not divisible by stride = 2 \(x has shape \(1, 1, 5, 4\)"),
    ((1, 1, 4, 5), {'pool_height': 2, 'pool_width': 2, 'stride': 2}, r"\(W - pool_width\) = 3 is not divisible"),
])
def test_max_pool_forward_naive_rejects_bad_shapes(x_shape, pool_param, message):
    with pytest.raises(ValueError, match=message):
        max_pool_forward_naive(np.ones(x_shape), pool_param)


@pytest.mark.parametrize("x_shape, w_shape, b_shape, message", [
    ((2, 4, 5), (21, 3), (3,), r"affine_forward: x has D = prod\(x.shape\[1:\]\) = 20 .* w has 21 rows"),
    ((2, 4, 5), (20, 3), (4,), r"affine_forward: b has shape \(4,\), expected \(3,\) \(x has shape \(2, 4, 5\)"),
    ((2, 4, 5), (20, 3), (3, 1), r"b has shape \(3, 1\)"),  # (1, 3) is accepted: a keepdims db makes it
    ((2, 20), (20,), (3,), r"w must be 2-D \(D, M\)"),
])
def test_affine_forward_rejects_bad_shapes(x_shape, w_shape, b_shape, message):
    with pytest.raises(ValueError, match=message):
        affine_forward(np.ones(x_shape), np.ones(w_shape), np.ones(b_shape))
