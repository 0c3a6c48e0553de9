"""cs231n.classifiers.fc_net: the notebooks' TwoLayerNet and FullyConnectedNet cells.

The FullyConnectedNet cells are CS231n's (np.random.seed(231); N, D, H1, H2, C = 2, 15, 20, 30,
10);
with the standard initialisation order (W1, b1, W2, b2, ... drawn layer by layer) the reference
reproduces CS231n's printed initial losses exactly, and its printed relative errors.
"""
import numpy as np
import pytest

from conftest import rel_error
from cs231n.classifiers.fc_net import FullyConnectedNet, TwoLayerNet
from cs231n.gradient_check import eval_numerical_gradient


def _gradient_errors(model, X, y, h=1e-5):
    """Relative error of every analytic gradient against eval_numerical_gradient."""
    _, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    return {name: rel_error(eval_numerical_gradient(lambda _: model.loss(X, y)[0],
                                                    model.params[name], h=h), grads[name])
            for name in sorted(grads)}


# --------------------------------------------------------------------------- TwoLayerNet

N, D, H, C = 3, 5, 50, 7


@pytest.fixture
def two_layer_cell():
    """The notebook cell's model with its linspace parameters, and its X and y."""
    model = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=1e-2)
    model.params["W1"] = np.linspace(-0.7, 0.3, num=D * H).reshape(D, H)
    model.params["b1"] = np.linspace(-0.1, 0.9, num=H)
    model.params["W2"] = np.linspace(-0.3, 0.4, num=H * C).reshape(H, C)
    model.params["b2"] = np.linspace(-0.9, 0.1, num=C)
    X = np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T
    return model, X, np.asarray([0, 5, 1])


def test_two_layer_net_initialisation():
    np.random.seed(0)
    std = 1e-2
    model = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=std)
    assert {k: v.shape for k, v in model.params.items()} == {
        "W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}
    assert abs(model.params["W1"].std() - std) < std / 10
    assert abs(model.params["W2"].std() - std) < std / 10
    assert np.all(model.params["b1"] == 0) and np.all(model.params["b2"] == 0)
    assert TwoLayerNet().params["W1"].shape == (3 * 32 * 32, 100)


def test_two_layer_net_test_time_scores(two_layer_cell):
    model, X, _ = two_layer_cell
    scores = model.loss(X)
    correct_scores = np.asarray([
        [11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
        [12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143],
        [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319]])
    assert np.abs(scores - correct_scores).sum() < 1e-6


def test_two_layer_net_training_loss(two_layer_cell):
    model, X, y = two_layer_cell
    loss, _ = model.loss(X, y)
    assert abs(loss - 3.4702243556) < 1e-10
    model.reg = 1.0
    loss, _ = model.loss(X, y)
    assert abs(loss - 26.5948426952) < 1e-10


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_two_layer_net_gradients(two_layer_cell, reg):
    model, X, y = two_layer_cell
    model.reg = reg
    errors = _gradient_errors(model, X, y)
    assert max(errors.values()) < 1e-6, errors


def test_two_layer_net_leaves_inputs_alone(two_layer_cell):
    model, X, y = two_layer_cell
    params = {k: v.copy() for k, v in model.params.items()}
    X_before = X.copy()
    model.loss(X, y)
    assert np.array_equal(X, X_before)
    assert all(np.array_equal(model.params[k], params[k]) for k in params)


# --------------------------------------------------------------------- FullyConnectedNet

D2, H1, H2, C2 = 15, 20, 30, 10


def _notebook_data():
    np.random.seed(231)
    X = np.random.randn(2, D2)
    y = np.random.randint(C2, size=(2,))
    return X, y


def _fc_net(**kwargs):
    return FullyConnectedNet([H1, H2], input_dim=D2, num_classes=C2, weight_scale=5e-2,
                             dtype=np.float64, **kwargs)


def test_fully_connected_net_initial_loss_and_gradients():
    X, y = _notebook_data()
    # CS231n prints W2 relative error 2.21e-05 for reg = 0 ("fine if on the order of e-5").
    cases = [(0, 2.3004790897684924, 1e-4), (3.14, 7.052114776533016, 1e-6)]
    for reg, printed_loss, tolerance in cases:
        model = _fc_net(reg=reg)
        loss, _ = model.loss(X, y)
        assert abs(loss - printed_loss) < 1e-8
        errors = _gradient_errors(model, X, y)
        assert max(errors.values()) < tolerance, errors


def test_fully_connected_net_dropout_gradients():
    X, y = _notebook_data()
    printed = {1: 2.3004790897684924, 0.75: 2.302371489704412, 0.5: 2.3042759220785896}
    for keep in [1, 0.75, 0.5, 0.25]:
        model = _fc_net(dropout_keep_ratio=keep, seed=123)
        loss, _ = model.loss(X, y)
        if keep in printed:
            assert abs(loss - printed[keep]) < 1e-8
        errors = _gradient_errors(model, X, y)
        assert max(errors.values()) < 1e-4, (keep, errors)


@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_fully_connected_net_normalization_gradients(normalization):
    X, y = _notebook_data()
    printed = {0: 2.2611955101340957, 3.14: 6.996533220108303}  # CS231n's batchnorm cell
    for reg in [0, 3.14]:
        model = _fc_net(reg=reg, normalization=normalization)
        loss, _ = model.loss(X, y)
        if normalization == "batchnorm":
            assert abs(loss - printed[reg]) < 1e-8
        elif reg == 0:
            assert abs(loss - np.log(C2)) < 0.3
        errors = _gradient_errors(model, X, y)
        # CS231n prints W1 relative error 1.10e-04 for the batchnorm cell with reg = 0.
        assert max(errors.values()) < 2e-4, errors


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fully_connected_net_parameters(normalization):
    np.random.seed(0)
    model = FullyConnectedNet([50, 40], input_dim=60, num_classes=10, weight_scale=0.1,
                              normalization=normalization)
    shapes = {"W1": (60, 50), "b1": (50,), "W2": (50, 40), "b2": (40,),
              "W3": (40, 10), "b3": (10,)}
    if normalization is not None:
        shapes.update({"gamma1": (50,), "beta1": (50,), "gamma2": (40,), "beta2": (40,)})
    assert {k: v.shape for k, v in model.params.items()} == shapes
    assert model.num_layers == 3
    for name, value in model.params.items():
        assert value.dtype == np.float32
        if name[0] == "W":
            assert abs(value.std() - 0.1) < 0.01
        else:
            assert np.all(value == (1 if name.startswith("gamma") else 0))
    assert len(model.bn_params) == (0 if normalization is None else 2)
    assert model.dropout_param == {}


def test_fully_connected_net_dropout_param():
    model = FullyConnectedNet([10], input_dim=5, dropout_keep_ratio=0.3, seed=7)
    assert model.dropout_param == {"mode": "train", "p": 0.3, "seed": 7}
    assert model.use_dropout
    assert FullyConnectedNet([10], input_dim=5, dropout_keep_ratio=0.3).dropout_param == {
        "mode": "train", "p": 0.3}


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fully_connected_net_float32_and_modes(normalization):
    np.random.seed(0)
    model = FullyConnectedNet([20, 30], input_dim=15, num_classes=10, normalization=normalization,
                              dropout_keep_ratio=0.5, dtype=np.float32)
    X = np.random.randn(8, 3, 5)
    y = np.random.randint(10, size=8)
    X_before = X.copy()
    loss, grads = model.loss(X, y)
    assert np.isfinite(loss)
    for name, grad in grads.items():
        assert grad.dtype == np.float32 and grad.shape == model.params[name].shape, name
    scores = model.loss(X)
    assert scores.dtype == np.float32 and scores.shape == (8, 10)
    assert model.dropout_param["mode"] == "test"
    assert all(p["mode"] == "test" for p in model.bn_params if normalization == "batchnorm")
    assert np.array_equal(scores, model.loss(X))  # test mode is deterministic
    assert np.array_equal(X, X_before)


def test_fully_connected_net_rejects_unknown_normalization():
    with pytest.raises(ValueError, match="normalization"):
        FullyConnectedNet([10], normalization="groupnorm")
