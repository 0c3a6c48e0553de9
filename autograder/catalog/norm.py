"""Batch, layer, spatial batch and group normalization, and dropout (the BatchNormalization, Dropout and
ConvolutionalNetworks notebooks)."""
import numpy as np

from .judges import Close, DtypeFollows, Identical, Predicate
from ..model import Case, Test
from .build import gradient_case, property_case, reference_case
from .checks import stats_close
from .inputs import randn

TRAIN = {"mode": "train"}


# ----------------------------------------------------------------------------- batchnorm (N, D)
def _bn_notebook_input(rng):
    """The notebook's activations: a two-layer ReLU net on random data, shape (200, 3)."""
    X, W1, W2 = rng.randn(200, 50), rng.randn(50, 60), rng.randn(60, 3)
    return np.maximum(0, X.dot(W1)).dot(W2)


def _bn_train_inputs(gamma, beta):
    def make(rng):
        return {"target": "batchnorm_forward",
                "args": (_bn_notebook_input(rng), np.array(gamma, float), np.array(beta, float), dict(TRAIN))}
    return make


def _bn_warmup(target, shape_fn, gamma, beta, n=50):
    def make(rng):
        W1, W2 = rng.randn(50, 60), rng.randn(60, 3)
        xs = [shape_fn(rng, W1, W2) for _ in range(n)]
        return {"target": target, "xs": xs[:-1], "args": (gamma, beta), "x_test": xs[-1], "bn_param": dict(TRAIN)}
    return make


def _mlp_batch(rng, W1, W2):
    return np.maximum(0, rng.randn(200, 50).dot(W1)).dot(W2)


def _norm_grad_args(shape, param_shape, scale=5.0, shift=12.0, extra=(), dtype="float64"):
    def make(rng):
        x = (scale * rng.randn(*shape) + shift).astype(dtype)
        gamma, beta = rng.randn(*param_shape).astype(dtype), rng.randn(*param_shape).astype(dtype)
        params = tuple(dict(p) if isinstance(p, dict) else p for p in extra)
        return (x, gamma, beta) + params, rng.randn(*shape).astype(dtype)
    return make


BN_NAMES = ("x", "gamma", "beta", "bn_param")
HINT_BN = "Follow the computational graph backwards; the chain rule goes through the mean and the variance too."

BATCHNORM = [
    property_case("batchnorm_forward.notebook.train", "batchnorm_forward", "call", _bn_train_inputs([1, 1, 1], [0, 0, 0]), [
        ("notebook, train mode: means about 0, stds about 1",
         stats_close("result.0", 0, mean=np.zeros(3), std=np.ones(3), std_rtol=1e-3), 1.0,
         "Each feature is normalized by the statistics of the minibatch (the biased variance, over the batch axis)."),
    ], seed=231),
    property_case("batchnorm_forward.notebook.gamma_beta", "batchnorm_forward", "call", _bn_train_inputs([1, 2, 3], [11, 12, 13]), [
        ("notebook, train mode: means about beta, stds about gamma",
         stats_close("result.0", 0, mean="args.2", std="args.1", std_rtol=1e-3), 1.0,
         "gamma and beta act after the normalization."),
    ], seed=231),
    Case("batchnorm_forward.notebook.test", "batchnorm_forward", "batchnorm_warmup",
         _bn_warmup("batchnorm_forward", _mlp_batch, np.ones(3), np.zeros(3)), (
             Test("notebook, test mode after 50 training batches: means about 0, stds about 1",
                  Predicate(stats_close("out", 0, mean=np.zeros(3), std=np.ones(3), mean_atol=0.2, std_rtol=0.2)),
                  1.0, "property", "Test mode uses the running statistics kept in bn_param."),
             Test("running_mean after 50 training batches", Close("bn_param.running_mean", 1e-7, "running_mean"), 1.0,
                  "property", "The running mean is an exponential moving average: momentum weighs the old value; store it back in bn_param."),
             Test("running_var after 50 training batches", Close("bn_param.running_var", 1e-7, "running_var"), 1.0,
                  "property", "The running variance averages the same (biased) variance that training normalizes with."),
             Test("test-mode output", Close("out", 1e-7, "out"), 1.0, "property"),
         ), seed=231, group="batchnorm"),
    gradient_case("batchnorm_backward.notebook", "batchnorm_forward", "batchnorm_backward",
                  _norm_grad_args((4, 5), (5,), extra=(TRAIN,)), ("dx", "dgamma", "dbeta"), 1e-7,
                  arg_names=BN_NAMES, seed=231, hint=HINT_BN),
    gradient_case("batchnorm_backward_alt.notebook", "batchnorm_forward", "batchnorm_backward_alt",
                  _norm_grad_args((4, 5), (5,), extra=(TRAIN,)), ("dx", "dgamma", "dbeta"), 1e-7,
                  arg_names=BN_NAMES, seed=231, hint="Simplify dx on paper first; the chain rule through the mean and the variance gives one expression.",
                  forward_side_effects=False),  # batchnorm_backward.notebook checks the forward on these inputs
    reference_case("batchnorm_backward.hidden.train", "batchnorm_forward", "batchnorm_backward",
                   _norm_grad_args((7, 3), (3,), 3.0, -2.0, (TRAIN,)), ("dx", "dgamma", "dbeta"),
                   arg_names=BN_NAMES, title="train mode, 7x3"),
    reference_case("batchnorm_backward.hidden.batch2", "batchnorm_forward", "batchnorm_backward",
                   _norm_grad_args((2, 6), (6,), 1.0, 0.5, (TRAIN,)), ("dx", "dgamma", "dbeta"),
                   arg_names=BN_NAMES, title="batch of 2"),
    reference_case("batchnorm_backward_alt.hidden.train", "batchnorm_forward", "batchnorm_backward_alt",
                   _norm_grad_args((9, 4), (4,), 2.0, 1.0, (TRAIN,)), ("dx", "dgamma", "dbeta"),
                   arg_names=BN_NAMES, title="train mode, 9x4"),
    reference_case("batchnorm_backward.hidden.float32", "batchnorm_forward", "batchnorm_backward",
                   _norm_grad_args((8, 5), (5,), 2.0, 3.0, (TRAIN,), dtype="float32"), ("dx", "dgamma", "dbeta"),
                   arg_names=BN_NAMES, title="float32", dtype="float32"),
]


def _bn_test_mode_inputs(rng):
    x, gamma, beta = rng.randn(6, 4) * 2 + 1, rng.randn(4), rng.randn(4)
    param = {"mode": "test", "running_mean": rng.randn(4), "running_var": rng.rand(4) + 0.5, "eps": 1e-5}
    return {"target": "batchnorm_forward", "args": (x, gamma, beta, param)}


BATCHNORM.append(Case("batchnorm_forward.hidden.test_mode", "batchnorm_forward", "call", _bn_test_mode_inputs, (
    Test("test mode with given running statistics: output", Close("result.0", 1e-7, "out"), 1.0, "reference",
         "Test mode normalizes with the running statistics (and eps inside the square root), never with the batch's."),
), visibility="hidden", group="batchnorm"))


# ----------------------------------------------------------------------------- layernorm
def _ln_train_inputs(gamma, beta):
    def make(rng):
        X, W1, W2 = rng.randn(4, 50), rng.randn(50, 60), rng.randn(60, 3)
        a = np.maximum(0, X.dot(W1)).dot(W2)
        return {"target": "layernorm_forward", "args": (a, np.array(gamma, float), np.array(beta, float), {})}
    return make


LN_NAMES = ("x", "gamma", "beta", "ln_param")
LAYERNORM = [
    property_case("layernorm_forward.notebook", "layernorm_forward", "call", _ln_train_inputs([1, 1, 1], [0, 0, 0]), [
        ("notebook: each example's features have mean about 0 and std about 1",
         stats_close("result.0", 1, mean=np.zeros(4), std=np.ones(4), std_rtol=1e-3), 1.0,
         "Layer normalization normalizes each example over its features, not each feature over the batch."),
    ], seed=231),
    property_case("layernorm_forward.notebook.gamma_beta", "layernorm_forward", "call", _ln_train_inputs([3, 3, 3], [5, 5, 5]), [
        ("notebook: means about 5 and stds about 3 with gamma = 3, beta = 5",
         stats_close("result.0", 1, mean=np.full(4, 5.0), std=np.full(4, 3.0), std_rtol=1e-3), 1.0, ""),
    ], seed=231),
    gradient_case("layernorm_backward.notebook", "layernorm_forward", "layernorm_backward",
                  _norm_grad_args((4, 5), (5,), extra=({},)), ("dx", "dgamma", "dbeta"), 1e-7,
                  arg_names=LN_NAMES, seed=231),
    reference_case("layernorm_backward.hidden", "layernorm_forward", "layernorm_backward",
                   _norm_grad_args((6, 7), (7,), 2.0, -1.0, ({},)), ("dx", "dgamma", "dbeta"),
                   arg_names=LN_NAMES, title="6x7"),
    reference_case("layernorm_backward.hidden.batch1", "layernorm_forward", "layernorm_backward",
                   _norm_grad_args((1, 8), (8,), 2.0, 1.0, ({},)), ("dx", "dgamma", "dbeta"),
                   arg_names=LN_NAMES, title="batch of 1"),
]


# ----------------------------------------------------------------------------- spatial batchnorm
SPATIAL_TRAIN_STD = [0.99999974, 0.99999966, 0.99999966]
SPATIAL_GB_STD = [2.99999921, 3.99999866, 4.99999828]
SPATIAL_TEST_MEANS = [0.04302458, 0.08924234, 0.05991434, 0.03833107]
SPATIAL_TEST_STDS = [1.01576135, 0.99228064, 0.98902125, 0.9988344]


def _sbn_inputs(gamma, beta):
    def make(rng):
        x = 4 * rng.randn(2, 3, 4, 5) + 10
        return {"target": "spatial_batchnorm_forward",
                "args": (x, np.asarray(gamma, float), np.asarray(beta, float), dict(TRAIN))}
    return make


def _sbn_warmup(rng):
    xs = [2.3 * rng.randn(10, 4, 11, 12) + 13 for _ in range(51)]
    return {"target": "spatial_batchnorm_forward", "xs": xs[:-1], "args": (np.ones(4), np.zeros(4)),
            "x_test": xs[-1], "bn_param": dict(TRAIN)}


SBN_NAMES = ("x", "gamma", "beta", "bn_param")
SPATIAL = [
    property_case("spatial_batchnorm_forward.notebook.train", "spatial_batchnorm_forward", "call",
                  _sbn_inputs(np.ones(3), np.zeros(3)), [
        ("notebook (seed 260): means about 0, stds 0.99999974 0.99999966 0.99999966",
         stats_close("result.0", (0, 2, 3), mean=np.zeros(3), std=np.array(SPATIAL_TRAIN_STD), mean_atol=1e-10,
                     std_rtol=1e-7), 1.0, "Statistics are per channel, over every example and position."),
    ], seed=260),
    property_case("spatial_batchnorm_forward.notebook.gamma_beta", "spatial_batchnorm_forward", "call",
                  _sbn_inputs([3, 4, 5], [6, 7, 8]), [
        ("notebook (seed 260): means 6 7 8, stds 2.99999921 3.99999866 4.99999828",
         stats_close("result.0", (0, 2, 3), mean=np.array([6.0, 7.0, 8.0]), std=np.array(SPATIAL_GB_STD),
                     mean_atol=1e-8, std_rtol=1e-7), 1.0, ""),
    ], seed=260),
    Case("spatial_batchnorm_forward.notebook.test", "spatial_batchnorm_forward", "batchnorm_warmup", _sbn_warmup, (
        Test("notebook (seed 260), test mode: the printed means and stds",
             Predicate(stats_close("out", (0, 2, 3), mean=np.array(SPATIAL_TEST_MEANS),
                                   std=np.array(SPATIAL_TEST_STDS), mean_atol=1e-7, std_rtol=1e-7)), 1.0, "property",
             "Reuse batchnorm_forward with the channels as features: move the channel axis last before reshaping, and keep the running averages."),
    ), seed=260, group="batchnorm", timeout=20.0),
    gradient_case("spatial_batchnorm_backward.notebook", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
                  _norm_grad_args((2, 3, 4, 5), (3,), extra=(TRAIN,)), ("dx", "dgamma", "dbeta"), 1e-6,
                  arg_names=SBN_NAMES, seed=231),
    reference_case("spatial_batchnorm_backward.hidden", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
                   _norm_grad_args((3, 2, 5, 3), (2,), 2.0, 1.0, (TRAIN,)), ("dx", "dgamma", "dbeta"),
                   arg_names=SBN_NAMES, title="3x2x5x3"),
    reference_case("spatial_batchnorm_backward.hidden.batch1", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
                   _norm_grad_args((1, 4, 3, 3), (4,), 1.0, 0.0, (TRAIN,)), ("dx", "dgamma", "dbeta"),
                   arg_names=SBN_NAMES, title="batch of 1"),
]


# ----------------------------------------------------------------------------- group norm
def _gn_inputs(rng):
    x = 4 * rng.randn(2, 6, 4, 5) + 10
    return {"target": "spatial_groupnorm_forward",
            "args": (x, np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1)), 2, {})}


def _per_group(out):
    return out.reshape(2 * 2, -1).T


GN_NAMES = ("x", "gamma", "beta", "", "gn_param")
GROUPNORM = [
    property_case("spatial_groupnorm_forward.notebook", "spatial_groupnorm_forward", "call", _gn_inputs, [
        ("notebook: each group has mean about 0 and std about 1",
         stats_close("result.0", 0, mean=np.zeros(4), std=np.ones(4), std_rtol=1e-3, reshape=_per_group), 1.0,
         "Each example's channels form G groups; each group is normalized over its own channels and positions."),
    ], seed=231),
    gradient_case("spatial_groupnorm_backward.notebook", "spatial_groupnorm_forward", "spatial_groupnorm_backward",
                  _norm_grad_args((2, 6, 4, 5), (1, 6, 1, 1), extra=(2, {})), ("dx", "dgamma", "dbeta"), 1e-6,
                  arg_names=GN_NAMES, seed=231),
    reference_case("spatial_groupnorm_backward.hidden.g3", "spatial_groupnorm_forward", "spatial_groupnorm_backward",
                   _norm_grad_args((3, 6, 3, 4), (1, 6, 1, 1), 2.0, 1.0, (3, {})), ("dx", "dgamma", "dbeta"),
                   arg_names=GN_NAMES, title="G = 3"),
    reference_case("spatial_groupnorm_backward.hidden.g1", "spatial_groupnorm_forward", "spatial_groupnorm_backward",
                   _norm_grad_args((2, 4, 2, 5), (1, 4, 1, 1), 1.0, 0.0, (1, {})), ("dx", "dgamma", "dbeta"),
                   arg_names=GN_NAMES, title="G = 1 (layer norm)"),
]


# ----------------------------------------------------------------------------- dropout
def _dropout_inputs(p, mode="train", seed=None, dtype="float64"):
    def make(rng):
        param = {"mode": mode, "p": p}
        if seed is not None:
            param["seed"] = seed
        return {"target": "dropout_forward", "args": ((rng.randn(500, 500) + 10).astype(dtype), param)}
    return make


def _keep_rate(p):
    """The keep-rate check at keep probability ``p``. Under a course whose ``p`` drops a unit (CS231n 2016-2017:
    the profile passes ``1 - p``), a dropout that reads the given ``p`` as the probability of keeping a unit passes
    too: those starters' docstring says drop, but their notebook only prints the fraction of zeros (no expected
    value) and their lecture notes keep with probability p, so complete solutions of those years do either."""
    rate_at = _rate_check(p)

    def check(outputs, inputs):
        verdict = rate_at(outputs, inputs)
        given = inputs["args"][1].get("p", p)
        if verdict[0] or abs(given - p) < 1e-12:
            return verdict
        other = _rate_check(given)(outputs, inputs)
        return (True, f"{other[1]} (p read as the probability of keeping a unit)", other[2]) if other[0] else verdict
    return check


def _rate_check(p):
    def check(outputs, inputs):
        out, x = np.asarray(outputs["result"][0]), inputs["args"][0]
        kept = out != 0
        rate = kept.mean()
        if abs(rate - p) > 0.01:
            return False, f"{rate:.3f} of the units were kept, expected about {p} (p is the probability of keeping a unit)", rate
        if not np.allclose(out[kept], x[kept] / p, rtol=1e-6):
            return False, "kept units are not scaled by 1 / p (inverted dropout)", None
        if abs(out.mean() - x.mean()) > 0.03 * abs(x.mean()):
            return False, f"the mean changed from {x.mean():.4f} to {out.mean():.4f}; inverted dropout preserves it", None
        return True, f"kept {rate:.3f}", rate
    return check


def _identity(outputs, inputs):
    out = outputs["result"][0]
    same = isinstance(out, np.ndarray) and np.array_equal(out, inputs["args"][0])
    return same, "" if same else "test mode must return x unchanged", None


def _dropout_grad_args(rng):
    x = rng.randn(10, 10) + 10
    return (x, {"mode": "train", "p": 0.2, "seed": 123}), rng.randn(10, 10)


DROPOUT = [
    property_case(f"dropout_forward.notebook.p{p}", "dropout_forward", "call", _dropout_inputs(p), [
        (f"notebook, p = {p}: keep rate, scaling and mean", _keep_rate(p), 1.0,
         "Inverted dropout: p is the probability of keeping a unit, and kept units are rescaled so that the expected output is unchanged."),
    ], seed=231) for p in (0.25, 0.4, 0.7)
] + [
    property_case("dropout_forward.notebook.test_mode", "dropout_forward", "call", _dropout_inputs(0.4, "test"), [
        ("test mode returns x unchanged", _identity, 1.0, "Test mode needs no change to the input (inverted dropout rescaled at training time)."),
    ], seed=231),
    Case("dropout_forward.seeded", "dropout_forward", "call_twice", _dropout_inputs(0.5, seed=42), (
        Test("the same seed gives the same mask", Identical("first", "second", "two calls with the same seed gave "
             "different outputs: seed numpy with dropout_param['seed'] before drawing the mask"), 1.0, "property"),
    ), seed=231, group="dropout"),
    Case("dropout_forward.float32", "dropout_forward", "call", _dropout_inputs(0.6, dtype="float32"), (
        Test("float32, p = 0.6: keep rate, scaling and mean", Predicate(_keep_rate(0.6)), 0.5, "property"),
        Test("float32 in, float32 out", DtypeFollows("result.0", "args.0", "out"), 0.5, "contract",
             "Random numbers come as float64: keep the output in x's dtype."),
    ), seed=231, group="dropout"),
    gradient_case("dropout_backward.notebook", "dropout_forward", "dropout_backward", _dropout_grad_args, ("dx",),
                  1e-8, arg_names=("x", "dropout_param"), seed=231,
                  hint="The backward pass applies the same mask (with its scaling) that the forward pass used."),
]

CASES = BATCHNORM + LAYERNORM + SPATIAL + GROUPNORM + DROPOUT
