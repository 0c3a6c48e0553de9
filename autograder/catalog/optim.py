"""The update rules (the FullyConnectedNets notebook's optimizer cells) and hidden steps on other states."""
import numpy as np

from .judges import Close, CloseToAny, DtypeFollows, Unchanged
from ..model import Case, Test
from .inputs import linspace

SHAPE = (4, 5)
MOMENTUM_W = [[0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
              [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
              [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
              [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096]]
MOMENTUM_V = [[0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
              [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
              [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
              [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096]]
RMSPROP_W = [[-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
             [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
             [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
             [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]]
RMSPROP_CACHE = [[0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
                 [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
                 [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
                 [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926]]
ADAM_W = [[-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
          [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
          [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
          [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]]
ADAM_V = [[0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
          [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
          [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
          [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966]]
ADAM_M = [[0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
          [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
          [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
          [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85]]

HINTS = {
    "sgd_momentum": "Momentum: the velocity accumulates steps downhill (against the gradient); store it in config for the next step.",
    "rmsprop": "RMSProp keeps a moving average of squared gradients and divides each step by its root mean square.",
    "adam": "Adam's bias correction uses the step count of the current step.",
}


def _notebook_inputs(rule, config):
    def make(rng):
        w, dw = linspace(-0.4, 0.6, SHAPE), linspace(-0.6, 0.4, SHAPE)
        return {"target": rule, "w": w, "dw": dw, "config": config()}
    return make


def momentum_adds_gradient(inputs):
    """``(next_w, velocity)`` of CS182's momentum (its optim.py starter and hw2_optimizer_init.ipynb):
    ``v = mu * v + dw; next_w = w - lr * v``; None unless the course's profile has that convention."""
    if "momentum_adds_gradient" not in (inputs.get("conventions") or ()):
        return None
    config = inputs["config"]
    w, dw = np.asarray(inputs["w"], np.float64), np.asarray(inputs["dw"], np.float64)
    v = config.get("momentum", 0.9) * np.asarray(config.get("velocity", np.zeros_like(w)), np.float64) + dw
    return w - config.get("learning_rate", 1e-2) * v, v


def _conventions(rule, path):
    """Other courses' conventions for ``rule``'s output at ``path``: ``(description, fn)`` pairs for CloseToAny."""
    if rule != "sgd_momentum":
        return ()
    index = 0 if path == "next_w" else 1

    def expected(inputs):
        values = momentum_adds_gradient(inputs)
        return None if values is None else values[index]
    return (("the course's momentum: v = mu * v + dw; w -= lr * v", expected),)


def with_conventions(close, rule):
    """``close``, or a :class:`CloseToAny` that also accepts the other courses' conventions for ``rule``."""
    others = _conventions(rule, close.path)
    return CloseToAny(close, others) if others else close


def _notebook_case(rule, config, literals, tol=1e-6):
    tests = tuple(Test(f"notebook: {name}", with_conventions(Close(path, tol, name, literal=value), rule),
                       1.0, "optimizer", HINTS[rule])
                  for name, path, value in literals)
    # optim.py's header allows update rules to change w in place (next_w may be w), and config is returned
    # as the next config, so only dw is required to stay as it was.
    tests += (Test("notebook: does not modify dw", Unchanged("dw_after", "dw", "dw", function=rule), 0.25,
                   "side_effect", "Compute new arrays from dw instead of writing into it."),)
    return Case(f"{rule}.notebook", rule, "update", _notebook_inputs(rule, config), tests, seed=231, group="optim")


def _hidden_inputs(rule, state, dtype="float64"):
    def make(rng):
        w, dw = rng.randn(3, 7).astype(dtype), rng.randn(3, 7).astype(dtype)
        return {"target": rule, "w": w, "dw": dw, "config": state(rng, dtype)}
    return make


def _hidden_case(rule, state, keys, dtype="float64"):
    tol = 1e-7 if dtype == "float64" else 1e-4
    tests = (Test(f"{dtype} step from another state: next_w",
                  with_conventions(Close("next_w", tol, "next_w", like="w"), rule), 1.0, "reference"),)
    tests += tuple(Test(f"{dtype} step from another state: config['{k}']",
                        with_conventions(Close(f"config.{k}", tol, k), rule), 1.0, "reference")
                   for k in keys)
    if dtype == "float32":
        tests += (Test("float32 step: next_w keeps the dtype", DtypeFollows("next_w", "w", "next_w"), 0.5, "contract",
                       "Do not mix float64 state into float32 weights."),)
    return Case(f"{rule}.hidden.{dtype}", rule, "update", _hidden_inputs(rule, state, dtype), tests, visibility="hidden",
                group="optim")


def _momentum_state(rng, dtype):
    return {"learning_rate": 3e-2, "momentum": 0.8, "velocity": rng.randn(3, 7).astype(dtype)}


def _rmsprop_state(rng, dtype):
    return {"learning_rate": 1e-3, "decay_rate": 0.9, "epsilon": 1e-8, "cache": rng.rand(3, 7).astype(dtype)}


def _adam_state(rng, dtype):
    return {"learning_rate": 2e-3, "beta1": 0.85, "beta2": 0.99, "epsilon": 1e-8,
            "m": rng.randn(3, 7).astype(dtype), "v": rng.rand(3, 7).astype(dtype), "t": 11}


def _adam_first_step(rng):
    return {"target": "adam", "w": rng.randn(6), "dw": rng.randn(6), "config": None}


def _adam_first_step_from_t1(inputs):
    """The first step when the defaults start t at 1, as the 2017 starter's ``config.setdefault('t', 1)`` does
    (t is 2 at the bias correction). The defaults are starter code, so either start is right."""
    w, dw = np.asarray(inputs["w"], np.float64), np.asarray(inputs["dw"], np.float64)
    t, beta1, beta2 = 2, 0.9, 0.999
    m_hat = (1 - beta1) * dw / (1 - beta1**t)
    v_hat = (1 - beta2) * dw**2 / (1 - beta2**t)
    return w - 1e-3 * m_hat / (np.sqrt(v_hat) + 1e-8)


CASES = [
    _notebook_case("sgd_momentum", lambda: {"learning_rate": 1e-3, "velocity": linspace(0.6, 0.9, SHAPE)},
                   [("next_w", "next_w", MOMENTUM_W), ("velocity", "config.velocity", MOMENTUM_V)]),
    _notebook_case("rmsprop", lambda: {"learning_rate": 1e-2, "cache": linspace(0.6, 0.9, SHAPE)},
                   [("next_w", "next_w", RMSPROP_W), ("cache", "config.cache", RMSPROP_CACHE)]),
    _notebook_case("adam", lambda: {"learning_rate": 1e-2, "m": linspace(0.6, 0.9, SHAPE),
                                    "v": linspace(0.7, 0.5, SHAPE), "t": 5},
                   [("next_w", "next_w", ADAM_W), ("v", "config.v", ADAM_V), ("m", "config.m", ADAM_M)]),
    _hidden_case("sgd_momentum", _momentum_state, ("velocity",)),
    _hidden_case("rmsprop", _rmsprop_state, ("cache",)),
    _hidden_case("adam", _adam_state, ("m", "v", "t")),
    _hidden_case("adam", _adam_state, ("m", "v"), dtype="float32"),
    Case("adam.hidden.defaults", "adam", "update", _adam_first_step, (
        Test("first step with config=None (the defaults)",
             CloseToAny(Close("next_w", 1e-7, "next_w", like="w"),
                        (("the 2017 starter's defaults: t starts at 1", _adam_first_step_from_t1),)), 1.0, "reference",
             "With config=None the starter's default settings apply (the 2017 starter's t 1 passes too)."),
    ), visibility="hidden", group="optim"),
]
