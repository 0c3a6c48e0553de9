"""Trusted layers for the oracle's credit isolation, with the starters' API, written from the documented
formulas (PyTorch autograd for every backward pass; nothing from reference/).

The grader judges a sandwich, a model or a spatial normalization on its own code: a case that fails over the
student's own layers passes if it passes over trusted ones (README: credit isolation). The oracle does the
same: :func:`layers` gives name -> function to swap into the student's modules while such a function is judged.
"""
import numpy as np

from . import oracle_torch as ot


def _autograd(fn, n_arrays):
    """``forward(*arrays, *params) -> (out, cache)`` and ``backward(dout, cache) -> grads`` of ``fn``."""
    def forward(*args):
        arrays, params = args[:n_arrays], args[n_arrays:]
        return ot.N(fn(*map(ot.T, arrays), *params)), (arrays, params)

    def backward(dout, cache):
        arrays, params = cache
        _, grads = ot.vjp(lambda *ts: fn(*ts, *params), dout, *arrays)
        return tuple(grads) if len(grads) > 1 else grads[0]
    return forward, backward


def _normalizing(fn, n_arrays, axes=None, spatial=False):
    """Like :func:`_autograd` for a layer with a param dict (last argument): ``eps`` from it, and for batch
    normalization (``axes``) the running statistics updated in train mode and used in test mode."""
    def forward(*args):
        arrays, param = args[:n_arrays], args[-1]
        middle = args[n_arrays:-1]
        eps = param.get("eps", 1e-5)
        if axes is not None:
            pre = ot.N(_pre(fn, arrays, middle)) if fn.pre else arrays[0]
            shape = (1, -1, 1, 1) if spatial else (1, -1)
            mean, var = pre.mean(axis=axes), pre.var(axis=axes)
            momentum = param.get("momentum", 0.9)
            rm = param.get("running_mean", np.zeros_like(mean))
            rv = param.get("running_var", np.zeros_like(var))
            if param.get("mode", "train") == "test":
                g, b = (np.reshape(a, shape) for a in arrays[-2:])
                normed = (pre - rm.reshape(shape)) / np.sqrt(rv.reshape(shape) + eps) * g + b
                return fn.post(normed), ((), None)
            param["running_mean"] = momentum * rm + (1 - momentum) * mean
            param["running_var"] = momentum * rv + (1 - momentum) * var
        params = middle + (eps,)
        return ot.N(fn(*map(ot.T, arrays), *params)), (arrays, params)

    def backward(dout, cache):
        arrays, params = cache
        _, grads = ot.vjp(lambda *ts: fn(*ts, *params), dout, *arrays)
        return tuple(grads)
    return forward, backward


def _pre(fn, arrays, middle):
    return fn.pre(*map(ot.T, arrays[:-2]), *middle)


def _fn(body, pre=None, post=lambda a: a):
    body.pre, body.post = pre, post
    return body


def relu(t):
    return t.clamp(min=0)


def _np_relu(a):
    return np.maximum(a, 0)


def _conv(cp):
    return lambda x, w, b: ot.conv(x, w, b, cp["stride"], int(cp["pad"]))


def layers(dropout_means="keep"):
    """Trusted layers and sandwiches, name -> function."""
    t = {}
    t["affine_forward"], t["affine_backward"] = _autograd(ot.affine, 3)
    t["relu_forward"], t["relu_backward"] = _autograd(relu, 1)
    t["conv_forward_naive"], t["conv_backward_naive"] = _autograd(lambda x, w, b, cp: _conv(cp)(x, w, b), 3)
    t["max_pool_forward_naive"], t["max_pool_backward_naive"] = _autograd(
        lambda x, pp: ot.pool(x, pp["pool_height"], pp["pool_width"], pp["stride"]), 1)
    bn = _fn(lambda x, g, b, eps: ot.batchnorm_train(x, g, b, eps))
    t["batchnorm_forward"], t["batchnorm_backward"] = _normalizing(bn, 3, axes=(0,))
    t["batchnorm_backward_alt"] = t["batchnorm_backward"]
    sbn = _fn(lambda x, g, b, eps: ot.batchnorm_train(x, ot.spatial(g), ot.spatial(b), eps, (0, 2, 3)))
    t["spatial_batchnorm_forward"], t["spatial_batchnorm_backward"] = _normalizing(sbn, 3, axes=(0, 2, 3), spatial=True)
    ln = _fn(lambda x, g, b, eps: ot.batchnorm_train(x, g, b, eps, (1,)))
    t["layernorm_forward"], t["layernorm_backward"] = _normalizing(ln, 3)
    gn = _fn(lambda x, g, b, G, eps: ot.groupnorm(x, g, b, G, eps))
    t["spatial_groupnorm_forward"], t["spatial_groupnorm_backward"] = _normalizing(gn, 3)
    t["svm_loss"] = lambda x, y: ot.loss_and_grad(ot.svm_loss, x, y)
    t["softmax_loss"] = lambda x, y: ot.loss_and_grad(ot.softmax_loss, x, y)

    def dropout_forward(x, dropout_param):
        p, mode = dropout_param["p"], dropout_param["mode"]
        keep = p if dropout_means == "keep" else 1.0 - p
        if "seed" in dropout_param:
            np.random.seed(dropout_param["seed"])
        if mode != "train":
            return x, (dropout_param, None)
        mask = (np.random.rand(*x.shape) < keep) / keep
        return x * mask, (dropout_param, mask)

    def dropout_backward(dout, cache):
        return dout if cache[1] is None else dout * cache[1]
    t["dropout_forward"], t["dropout_backward"] = dropout_forward, dropout_backward

    # Sandwiches (what models call).
    t["affine_relu_forward"], t["affine_relu_backward"] = _autograd(lambda x, w, b: relu(ot.affine(x, w, b)), 3)
    t["conv_relu_forward"], t["conv_relu_backward"] = _autograd(lambda x, w, b, cp: relu(_conv(cp)(x, w, b)), 3)
    t["conv_relu_pool_forward"], t["conv_relu_pool_backward"] = _autograd(
        lambda x, w, b, cp, pp: ot.pool(relu(_conv(cp)(x, w, b)), pp["pool_height"], pp["pool_width"], pp["stride"]), 3)
    abr = _fn(lambda x, w, b, g, be, eps: relu(ot.batchnorm_train(ot.affine(x, w, b), g, be, eps)),
              pre=ot.affine, post=_np_relu)
    t["affine_bn_relu_forward"], t["affine_bn_relu_backward"] = _normalizing(abr, 5, axes=(0,))
    alr = _fn(lambda x, w, b, g, be, eps: relu(ot.batchnorm_train(ot.affine(x, w, b), g, be, eps, (1,))))
    t["affine_ln_relu_forward"], t["affine_ln_relu_backward"] = _normalizing(alr, 5)

    def conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param):
        a, conv_cache = t["conv_forward_naive"](x, w, b, conv_param)
        an, bn_cache = t["spatial_batchnorm_forward"](a, gamma, beta, bn_param)
        return _np_relu(an), (conv_cache, bn_cache, an)

    def conv_bn_relu_backward(dout, cache):
        conv_cache, bn_cache, an = cache
        da, dgamma, dbeta = t["spatial_batchnorm_backward"](dout * (an > 0), bn_cache)
        dx, dw, db = t["conv_backward_naive"](da, conv_cache)
        return dx, dw, db, dgamma, dbeta
    t["conv_bn_relu_forward"], t["conv_bn_relu_backward"] = conv_bn_relu_forward, conv_bn_relu_backward
    for fast, naive in (("conv_forward_fast", "conv_forward_naive"), ("conv_backward_fast", "conv_backward_naive"),
                        ("max_pool_forward_fast", "max_pool_forward_naive"),
                        ("max_pool_backward_fast", "max_pool_backward_naive")):
        t[fast] = t[naive]
    return t
