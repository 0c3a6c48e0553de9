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
import inspect
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

PACKAGES = ("cs231n", "nndl", "deeplearning", "cs260", "libs", "utils")
MODULES = ("layers", "conv_layers", "layer_utils", "conv_layer_utils", "optim", "classifiers.fc_net",
           "classifiers.cnn", "fc_net", "cnn")
FUNCTION_SECONDS = 60
MARK = "\n@@oracle-verdicts@@"
"""Precedes the JSON on stdout (whatever the student's code printed comes before it)."""


class Mismatch(Exception):
    """The function's result differs from the oracle's (the message says where)."""


def close(what, got, want, rtol=1e-5, atol=1e-8):
    """Raise :class:`Mismatch` unless ``got`` has ``want``'s shape and values."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise Mismatch(f"{what} is {type(got).__name__}, not an array")
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        # Extra or missing singleton axes ((1, M) for (M,)) are accepted, as the grader accepts them.
        if got.size != want.size or got.squeeze().shape != want.squeeze().shape:
            raise Mismatch(f"{what} has shape {got.shape}, expected {want.shape}")
        got, want = got.squeeze(), want.squeeze()
    if not np.all(np.isfinite(got)):
        raise Mismatch(f"{what} is not finite")
    scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
    if not np.allclose(got, want, rtol=rtol, atol=atol * scale):
        raise Mismatch(f"{what} differs (max abs diff {np.abs(got - want).max():.3g})")


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
# Layers

def _backward_case(ctx, fwd, bwd, torch_fn, args, extra=(), names=None, immutable=True):
    """Run the student's forward then backward on a random dout; compare with autograd of ``torch_fn``.
    ``bwd`` None: judge the forward only (its output); else the backward only (the forward only makes the cache,
    so a wrong forward costs only its own verdict, as one broken function costs only its own checks)."""
    kept = [np.copy(a) for a in args]
    out, cache = fwd(*args, *extra)
    dout = ctx.randn(*np.shape(out))
    want_out, grads = ot.vjp(torch_fn, dout, *args)
    if bwd is None:
        close("out", out, want_out)
        if immutable:
            unchanged(args, kept, "forward")
        return
    kept_dout = dout.copy()
    got = bwd(dout, cache)
    if immutable:
        unchanged(args + (dout,), kept + [kept_dout], "backward")
    got = got if isinstance(got, tuple) else (got,)
    names = names or [f"d{i}" for i in range(len(grads))]
    if len(got) < len(grads):
        raise Mismatch(f"backward returned {len(got)} values, expected {len(grads)}")
    for name, g, w in zip(names, got, grads):
        close(name, g, w)


def unchanged(args, kept, when):
    """The caller's arrays are not written into (a cache holding x, or dx aliasing dout, must not change them)."""
    for i, (a, k) in enumerate(zip(args, kept)):
        if isinstance(a, np.ndarray) and (a.shape != k.shape or not np.array_equal(a, k, equal_nan=True)):
            raise Mismatch(f"the {when} pass changed the caller's argument {i} in place")


def check_affine(ctx, fwd, bwd):
    for xs, m in (((4, 5), 3), ((2, 3, 4), 6), ((3, 2, 2, 3), 4)):
        d = int(np.prod(xs[1:]))
        args = (ctx.randn(*xs), ctx.randn(d, m), ctx.randn(m))
        _backward_case(ctx, fwd, bwd, ot.affine, args, names=("dx", "dw", "db"))


def check_relu(ctx, fwd, bwd):
    for scale in (1.0, 1e3):
        x = ctx.randn(4, 6, scale=scale)
        _backward_case(ctx, fwd, bwd, lambda x: x.clamp(min=0), (x,), names=("dx",))


def check_loss(ctx, f, torch_fn, robust):
    cases = [(ctx.randn(6, 4), ctx.rng.randint(4, size=6)), (ctx.randn(1, 3), np.array([2])),
             (ctx.randn(7, 10, scale=5.0), ctx.rng.randint(10, size=7))]
    if robust:
        # Logits around 1e3 (exp overflows without the max shift) and a class ahead by 60 (a clamped probability's
        # log is wrong); the starters' own provided softmax_loss passes both.
        x = 1e3 + ctx.randn(5, 6, scale=3.0)
        cases.append((x, ctx.rng.randint(6, size=5)))
        x = ctx.randn(5, 6)
        y = np.array([0, 1, 2, 3, 4])
        x[np.arange(5), (y + 1) % 6] += 60.0
        cases.append((x, y))
    for x, y in cases:
        loss, dx = f(x.copy(), y.copy())
        want_loss, want_dx = ot.loss_and_grad(torch_fn, x, y)
        close("loss", loss, want_loss)
        close("dx", dx, want_dx)


def _bn_inputs(ctx, shape, constant=False):
    x = ctx.randn(*shape, scale=3.0) + 2.0
    if constant:
        x[:, 0] = 1.5
    return x


def check_batchnorm(ctx, fwd, bwd, spatial=False):
    shapes = [(8, 5, 3, 2), (4, 3, 2, 5)] if spatial else [(10, 4), (6, 7)]
    axes = (0, 2, 3) if spatial else (0,)
    for shape, eps, momentum, constant in zip(shapes * 2, (1e-5, 1e-1, 1e-3, 5e-2), (0.9, 0.5, 0.7, 0.2),
                                              (False, False, True, False)):
        c = shape[1]
        x, gamma, beta = _bn_inputs(ctx, shape, constant), ctx.randn(c) + 1.0, ctx.randn(c)
        rm, rv = ctx.randn(c), np.abs(ctx.randn(c)) + 0.5
        param = {"mode": "train", "eps": eps, "momentum": momentum, "running_mean": rm.copy(), "running_var": rv.copy()}
        reshape = ot.spatial if spatial else (lambda t: t)
        fn = lambda x, g, b: ot.batchnorm_train(x, reshape(g), reshape(b), eps, axes)  # noqa: E731
        if bwd is None:
            out, _ = fwd(x, gamma, beta, param)
            close("train out", out, ot.N(fn(*map(ot.T, (x, gamma, beta)))))
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            close("bn_param['running_mean']", param.get("running_mean"), momentum * rm + (1 - momentum) * mean)
            close("bn_param['running_var']", param.get("running_var"), momentum * rv + (1 - momentum) * var)
            test = {"mode": "test", "eps": eps, "momentum": momentum, "running_mean": rm.copy(), "running_var": rv.copy()}
            out, _ = fwd(x, gamma, beta, test)
            r = (lambda a: a.reshape(1, -1, 1, 1)) if spatial else (lambda a: a)
            close("test out", out, r(gamma) * (x - r(rm)) / np.sqrt(r(rv) + eps) + r(beta))
        else:
            _backward_case(ctx, lambda *a: fwd(*a, param), bwd, fn, (x, gamma, beta), names=("dx", "dgamma", "dbeta"))


def check_layernorm(ctx, fwd, bwd):
    for shape, eps, constant in (((4, 6), 1e-5, False), ((5, 3), 1e-1, False), ((3, 8), 1e-3, True)):
        x = ctx.randn(*shape, scale=2.0) + 1.0
        if constant:
            x[0, :] = 0.7
        gamma, beta = ctx.randn(shape[1]) + 1.0, ctx.randn(shape[1])
        fn = lambda x, g, b: ot.batchnorm_train(x, g, b, eps, axes=(1,))  # noqa: E731
        if bwd is None:
            close("out", fwd(x, gamma, beta, {"eps": eps})[0], ot.N(fn(*map(ot.T, (x, gamma, beta)))))
        else:
            _backward_case(ctx, lambda *a: fwd(*a, {"eps": eps}), bwd, fn, (x, gamma, beta),
                           names=("dx", "dgamma", "dbeta"))


def check_groupnorm(ctx, fwd, bwd):
    for shape, G, eps in (((2, 4, 3, 3), 2, 1e-5), ((3, 6, 2, 4), 3, 1e-1), ((2, 6, 3, 2), 6, 1e-3),
                          ((2, 3, 2, 2), 1, 1e-5)):
        c = shape[1]
        x = ctx.randn(*shape, scale=2.0) + 1.0
        gamma, beta = ctx.randn(1, c, 1, 1) + 1.0, ctx.randn(1, c, 1, 1)
        fn = lambda x, g, b: ot.groupnorm(x, g, b, G, eps)  # noqa: E731
        if bwd is None:
            close("out", fwd(x, gamma, beta, G, {"eps": eps})[0], ot.N(fn(*map(ot.T, (x, gamma, beta)))))
            continue
        out, cache = fwd(x, gamma, beta, G, {"eps": eps})
        dout = ctx.randn(*shape)
        _, (dx, dg, db) = ot.vjp(fn, dout, x, gamma, beta)
        got = bwd(dout, cache)
        close("dx", got[0], dx)
        # gamma's documented shape is (1, C, 1, 1); a (C,)-shaped dgamma of the same values is accepted.
        close("dgamma", np.ravel(got[1]), dg.ravel())
        close("dbeta", np.ravel(got[2]), db.ravel())


def check_dropout(ctx, fwd, bwd):
    for keep, seed in ((0.3, 123), (0.8, 7)):
        x = ctx.randn(300, 200) + 10.0
        p = ctx.p_for_keep(keep)
        param = {"mode": "train", "p": p, "seed": seed}
        out, cache = fwd(x, dict(param))
        out = np.asarray(out, dtype=np.float64)
        if out.shape != x.shape:
            raise Mismatch(f"train out has shape {out.shape}, expected {x.shape}")
        if bwd is not None:  # the backward of the forward's own mask and scale
            dout = ctx.randn(*x.shape)
            close("dx", bwd(dout, cache), dout * out / x)
            _, tcache = fwd(x, {"mode": "test", "p": p})
            close("test-mode dx", bwd(dout, tcache), dout)
            continue
        kept = out != 0
        frac = kept.mean()
        if abs(frac - keep) > 0.02:
            raise Mismatch(f"p = {p}: {frac:.3f} of the units kept, expected {keep} (p means {ctx.dropout_means})")
        close("kept units (inverted dropout)", out[kept], x[kept] / keep)
        again, _ = fwd(x, dict(param))
        close("same seed, same output", again, out)
        test, _ = fwd(x, {"mode": "test", "p": p, "seed": seed})
        close("test out", test, x)


CONV_CASES = (((2, 3, 7, 7), (4, 3, 3, 3), 1, 1), ((2, 3, 8, 6), (3, 3, 4, 2), 2, 0), ((1, 2, 5, 5), (2, 2, 3, 3), 3, 2),
              ((2, 1, 6, 4), (2, 1, 5, 3), 1, 2), ((2, 3, 4, 5), (4, 3, 1, 1), 1, 0))


def check_conv(ctx, fwd, bwd):
    for xs, ws, stride, pad in CONV_CASES:
        args = (ctx.randn(*xs), ctx.randn(*ws), ctx.randn(ws[0]))
        cp = {"stride": stride, "pad": pad}
        fn = lambda x, w, b: ot.conv(x, w, b, stride, pad)  # noqa: E731
        if bwd is None:
            close(f"out (stride {stride}, pad {pad})", fwd(*args, dict(cp))[0], ot.N(fn(*map(ot.T, args))))
        else:
            _backward_case(ctx, lambda *a: fwd(*a, dict(cp)), bwd, fn, args, names=("dx", "dw", "db"))


POOL_CASES = (((2, 3, 4, 4), 2, 2, 2), ((2, 2, 5, 7), 3, 2, 1), ((1, 2, 7, 7), 3, 3, 2), ((2, 1, 8, 9), 2, 3, 3))


def check_pool(ctx, fwd, bwd):
    for xs, ph, pw, stride in POOL_CASES:
        x = ctx.randn(*xs, scale=1e3)
        pp = {"pool_height": ph, "pool_width": pw, "stride": stride}
        fn = lambda x: ot.pool(x, ph, pw, stride)  # noqa: E731
        if bwd is None:
            close(f"out ({ph}x{pw}, stride {stride})", fwd(x, dict(pp))[0], ot.N(fn(ot.T(x))))
        else:
            _backward_case(ctx, lambda a: fwd(a, dict(pp)), bwd, fn, (x,), names=("dx",))


# ----------------------------------------------------------------------------------------------------------
# Sandwiches

def _sandwich(ctx, fwd, bwd, kind, part):
    cp, pp = {"stride": 1, "pad": 1}, {"pool_height": 2, "pool_width": 2, "stride": 2}
    if kind.startswith("affine"):
        x, w, b = ctx.randn(4, 2, 3), ctx.randn(6, 5), ctx.randn(5)
        base = ot.affine
    else:
        x, w, b = ctx.randn(2, 3, 4, 6), ctx.randn(3, 3, 3, 3), ctx.randn(3)
        base = lambda x, w, b: ot.conv(x, w, b, 1, 1)  # noqa: E731
    args, extra, names = (x, w, b), (), ["dx", "dw", "db"]
    if kind in ("affine_relu", "conv_relu"):
        fn = lambda x, w, b: torch_relu(base(x, w, b))  # noqa: E731
        extra = (cp,) if kind == "conv_relu" else ()
    elif kind == "conv_relu_pool":
        fn = lambda x, w, b: ot.pool(torch_relu(base(x, w, b)), 2, 2, 2)  # noqa: E731
        extra = (cp, pp)
    else:
        c = w.shape[1] if kind.startswith("affine") else w.shape[0]
        args = (x, w, b, ctx.randn(c) + 1.0, ctx.randn(c))
        names += ["dgamma", "dbeta"]
        eps = 1e-5
        if kind == "affine_bn_relu":
            fn = lambda x, w, b, g, be: torch_relu(ot.batchnorm_train(base(x, w, b), g, be, eps))  # noqa: E731
            extra = ({"mode": "train"},)
        elif kind == "affine_ln_relu":
            fn = lambda x, w, b, g, be: torch_relu(ot.batchnorm_train(base(x, w, b), g, be, eps, (1,)))  # noqa: E731
            extra = ({},)
        else:  # conv_bn_relu(x, w, b, gamma, beta, conv_param, bn_param)
            fn = lambda x, w, b, g, be: torch_relu(ot.batchnorm_train(  # noqa: E731
                base(x, w, b), ot.spatial(g), ot.spatial(be), eps, (0, 2, 3)))
            extra = (cp, {"mode": "train"})
    # A sandwich is judged by what it returns: writing into the caller's arrays is the layer's fault it calls
    # (relu_backward's dx aliasing dout), charged to that layer.
    _backward_case(ctx, fwd, bwd if part == "backward" else None, fn, args, extra, names, immutable=False)


def torch_relu(t):
    return t.clamp(min=0)


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
# Models

def _build(cls, **kwargs):
    """Construct ``cls`` with the keywords its constructor has (``a|b`` tries the spellings in order)."""
    params = inspect.signature(cls.__init__).parameters
    chosen = {}
    for key, value in kwargs.items():
        for spelling in key.split("|"):
            if spelling in params:
                chosen[spelling] = value
                break
        else:
            raise Mismatch(f"constructor has no {key.replace('|', ' or ')} argument")
    return cls(**chosen)


def _set_params(ctx, model, shapes, weight_scale):
    """Check the parameters' names, shapes and init (std of each W near weight_scale, b zero), then set every
    parameter to a fresh random value (so loss and gradients are compared at the oracle's values)."""
    for name, shape in shapes.items():
        if name not in model.params:
            raise Mismatch(f"params has no {name!r} (has {sorted(model.params)})")
        got = np.asarray(model.params[name])
        if got.shape != shape and (got.size != int(np.prod(shape)) or got.squeeze().shape != np.empty(shape).squeeze().shape):
            raise Mismatch(f"params[{name!r}] has shape {got.shape}, expected {shape}")
        if name[0] == "W" and got.size >= 200 and not 0.75 < got.std() / weight_scale < 1.25:
            raise Mismatch(f"params[{name!r}] has std {got.std():.3g}, expected weight_scale {weight_scale}")
        if name[0] == "b" and np.any(got != 0):
            raise Mismatch(f"params[{name!r}] is not initialised to zero")
    values = {name: ctx.randn(*shape, scale=0.3) + (1.0 if name.startswith("gamma") else 0.0)
              for name, shape in shapes.items()}
    for name, value in values.items():  # in the student's shape ((1, H) for (H,) is accepted, as by the grader)
        model.params[name] = value.reshape(np.shape(model.params[name])).copy()
    return values


def _compare_model(model, X, y, values, forward, reg, check_scores=True):
    weights = [k for k in values if k.startswith("W")]
    scores, loss, grads = ot.model_loss(forward, values, X, y, reg, weights)
    if check_scores:
        close("scores", model.loss(X.copy()), scores)
    got_loss, got_grads = model.loss(X.copy(), y.copy())
    close(f"loss (reg {reg})", got_loss, loss)
    for name, g in grads.items():
        if name not in got_grads:
            raise Mismatch(f"grads has no {name!r}")
        close(f"grads[{name!r}] (reg {reg})", got_grads[name], g)


def check_two_layer(ctx, cls):
    for D, H, C, ws, reg in ((12, 30, 5, 1e-2, 0.7), (20, 17, 3, 1e-1, 0.0)):
        model = _build(cls, input_dim=D, **{"hidden_dim|hidden_dims": H}, num_classes=C, weight_scale=ws, reg=reg)
        values = _set_params(ctx, model, {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}, ws)
        X, y = ctx.randn(6, D), ctx.rng.randint(C, size=6)
        _compare_model(model, X, y, values, ot.fc_forward(2, None), reg)


def check_fc_net(ctx, cls):
    params = inspect.signature(cls.__init__).parameters
    cases = [((7,), None, 0.3), ((6, 5), None, 0.1), ((5, 4, 6), None, 0.0), ((8, 3, 4, 5), None, 0.2)]
    if "normalization" in params or "use_batchnorm" in params:
        cases.append(((6, 5), "batchnorm", 0.2))
    if "normalization" in params:
        cases.append(((4, 7), "layernorm", 0.3))
    for hidden, norm, reg in cases:
        D, C, ws = 15, 4, 5e-2
        kwargs = dict(hidden_dims=list(hidden), input_dim=D, num_classes=C, reg=reg, weight_scale=ws,
                      dtype=np.float64)
        if "normalization" in params:
            kwargs["normalization"] = norm
        elif "use_batchnorm" in params:
            kwargs["use_batchnorm"] = norm == "batchnorm"
        model = _build(cls, **kwargs)
        dims = [D, *hidden, C]
        shapes = {}
        for i in range(1, len(dims)):
            shapes[f"W{i}"], shapes[f"b{i}"] = (dims[i - 1], dims[i]), (dims[i],)
            if norm and i < len(dims) - 1:
                shapes[f"gamma{i}"], shapes[f"beta{i}"] = (dims[i],), (dims[i],)
        values = _set_params(ctx, model, shapes, ws)
        X, y = ctx.randn(5, D), ctx.rng.randint(C, size=5)
        try:
            _compare_model(model, X, y, values, ot.fc_forward(len(dims) - 1, norm), reg, check_scores=norm is None)
        except Mismatch as e:
            raise Mismatch(f"hidden_dims {list(hidden)}, normalization {norm}: {e}")
    try:
        check_fc_dropout(ctx, cls)
    except Mismatch as e:
        raise Mismatch(f"with dropout: {e}")


def numeric_gradients(model, X, y, names, rng, h=1e-6, count=4):
    """Central differences of the model's own loss at a few entries of each parameter, against its grads."""
    _, grads = model.loss(X.copy(), y.copy())
    for name in names:
        p = model.params[name]
        for idx in {tuple(rng.randint(s) for s in p.shape) for _ in range(count)}:
            old = p[idx]
            p[idx] = old + h
            plus = model.loss(X.copy(), y.copy())[0]
            p[idx] = old - h
            minus = model.loss(X.copy(), y.copy())[0]
            p[idx] = old
            num, got = (plus - minus) / (2 * h), np.asarray(grads[name]).reshape(p.shape)[idx]
            if abs(num - got) > 1e-6 * max(1.0, abs(num)):
                raise Mismatch(f"grads[{name!r}]{list(idx)} is {got:.6g}, the loss's slope is {num:.6g}")


def check_fc_dropout(ctx, cls):
    """With dropout on (a fixed seed), the gradients are the slope of the model's own loss, and dropout
    changes the loss."""
    params = inspect.signature(cls.__init__).parameters
    keep = 0.6
    kwargs = dict(hidden_dims=[8, 6], input_dim=10, num_classes=3, reg=0.1, weight_scale=5e-2, dtype=np.float64, seed=3)
    model = _build(cls, **kwargs, **({"dropout_keep_ratio": keep} if "dropout_keep_ratio" in params
                                     else {"dropout": ctx.p_for_keep(keep)}))
    plain = _build(cls, **kwargs)
    for name in model.params:
        model.params[name] = plain.params[name] = ctx.randn(*np.shape(model.params[name]), scale=0.3)
    X, y = ctx.randn(6, 10), ctx.rng.randint(3, size=6)
    if np.isclose(model.loss(X.copy(), y.copy())[0], plain.loss(X.copy(), y.copy())[0]):
        raise Mismatch(f"dropout (keep {keep}) does not change the training loss")
    numeric_gradients(model, X, y, sorted(model.params), ctx.rng)


def check_convnet(ctx, cls):
    for (c, h, w), nf, fs, hd, nc, reg, ws in (((3, 8, 8), 4, 3, 10, 5, 0.2, 1e-2), ((2, 6, 10), 3, 5, 7, 4, 0.1, 1e-1),
                                                ((1, 4, 6), 2, 7, 6, 3, 0.0, 5e-2)):
        model = _build(cls, input_dim=(c, h, w), num_filters=nf, filter_size=fs, hidden_dim=hd, num_classes=nc,
                       weight_scale=ws, reg=reg, dtype=np.float64)
        shapes = {"W1": (nf, c, fs, fs), "b1": (nf,), "W2": (nf * (h // 2) * (w // 2), hd), "b2": (hd,),
                  "W3": (hd, nc), "b3": (nc,)}
        try:
            values = _set_params(ctx, model, shapes, ws)
            X, y = ctx.randn(3, c, h, w), ctx.rng.randint(nc, size=3)
            _compare_model(model, X, y, values, ot.convnet_forward(fs), reg)
        except Mismatch as e:
            raise Mismatch(f"input_dim {(c, h, w)}, filter_size {fs}: {e}")


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


def judge(root, family, year, only=None):
    """Verdicts for every function the oracle knows: ``{name: {"verdict": ..., "cause": ...}}``."""
    numpy_shim()
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
