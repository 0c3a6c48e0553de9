"""cs231n.solver.Solver: training loop, printing, determinism, checkpoints, argument checks."""
import pickle
import re

import numpy as np
import pytest

from cs231n import optim
from cs231n.classifiers.fc_net import FullyConnectedNet, TwoLayerNet
from cs231n.data_utils import get_digits_data
from cs231n.solver import Solver


@pytest.fixture(scope="module")
def digits():
    return get_digits_data()


@pytest.fixture
def small_data(digits):
    """50 training examples and the full validation split, as the notebooks' small_data."""
    return {
        "X_train": digits["X_train"][:50],
        "y_train": digits["y_train"][:50],
        "X_val": digits["X_val"],
        "y_val": digits["y_val"],
    }


def _train(model, data, seed=231, **kwargs):
    np.random.seed(seed)
    solver = Solver(model, data, verbose=False, **kwargs)
    solver.train()
    return solver


def test_fully_connected_net_overfits_50_digits(small_data):
    np.random.seed(0)
    model = FullyConnectedNet([100, 100], weight_scale=1e-2)
    solver = _train(model, small_data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                    num_epochs=20, batch_size=25)
    assert solver.train_acc_history[-1] == 1.0
    assert solver.loss_history[-1] < 0.01
    for name, value in model.params.items():
        assert value.dtype == np.float32, name


def test_two_layer_net_overfits_50_digits_with_sgd(small_data):
    np.random.seed(0)
    model = TwoLayerNet(weight_scale=1e-3)
    solver = _train(model, small_data, update_rule="sgd", optim_config={"learning_rate": 1e-3},
                    num_epochs=20, batch_size=25)
    assert solver.train_acc_history[-1] == 1.0


def test_history_lengths_and_best_params(small_data):
    np.random.seed(0)
    model = TwoLayerNet(weight_scale=1e-3)
    solver = _train(model, small_data, update_rule="sgd_momentum",
                    optim_config={"learning_rate": 1e-3}, num_epochs=3, batch_size=20)
    iterations_per_epoch = 50 // 20
    assert len(solver.loss_history) == 3 * iterations_per_epoch
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 3 + 1
    assert solver.best_val_acc == max(solver.val_acc_history)
    assert model.params is solver.best_params
    assert solver.check_accuracy(small_data["X_val"], small_data["y_val"]) == solver.best_val_acc


def test_update_rule_is_looked_up_in_optim_and_learning_rate_decays(small_data):
    model = TwoLayerNet(input_dim=3 * 32 * 32, weight_scale=1e-3)
    solver = _train(model, small_data, update_rule="rmsprop", optim_config={"learning_rate": 1e-3},
                    lr_decay=0.5, num_epochs=3, batch_size=25)
    assert solver.update_rule is optim.rmsprop
    for config in solver.optim_configs.values():
        assert config["learning_rate"] == pytest.approx(1e-3 * 0.5**3)
        assert "cache" in config
    assert solver.optim_config == {"learning_rate": 1e-3}


def test_same_seed_gives_identical_training(small_data):
    runs = []
    for _ in range(2):
        np.random.seed(1)
        model = FullyConnectedNet([20], weight_scale=1e-2, dropout_keep_ratio=0.5)
        runs.append(_train(model, small_data, seed=5, update_rule="adam", num_epochs=2,
                           batch_size=10, num_train_samples=20))
    assert runs[0].loss_history == runs[1].loss_history
    assert runs[0].train_acc_history == runs[1].train_acc_history
    for name in runs[0].model.params:
        assert np.array_equal(runs[0].model.params[name], runs[1].model.params[name])


def test_print_format_is_cs231n(capsys, small_data):
    np.random.seed(0)
    solver = Solver(TwoLayerNet(), small_data, num_epochs=2, batch_size=25, print_every=1)
    solver.train()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "(Iteration 1 / 4) loss: %f" % solver.loss_history[0]
    assert lines[1] == "(Epoch 0 / 2) train acc: %f; val_acc: %f" % (
        solver.train_acc_history[0], solver.val_acc_history[0])
    iteration = re.compile(r"^\(Iteration \d+ / 4\) loss: \d+\.\d{6}$")
    epoch = re.compile(r"^\(Epoch \d / 2\) train acc: [01]\.\d{6}; val_acc: [01]\.\d{6}$")
    assert sum(bool(iteration.match(line)) for line in lines) == 4
    assert sum(bool(epoch.match(line)) for line in lines) == 3
    assert len(lines) == 7


def test_quiet_when_not_verbose(capsys, small_data):
    _train(TwoLayerNet(), small_data, num_epochs=1, batch_size=25)
    assert capsys.readouterr().out == ""


def test_checkpoints_are_pickled_each_epoch(tmp_path, small_data):
    name = str(tmp_path / "ckpt")
    solver = _train(TwoLayerNet(), small_data, num_epochs=2, batch_size=25, checkpoint_name=name)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["ckpt_epoch_0.pkl", "ckpt_epoch_1.pkl", "ckpt_epoch_2.pkl"]
    with open(tmp_path / "ckpt_epoch_2.pkl", "rb") as f:
        checkpoint = pickle.load(f)
    assert checkpoint["epoch"] == 2
    assert checkpoint["loss_history"] == solver.loss_history
    assert checkpoint["update_rule"] is optim.sgd
    assert set(checkpoint["model"].params) == {"W1", "b1", "W2", "b2"}


def test_check_accuracy_subsamples_and_batches(small_data):
    np.random.seed(0)
    solver = Solver(TwoLayerNet(), small_data)
    X, y = small_data["X_val"], small_data["y_val"]
    full = solver.check_accuracy(X, y, batch_size=7)
    assert full == solver.check_accuracy(X, y)
    assert full == np.mean(np.argmax(solver.model.loss(X), axis=1) == y)
    acc = solver.check_accuracy(X, y, num_samples=10)
    assert acc * 10 == pytest.approx(round(acc * 10))


def test_unknown_arguments_are_rejected(small_data):
    with pytest.raises(ValueError, match='Unrecognized arguments "learning_rate"'):
        Solver(TwoLayerNet(), small_data, learning_rate=1e-3)
    with pytest.raises(ValueError, match='Invalid update_rule "nesterov"'):
        Solver(TwoLayerNet(), small_data, update_rule="nesterov")
