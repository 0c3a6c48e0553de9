"""PyTorch versions of what students write, from the documented formulas (never from reference/).

Each function takes numpy arrays and returns numpy arrays (float64); gradients come from autograd of
``sum(out * dout)``. :mod:`benchmarks.oracle_checks` compares a submission against these.
"""
import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def T(a, grad=False):
    """A float64 tensor from an array (a leaf that records gradients when ``grad``)."""
    t = torch.tensor(np.asarray(a, dtype=np.float64))
    return t.requires_grad_(grad)


def N(t):
    return t.detach().numpy()


def vjp(fn, dout, *arrays):
    """``fn(*tensors)``'s output and the gradients of ``sum(out * dout)`` with respect to each array."""
    ts = [T(a, True) for a in arrays]
    out = fn(*ts)
    (out * T(dout)).sum().backward()
    return N(out), [N(t.grad) for t in ts]


def affine(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b


def batchnorm_train(x, gamma, beta, eps, axes=(0,)):
    """Normalise over ``axes`` with the batch's (biased) variance, eps inside the square root."""
    mean = x.mean(dim=axes, keepdim=True)
    var = x.var(dim=axes, unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta


def spatial(gamma):
    return gamma.reshape(1, -1, 1, 1)


def groupnorm(x, gamma, beta, G, eps):
    n, c, h, w = x.shape
    xg = x.reshape(n, G, -1)
    mean = xg.mean(dim=2, keepdim=True)
    var = xg.var(dim=2, unbiased=False, keepdim=True)
    xn = ((xg - mean) / torch.sqrt(var + eps)).reshape(n, c, h, w)
    return xn * gamma.reshape(1, c, 1, 1) + beta.reshape(1, c, 1, 1)


def conv(x, w, b, stride, pad):
    return F.conv2d(x, w, b, stride=stride, padding=pad)


def pool(x, ph, pw, stride):
    return F.max_pool2d(x, (ph, pw), stride=stride)


def svm_loss(x, y):
    n = x.shape[0]
    correct = x[torch.arange(n), torch.as_tensor(y)].reshape(-1, 1)
    mask = 1.0 - F.one_hot(torch.as_tensor(y), x.shape[1]).double()
    return (torch.clamp(x - correct + 1.0, min=0.0) * mask).sum() / n


def softmax_loss(x, y):
    return F.cross_entropy(x, torch.as_tensor(y))


def loss_and_grad(fn, x, y):
    xt = T(x, True)
    loss = fn(xt, y)
    loss.backward()
    return float(loss.detach()), N(xt.grad)


def model_loss(forward, params, X, y, reg, weights):
    """Softmax loss of ``forward(X, params)`` plus ``0.5 * reg * sum(W**2)`` over ``weights``, and the
    gradients of every parameter."""
    ts = {k: T(v, True) for k, v in params.items()}
    scores = forward(T(X), ts)
    loss = F.cross_entropy(scores, torch.as_tensor(y)) + 0.5 * reg * sum((ts[k] ** 2).sum() for k in weights)
    loss.backward()
    return N(scores), float(loss.detach()), {k: N(t.grad) for k, t in ts.items()}


def fc_forward(n_layers, norm, eps=1e-5):
    def forward(X, p):
        h = X.reshape(X.shape[0], -1)
        for i in range(1, n_layers):
            h = h @ p[f"W{i}"] + p[f"b{i}"]
            if norm == "batchnorm":
                h = batchnorm_train(h, p[f"gamma{i}"], p[f"beta{i}"], eps)
            elif norm == "layernorm":
                h = batchnorm_train(h, p[f"gamma{i}"], p[f"beta{i}"], eps, axes=(1,))
            h = torch.relu(h)
        return h @ p[f"W{n_layers}"] + p[f"b{n_layers}"]
    return forward


def convnet_forward(filter_size):
    def forward(X, p):
        h = torch.relu(conv(X, p["W1"], p["b1"], 1, (filter_size - 1) // 2))
        h = pool(h, 2, 2, 2)
        h = torch.relu(h.reshape(h.shape[0], -1) @ p["W2"] + p["b2"])
        return h @ p["W3"] + p["b3"]
    return forward
