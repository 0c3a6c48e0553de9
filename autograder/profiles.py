"""Course profiles: what each course assigns and how its API differs.

Real submissions differ by course and year: TwoLayerNet is gone from CS231n 2021+, layernorm and groupnorm
exist from 2018, dropout's ``p`` is the probability of keeping a unit from 2018 but of dropping it in
2016-2017, and FullyConnectedNet's constructor changed style twice. A check for a function the course does
not assign is not applicable, not zero.
"""
from __future__ import annotations

from dataclasses import dataclass

LAYERS = (
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "svm_loss", "softmax_loss",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "dropout_forward", "dropout_backward",
    "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
    "spatial_batchnorm_forward", "spatial_batchnorm_backward",
)
NORMS = ("layernorm_forward", "layernorm_backward", "spatial_groupnorm_forward", "spatial_groupnorm_backward")
SANDWICHES = (
    "affine_relu_forward", "affine_relu_backward", "conv_relu_forward", "conv_relu_backward",
    "conv_relu_pool_forward", "conv_relu_pool_backward",
)
NORM_SANDWICHES = ("affine_bn_relu_forward", "affine_bn_relu_backward", "conv_bn_relu_forward", "conv_bn_relu_backward")
LN_SANDWICHES = ("affine_ln_relu_forward", "affine_ln_relu_backward")
OPTIM = ("sgd", "sgd_momentum", "rmsprop", "adam")
MODELS_2021 = ("FullyConnectedNet", "ThreeLayerConvNet")
PROVIDED = ("Solver", "eval_numerical_gradient", "eval_numerical_gradient_array",
            "conv_forward_fast", "conv_backward_fast", "max_pool_forward_fast", "max_pool_backward_fast")
PREFERRED = ("layers", "conv_layers", "layer_utils", "conv_layer_utils", "fc_net", "cnn", "optim", "solver",
             "fast_layers", "gradient_check")


@dataclass(frozen=True)
class Profile:
    """What one course (and year) assigns and how its API is spelled."""

    name: str
    """Profile id used in the config (``profile = "nndl"``)."""
    description: str
    """Course and years it stands for."""
    assigned: frozenset
    """Functions and classes students write; checks of anything else are not applicable."""
    dropout_means: str = "keep"
    """What dropout's ``p`` means: ``keep`` (CS231n 2018+) or ``drop`` (2016-2017, some nndl years)."""
    packages: tuple = ()
    """Package folders, when the course pins them; detected otherwise."""

    def applies(self, names):
        return all(n in self.assigned or n in PROVIDED for n in names)


def _profile(name, description, *groups, dropout_means="keep", packages=()):
    return Profile(name, description, frozenset(n for g in groups for n in g), dropout_means, packages)


PROFILES = {p.name: p for p in (
    _profile("cs231n-2021", "CS231n 2021 and later (and forks such as cs260)",
             LAYERS, NORMS, SANDWICHES, NORM_SANDWICHES, LN_SANDWICHES, OPTIM, MODELS_2021),
    _profile("cs231n-2018", "CS231n 2018-2020 (and the libs/ fork)",
             LAYERS, NORMS, SANDWICHES, NORM_SANDWICHES, LN_SANDWICHES, OPTIM, MODELS_2021, ("TwoLayerNet",)),
    _profile("cs231n-2016", "CS231n 2016-2017: dropout p is the probability of dropping a unit",
             LAYERS, SANDWICHES, NORM_SANDWICHES, OPTIM, MODELS_2021, ("TwoLayerNet",), dropout_means="drop"),
    _profile("nndl", "UCLA ECE C147/C247 (nndl/ package, provided code in cs231n/)",
             LAYERS, SANDWICHES, NORM_SANDWICHES, OPTIM, MODELS_2021, ("TwoLayerNet",)),
    _profile("all", "every function of the reference library (the reference itself grades against this)",
             LAYERS, NORMS, SANDWICHES, NORM_SANDWICHES, LN_SANDWICHES, OPTIM, MODELS_2021, ("TwoLayerNet",)),
)}
DEFAULT = "cs231n-2021"


def detect(packages, found):
    """Pick a profile from the package names and the FullyConnectedNet constructor the submission has."""
    fc_args = set(found.get("FullyConnectedNet", ("", []))[1])
    if "nndl" in packages:
        return PROFILES["nndl"]
    if "use_batchnorm" in fc_args:
        return PROFILES["cs231n-2016"]
    if "dropout" in fc_args or ("TwoLayerNet" in found and "dropout_keep_ratio" not in fc_args):
        return PROFILES["cs231n-2018"]
    return PROFILES[DEFAULT]


def adapt_inputs(inputs, profile):
    """Translate the catalog's keep-probability convention into the course's (pure: returns a new object)."""
    if isinstance(inputs, dict):
        out = {k: adapt_inputs(v, profile) for k, v in inputs.items()}
        if "p" in out and "mode" in out and profile.dropout_means == "drop":
            out["p"] = 1.0 - out["p"]
        if "dropout_keep" in out:
            out["dropout_means"] = profile.dropout_means
        return out
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(adapt_inputs(v, profile) for v in inputs)
    return inputs
