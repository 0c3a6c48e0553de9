"""Variants of the affine and ReLU layers and of the two losses."""
from . import Variant

VARIANTS = [
    # ------------------------------------------------------------------ affine_forward
    Variant("affine_forward.loop_over_examples", '''
def affine_forward(x, w, b):
    N = x.shape[0]
    out = np.zeros((N, w.shape[1]), dtype=x.dtype)
    for i in range(N):
        out[i] = x[i].ravel() @ w + b
    cache = (x, w, b)
    return out, cache
''', "one example at a time, into a buffer of x's dtype"),
    Variant("affine_forward.einsum", '''
def affine_forward(x, w, b):
    x_rows = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))
    out = np.einsum("nd,dm->nm", x_rows, w) + b
    cache = (x, w, b)
    return out, cache
''', "einsum over the flattened input, D computed with np.prod"),
    Variant("affine_forward.float64_buffer", '''
def affine_forward(x, w, b):
    N, M = x.shape[0], b.shape[0]
    x_rows = np.reshape(x, (N, -1))
    out = np.zeros((N, M))
    out += np.dot(x_rows, w)
    out += b
    cache = (x, w, b)
    return out, cache
''', "accumulates into np.zeros((N, M)): float64 whatever the input dtype (a 0-point warning)"),
    Variant("affine_forward.cache_rows", '''
def affine_forward(x, w, b):
    x_rows = x.reshape(len(x), -1)
    out = x_rows @ w + b
    cache = (x_rows, x.shape, w)
    return out, cache


def affine_backward(dout, cache):
    x_rows, x_shape, w = cache
    dx = (dout @ w.T).reshape(x_shape)
    dw = x_rows.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
''', "the cache holds the flattened x, x's shape and w (not b), and backward uses them"),
    # ------------------------------------------------------------------ affine_backward
    Variant("affine_backward.loop_over_examples", '''
def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    x_rows = x.reshape(N, -1)
    dx_rows = np.zeros_like(x_rows)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for i in range(N):
        dx_rows[i] = w @ dout[i]
        dw += np.outer(x_rows[i], dout[i])
        db += dout[i]
    dx = dx_rows.reshape(x.shape)
    return dx, dw, db
''', "outer products accumulated one example at a time"),
    Variant("affine_backward.einsum", '''
def affine_backward(dout, cache):
    x, w, b = cache
    x_rows = x.reshape(x.shape[0], -1)
    dx = np.einsum("nm,dm->nd", dout, w).reshape(x.shape)
    dw = np.einsum("nd,nm->dm", x_rows, dout)
    db = np.einsum("nm->m", dout)
    return dx, dw, db
''', "every gradient as an einsum"),
    Variant("affine_backward.ones_vector", '''
def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = np.dot(dout, w.T).reshape(*x.shape)
    dw = np.dot(np.reshape(x, (N, -1)).T, dout)
    db = np.ones(N, dtype=dout.dtype) @ dout
    return dx, dw, db
''', "db as a product with a vector of ones"),
    Variant("affine_backward.keepdims_db", '''
def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0, keepdims=True)
    return dx, dw, db
''', "db summed with keepdims=True: shape (1, M) (a 0-point warning)"),
    # ------------------------------------------------------------------ relu_forward
    Variant("relu_forward.mask_multiply", '''
def relu_forward(x):
    out = x * (x > 0)
    cache = x
    return out, cache
''', "x times the boolean mask"),
    Variant("relu_forward.where", '''
def relu_forward(x):
    out = np.where(x > 0, x, 0.0)
    cache = x
    return out, cache
''', "np.where with a Python float zero"),
    Variant("relu_forward.copy_and_zero", '''
def relu_forward(x):
    out = x.copy()
    out[out < 0] = 0
    cache = x
    return out, cache
''', "a copy with its negative entries zeroed"),
    Variant("relu_forward.cache_output", '''
def relu_forward(x):
    out = np.clip(x, 0, None)
    cache = out
    return out, cache


def relu_backward(dout, cache):
    out = cache
    dx = dout * (out > 0)
    return dx
''', "np.clip; the cache holds the output, and backward masks with it"),
    # ------------------------------------------------------------------ relu_backward
    Variant("relu_backward.copy_and_zero", '''
def relu_backward(dout, cache):
    x = cache
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx
''', "a copy of dout with the inactive units zeroed"),
    Variant("relu_backward.where", '''
def relu_backward(dout, cache):
    dx, x = None, cache
    dx = np.where(x > 0, dout, 0)
    return dx
''', "np.where with an integer zero"),
    Variant("relu_backward.heaviside", '''
def relu_backward(dout, cache):
    x = cache
    dx = np.multiply(dout, np.heaviside(x, 0.0))
    return dx
''', "dout times the Heaviside step of x"),
    # ------------------------------------------------------------------ svm_loss
    Variant("svm_loss.loops", '''
def svm_loss(x, y):
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + 1
            if margin > 0:
                loss += margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    loss /= N
    dx /= N
    return loss, dx
''', "the assignment-1 double loop over examples and classes"),
    Variant("svm_loss.mask_counts", '''
def svm_loss(x, y):
    N = x.shape[0]
    rows = np.arange(N)
    correct = x[rows, y].reshape(-1, 1)
    margins = np.maximum(0.0, x - correct + 1.0)
    margins[rows, y] = 0.0
    loss = margins.sum() / N
    coeff = (margins > 0).astype(float)
    coeff[rows, y] = -coeff.sum(axis=1)
    dx = coeff / N
    return loss, dx
''', "vectorised, the correct class's coefficient set to minus the number of violations"),
    Variant("svm_loss.one_hot", '''
def svm_loss(x, y):
    N, C = x.shape
    onehot = np.eye(C, dtype=bool)[y]
    correct = np.sum(np.where(onehot, x, 0), axis=1, keepdims=True)
    margins = np.where(onehot, 0, np.maximum(0, x - correct + 1))
    loss = np.mean(np.sum(margins, axis=1))
    positive = margins > 0
    dx = (positive - onehot * positive.sum(axis=1, keepdims=True)) / N
    return loss, dx
''', "one-hot labels; an integer coefficient matrix divided by N"),
    # ------------------------------------------------------------------ softmax_loss
    Variant("softmax_loss.loops", '''
def softmax_loss(x, y):
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(N):
        scores = x[i] - np.max(x[i])
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss -= np.log(probs[y[i]])
        probs[y[i]] -= 1
        dx[i] = probs
    return loss / N, dx / N
''', "one example at a time"),
    Variant("softmax_loss.logsumexp_one_hot", '''
def softmax_loss(x, y):
    N, C = x.shape
    top = x.max(axis=1, keepdims=True)
    lse = top + np.log(np.exp(x - top).sum(axis=1, keepdims=True))
    Y = np.zeros_like(x)
    Y[np.arange(N), y] = 1
    loss = np.sum(Y * (lse - x)) / N
    dx = (np.exp(x - lse) - Y) / N
    return loss, dx
''', "log-sum-exp and a one-hot label matrix"),
]
