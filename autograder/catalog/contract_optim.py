"""Contract checks of the update rules: every key of each rule's documented ``config`` away from both the
notebooks' values and the defaults, from states in the middle of a run (t > 1, non-zero moments), with gradients
small enough that ``epsilon`` decides the step. Hidden; every value is the reference's step from the same state.

A row is ``(title, config, dw scale, state keys compared)``; ``config`` holds the hyperparameters, and the
state arrays (velocity, cache, m, v) are drawn by :func:`_state`. Each test is worth :data:`POINTS`.
"""
import numpy as np

from .judges import Close, CloseToAny
from ..model import Case, Test
from .build import title_id
from .optim import with_conventions

POINTS = 0.25
SHAPE = (4, 6)
STATES = {"sgd_momentum": ("velocity",), "rmsprop": ("cache",), "adam": ("m", "v")}
HINT = "Read every hyperparameter from config (learning_rate, momentum, decay_rate, beta1, beta2, epsilon), never a constant."

ROWS = {  # rule -> [(title, hyperparameters, scale of dw and of the state arrays)]
    "sgd_momentum": [
        ("momentum = 0.5, learning_rate = 0.2", {"learning_rate": 0.2, "momentum": 0.5}, 1.0),
        ("momentum = 0 (plain sgd)", {"learning_rate": 0.05, "momentum": 0.0}, 1.0),
        ("momentum = 0.99, mid-run velocity", {"learning_rate": 1e-3, "momentum": 0.99}, 1.0),
    ],
    "rmsprop": [
        ("decay_rate = 0.5, learning_rate = 0.1", {"learning_rate": 0.1, "decay_rate": 0.5, "epsilon": 1e-8}, 1.0),
        ("epsilon = 1e-3, small gradients", {"learning_rate": 1e-2, "decay_rate": 0.9, "epsilon": 1e-3}, 1e-3),
        ("epsilon = 1e-8, gradients of 1e-8", {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}, 1e-8),
    ],
    "adam": [
        ("beta1 = 0.5, step 3", {"learning_rate": 1e-2, "beta1": 0.5, "beta2": 0.999, "epsilon": 1e-8, "t": 2}, 1.0),
        ("beta2 = 0.9, step 4", {"learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.9, "epsilon": 1e-8, "t": 3}, 1.0),
        ("epsilon = 1e-2, small gradients, step 6",
         {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-2, "t": 5}, 1e-3),
        ("learning_rate = 0.3, step 1000", {"learning_rate": 0.3, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-6, "t": 999}, 1.0),
    ],
}


def _state(rule, config, scale):
    """The rule's inputs: ``w``, ``dw`` of ``scale`` and a mid-run state of the matching scale."""
    def make(rng):
        w, dw = rng.randn(*SHAPE), scale * rng.randn(*SHAPE)
        state = {}
        for key in STATES[rule]:
            # cache and v average squared gradients: non-negative, of the size of dw**2
            state[key] = scale**2 * rng.rand(*SHAPE) if key in ("cache", "v") else scale * rng.randn(*SHAPE)
        return {"target": rule, "w": w, "dw": dw, "config": {**config, **state}}
    return make


def adam_paper_form(inputs):
    """Adam's step in the paper's efficient form (Kingma and Ba, section 2: the bias corrections folded into the
    step size, epsilon added to the uncorrected sqrt(v)), which some courses' solutions use: it differs from the
    starter's formula only by where epsilon acts, visible when epsilon is as large as sqrt(v)."""
    config = inputs["config"]
    w, dw = np.asarray(inputs["w"], np.float64), np.asarray(inputs["dw"], np.float64)
    b1, b2, t = config["beta1"], config["beta2"], config["t"] + 1
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw**2
    step = config["learning_rate"] * np.sqrt(1 - b2**t) / (1 - b1**t)
    return w - step * m / (np.sqrt(v) + config["epsilon"])


def _case(rule, title, config, scale):
    # State arrays of the size of dw**2 = 1e-16 are below the floor of the relative error (1e-8): any value would
    # pass, so there only next_w, which epsilon decides, is compared.
    keys = (STATES[rule] if scale >= 1e-4 else ()) + (("t",) if rule == "adam" else ())
    judge = with_conventions(Close("next_w", 1e-7, "next_w", like="w"), rule)
    if rule == "adam":
        judge = CloseToAny(judge, (("the Adam paper's efficient form", adam_paper_form),))
    tests = (Test(f"{title}: next_w", judge, POINTS, "reference", HINT),)
    tests += tuple(Test(f"{title}: config['{k}']", with_conventions(Close(f"config.{k}", 1e-7, k), rule), POINTS, "reference", HINT)
                   for k in keys)
    return Case(title_id(f"{rule}.contract", title), rule, "update", _state(rule, config, scale), tests,
                visibility="hidden", group="optim")


CASES = [_case(rule, title, config, scale) for rule, rows in ROWS.items() for title, config, scale in rows]
