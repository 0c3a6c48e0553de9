"""Contract checks of the models: the constructor's documented space (hidden_dims of length 1 to 4, another
input_dim and num_classes, non-square images, filter_size 3/5/7, other num_filters and hidden_dim, weight_scale,
float32 and float64, each normalization and dropout).

Per configuration, first the initial parameters: every documented name with its documented shape, zero biases,
weights of standard deviation ``weight_scale``. Then, at given parameters of those shapes (set after the shape
check), the loss and every gradient with ``reg > 0`` compared with the reference's. Dropout, whose mask is the
student's own, is checked by numerical gradients of the student's loss instead. Hidden; each test is worth
:data:`POINTS`.
"""
import numpy as np

from .judges import Close, Predicate
from ..model import Case, Test
from .build import title_id
from .models import _grad_tests, param_shape

POINTS = 0.25
GRADIENT_POINTS = 0.1
"""Each gradient compared at given parameters: a model has many, and one bug usually breaks several."""
REG = 0.37
HINT_INIT = "Build every parameter from the constructor's arguments (sizes, filter_size, weight_scale, dtype)."
HINT_LOSS = ("Use every constructor argument; add 0.5 * reg * sum(W**2) of every weight matrix to the loss and "
             "reg * W to its gradient.")


def fc_shapes(spec):
    dims = [spec["input_dim"], *spec["hidden_dims"], spec["num_classes"]]
    shapes = {}
    for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
        shapes[f"W{i}"], shapes[f"b{i}"] = (fan_in, fan_out), (fan_out,)
        if spec.get("normalization") and i < len(dims) - 1:
            shapes[f"gamma{i}"], shapes[f"beta{i}"] = (fan_out,), (fan_out,)
    return shapes


def two_layer_shapes(spec):
    return fc_shapes({"input_dim": spec["input_dim"], "hidden_dims": [spec["hidden_dim"]],
                      "num_classes": spec["num_classes"]})


def conv_shapes(spec):
    c, h, w = spec["input_dim"]
    f, k, hidden, classes = spec["num_filters"], spec["filter_size"], spec["hidden_dim"], spec["num_classes"]
    return {"W1": (f, c, k, k), "b1": (f,), "W2": (f * (h // 2) * (w // 2), hidden), "b2": (hidden,),
            "W3": (hidden, classes), "b3": (classes,)}


SHAPES = {"FullyConnectedNet": fc_shapes, "TwoLayerNet": two_layer_shapes, "ThreeLayerConvNet": conv_shapes}


def _init_check(shapes, std, dtype):
    """Documented names and shapes (one that differs only by singleton axes, like a bias of shape (1, F), is a
    0-point warning as in the notebook's own initialisation check), zero biases, gamma ones and beta zeros, weights of std ``weight_scale`` (within
    5 standard errors of a sample std, and at least 10 %), and the dtype asked for."""
    def check(outputs, inputs):
        params = outputs["params"]
        warnings = []
        for name, shape in shapes.items():
            if name not in params:
                return False, f"model.params has no {name!r} (expected shape {shape})", None
            value = np.asarray(params[name])
            error, warning = param_shape(name, value, shape)
            if error:
                return False, error, None
            warnings += [warning] if warning else []
            if dtype is not None and value.dtype != np.dtype(dtype):
                return False, f"params[{name!r}] has dtype {value.dtype}, expected {dtype} (the dtype argument)", None
            start = {"b": 0.0, "beta": 0.0, "gamma": 1.0}.get(name.rstrip("0123456789"))
            if start is not None and np.any(value != start):
                return False, f"params[{name!r}] should start at {start:g}", None
            if name.startswith("W"):
                allowed = std * max(0.1, 5 / np.sqrt(2 * value.size))
                if abs(float(value.std()) - std) > allowed:
                    return False, (f"params[{name!r}] has std {value.std():.4g}, expected about weight_scale = "
                                   f"{std}"), None
        extra = sorted(set(params) - set(shapes))
        if extra:
            return False, f"model.params has entries the documented model does not have: {', '.join(extra)}", None
        return True, "", None, "; ".join(warnings)
    return check


def _init_case(cls, title, spec):
    shapes = SHAPES[cls](spec)
    test = Test(f"{title}: initial parameters (names, shapes, weight_scale, dtype)",
                Predicate(_init_check(shapes, spec["weight_scale"], spec.get("dtype"))), POINTS, "model", HINT_INIT)
    return Case(title_id(f"{cls}.contract.init", title), cls, "model_init",
                lambda rng: {"cls": cls, "spec": dict(spec)}, (test,), requires=_requires(spec), visibility="hidden",
                group="models")


def _requires(spec):
    norm = spec.get("normalization")
    return (f"{norm}_forward",) if norm else (("dropout_forward",) if "dropout_keep" in spec else ())


def _given_params(shapes, dtype):
    def make(rng):
        params = {}
        for name, shape in shapes.items():
            if name.startswith("gamma"):
                value = 1 + 0.5 * rng.randn(*shape)
            else:
                fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else shape[0]
                value = (1.0 if name.startswith("W") else 0.3) * rng.randn(*shape) / np.sqrt(fan_in)
            params[name] = value.astype(dtype)
        return params
    return make


def _given_case(cls, title, spec, batch):
    """Loss and gradients at given parameters with reg > 0, against the reference's."""
    shapes, dtype = SHAPES[cls](spec), spec.get("dtype", "float64")
    params = _given_params(shapes, dtype)
    x_shape = tuple(spec["input_dim"]) if cls == "ThreeLayerConvNet" else (spec["input_dim"],)

    def make(rng):
        return {"cls": cls, "spec": dict(spec), "X": rng.randn(batch, *x_shape), "y": rng.randint(spec["num_classes"], size=batch),
                "regs": (REG,), "numeric": (), "params": params(rng)}
    tol, metric = (1e-6, "max") if dtype == "float64" else (1e-4, "norm")
    normalized = [n for n in shapes if n.startswith("gamma")]
    # the true db of a layer followed by a normalization is exactly 0 (its relative error means nothing)
    skip = {f"b{n[len('gamma'):]}" for n in normalized}
    tests = (Test(f"{title}, reg = {REG}: loss", Close("runs.0.loss", tol, "loss", metric=metric), POINTS, "reference",
                  HINT_LOSS),)
    tests += tuple(Test(f"{title}, reg = {REG}: gradient {name}", Close(f"runs.0.grads.{name}", tol, name, like=name,
                                                                         metric=metric), GRADIENT_POINTS, "reference",
                        HINT_LOSS)
                   for name in shapes if name not in skip)
    return Case(title_id(f"{cls}.contract.given", title), cls, "model_loss", make, tests, requires=_requires(spec),
                seed=5, visibility="hidden", group="models")


def _fc(hidden_dims, dtype="float64", **extra):
    return {"hidden_dims": list(hidden_dims), "input_dim": 13, "num_classes": 6, "weight_scale": 0.05, "dtype": dtype,
            **extra}


FC_ROWS = [  # (title, spec)
    ("one hidden layer", _fc([9])),
    ("three hidden layers", _fc([8, 7, 9])),
    ("four hidden layers", _fc([6, 5, 7, 4])),
    ("float32, two hidden layers", _fc([10, 8], "float32")),
    ("batchnorm, one hidden layer", _fc([9], normalization="batchnorm")),
    ("batchnorm, three hidden layers", _fc([8, 7, 9], normalization="batchnorm")),
    ("layernorm, three hidden layers", _fc([8, 7, 9], normalization="layernorm")),
]
TWO_LAYER_SPEC = {"input_dim": 11, "hidden_dim": 17, "num_classes": 4, "weight_scale": 0.03}  # no dtype argument
CONV_ROWS = [
    ("filter_size 3, 8x12 images", {"input_dim": (3, 8, 12), "num_filters": 5, "filter_size": 3, "hidden_dim": 11,
                                     "num_classes": 4, "weight_scale": 0.02, "dtype": "float64"}),
    ("filter_size 5, 2 channels", {"input_dim": (2, 6, 10), "num_filters": 6, "filter_size": 5, "hidden_dim": 9,
                                   "num_classes": 5, "weight_scale": 0.03, "dtype": "float64"}),
    ("filter_size 7, 12x8 images", {"input_dim": (3, 12, 8), "num_filters": 4, "filter_size": 7, "hidden_dim": 13,
                                    "num_classes": 3, "weight_scale": 0.01, "dtype": "float64"}),
    ("float32, filter_size 5", {"input_dim": (3, 6, 6), "num_filters": 4, "filter_size": 5, "hidden_dim": 8,
                                "num_classes": 4, "weight_scale": 0.02, "dtype": "float32"}),
]

DROPOUT_SPEC = _fc([7], dropout_keep=0.6, seed=17)
DROPOUT_NAMES = ("W1", "b1", "W2", "b2")


def _dropout_gradient():
    """Dropout keep 0.6 with one hidden layer and reg > 0: the student's gradients against numerical gradients of
    the student's own loss (the mask is the student's dropout_forward's, seeded by the constructor's seed)."""
    def make(rng):
        return {"cls": "FullyConnectedNet", "spec": dict(DROPOUT_SPEC), "X": rng.randn(3, 13), "y": rng.randint(6, size=3),
                "regs": (REG,), "numeric": DROPOUT_NAMES, "h": 1e-5, "max_points": 12, "directions": DROPOUT_NAMES}
    tests = tuple(Test(t.name, t.judge, GRADIENT_POINTS, t.kind, t.hint) for t in
                  _grad_tests(0, DROPOUT_NAMES, 1e-5, f"dropout keep 0.6, one hidden layer, reg = {REG}",
                              params=DROPOUT_NAMES))
    return Case("FullyConnectedNet.contract.dropout_one_hidden_layer_reg", "FullyConnectedNet", "model_loss", make,
                tests, requires=("dropout_forward",), seed=5, visibility="hidden", group="models")


CASES = [case for title, spec in FC_ROWS for case in (_init_case("FullyConnectedNet", title, spec),
                                                     _given_case("FullyConnectedNet", title, spec, 4))]
CASES += [_init_case("TwoLayerNet", "11 inputs, 17 hidden, 4 classes", TWO_LAYER_SPEC),
          _given_case("TwoLayerNet", "11 inputs, 17 hidden, 4 classes", TWO_LAYER_SPEC, 5)]
CASES += [case for title, spec in CONV_ROWS for case in (_init_case("ThreeLayerConvNet", title, spec),
                                                        _given_case("ThreeLayerConvNet", title, spec, 3))]
CASES += [_dropout_gradient()]
