"""Probes: trusted code that exercises the student's functions and returns their raw outputs.

A probe never judges. It receives the found objects (``api``: name -> function or class) and inputs made by
the grader, calls the student's code on private copies of them, and returns what the code produced (plus
the copies, so the grader can see whether they were modified). The grader compares in its own process.
Numerical gradients are returned as raw forward outputs at ``x + h`` and ``x - h`` for every element, so
even the finite differences are computed by the grader, not here.

A probe that calls several of the student's functions returns what the first ones produced even when a later
one fails: it raises :class:`Partial` (from the original exception) with the outputs so far and the name of
the function that failed, so the grader judges each function on what it did.
"""
import copy
import inspect
from contextlib import contextmanager

import numpy as np

PROBES = {}


class ProbeError(Exception):
    """The student's code returned something of the wrong form (not an exception inside it)."""


class Partial(Exception):
    """A call of the student's code failed (``__cause__``) after other calls returned.

    ``outputs`` holds what the probe got before the failure; ``function`` names the function that failed.
    """

    def __init__(self, outputs, function):
        super().__init__(f"{function} failed")
        self.outputs, self.function = outputs, function


class Halted(Exception):
    """The grader asked the probe to stop before calling this function: it ran out of time in an earlier check."""


_progress = None
_halts = {}


def halt_before(functions):
    """Stop the next probes right before they call one of ``functions`` (function -> why), as if it had failed."""
    global _halts
    _halts = dict(functions) if isinstance(functions, dict) else {}


def on_progress(hook):
    """``hook(function, outputs)`` is told before a student's function runs, with what the probe got so far, so
    that the grader can judge the rest when that function never returns (a time limit, a crash)."""
    global _progress
    _progress = hook


@contextmanager
def calling(function, outputs, announce=True):
    """Blame ``function`` for any failure in the block, keeping ``outputs`` (filled so far) for the grader."""
    if function in _halts:
        raise Partial(outputs, function) from Halted(str(_halts[function]))
    if announce and _progress is not None:
        _progress(function, outputs)
    try:
        yield
    except Partial:
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit and friends are the student's failure too
        raise Partial(outputs, function) from exc


def snapshot(obj, depth=0):
    """A copy of the arrays in ``obj`` (walking tuples, lists and dicts), to see later whether they changed."""
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if depth > 10:
        return obj
    if isinstance(obj, tuple):
        return tuple(snapshot(v, depth + 1) for v in obj)
    if isinstance(obj, list):
        return [snapshot(v, depth + 1) for v in obj]
    if isinstance(obj, dict):
        return {k: snapshot(v, depth + 1) for k, v in obj.items()}
    return obj


def probe(fn):
    PROBES[fn.__name__] = fn
    return fn


def _get(api, name):
    if name not in api:
        raise ProbeError(f"{name} was not found in the submission")
    return api[name]


def _unpack(result, n, name, form):
    if result is None:
        raise ProbeError(f"{name}: not implemented yet (returns None; expected {form})")
    if not isinstance(result, (tuple, list)) or len(result) != n:
        got = f"a {type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        raise ProbeError(f"{name} returned {got}, expected {form}")
    return tuple(result)


def sample_indices(size, max_points):
    """The flat indices a numerical gradient is taken at: all of them, or ``max_points`` spread evenly."""
    if max_points is None or size <= max_points:
        return np.arange(size)
    spread = np.linspace(0, size - 1, max_points).round().astype(np.int64)  # sorted: its distinct values are
    return spread[np.concatenate(([True], spread[1:] != spread[:-1]))]  # np.unique's (which imports numpy.ma)


def _perturbed(fn, args, index, h, pick, max_points=None):
    """Raw outputs of ``fn`` with element i of ``args[index]`` moved by +h and -h: shape (2, n, ...)."""
    base = np.asarray(args[index])
    plus, minus = [], []
    for i in sample_indices(base.size, max_points):
        for sign, sink in ((1.0, plus), (-1.0, minus)):
            moved = base.copy()
            moved.flat[i] += sign * h
            call_args = copy.deepcopy(list(args))
            call_args[index] = moved
            sink.append(np.asarray(pick(fn(*call_args)), dtype=np.float64))
    return np.stack([np.stack(plus), np.stack(minus)])


@probe
def call(api, target, args=(), kwargs=None):
    """Call ``target(*args, **kwargs)`` on copies; return the result and the copies afterwards."""
    args, kwargs = copy.deepcopy(list(args)), copy.deepcopy(kwargs or {})
    result = _get(api, target)(*args, **kwargs)
    return {"result": result, "args_after": tuple(args), "kwargs_after": kwargs}


@probe
def call_twice(api, target, args=(), kwargs=None):
    """Two independent calls on fresh copies (for determinism checks)."""
    first = call(api, target, args, kwargs)["result"]
    second = call(api, target, args, kwargs)["result"]
    return {"first": first, "second": second}


@probe
def forward_backward(api, forward, backward, args, dout, numeric=(), h=1e-5, n_grads=None, max_points=None,
                     directions=()):
    """Forward, then backward (twice, on the same cache), plus raw perturbed forwards for ``numeric`` args, and
    for ``directions`` the evidence of :func:`directional` (outputs weighted by ``dout``).

    The inputs are snapshotted right after the forward (``args_after``) and the cache before and after the
    first backward (``cache_before``, ``cache_after``), so that a change is blamed on the function that made it.
    """
    outputs = {}
    call_args = copy.deepcopy(list(args))
    with calling(forward, outputs):
        fwd = _get(api, forward)
        out, cache = _unpack(fwd(*call_args), 2, forward, "(out, cache)")
        if out is None:
            raise ProbeError(f"{forward}: not implemented yet (returns out = None)")
        outputs.update(out=out, args_after=tuple(snapshot(call_args)), cache_before=snapshot(cache))
    with calling(backward, outputs):
        bwd = _get(api, backward)
        dout_copy = np.array(dout, copy=True)
        grads = snapshot(bwd(dout_copy, cache))  # as returned, whatever the second call does
        outputs.update(dout_after=dout_copy, cache_after=snapshot(cache))
        grads_again = bwd(np.array(dout, copy=True), cache)
        if n_grads is not None:
            if n_grads == 1 and isinstance(grads, np.ndarray):
                grads, grads_again = (grads,), (grads_again,)
            grads = _unpack(grads, n_grads, backward, f"a tuple of {n_grads} gradients")
            grads_again = _unpack(grads_again, n_grads, backward, f"a tuple of {n_grads} gradients")
        outputs.update(grads=grads, grads_again=grads_again)
    pick = lambda result: _unpack(result, 2, forward, "(out, cache)")[0]  # noqa: E731
    with calling(forward, outputs):
        for index in numeric:
            outputs[f"perturbed_{index}"] = _perturbed(fwd, args, index, h, pick, max_points)
    if directions:
        outputs.update(directional(fwd, args, directions, h, pick, dout))
    return outputs


@probe
def loss_gradient(api, target, args, numeric=(0,), h=1e-5, directions=()):
    """A loss function ``(loss, dx) = f(x, y)`` and its raw perturbed losses (and :func:`directional`)."""
    fn = _get(api, target)
    call_args = copy.deepcopy(list(args))
    loss, dx = _unpack(fn(*call_args), 2, target, "(loss, dx)")
    outputs = {"loss": loss, "dx": dx, "args_after": tuple(call_args)}
    pick = lambda result: _unpack(result, 2, target, "(loss, dx)")[0]  # noqa: E731
    for index in numeric:
        outputs[f"perturbed_{index}"] = _perturbed(fn, args, index, h, pick)
    if directions:
        outputs.update(directional(fn, args, directions, h, pick))
    return outputs


def directional(fn, args, indices, h, pick, dout=None):
    """What lets the grader skip the numerical gradients of a function that is the reference's own: ``again``,
    ``pick(fn(*args))`` once more, and per index ``directional[str(index)]``, the values with the whole argument
    moved by +h and -h along :func:`direction` (forward outputs weighted by ``dout``). Nothing where ``fn`` fails."""
    try:
        again = pick(fn(*copy.deepcopy(list(args))))
        weights = None if dout is None else np.asarray(dout, dtype=np.float64)
        moved = {}
        for index in indices:
            base = np.asarray(args[index])

            def value(moved_arg, index=index, base=base):
                call_args = copy.deepcopy(list(args))
                call_args[index] = moved_arg.astype(base.dtype)
                out = np.asarray(pick(fn(*call_args)), dtype=np.float64)
                return float(out) if weights is None else float(np.sum(out * weights))
            moved[str(index)] = _along(value, base, str(index), h)
    except Exception:  # noqa: BLE001 - no evidence: the grader computes the numerical gradients
        return {}
    return {"again": again, "directional": moved}


@probe
def batchnorm_warmup(api, target, xs, args, x_test, bn_param):
    """Run ``target(x, *args, bn_param)`` in train mode on each x, then once in test mode on ``x_test``."""
    fn = _get(api, target)
    bn_param = copy.deepcopy(bn_param)
    for x in xs:
        _unpack(fn(np.array(x), *copy.deepcopy(list(args)), bn_param), 2, target, "(out, cache)")
    bn_param["mode"] = "test"
    out, _ = _unpack(fn(np.array(x_test), *copy.deepcopy(list(args)), bn_param), 2, target, "(out, cache)")
    return {"out": out, "bn_param": bn_param}


def _built(model, cls):
    if not getattr(model, "params", None):
        raise ProbeError(f"{cls}.__init__ is not implemented yet: model.params is empty")
    return model


KEYWORD_ALIASES = {"hidden_dim": "hidden_dims"}
"""Constructor keywords courses spell differently (nndl's ``TwoLayerNet(hidden_dims=100)``), used whatever the
profile when the class takes the other spelling only; a profile adds its own as ``spec['keyword_names']``."""


def construct(cls, spec):
    """Build a model from semantic arguments, translated to the constructor style the submission uses.

    ``spec`` keys: any constructor keyword, plus ``dropout_keep`` (probability of keeping a unit),
    ``dropout_means`` ('keep' or 'drop': what the course's ``dropout`` argument means) and ``dtype`` as a
    string; ``keyword_names`` maps a catalog keyword to the course's spelling. Styles: ``dropout_keep_ratio=1,
    normalization=None`` (CS231n 2021+), ``dropout=1, normalization=None`` (2018-2020), ``dropout=0,
    use_batchnorm=False`` (2016-2017, nndl), ``TwoLayerNet(hidden_dims=...)`` (nndl).
    """
    spec = dict(spec)
    params = inspect.signature(cls.__init__).parameters
    for ours, theirs in {**KEYWORD_ALIASES, **spec.pop("keyword_names", {})}.items():
        if ours in spec and ours not in params and theirs in params:
            spec[theirs] = spec.pop(ours)
    keep = spec.pop("dropout_keep", None)
    means = spec.pop("dropout_means", "keep")
    norm = spec.pop("normalization", None)
    if "dtype" in spec:
        spec["dtype"] = np.dtype(spec["dtype"]).type
    if keep is not None:
        if "dropout_keep_ratio" in params:
            spec["dropout_keep_ratio"] = keep
        elif "dropout" in params:
            spec["dropout"] = keep if means == "keep" else 1.0 - keep
        elif keep != 1:
            raise ProbeError(f"{cls.__name__} takes no dropout argument")
    if norm is not None or "normalization" in params:
        if "normalization" in params:
            spec["normalization"] = norm
        elif "use_batchnorm" in params:
            if norm not in (None, "batchnorm"):
                raise ProbeError(f"{cls.__name__} supports no {norm} (it has use_batchnorm only)")
            spec["use_batchnorm"] = norm == "batchnorm"
        elif norm is not None:
            raise ProbeError(f"{cls.__name__} takes no normalization argument")
    if "seed" in spec and "seed" not in params:
        spec.pop("seed")
    return cls(**spec)


@probe
def model_init(api, cls, spec):
    """The parameters of a freshly built model."""
    model = _built(construct(_get(api, cls), spec), cls)
    return {"params": dict(model.params)}


@probe
def model_loss(api, cls, spec, X, y=None, params=None, regs=(None,), numeric=(), h=1e-5, max_points=None,
               directions=(), keep_grads=True):
    """Scores (``y`` is None) or, for each value of ``model.reg`` in ``regs``, ``(loss, grads)`` plus raw
    perturbed losses for the ``numeric`` parameters. ``params`` overrides the initial parameters.

    With ``directions`` (parameter names), after every other call each run also gets its loss once more
    (``again``) and, per name, the losses with that whole parameter moved by +h and -h along a fixed +-1
    direction (``directional``): what lets the grader skip the numerical gradients of a loss that is the
    reference's own function (:class:`autograder.catalog.judges.SameAsReference`). ``keep_grads=False`` leaves the
    gradients out of the outputs (checks of the loss alone: they can be large)."""
    model = _built(construct(_get(api, cls), spec), cls)
    for name, value in (params or {}).items():
        model.params[name] = np.array(value)
    outputs = {"params": {k: np.array(v, copy=True) for k, v in dict(model.params).items()}}
    if y is None:
        outputs["scores"] = model.loss(np.array(X))
        return outputs
    runs, initial_reg = [], getattr(model, "reg", None)
    for reg in regs:
        if reg is not None:
            model.reg = reg
        loss, grads = _unpack(model.loss(np.array(X), np.array(y)), 2, f"{cls}.loss", "(loss, grads)")
        run = {"loss": loss}
        if keep_grads:
            run["grads"] = dict(grads) if isinstance(grads, dict) else grads
        for name in numeric:
            run[f"perturbed_{name}"] = _perturbed_param(model, name, X, y, h, max_points)
        runs.append(run)
    outputs["runs"] = runs
    if directions:
        _directional_runs(model, runs, regs, initial_reg, directions, X, y, h)
    return outputs


def _along(value, base, name, h):
    """``[value(base + h d), value(base - h d)]`` for the fixed direction ``d`` of ``name`` (:func:`direction`)."""
    step = h * direction(np.shape(base), name)
    return np.asarray([value(base + sign * step) for sign in (1.0, -1.0)], dtype=np.float64)


def direction(shape, name):
    """The fixed +-1 direction a parameter is moved along (the same for the reference and every submission)."""
    seed = sum((i + 1) * ord(c) for i, c in enumerate(name)) % (2**31)
    return np.random.RandomState(seed).randint(0, 2, size=shape) * 2.0 - 1.0


def _directional_runs(model, runs, regs, initial_reg, names, X, y, h):
    """``again`` and ``directional`` of each run (see :func:`model_loss`); nothing where the model fails."""
    for reg, run in zip(regs, runs):
        try:
            if reg is not None or hasattr(model, "reg"):
                model.reg = initial_reg if reg is None else reg
            again = model.loss(np.array(X), np.array(y))[0]
            moved = {}
            for name in names:
                param = model.params[name]
                if not isinstance(param, np.ndarray):
                    continue
                old = param.copy()

                def loss(moved_param, param=param):
                    param[...] = moved_param
                    return model.loss(np.array(X), np.array(y))[0]
                try:
                    moved[name] = _along(loss, old, name, h)
                finally:
                    param[...] = old
        except Exception:  # noqa: BLE001 - no evidence: the grader computes the numerical gradients
            return
        run.update(again=again, directional=moved)


def _perturbed_param(model, name, X, y, h, max_points):
    if name not in model.params:
        raise ProbeError(f"model.params has no entry {name!r}")
    param = model.params[name]
    picked = sample_indices(param.size, max_points)
    losses = np.empty((2, picked.size))
    for k, i in enumerate(picked):
        old = param.flat[i]
        for row, sign in ((0, 1.0), (1, -1.0)):
            param.flat[i] = old + sign * h
            losses[row, k] = model.loss(np.array(X), np.array(y))[0]
        param.flat[i] = old
    return losses


def _renamed(config, names):
    """``config`` with its keys renamed at once (``{"m": "v", "v": "a"}`` swaps safely); other keys kept."""
    if not names or not isinstance(config, dict):
        return config
    return {names.get(k, k): v for k, v in config.items()}


@probe
def update(api, target, w, dw, config, state_names=None, conventions=()):
    """One optimizer step on copies: ``next_w, config = target(w, dw, config)``. ``state_names`` maps the
    catalog's state keys to the course's (nndl's ``a`` for RMSProp's cache): renamed going in and back after.
    ``conventions`` (the course's, e.g. CS182's momentum) are read by the judges in the parent, not here."""
    w_copy, dw_copy = np.array(w, copy=True), np.array(dw, copy=True)
    config_copy = _renamed(copy.deepcopy(config), state_names)
    next_w, next_config = _unpack(_get(api, target)(w_copy, dw_copy, config_copy), 2, target, "(next_w, config)")
    back = {v: k for k, v in (state_names or {}).items()}
    return {"next_w": next_w, "config": _renamed(next_config, back), "w_after": w_copy, "dw_after": dw_copy}


@probe
def train(api, cls, spec, data, solver, update_rule):
    """Train a model with the trusted Solver and the student's update rule; return the histories.

    A failure inside the update rule is the update rule's (:class:`Partial`), not the model's."""
    model = _built(construct(_get(api, cls), spec), cls)
    with calling(update_rule, {}, announce=False):
        rule = _get(api, update_rule)

    def guarded_rule(w, dw, config=None):
        with calling(update_rule, {}, announce=False):
            return rule(w, dw, config)

    solver = _get(api, "Solver")(model, {k: np.array(v) for k, v in data.items()},
                                 update_rule=guarded_rule, verbose=False, **solver)
    solver.train()
    return {"loss_history": np.array(solver.loss_history, dtype=np.float64),
            "train_acc_history": np.array(solver.train_acc_history, dtype=np.float64)}
