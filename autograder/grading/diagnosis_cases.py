"""Case-specific relations of the diagnoses (see :mod:`autograder.grading.diagnosis_relations`): the quantities of a case
(N, p, reg, learning_rate...), and what a layer, an update rule or a model would give under one known slip
(pooling windows, batchnorm's test mode and running statistics, momentum's sign, Adam's bias correction, the L2
penalty), recomputed from the case's inputs; and the relations that read a property check's or an exception's
message. Each function takes the :class:`~autograder.grading.diagnoses.Evidence` and returns the message's fields or None.
"""
from __future__ import annotations

import re

import numpy as np


# ----------------------------------------------------------------------------- quantities of a case
def _args(ev):
    return tuple(ev.inputs.get("args") or ())


def _first_array(ev):
    for value in (*_args(ev)[:1], ev.inputs.get("X"), ev.inputs.get("w")):
        if value is not None and np.ndim(value) >= 1:
            return np.asarray(value)
    return None


def _dict_arg(ev, key):
    for value in (*_args(ev), ev.inputs.get("config") or {}):
        if isinstance(value, dict) and isinstance(value.get(key), (int, float)):
            return float(value[key])
    return None


def _reg(ev):
    """The regularization strength of a model's run (``runs.<i>.``), or None."""
    match = re.match(r"runs\.(\d+)\.", ev.path)
    regs = ev.inputs.get("regs") or ()
    if match and int(match.group(1)) < len(regs) and regs[int(match.group(1))] is not None:
        return float(regs[int(match.group(1))])
    spec = ev.inputs.get("spec") or {}
    return float(spec["reg"]) if isinstance(spec.get("reg"), (int, float)) else None


def quantities(ev):
    """Named factors of the case a wrong value may be scaled by: ``{name: value}``."""
    named = {"2": 2.0, "1/2": 0.5}
    x = _first_array(ev)
    if x is not None and x.ndim >= 2 and x.shape[0] > 1:
        n = x.shape[0]
        named.update({"N (the batch size)": n, "1/N": 1.0 / n})
        if ev.target.startswith("batchnorm") or ev.target.startswith("spatial_batchnorm"):
            named.update({"sqrt((N - 1) / N)": np.sqrt((n - 1) / n), "sqrt(N / (N - 1))": np.sqrt(n / (n - 1))})
    if x is not None and x.ndim == 4:
        named.update({"H * W": x.shape[2] * x.shape[3], "1 / (H * W)": 1.0 / (x.shape[2] * x.shape[3])})
    p = _dict_arg(ev, "p")
    if p is not None and 0 < p < 1:
        named.update({"p": p, "1/p": 1 / p, "1 - p": 1 - p, "1 / (1 - p)": 1 / (1 - p)})
    lr = _dict_arg(ev, "learning_rate")
    if lr:
        named.update({"learning_rate": lr, "1 / learning_rate": 1 / lr})
    reg = _reg(ev)
    if reg:
        named.update({"reg": reg})
    return {name: float(value) for name, value in named.items() if value not in (1, 1.0)}


# ----------------------------------------------------------------------------- layers: pooling, batchnorm
def _windows(ev):
    """The pooling windows of a max-pool case: ``(H_out, W_out, hh, ww, stride)``, or None."""
    args = _args(ev)
    if len(args) < 2 or not isinstance(args[1], dict) or np.ndim(args[0]) != 4:
        return None
    pool = args[1]
    hh, ww, stride = int(pool["pool_height"]), int(pool["pool_width"]), int(pool["stride"])
    H, W = np.shape(args[0])[2:]
    return 1 + (H - hh) // stride, 1 + (W - ww) // stride, hh, ww, stride


def _pool_whole_window(ev):
    found, dout = _windows(ev), ev.inputs.get("dout")
    if found is None or dout is None or ev.got.shape != np.shape(_args(ev)[0]):
        return None
    Ho, Wo, hh, ww, stride = found
    model = np.zeros(ev.got.shape)
    for i in range(Ho):
        for j in range(Wo):
            model[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww] += np.asarray(dout)[:, :, i, j, None, None]
    return {} if ev.fits(model) else None


def _pool_overlaps(ev):
    found = _windows(ev)
    if found is None or ev.got.shape != ev.want.shape:
        return None
    Ho, Wo, hh, ww, stride = found
    cover = np.zeros(ev.got.shape[2:], int)
    for i in range(Ho):
        for j in range(Wo):
            cover[i * stride:i * stride + hh, j * stride:j * stride + ww] += 1
    scale = max(1e-12, float(np.max(np.abs(ev.want))))
    bad = np.abs(ev.got - ev.want) > max(ev.tol, 1e-9) * scale
    return {} if bad.any() and not (bad & (cover <= 1)[None, None]).any() else None


def _relu_kink(ev):
    x = _args(ev)[0] if _args(ev) else None
    if x is None or np.shape(x) != ev.got.shape:
        return None
    scale = max(1e-12, float(np.max(np.abs(ev.want))))
    bad = np.abs(ev.got - ev.want) > max(ev.tol, 1e-9) * scale
    return {} if bad.any() and not (bad & (np.asarray(x) != 0)).any() else None


def _bn_test_mode(ev):
    """A test-mode batchnorm output computed another way: with the batch's own statistics, or eps outside sqrt."""
    args = _args(ev)
    if "x_test" in ev.inputs:
        x, (gamma, beta), bn = ev.inputs["x_test"], args[:2], ev.outputs.get("bn_param") or {}
    elif len(args) >= 4 and isinstance(args[3], dict) and args[3].get("mode") == "test":
        x, gamma, beta, bn = args[0], args[1], args[2], args[3]
    else:
        return None
    x, eps = np.asarray(x, np.float64), float(bn.get("eps", 1e-5))
    if ev.fits(gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta):
        return {"how": "with the test batch's own mean and variance instead of the running statistics"}
    if "running_mean" in bn and ev.fits(gamma * (x - bn["running_mean"]) / (np.sqrt(bn["running_var"]) + eps) + beta):
        return {"how": "with eps added outside the square root"}
    return None


# ----------------------------------------------------------------------------- update rules
def _rule_variants(ev):
    """Each known slip of an update rule: ``{name: {output path: value}}`` computed from the step's inputs."""
    w, dw = np.asarray(ev.inputs["w"], np.float64), np.asarray(ev.inputs["dw"], np.float64)
    config = dict(ev.inputs.get("config") or {})
    lr = config.get("learning_rate", 1e-2 if ev.target == "sgd_momentum" else 1e-3)
    if ev.target == "sgd_momentum":
        v = config.get("momentum", 0.9) * np.asarray(config.get("velocity", np.zeros_like(w))) + lr * dw
        return {"the velocity adds the gradient instead of subtracting it (a step uphill)":
                {"next_w": w + v, "config.velocity": v}}
    if ev.target == "rmsprop":
        decay, eps = config.get("decay_rate", 0.99), config.get("epsilon", 1e-8)
        cache = decay * np.asarray(config.get("cache", np.zeros_like(w))) + (1 - decay) * dw**2
        return {"the step divides by the cache itself instead of its square root":
                {"next_w": w - lr * dw / (cache + eps), "config.cache": cache}}
    if ev.target == "adam":
        b1, b2, eps = config.get("beta1", 0.9), config.get("beta2", 0.999), config.get("epsilon", 1e-8)
        t = config.get("t", 0)
        m = b1 * np.asarray(config.get("m", np.zeros_like(w))) + (1 - b1) * dw
        v = b2 * np.asarray(config.get("v", np.zeros_like(w))) + (1 - b2) * dw**2
        out = {"m and v are used without the bias correction": {"next_w": w - lr * m / (np.sqrt(v) + eps)}}
        if t:
            out["t is incremented after the bias correction instead of before it"] = {
                "next_w": w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)}
        return out
    return {}


def _update_rule(ev):
    for slip, values in _rule_variants(ev).items():
        if ev.path in values and ev.fits(values[ev.path]):
            return {"slip": slip}
    return None


# ----------------------------------------------------------------------------- models: regularization
def _params(ev):
    params = ev.outputs.get("params") or ev.inputs.get("params") or {}
    return {k: np.asarray(v, np.float64) for k, v in params.items() if k.startswith("W")}


def _penalty_terms(ev):
    if not ev.path.endswith("loss") or ev.got.size != 1:
        return None
    reg, weights = _reg(ev), _params(ev)
    if not reg or not weights:
        return None
    squares = {k: float(np.sum(v * v)) for k, v in weights.items()}
    total = sum(squares.values())
    tries = [("the penalty is twice what it should be (check its factor 0.5)", 0.5 * reg * total),
             ("the penalty is missing from the loss", -0.5 * reg * total),
             ("the penalty is half what it should be", -0.25 * reg * total)]
    tries += [(f"the penalty leaves out {k}", -0.5 * reg * squares[k]) for k in sorted(squares)]
    for what, delta in tries:
        if ev.fits(ev.want + delta):
            return {"what": what}
    return None


def _reg_gradient(ev):
    name = ev.path.rsplit(".", 1)[-1]
    if ".grads." not in ev.path or not name.startswith("W"):
        return None
    reg, W = _reg(ev), _params(ev).get(name)
    if ev.picked is not None and W is not None:
        W = W.reshape(-1)[ev.picked]
    if not reg or W is None or W.size != ev.want.size:
        return None
    W = W.reshape(ev.want.shape)
    for c, what in ((-1.0, "lacks"), (1.0, "has once too often"), (-0.5, "lacks half of")):
        if ev.fits(ev.want + c * reg * W):
            return {"what": what, "param": name}
    return None


# ----------------------------------------------------------------------------- property checks and exceptions
def _message_numbers(ev, pattern):
    match = re.search(pattern, ev.message)
    return tuple(float(g) for g in match.groups()) if match else None


def _keep_inverted(ev):
    numbers = _message_numbers(ev, r"([\d.]+) of the units were kept, expected about ([\d.]+)")
    return {} if numbers and abs(numbers[0] - (1 - numbers[1])) < 0.05 else None


def _not_inverted(ev):
    return {} if "not scaled by 1 / p" in ev.message else None


def _unflattened(ev):
    shapes = [s for s in _shapes_in(ev.message)]
    x = _first_array(ev)
    if x is not None and x.ndim > 2 and tuple(x.shape) in shapes and re.search(r"not aligned|matmul|mismatch", ev.message):
        return {}
    return None


def _layer_size(ev):
    numbers = _message_numbers(ev, r"x has D = .*? = (\d+) features per example but w has (\d+) rows")
    if not numbers or numbers[1] <= numbers[0] or numbers[1] % numbers[0]:
        return None
    return {"k": int(numbers[1] // numbers[0])}


def _shapes_in(text):
    return [tuple(int(n) for n in re.findall(r"\d+", m)) for m in re.findall(r"\((\d+(?:,\s*\d+)+),?\)", text)]


def _stats_axis(ev):
    """A normalization's output whose statistics are right over another axis of a 2-D output."""
    judge = getattr(getattr(ev.judge, "fn", None), "stats", None)
    if judge is None or judge["reshape"] is not None or judge["axes"] not in (0, 1):
        return None
    from ..catalog.judges import lookup

    out = np.asarray(lookup(ev.outputs, judge["path"]), np.float64)
    if out.ndim != 2:
        return None
    other = 1 - judge["axes"]
    return {"axis": other} if np.allclose(out.std(axis=other), np.median(out.std(axis=other)), rtol=1e-3) and \
        np.allclose(out.mean(axis=other), np.median(out.mean(axis=other)), atol=1e-6) else None


def _in_place(ev):
    return {} if re.search(r"in place|gave different gradients", ev.message) else None


def _conv_window(ev):
    """A naive convolution that raised on a product of a window with the filters: the window's size says why."""
    args = _args(ev)
    if len(args) < 2 or np.ndim(args[1]) != 4 or not re.search(r"not aligned|broadcast|mismatch|matmul", ev.message):
        return None
    filter_size = int(np.prod(np.shape(args[1])[1:]))
    sizes = [n for shape in _shapes_in(ev.message) for n in shape if n != filter_size]
    C, HH, WW = np.shape(args[1])[1:]
    if HH != WW and C * HH * HH in sizes[:2]:
        return {"how": "as wide as the filter is high: on a non-square filter the window's width must come from the "
                       "filter's own width, not its height"}
    if any(n > filter_size and n % filter_size for n in sizes[:2]) or any(n > filter_size for n in sizes[:2]):
        return {"how": "larger than a filter: the padding went on more axes than height and width"}
    if any(0 < n < filter_size for n in sizes[:2]):
        return {"how": "smaller than a filter: windows are cut off at the border (are they taken from the padded "
                       "input?)"}
    return None


def _conv_stride(ev):
    """A naive convolution whose windows move by 1 whatever the stride."""
    args = _args(ev)
    if len(args) < 4 or not isinstance(args[3], dict) or int(args[3].get("stride", 1)) == 1 or ev.got.ndim != 4:
        return None
    x, w, b = (np.asarray(a, np.float64) for a in args[:3])
    pad = int(args[3].get("pad", 0))
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    HH, WW = w.shape[2:]
    model = np.zeros(ev.got.shape)
    for i in range(model.shape[2]):
        for j in range(model.shape[3]):
            window = x[:, :, i:i + HH, j:j + WW]
            if window.shape[2:] != (HH, WW):
                return None
            model[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return {} if ev.fits(model) else None


def _running_variants(ev):
    """batchnorm's running statistics and test-mode output after the warm-up batches, recomputed with one slip."""
    if "xs" not in ev.inputs:
        return None
    xs, (gamma, beta), bn = ev.inputs["xs"], ev.inputs["args"][:2], ev.inputs.get("bn_param") or {}
    momentum, eps = float(bn.get("momentum", 0.9)), float(bn.get("eps", 1e-5))
    slips = {"momentum weighs the new batch instead of the running value": (True, 0),
             "the variance divides by N - 1 (unbiased) instead of N": (False, 1)}
    for slip, (swapped, ddof) in slips.items():
        mean = var = None
        for x in xs:
            x = np.asarray(x, np.float64)
            m, v = x.mean(axis=0), x.var(axis=0, ddof=ddof)
            if mean is None:
                mean, var = np.zeros_like(m), np.zeros_like(v)
            mean = momentum * m + (1 - momentum) * mean if swapped else momentum * mean + (1 - momentum) * m
            var = momentum * var + (1 - momentum) * v
        values = {"bn_param.running_mean": mean, "bn_param.running_var": var,
                  "out": gamma * (np.asarray(ev.inputs["x_test"]) - mean) / np.sqrt(var + eps) + beta}
        if ev.path in values and ev.fits(values[ev.path]):
            return {"slip": slip}
    return None


def _unbiased_std(ev):
    """Normalized outputs whose standard deviations are sqrt((N - 1) / N) of the target: an unbiased variance."""
    x = _first_array(ev)
    if x is None or x.ndim != 2:
        return None
    return {} if ev.fits(ev.want * np.sqrt((x.shape[0] - 1) / x.shape[0])) else None


def _across_groups(ev):
    """A group norm whose output is normalized across the groups (per example and position) instead of within each."""
    stats = getattr(getattr(ev.judge, "fn", None), "stats", None)
    args = _args(ev)
    if stats is None or len(args) < 4 or not isinstance(args[3], (int, np.integer)):
        return None
    from ..catalog.judges import lookup

    out = np.asarray(lookup(ev.outputs, stats["path"]), np.float64)
    if out.ndim != 4 or out.shape[1] % int(args[3]):
        return None
    grouped = out.reshape(out.shape[0], int(args[3]), -1)
    # gamma 1 and beta 0 in the notebook's cell: zero means across the groups, not within them (a variance across
    # few groups can be near eps, so the standard deviations are not compared)
    across, within = grouped.mean(axis=1), grouped.mean(axis=2)
    return {} if np.allclose(across, 0, atol=1e-6) and not np.allclose(within, 0, atol=1e-3) else None
