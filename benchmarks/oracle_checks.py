"""The independent oracle: labels each function of one submission correct or wrong.

Run as a child process (the student's code is untrusted): ``python -m benchmarks.oracle_checks ROOT FAMILY YEAR``
prints one JSON object, function name -> ``{"verdict": "correct" | "wrong" | "missing", "cause": str}``.
Expected values come from PyTorch (:mod:`benchmarks.oracle_torch`) and the documented formulas of the
starters' docstrings; nothing here imports the project's reference or reads its fixtures. Every documented
argument and key is varied away from the notebooks' values (eps, momentum, stride, pad, pool sizes, p, seed,
update-rule config keys, constructor arguments), with the course's own conventions: dropout's p keeps or
drops (the starter's docstring says which), nndl's optimizer state names, CS182's momentum form.
"""
import contextlib
import importlib
import io
import json
import re
import signal
import sys
import types
from pathlib import Path

import numpy as np

from . import oracle_torch as ot
from . import oracle_trusted
from .oracle_compare import Mismatch, close
from .oracle_layers import (_sandwich, check_affine, check_batchnorm, check_conv, check_dropout, check_groupnorm,
                            check_layernorm, check_loss, check_pool, check_relu)
from .oracle_models import check_convnet, check_fc_net, check_two_layer

PACKAGES = ("cs231n", "nndl", "deeplearning", "cs260", "libs", "utils")
MODULES = ("layers", "conv_layers", "layer_utils", "conv_layer_utils", "optim", "classifiers.fc_net",
           "classifiers.cnn", "fc_net", "cnn")
FUNCTION_SECONDS = 60
MARK = "\n@@oracle-verdicts@@"
"""Precedes the JSON on stdout (whatever the student's code printed comes before it)."""


# ----------------------------------------------------------------------------------------------------------
# Trusted fast layers (the provided fast_layers.py needs a compiled extension): PyTorch, same API.

def _fast_layers(name):
    mod = types.ModuleType(name)

    def conv_forward_fast(x, w, b, conv_param):
        cache = (x, w, b, conv_param)
        out = ot.conv(ot.T(x), ot.T(w), ot.T(b), conv_param["stride"], int(conv_param["pad"]))
        return ot.N(out), cache

    def conv_backward_fast(dout, cache):
        x, w, b, cp = cache
        _, grads = ot.vjp(lambda x, w, b: ot.conv(x, w, b, cp["stride"], int(cp["pad"])), dout, x, w, b)
        return tuple(grads)

    def max_pool_forward_fast(x, pool_param):
        pp = pool_param
        return ot.N(ot.pool(ot.T(x), pp["pool_height"], pp["pool_width"], pp["stride"])), (x, pp)

    def max_pool_backward_fast(dout, cache):
        x, pp = cache
        return ot.vjp(lambda x: ot.pool(x, pp["pool_height"], pp["pool_width"], pp["stride"]), dout, x)[1][0]

    mod.conv_forward_fast = mod.conv_forward_im2col = mod.conv_forward_strides = conv_forward_fast
    mod.conv_backward_fast = mod.conv_backward_im2col = mod.conv_backward_strides = conv_backward_fast
    mod.max_pool_forward_fast = mod.max_pool_forward_im2col = mod.max_pool_forward_reshape = max_pool_forward_fast
    mod.max_pool_backward_fast = mod.max_pool_backward_im2col = mod.max_pool_backward_reshape = max_pool_backward_fast
    return mod


class _Alarm(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Alarm()


@contextlib.contextmanager
def limited(seconds):
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)


def load(root):
    """Import the submission's modules under ``root``: name -> function or class, and import errors."""
    root = Path(root).resolve()
    for name in [m for m in sys.modules if m.split(".")[0] in PACKAGES]:
        del sys.modules[name]  # another submission's package of the same name (judge_many)
    sys.path.insert(0, str(root))
    found, errors, modules = {}, {}, []
    packages = [p for p in PACKAGES if (root / p).is_dir()]
    for pkg in ("cs231n", "utils"):
        if pkg not in packages:  # provided code the repository left out (nndl's cs231n/): the fast layers only
            parent = types.ModuleType(pkg)
            parent.__path__ = []
            sys.modules[pkg] = parent
            sys.modules[f"{pkg}.fast_layers"] = parent.fast_layers = _fast_layers(f"{pkg}.fast_layers")
    for pkg in packages:
        try:
            parent = importlib.import_module(pkg)
            stub = _fast_layers(f"{pkg}.fast_layers")
            sys.modules[stub.__name__] = stub
            parent.fast_layers = stub
        except BaseException as e:  # noqa: BLE001 - student code
            errors[pkg] = f"{type(e).__name__}: {e}"
    for pkg in packages:
        for mod in MODULES:
            path = root / pkg / (mod.replace(".", "/") + ".py")
            if not path.is_file():
                continue
            try:
                with limited(30), contextlib.redirect_stdout(io.StringIO()):
                    module = importlib.import_module(f"{pkg}.{mod}")
            except BaseException as e:  # noqa: BLE001 - student code
                errors[f"{pkg}.{mod}"] = f"{type(e).__name__}: {e}"[:200]
                continue
            modules.append(module)
            for name, obj in vars(module).items():
                if callable(obj) and getattr(obj, "__module__", "") == module.__name__:
                    found.setdefault(name, (obj, path))
    return found, errors, modules


@contextlib.contextmanager
def trusted_layers(modules, trusted, judged):
    """Swap the trusted layers into the student's modules (all but ``judged``), then put theirs back."""
    saved = []
    for module in modules:
        for name, fn in trusted.items():
            if name != judged and name in vars(module):
                saved.append((module, name, vars(module)[name]))
                setattr(module, name, fn)
    try:
        yield
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)


# ----------------------------------------------------------------------------------------------------------
# Conventions of the course the submission belongs to.

_DROPOUT_DOC = re.compile(r"We (keep|drop) each neuron output with probability p")


class Context:
    """What a check needs beyond the function: the course's conventions and a seeded generator."""

    def __init__(self, family, year, found):
        self.family, self.year, self.found = family, year, found
        self.rng = np.random.RandomState(231)
        self.dropout_means = "keep" if family == "cs231n" and year >= 2018 else "drop"
        if "dropout_forward" in found:
            stated = set(_DROPOUT_DOC.findall(found["dropout_forward"][1].read_text(errors="replace")))
            if len(stated) == 1:
                self.dropout_means = stated.pop()
        self.state = {"rmsprop": {"cache": "cache"}, "adam": {"m": "m", "v": "v"}}
        if family == "nndl":
            self.state = {"rmsprop": {"cache": "a"}, "adam": {"m": "v", "v": "a"}}

    def randn(self, *shape, scale=1.0):
        return self.rng.randn(*shape) * scale

    def p_for_keep(self, keep):
        return keep if self.dropout_means == "keep" else 1.0 - keep


# ----------------------------------------------------------------------------------------------------------
# Update rules

def check_sgd_momentum(ctx, f):
    for lr, mu, has_v in ((3e-2, 0.8, True), (1e-1, 0.5, True), (2e-2, 0.95, False)):
        w, dw, v = ctx.randn(3, 7), ctx.randn(3, 7), ctx.randn(3, 7)
        config = {"learning_rate": lr, "momentum": mu}
        if has_v:
            config["velocity"] = v.copy()
        else:
            v = np.zeros_like(w)
        next_w, config = f(w.copy(), dw.copy(), config)
        forms = [(mu * v - lr * dw, lambda nv: w + nv)]
        if ctx.family == "cs182":  # CS182: v = momentum * v + dw; next_w = w - learning_rate * v
            forms.append((mu * v + dw, lambda nv: w - lr * nv))
        errors = []
        for nv, step in forms:
            try:
                close("next_w", next_w, step(nv))
                close("config['velocity']", config.get("velocity"), nv)
                break
            except Mismatch as e:
                errors.append(str(e))
        else:
            raise Mismatch(f"learning_rate {lr}, momentum {mu}: {errors[0]}")


def check_rmsprop(ctx, f):
    key = ctx.state["rmsprop"]["cache"]
    for lr, decay, eps, scale in ((1e-2, 0.95, 1e-4, 1e-3), (5e-2, 0.5, 1e-8, 1.0), (1e-2, 0.99, 1e-2, 1e-2)):
        w, dw, cache = ctx.randn(4, 5), ctx.randn(4, 5, scale=scale), np.abs(ctx.randn(4, 5, scale=scale ** 2))
        config = {"learning_rate": lr, "decay_rate": decay, "epsilon": eps, key: cache.copy()}
        next_w, config = f(w.copy(), dw.copy(), config)
        nc = decay * cache + (1 - decay) * dw ** 2
        close(f"config[{key!r}] (decay_rate {decay})", config.get(key), nc)
        close(f"next_w (epsilon {eps})", next_w, w - lr * dw / (np.sqrt(nc) + eps))


def check_adam(ctx, f):
    km, kv = ctx.state["adam"]["m"], ctx.state["adam"]["v"]
    for lr, b1, b2, eps, t, scale in ((1e-2, 0.5, 0.9, 1e-4, 3, 1e-3), (1e-3, 0.9, 0.999, 1e-8, 1, 1.0),
                                      (5e-2, 0.8, 0.95, 1e-2, 10, 1e-2)):
        w, dw = ctx.randn(4, 5), ctx.randn(4, 5, scale=scale)
        m, v = ctx.randn(4, 5, scale=scale), np.abs(ctx.randn(4, 5, scale=scale ** 2))
        config = {"learning_rate": lr, "beta1": b1, "beta2": b2, "epsilon": eps, km: m.copy(), kv: v.copy(), "t": t}
        next_w, config = f(w.copy(), dw.copy(), config)
        nm, nv, nt = b1 * m + (1 - b1) * dw, b2 * v + (1 - b2) * dw ** 2, t + 1
        what = f"beta1 {b1}, beta2 {b2}, epsilon {eps}, t {t}"
        close(f"config[{km!r}] ({what})", config.get(km), nm)
        close(f"config[{kv!r}] ({what})", config.get(kv), nv)
        if config.get("t") != nt:
            raise Mismatch(f"config['t'] is {config.get('t')}, expected {nt}")
        mh, vh = nm / (1 - b1 ** nt), nv / (1 - b2 ** nt)
        try:
            close(f"next_w ({what})", next_w, w - lr * mh / (np.sqrt(vh) + eps))
        except Mismatch:
            # The Adam paper's efficient form: bias corrections in the step size, epsilon on the uncorrected v.
            lr_t = lr * np.sqrt(1 - b2 ** nt) / (1 - b1 ** nt)
            close(f"next_w ({what})", next_w, w - lr_t * nm / (np.sqrt(nv) + eps))


# ----------------------------------------------------------------------------------------------------------

def _layer(check, fwd, bwd=None, **kw):
    return lambda ctx, f: check(ctx, f[fwd], f[bwd] if bwd else None, **kw), (fwd,) + ((bwd,) if bwd else ())


def _sandwich_pair(kind, part):
    needs = (f"{kind}_forward", f"{kind}_backward") if part == "backward" else (f"{kind}_forward",)
    return (lambda ctx, f: _sandwich(ctx, f[f"{kind}_forward"], f.get(f"{kind}_backward"), kind, part), needs)


CHECKS = {
    "affine_forward": _layer(check_affine, "affine_forward"),
    "affine_backward": _layer(check_affine, "affine_forward", "affine_backward"),
    "relu_forward": _layer(check_relu, "relu_forward"),
    "relu_backward": _layer(check_relu, "relu_forward", "relu_backward"),
    "svm_loss": (lambda ctx, f: check_loss(ctx, f["svm_loss"], ot.svm_loss, False), ("svm_loss",)),
    "softmax_loss": (lambda ctx, f: check_loss(ctx, f["softmax_loss"], ot.softmax_loss, True), ("softmax_loss",)),
    "batchnorm_forward": _layer(check_batchnorm, "batchnorm_forward"),
    "batchnorm_backward": _layer(check_batchnorm, "batchnorm_forward", "batchnorm_backward"),
    "batchnorm_backward_alt": _layer(check_batchnorm, "batchnorm_forward", "batchnorm_backward_alt"),
    "layernorm_forward": _layer(check_layernorm, "layernorm_forward"),
    "layernorm_backward": _layer(check_layernorm, "layernorm_forward", "layernorm_backward"),
    "spatial_batchnorm_forward": _layer(check_batchnorm, "spatial_batchnorm_forward", spatial=True),
    "spatial_batchnorm_backward": _layer(check_batchnorm, "spatial_batchnorm_forward", "spatial_batchnorm_backward",
                                         spatial=True),
    "spatial_groupnorm_forward": _layer(check_groupnorm, "spatial_groupnorm_forward"),
    "spatial_groupnorm_backward": _layer(check_groupnorm, "spatial_groupnorm_forward", "spatial_groupnorm_backward"),
    "dropout_forward": _layer(check_dropout, "dropout_forward"),
    "dropout_backward": _layer(check_dropout, "dropout_forward", "dropout_backward"),
    "conv_forward_naive": _layer(check_conv, "conv_forward_naive"),
    "conv_backward_naive": _layer(check_conv, "conv_forward_naive", "conv_backward_naive"),
    "max_pool_forward_naive": _layer(check_pool, "max_pool_forward_naive"),
    "max_pool_backward_naive": _layer(check_pool, "max_pool_forward_naive", "max_pool_backward_naive"),
    "sgd_momentum": (lambda ctx, f: check_sgd_momentum(ctx, f["sgd_momentum"]), ("sgd_momentum",)),
    "rmsprop": (lambda ctx, f: check_rmsprop(ctx, f["rmsprop"]), ("rmsprop",)),
    "adam": (lambda ctx, f: check_adam(ctx, f["adam"]), ("adam",)),
    "TwoLayerNet": (lambda ctx, f: check_two_layer(ctx, f["TwoLayerNet"]), ("TwoLayerNet",)),
    "FullyConnectedNet": (lambda ctx, f: check_fc_net(ctx, f["FullyConnectedNet"]), ("FullyConnectedNet",)),
    "ThreeLayerConvNet": (lambda ctx, f: check_convnet(ctx, f["ThreeLayerConvNet"]), ("ThreeLayerConvNet",)),
}
for _kind in ("affine_relu", "conv_relu", "conv_relu_pool", "affine_bn_relu", "conv_bn_relu", "affine_ln_relu"):
    CHECKS[f"{_kind}_forward"] = _sandwich_pair(_kind, "forward")
    CHECKS[f"{_kind}_backward"] = _sandwich_pair(_kind, "backward")


# What calls the student's other layers: judged over trusted layers too (see :func:`trusted_layers`).
ISOLATED = frozenset({"TwoLayerNet", "FullyConnectedNet", "ThreeLayerConvNet", "spatial_batchnorm_forward",
                      "spatial_batchnorm_backward", "spatial_groupnorm_forward", "spatial_groupnorm_backward"}
                     | {n for n in CHECKS if n.startswith(("affine_", "conv_")) and "_relu" in n})


# The sandwiches the starters provide, and the layers they call. Like the grader's credit isolation, a provided
# sandwich keeps its credit over trusted layers only once those layers are implemented (a submission of stubs
# earns nothing for the starter's own code).
PROVIDED_SANDWICHES = {"affine_relu": ("affine_forward", "relu_forward"), "conv_relu": ("relu_forward",),
                       "conv_relu_pool": ("relu_forward",), "conv_bn_relu": ("spatial_batchnorm_forward", "relu_forward")}
STUB = re.compile(r"^raised (NotImplementedError|NameError)|NoneType|has shape \(\), expected|not defined")


def _stub_callee(name, verdicts):
    callees = PROVIDED_SANDWICHES.get(name.rsplit("_", 1)[0], ())
    return any(verdicts.get(c, {}).get("verdict") == "missing" or STUB.search(verdicts.get(c, {}).get("cause", ""))
               for c in callees)


def _run(check, ctx, funcs):
    ctx.rng = np.random.RandomState(231)
    try:
        with limited(FUNCTION_SECONDS), contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
            check(ctx, funcs)
        return {"verdict": "correct", "cause": ""}
    except Mismatch as e:
        return {"verdict": "wrong", "cause": str(e)}
    except _Alarm:
        return {"verdict": "wrong", "cause": f"did not finish in {FUNCTION_SECONDS} s"}
    except BaseException as e:  # noqa: BLE001 - student code
        return {"verdict": "wrong", "cause": f"raised {type(e).__name__}: {str(e)[:160]}"}


# NumPy names that old submissions use and NumPy 2 removed: the oracle judges the numbers, not the NumPy year.
NUMPY_ALIASES = {"product": "prod", "cumproduct": "cumprod", "sometrue": "any", "alltrue": "all", "float_": "float64",
                 "int_": "int64", "asscalar": None, "float": float, "int": int, "bool": bool, "object": object}


def numpy_shim():
    for old, new in NUMPY_ALIASES.items():
        if old not in np.__dict__:
            if new is None:
                setattr(np, old, lambda a: np.asarray(a).item())
            else:
                setattr(np, old, getattr(np, new) if isinstance(new, str) else new)


def python2_shim():
    """The Python 2 names 2016-era code uses whose Python 3 equivalent is exact (``xrange``, ``reduce``,
    ``dict.iteritems`` ...): the oracle judges the numbers, not the Python year (print statements and ``/`` on ints
    are not served: they change what the code means or whether it parses)."""
    import builtins
    import ctypes
    import functools
    import gc

    builtins.__dict__.setdefault("xrange", range)
    builtins.__dict__.setdefault("reduce", functools.reduce)
    methods = gc.get_referents(dict.__dict__)[0]
    for name, body in (("iteritems", lambda self: iter(self.items())), ("itervalues", lambda self: iter(self.values())),
                       ("iterkeys", lambda self: iter(self.keys())), ("has_key", lambda self, key: key in self)):
        methods.setdefault(name, body)
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(dict))


def judge(root, family, year, only=None):
    """Verdicts for every function the oracle knows: ``{name: {"verdict": ..., "cause": ...}}``."""
    numpy_shim()
    python2_shim()
    found, errors, modules = load(root)
    ctx = Context(family, year, found)
    trusted = oracle_trusted.layers(ctx.dropout_means)
    funcs = {name: obj for name, (obj, _) in found.items()}
    verdicts = {}
    for name, (check, needs) in CHECKS.items():
        if only and name not in only:
            continue
        missing = [n for n in needs if n not in funcs]
        if missing:
            verdicts[name] = {"verdict": "missing", "cause": f"{', '.join(missing)} not defined"
                              + (f" (import errors: {'; '.join(f'{k}: {v}' for k, v in errors.items())})" if errors else "")}
            continue
        verdicts[name] = _run(check, ctx, funcs)
        if verdicts[name]["verdict"] == "wrong" and name in ISOLATED and not _stub_callee(name, verdicts):
            # Credit isolation, as the grader's: judged on its own code, over trusted layers.
            with trusted_layers(modules, trusted, name):
                again = _run(check, ctx, funcs)
            if again["verdict"] == "correct":
                verdicts[name] = {"verdict": "correct", "cause": "",
                                  "note": f"correct over trusted layers; over its own: {verdicts[name]['cause']}"}
    return {"verdicts": verdicts, "dropout_means": ctx.dropout_means, "import_errors": errors}


def judge_many(jobs):
    """:func:`judge` of each ``[root, family, year, only]`` in turn (our own test trees: one child for all)."""
    results = []
    for root, family, year, only in jobs:
        results.append(judge(root, family, year, set(only) if only else None))
        sys.path.remove(str(Path(root).resolve()))
    return results


if __name__ == "__main__":
    if sys.argv[1] == "--many":
        result = judge_many(json.loads(Path(sys.argv[2]).read_text()))
    else:
        root, family, year = sys.argv[1], sys.argv[2], int(sys.argv[3])
        result = judge(root, family, year, set(sys.argv[4].split(",")) if len(sys.argv) > 4 else None)
    sys.stdout.write(MARK + json.dumps(result) + "\n")
