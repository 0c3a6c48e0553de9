"""The oracle's checks of the models (see :mod:`benchmarks.oracle_checks`)."""
import inspect

import numpy as np

from . import oracle_torch as ot
from .oracle_compare import Mismatch, close



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
