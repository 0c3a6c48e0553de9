"""Variants of batch, layer, spatial batch and group normalization, and of dropout."""
from . import Variant

# The train/test scaffolding of batchnorm_forward as the starter code has it (the student fills the branches).
_BN_HEAD = '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    out, cache = None, None
    if mode == "train":
'''
_BN_TAIL = '''
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache
'''


def _bn_forward(train, test):
    """batchnorm_forward with the student's train and test branches (indented by 8 and given at column 0)."""
    indent = lambda code: "".join("        " + line if line.strip() else line  # noqa: E731
                                  for line in code.strip("\n").splitlines(keepends=True))
    return _BN_HEAD + indent(train) + "\n    elif mode == \"test\":\n" + indent(test) + _BN_TAIL


VARIANTS = [
    # ------------------------------------------------------------------ batchnorm: forward, backward, alt together
    Variant("batchnorm_forward.staged_graph", _bn_forward('''
mu = 1.0 / N * np.sum(x, axis=0)
xc = x - mu
sq = xc ** 2
var = 1.0 / N * np.sum(sq, axis=0)
sd = np.sqrt(var + eps)
inv = 1.0 / sd
xhat = xc * inv
out = gamma * xhat + beta
cache = (xhat, gamma, xc, inv, sd, var, eps)
running_mean = momentum * running_mean + (1 - momentum) * mu
running_var = momentum * running_var + (1 - momentum) * var
''', '''
xhat = (x - running_mean) / np.sqrt(running_var + eps)
out = gamma * xhat + beta
''') + '''

def batchnorm_backward(dout, cache):
    xhat, gamma, xc, inv, sd, var, eps = cache
    N, D = dout.shape
    # out = gamma * xhat + beta
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    # xhat = xc * inv: two branches
    dinv = np.sum(dxhat * xc, axis=0)
    dxc = dxhat * inv
    # inv = 1 / sd, sd = sqrt(var + eps)
    dsd = -dinv / sd ** 2
    dvar = 0.5 / np.sqrt(var + eps) * dsd
    # var = mean(sq), sq = xc ** 2
    dsq = np.ones((N, D)) * dvar / N
    dxc += 2 * xc * dsq
    # xc = x - mu, mu = mean(x)
    dmu = -np.sum(dxc, axis=0)
    dx = dxc + np.ones((N, D)) * dmu / N
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    xhat, gamma, xc, inv, sd, var, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = (1.0 / N) * gamma * inv * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta
''', "the nine-node computational graph, a seven-item cache with the inverse std, np.ones matrices in backward"),
    Variant("batchnorm_forward.dict_cache", _bn_forward('''
mean = x.mean(axis=0)
var = x.var(axis=0)
x_norm = (x - mean) / np.sqrt(var + eps)
out = x_norm * gamma + beta
cache = {"x": x, "mean": mean, "var": var, "eps": eps, "gamma": gamma, "x_norm": x_norm}
running_mean = running_mean * momentum + mean * (1 - momentum)
running_var = running_var * momentum + var * (1 - momentum)
''', '''
scale = gamma / np.sqrt(running_var + eps)
out = x * scale + (beta - running_mean * scale)
''') + '''

def batchnorm_backward(dout, cache):
    x, mean, var, eps, gamma = cache["x"], cache["mean"], cache["var"], cache["eps"], cache["gamma"]
    N = x.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * cache["x_norm"]).sum(axis=0)
    dx_norm = dout * gamma
    dvar = np.sum(dx_norm * (x - mean), axis=0) * -0.5 * (var + eps) ** -1.5
    dmean = np.sum(-dx_norm / np.sqrt(var + eps), axis=0) + dvar * np.mean(-2.0 * (x - mean), axis=0)
    dx = dx_norm / np.sqrt(var + eps) + dvar * 2.0 * (x - mean) / N + dmean / N
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    x, mean, var, eps, gamma = cache["x"], cache["mean"], cache["var"], cache["eps"], cache["gamma"]
    N = x.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * cache["x_norm"]).sum(axis=0)
    dx = gamma * (var + eps) ** -0.5 / N * (
        N * dout - dbeta - (x - mean) / (var + eps) * np.sum(dout * (x - mean), axis=0))
    return dx, dgamma, dbeta
''', "a dict cache with x, mean and var; backward through the paper's dvar and dmean; test mode as one "
         "affine map"),
    Variant("batchnorm_forward.keepdims", _bn_forward('''
mu = np.mean(x, axis=0, keepdims=True)
var = np.mean((x - mu) ** 2, axis=0, keepdims=True)
x_hat = (x - mu) / np.sqrt(var + eps)
out = gamma * x_hat + beta
cache = (x, x_hat, mu, var, gamma, eps)
running_mean = momentum * running_mean + (1 - momentum) * mu
running_var = momentum * running_var + (1 - momentum) * var
''', '''
out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
''') + '''

def batchnorm_backward(dout, cache):
    x, x_hat, mu, var, gamma, eps = cache
    N = x.shape[0]
    dbeta = np.sum(dout, axis=0, keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=0, keepdims=True)
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * (x - mu), axis=0, keepdims=True) * -0.5 * (var + eps) ** -1.5
    dmu = -np.sum(dx_hat, axis=0, keepdims=True) / np.sqrt(var + eps)
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / N + dmu / N
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    x, x_hat, mu, var, gamma, eps = cache
    N = x.shape[0]
    dbeta = np.sum(dout, axis=0, keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=0, keepdims=True)
    dx = gamma / (N * np.sqrt(var + eps)) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
''', "statistics with keepdims=True: running_mean, running_var, dgamma and dbeta of shape (1, D)"),
    Variant("batchnorm_forward.sums", _bn_forward('''
sample_mean = x.sum(axis=0) / N
x_mu = x - sample_mean
sample_var = (x_mu * x_mu).sum(axis=0) / N
std = np.sqrt(sample_var + eps)
x_hat = x_mu / std
out = gamma * x_hat + beta
cache = (x_hat, gamma, x_mu, std)
running_mean = momentum * running_mean + (1 - momentum) * sample_mean
running_var = momentum * running_var + (1 - momentum) * sample_var
''', '''
x_hat = (x - running_mean) / np.sqrt(running_var + eps)
out = gamma * x_hat + beta
'''), "mean and variance from explicit sums (the cache the backward passes below expect)"),
    # ------------------------------------------------------------------ batchnorm_backward alone
    Variant("batchnorm_backward.jacobians", """
def batchnorm_backward(dout, cache):
    x_hat, gamma, x_mu, std = cache
    N, D = dout.shape
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    # J[d] is the N x N Jacobian of out[:, d] with respect to x[:, d]
    J = np.eye(N) - 1.0 / N - np.einsum("id,jd->dij", x_hat, x_hat) / N
    J *= (gamma / std)[:, None, None]
    dx = np.einsum("dij,id->jd", J, dout)
    return dx, dgamma, dbeta
""", "every feature's N x N Jacobian built explicitly and applied to dout"),
    Variant("batchnorm_backward.paper_dvar_dmean", '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, x_mu, std = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(x_hat * dout, axis=0)
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * x_mu, axis=0) * -0.5 * std ** -3
    dmean = -np.sum(dx_hat, axis=0) / std + dvar * np.sum(-2.0 * x_mu, axis=0) / N
    dx = dx_hat / std + dvar * 2.0 * x_mu / N + dmean / N
    return dx, dgamma, dbeta
''', "the batchnorm paper's dvar and dmean in terms of the cached std"),
    Variant("batchnorm_backward.einsum_graph", '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, x_mu, std = cache
    N = dout.shape[0]
    dbeta = np.einsum("nd->d", dout)
    dgamma = np.einsum("nd,nd->d", dout, x_hat)
    dx_hat = dout * gamma
    dstd = -np.einsum("nd,nd->d", dx_hat, x_mu) / std ** 2
    dvar = dstd / (2 * std)
    dx_mu = dx_hat / std + 2.0 / N * x_mu * dvar
    dx = dx_mu - np.einsum("nd->d", dx_mu) / N
    return dx, dgamma, dbeta
''', "the graph with its sums as einsums"),
    # ------------------------------------------------------------------ batchnorm_backward_alt alone
    Variant("batchnorm_backward_alt.means", '''
def batchnorm_backward_alt(dout, cache):
    x_hat, gamma, _, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / std * (dout - dout.mean(axis=0) - x_hat * (dout * x_hat).mean(axis=0))
    return dx, dgamma, dbeta
''', "dx = gamma / std * (dout - mean(dout) - x_hat * mean(dout * x_hat))"),
    Variant("batchnorm_backward_alt.centered", '''
def batchnorm_backward_alt(dout, cache):
    x_hat, gamma, x_mu, std = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = gamma / (N * std) * (N * dout - dbeta - x_mu * np.sum(dout * x_mu, axis=0) / std ** 2)
    return dx, dgamma, dbeta
''', "the one-line formula in the centered input x - mean instead of x_hat"),
    Variant("batchnorm_backward_alt.projection", '''
def batchnorm_backward_alt(dout, cache):
    x_hat, gamma, x_mu, std = cache
    dbeta = dout.sum(0)
    dgamma = np.sum(dout * x_hat, 0)
    g = dout - dout.mean(0)
    dx = gamma / std * (g - x_hat * np.mean(g * x_hat, 0))
    return dx, dgamma, dbeta
''', "the centered upstream gradient projected off x_hat"),
    # ------------------------------------------------------------------ layernorm, forward and backward together
    Variant("layernorm_forward.batchnorm_transposed", '''
def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    xt = x.T  # (D, N): the batchnorm code below, on columns that are examples
    mu = xt.mean(axis=0)
    xmu = xt - mu
    var = (xmu ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    xhat_t = xmu / std
    out = gamma * xhat_t.T + beta
    cache = (xhat_t, gamma, std)
    return out, cache


def layernorm_backward(dout, cache):
    xhat_t, gamma, std = cache
    D = xhat_t.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat_t.T).sum(axis=0)
    dxhat_t = (dout * gamma).T
    dx_t = (D * dxhat_t - dxhat_t.sum(axis=0) - xhat_t * (dxhat_t * xhat_t).sum(axis=0)) / (D * std)
    return dx_t.T, dgamma, dbeta
''', "batchnorm's code on x.T, transposed back (the notebook's hint)"),
    Variant("layernorm_forward.staged_graph", '''
def layernorm_forward(x, gamma, beta, ln_param):
    out, cache = None, None
    eps = ln_param.get("eps", 1e-5)
    N, D = x.shape
    mu = np.sum(x, axis=1, keepdims=True) / D
    xc = x - mu
    var = np.sum(xc ** 2, axis=1, keepdims=True) / D
    sd = np.sqrt(var + eps)
    inv = 1.0 / sd
    xhat = xc * inv
    out = gamma * xhat + beta
    cache = (xc, var, sd, inv, xhat, gamma, eps)
    return out, cache


def layernorm_backward(dout, cache):
    xc, var, sd, inv, xhat, gamma, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dinv = np.sum(dxhat * xc, axis=1, keepdims=True)
    dxc = dxhat * inv
    dsd = -dinv / sd ** 2
    dvar = dsd * 0.5 / np.sqrt(var + eps)
    dxc = dxc + 2.0 * xc * dvar / D
    dmu = -np.sum(dxc, axis=1, keepdims=True)
    dx = dxc + dmu / D
    return dx, dgamma, dbeta
''', "the staged graph along axis 1 with keepdims, a seven-item cache"),
    Variant("layernorm_forward.loop_over_examples", '''
def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    N, D = x.shape
    x_hat = np.empty_like(x)
    stds = np.empty(N, dtype=x.dtype)
    for i in range(N):
        stds[i] = np.sqrt(np.var(x[i]) + eps)
        x_hat[i] = (x[i] - np.mean(x[i])) / stds[i]
    out = gamma * x_hat + beta
    cache = (x_hat, gamma, stds)
    return out, cache


def layernorm_backward(dout, cache):
    x_hat, gamma, stds = cache
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx = np.empty_like(dout)
    for i in range(dout.shape[0]):
        g = dout[i] * gamma
        dx[i] = (g - g.mean() - x_hat[i] * np.mean(g * x_hat[i])) / stds[i]
    return dx, dgamma, dbeta
''', "one example at a time, forward and backward; the cache holds a vector of stds"),
    Variant("layernorm_backward.paper_dvar_dmean", '''
def layernorm_backward(dout, cache):
    x_hat, gamma, std = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dxhat = dout * gamma
    x_mu = x_hat * std
    dvar = np.sum(dxhat * x_mu, axis=1, keepdims=True) * -0.5 / std ** 3
    dmu = -np.sum(dxhat, axis=1, keepdims=True) / std - 2.0 * dvar * np.mean(x_mu, axis=1, keepdims=True)
    dx = dxhat / std + dvar * 2.0 * x_mu / D + dmu / D
    return dx, dgamma, dbeta
''', "backward alone: the paper's dvar and dmean along axis 1, x - mean recovered as x_hat * std"),
    # ------------------------------------------------------------------ spatial batchnorm
    Variant("spatial_batchnorm_forward.direct", '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, C, H, W = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(C, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(C, dtype=x.dtype))
    g, b = gamma.reshape(1, C, 1, 1), beta.reshape(1, C, 1, 1)
    cache = None
    if mode == "train":
        mean = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
        std = np.sqrt(var + eps).reshape(1, C, 1, 1)
        x_hat = (x - mean.reshape(1, C, 1, 1)) / std
        out = g * x_hat + b
        cache = (x_hat, g, std)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        std = np.sqrt(running_var + eps).reshape(1, C, 1, 1)
        out = g * (x - running_mean.reshape(1, C, 1, 1)) / std + b
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    x_hat, g, std = cache
    N, C, H, W = dout.shape
    M = N * H * W
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    dx_hat = dout * g
    dx = (M * dx_hat - dx_hat.sum(axis=(0, 2, 3), keepdims=True)
          - x_hat * (dx_hat * x_hat).sum(axis=(0, 2, 3), keepdims=True)) / (M * std)
    return dx, dgamma, dbeta
''', "statistics over axes (0, 2, 3) directly, without calling batchnorm"),
    Variant("spatial_batchnorm_forward.channel_major", '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    cols = x.transpose(1, 0, 2, 3).reshape(C, -1).T
    out, cache = batchnorm_forward(cols, gamma, beta, bn_param)
    out = out.T.reshape(C, N, H, W).transpose(1, 0, 2, 3)
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    dcols = dout.transpose(1, 0, 2, 3).reshape(C, -1).T
    dx, dgamma, dbeta = batchnorm_backward_alt(dcols, cache)
    dx = dx.T.reshape(C, N, H, W).transpose(1, 0, 2, 3)
    return dx, dgamma, dbeta
''', "batchnorm on (C, N*H*W) transposed (rows in another order), backward through batchnorm_backward_alt"),
    Variant("spatial_batchnorm_forward.moveaxis", '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    x_rows = np.moveaxis(x, 1, -1).reshape(-1, C)
    out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)
    out = np.moveaxis(out_rows.reshape(N, H, W, C), -1, 1)
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    dx_rows, dgamma, dbeta = batchnorm_backward(np.moveaxis(dout, 1, -1).reshape(-1, C), cache)
    dx = np.moveaxis(dx_rows.reshape(N, H, W, C), -1, 1)
    return dx, dgamma, dbeta
''', "np.moveaxis instead of transpose; the outputs are non-contiguous views"),
    Variant("spatial_batchnorm_forward.loop_over_channels", """
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, C, H, W = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(C, dtype=x.dtype)).copy()
    running_var = bn_param.get("running_var", np.zeros(C, dtype=x.dtype)).copy()
    out = np.empty_like(x)
    x_hat = np.empty_like(x)
    inv_std = np.empty(C, dtype=x.dtype)
    for c in range(C):
        xc = x[:, c]
        if mode == "train":
            mean, var = xc.mean(), xc.var()
            running_mean[c] = momentum * running_mean[c] + (1 - momentum) * mean
            running_var[c] = momentum * running_var[c] + (1 - momentum) * var
        else:
            mean, var = running_mean[c], running_var[c]
        inv_std[c] = 1.0 / np.sqrt(var + eps)
        x_hat[:, c] = (xc - mean) * inv_std[c]
        out[:, c] = gamma[c] * x_hat[:, c] + beta[c]
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    cache = (x_hat, gamma, inv_std)
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std = cache
    N, C, H, W = dout.shape
    dx = np.empty_like(dout)
    dgamma = np.empty(C, dtype=dout.dtype)
    dbeta = np.empty(C, dtype=dout.dtype)
    for c in range(C):
        g, xh = dout[:, c], x_hat[:, c]
        dbeta[c] = g.sum()
        dgamma[c] = (g * xh).sum()
        dx[:, c] = gamma[c] * inv_std[c] * (g - g.mean() - xh * (g * xh).mean())
    return dx, dgamma, dbeta
""", "one channel at a time, forward and backward; the cache holds the inverse stds"),
    # ------------------------------------------------------------------ group norm
    Variant("spatial_groupnorm_forward.five_d", '''
def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, G, C // G, H, W)
    mean = xg.mean(axis=(2, 3, 4), keepdims=True)
    var = xg.var(axis=(2, 3, 4), keepdims=True)
    x_hat = ((xg - mean) / np.sqrt(var + eps)).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (xg, mean, var, eps, gamma, x_hat)
    return out, cache


def spatial_groupnorm_backward(dout, cache):
    xg, mean, var, eps, gamma, x_hat = cache
    N, C, H, W = dout.shape
    M = xg[0, 0].size
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)
    dxg_hat = (dout * gamma).reshape(xg.shape)
    xc = xg - mean
    inv = 1.0 / np.sqrt(var + eps)
    dvar = np.sum(dxg_hat * xc, axis=(2, 3, 4), keepdims=True) * -0.5 * inv ** 3
    dmean = (-np.sum(dxg_hat, axis=(2, 3, 4), keepdims=True) * inv
             - 2.0 * dvar * xc.mean(axis=(2, 3, 4), keepdims=True))
    dxg = dxg_hat * inv + dvar * 2.0 * xc / M + dmean / M
    return dxg.reshape(N, C, H, W), dgamma, dbeta
''', "x as (N, G, C/G, H, W), statistics over the last three axes; backward through dvar and dmean"),
    Variant("spatial_groupnorm_forward.batchnorm_transposed", '''
def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    cols = x.reshape(N * G, -1).T  # one column per (example, group), as batchnorm's features
    mu = cols.mean(axis=0)
    var = cols.var(axis=0)
    std = np.sqrt(var + eps)
    cols_hat = (cols - mu) / std
    x_hat = cols_hat.T.reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (cols_hat, std, gamma, x_hat, G)
    return out, cache


def spatial_groupnorm_backward(dout, cache):
    cols_hat, std, gamma, x_hat, G = cache
    N, C, H, W = dout.shape
    M = cols_hat.shape[0]
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dcols_hat = (dout * gamma).reshape(N * G, -1).T
    dcols = (M * dcols_hat - dcols_hat.sum(axis=0) - cols_hat * (dcols_hat * cols_hat).sum(axis=0)) / (M * std)
    dx = dcols.T.reshape(N, C, H, W)
    return dx, dgamma, dbeta
''', "batchnorm's one-line backward on (C/G*H*W, N*G) columns (the notebook's hint for group norm)"),
    Variant("spatial_groupnorm_forward.loop_over_groups", '''
def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    step = C // G
    x_hat = np.empty_like(x)
    stds = np.empty((N, G), dtype=x.dtype)
    for g in range(G):
        part = x[:, g * step:(g + 1) * step]
        mean = part.mean(axis=(1, 2, 3), keepdims=True)
        std = np.sqrt(part.var(axis=(1, 2, 3), keepdims=True) + eps)
        x_hat[:, g * step:(g + 1) * step] = (part - mean) / std
        stds[:, g] = std.ravel()
    out = x_hat * gamma + beta
    cache = (x_hat, gamma, stds, G)
    return out, cache


def spatial_groupnorm_backward(dout, cache):
    x_hat, gamma, stds, G = cache
    N, C, H, W = dout.shape
    step = C // G
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3)).reshape(1, C, 1, 1)
    dbeta = np.sum(dout, axis=(0, 2, 3)).reshape(1, C, 1, 1)
    dx_hat = dout * gamma
    dx = np.empty_like(dout)
    for g in range(G):
        sl = slice(g * step, (g + 1) * step)
        d, xh = dx_hat[:, sl], x_hat[:, sl]
        std = stds[:, g].reshape(N, 1, 1, 1)
        dx[:, sl] = (d - d.mean(axis=(1, 2, 3), keepdims=True)
                     - xh * (d * xh).mean(axis=(1, 2, 3), keepdims=True)) / std
    return dx, dgamma, dbeta
''', "one group of channels at a time, the layer-norm formula within each"),
    Variant("spatial_groupnorm_backward.flat_dgamma", '''
def spatial_groupnorm_backward(dout, cache):
    x_hat, gamma, std, G = cache
    N, C, H, W = dout.shape
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    dxh = (dout * gamma).reshape(N, G, -1)
    xh = x_hat.reshape(N, G, -1)
    dx = (dxh - dxh.mean(axis=2, keepdims=True) - xh * (dxh * xh).mean(axis=2, keepdims=True)) / std
    return dx.reshape(N, C, H, W), dgamma, dbeta
''', "dgamma and dbeta of shape (C,) while gamma is (1, C, 1, 1)"),
    # ------------------------------------------------------------------ dropout
    Variant("dropout_forward.binomial", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    out = None
    if mode == "train":
        mask = np.random.binomial(1, p, size=x.shape) / p
        out = x * mask
    elif mode == "test":
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache
''', "np.random.binomial mask (another draw than the reference's under the same seed); test mode returns x "
         "itself"),
    Variant("dropout_forward.boolean_mask", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    out = None
    if mode == "train":
        mask = np.random.uniform(0, 1, x.shape) < p
        out = x * mask / p
    elif mode == "test":
        out = x.copy()
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    mode = dropout_param["mode"]
    dx = None
    if mode == "train":
        dx = dout * mask / dropout_param["p"]
    elif mode == "test":
        dx = dout
    return dx
''', "a boolean mask (the reference's draw: uniform(0, 1) < p), the 1 / p applied in both passes"),
    Variant("dropout_forward.choice", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    out = None
    if mode == "train":
        mask = np.random.choice([0.0, 1.0 / p], size=x.shape, p=[1 - p, p])
        out = mask * x
    elif mode == "test":
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache
''', "np.random.choice between 0 and 1 / p"),
    Variant("dropout_forward.default_rng", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    rng = np.random.default_rng(dropout_param.get("seed"))
    mask = None
    out = None
    if mode == "train":
        mask = (rng.random(x.shape) < p).astype(x.dtype) / p
        out = x * mask
    elif mode == "test":
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache
''', "a Generator seeded with dropout_param['seed'] (numpy's recommended API) instead of the global state"),
    Variant("dropout_backward.mask_over_p", '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    mode = dropout_param["mode"]
    dx = None
    if mode == "train":
        dx = dout * (mask > 0) / dropout_param["p"]
    elif mode == "test":
        dx = dout
    return dx
''', "rebuilds the 0/1 mask and divides by p"),
    Variant("dropout_backward.copy_in_place", '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    mode = dropout_param["mode"]
    dx = None
    if mode == "train":
        dx = dout.copy()
        dx *= mask
    elif mode == "test":
        dx = dout
    return dx
''', "multiplies a copy of dout in place"),
    Variant("dropout_backward.where", '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    dx = None
    if dropout_param["mode"] == "train":
        dx = np.where(mask != 0, dout * mask, 0.0)
    else:
        dx = dout
    return dx
''', "np.where on the kept units"),
]
