"""The oracle's checks of the layers and sandwiches (see :mod:`benchmarks.oracle_checks`)."""
import numpy as np

from . import oracle_torch as ot
from .oracle_compare import Mismatch, close

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
