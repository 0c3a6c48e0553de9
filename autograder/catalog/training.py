"""Training checks: the submission's models and update rules, trained by the trusted Solver on the shipped
digits dataset, must overfit a small training set (training accuracy 1.0) within the time limit.

The settings below were validated on the reference: each reaches accuracy 1.0 for every one of at least six
initialisation seeds, so a correct implementation does not fail by bad luck.
"""
from functools import lru_cache

import numpy as np

from .judges import Predicate
from ..model import Case, Test

IMAGE = 16
FC_SPEC = {"hidden_dims": [100, 100], "input_dim": 3 * IMAGE * IMAGE, "weight_scale": 1e-2, "dtype": "float64"}


@lru_cache(maxsize=1)
def _digits():
    from .. import paths
    from .._provided.data_utils import get_digits_data

    return get_digits_data(image_size=IMAGE, path=str(paths.digits_path()))


def _small_data(rng, n_train=50, n_val=10):
    """The 50 training digits and a few validation ones: the checks read the loss and the training accuracy only,
    and the validation set changes neither (the Solver evaluates it whole, drawing no random numbers)."""
    data = _digits()
    return {"X_train": data["X_train"][:n_train], "y_train": data["y_train"][:n_train],
            "X_val": data["X_val"][:n_val], "y_val": data["y_val"][:n_val]}


def _overfits(outputs, inputs):
    history = np.asarray(outputs["train_acc_history"], dtype=np.float64)
    losses = np.asarray(outputs["loss_history"], dtype=np.float64)
    if history.size == 0 or not np.all(np.isfinite(losses)):
        return False, "training produced no accuracy history or a non-finite loss", None
    best = float(history.max())
    if best < 1.0:
        return False, (f"the best training accuracy was {best:.2f}, expected 1.0 on 50 examples "
                       f"(loss went from {losses[0]:.3f} to {losses[-1]:.3f})"), best
    return True, f"training accuracy 1.0 (final loss {losses[-1]:.4f})", best


def training_case(id, cls, spec, rule, learning_rate, epochs=15, timeout=60.0):
    def make(rng):
        return {"cls": cls, "spec": dict(spec), "data": _small_data(rng), "update_rule": rule,
                "solver": {"optim_config": {"learning_rate": learning_rate}, "num_epochs": epochs, "batch_size": 25}}
    test = Test(f"overfits 50 digits with {rule} (lr {learning_rate:g}, {epochs} epochs)", Predicate(_overfits),
                2.0, "training", f"If the gradient checks pass, check {rule} and that the loss decreases.")
    return Case(id, cls, "train", make, (test,), requires=(rule, "Solver"), seed=0, timeout=timeout, group="training")


CASES = [
    training_case("FullyConnectedNet.train.adam", "FullyConnectedNet", FC_SPEC, "adam", 1e-3),
    training_case("FullyConnectedNet.train.sgd_momentum", "FullyConnectedNet", FC_SPEC, "sgd_momentum", 3e-3),
    training_case("FullyConnectedNet.train.rmsprop", "FullyConnectedNet", FC_SPEC, "rmsprop", 1e-4),
    training_case("TwoLayerNet.train.adam", "TwoLayerNet",
                  {"input_dim": 3 * IMAGE * IMAGE, "weight_scale": 1e-2}, "adam", 1e-3),
    training_case("ThreeLayerConvNet.train.adam", "ThreeLayerConvNet",
                  {"input_dim": (3, IMAGE, IMAGE), "num_filters": 8, "filter_size": 3, "hidden_dim": 50,
                   "weight_scale": 1e-2, "dtype": "float64"}, "adam", 2e-3),
]
