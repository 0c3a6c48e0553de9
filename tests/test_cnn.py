"""cs231n.classifiers.cnn.ThreeLayerConvNet: sanity loss, gradients, overfitting small data."""
import numpy as np
import pytest

from conftest import rel_error
from cs231n.classifiers.cnn import ThreeLayerConvNet
from cs231n.data_utils import get_digits_data
from cs231n.gradient_check import eval_numerical_gradient
from cs231n.solver import Solver


def test_parameters_and_dtype():
    np.random.seed(0)
    model = ThreeLayerConvNet()
    assert {k: v.shape for k, v in model.params.items()} == {
        "W1": (32, 3, 7, 7), "b1": (32,), "W2": (32 * 16 * 16, 100), "b2": (100,),
        "W3": (100, 10), "b3": (10,)}
    assert all(v.dtype == np.float32 for v in model.params.values())
    assert abs(model.params["W2"].std() - 1e-3) < 1e-4
    assert all(np.all(model.params[b] == 0) for b in ("b1", "b2", "b3"))
    small = ThreeLayerConvNet(input_dim=(1, 6, 10), num_filters=4, filter_size=5, hidden_dim=9,
                              num_classes=3)
    assert small.params["W1"].shape == (4, 1, 5, 5)
    assert small.params["W2"].shape == (4 * 3 * 5, 9)


def test_initial_loss_is_log_of_the_number_of_classes():
    np.random.seed(231)
    model = ThreeLayerConvNet()
    X = np.random.randn(50, 3, 32, 32)
    y = np.random.randint(10, size=50)
    X_before = X.copy()
    loss, grads = model.loss(X, y)
    assert abs(loss - np.log(10)) < 1e-3  # CS231n prints 2.30258443722709
    assert all(grads[k].dtype == np.float32 and grads[k].shape == v.shape
               for k, v in model.params.items())
    model.reg = 0.5
    reg_loss, _ = model.loss(X, y)
    penalty = 0.25 * sum(np.sum(model.params[w].astype(np.float64)**2) for w in ("W1", "W2", "W3"))
    assert reg_loss == pytest.approx(loss + penalty, abs=1e-5)  # about 2.509, as CS231n prints
    scores = model.loss(X)
    assert scores.shape == (50, 10) and scores.dtype == np.float32
    assert np.array_equal(X, X_before)


@pytest.mark.slow
def test_gradients():
    # The notebook's cell, but with weight_scale=0.1 instead of 1e-3: with tiny weights the
    # activations sit within h of the ReLU and max-pool kinks and even correct implementations
    # show relative errors up to 1e-1 (the notebook says so). With O(1) activations the
    # reference's errors are about 1e-6.
    np.random.seed(231)
    input_dim = (3, 16, 16)
    X = np.random.randn(2, *input_dim)
    y = np.random.randint(10, size=2)
    model = ThreeLayerConvNet(num_filters=3, filter_size=3, input_dim=input_dim, hidden_dim=7,
                              weight_scale=0.1, dtype=np.float64)
    _, grads = model.loss(X, y)
    for name in sorted(grads):
        grad_num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name])
        assert rel_error(grad_num, grads[name]) < 1e-4, name


@pytest.mark.parametrize("reg", [0.0, 0.5])
def test_gradients_on_a_tiny_net(reg):
    np.random.seed(0)
    input_dim = (2, 6, 6)
    X = np.random.randn(3, *input_dim)
    y = np.random.randint(4, size=3)
    model = ThreeLayerConvNet(num_filters=2, filter_size=3, input_dim=input_dim, hidden_dim=5,
                              num_classes=4, weight_scale=0.3, reg=reg, dtype=np.float64)
    _, grads = model.loss(X, y)
    for name in sorted(grads):
        grad_num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name])
        assert rel_error(grad_num, grads[name]) < 1e-6, name


@pytest.mark.slow
def test_overfits_100_digits():
    data = get_digits_data(image_size=16)
    small_data = {"X_train": data["X_train"][:100], "y_train": data["y_train"][:100],
                  "X_val": data["X_val"], "y_val": data["y_val"]}
    np.random.seed(231)
    model = ThreeLayerConvNet(input_dim=(3, 16, 16), num_filters=8, filter_size=3, hidden_dim=50,
                              weight_scale=1e-2)
    solver = Solver(model, small_data, num_epochs=15, batch_size=50, update_rule="adam",
                    optim_config={"learning_rate": 1e-3}, verbose=False)
    solver.train()
    assert solver.train_acc_history[-1] >= 0.9
    assert solver.val_acc_history[-1] > 0.3  # far above chance: it learnt something real


def test_even_filter_size_is_rejected():
    with pytest.raises(ValueError, match="filter_size = 4"):
        ThreeLayerConvNet(filter_size=4)
