"""Variants of the sandwich layers students write, the update rules and the three models."""
from . import Variant

_FC_INIT_TAIL = '''
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for i in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for i in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)
'''
_FC_SIGNATURE = '''
class FullyConnectedNet(object):
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
'''
_FC_LOSS_HEAD = '''
    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode
'''
_CONV_HEAD = '''
class ThreeLayerConvNet(object):
    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0, dtype=np.float32):
        self.params = {}
        self.reg = reg
        self.dtype = dtype
'''
_CONV_LOSS_HEAD = '''
    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]
        filter_size = W1.shape[2]
        conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
'''

VARIANTS = [
    # ------------------------------------------------------------------ sandwiches (forward and backward together)
    Variant("affine_bn_relu_forward.dict_cache", '''
def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    fc_out, fc_cache = affine_forward(x, w, b)
    bn_out, bn_cache = batchnorm_forward(fc_out, gamma, beta, bn_param)
    out, relu_cache = relu_forward(bn_out)
    return out, {"affine": fc_cache, "batchnorm": bn_cache, "relu": relu_cache}


def affine_bn_relu_backward(dout, cache):
    d_bn_out = relu_backward(dout, cache["relu"])
    d_fc_out, dgamma, dbeta = batchnorm_backward(d_bn_out, cache["batchnorm"])
    dx, dw, db = affine_backward(d_fc_out, cache["affine"])
    return dx, dw, db, dgamma, dbeta
''', "the three caches in a dict", file="layer_utils.py"),
    Variant("affine_bn_relu_forward.alt_backward", '''
def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    h, h_cache = affine_forward(x, w, b)
    hn, hn_cache = batchnorm_forward(h, gamma, beta, bn_param)
    out, r_cache = relu_forward(hn)
    cache = (r_cache, hn_cache, h_cache)
    return out, cache


def affine_bn_relu_backward(dout, cache):
    r_cache, hn_cache, h_cache = cache
    dhn = relu_backward(dout, r_cache)
    dh, dgamma, dbeta = batchnorm_backward_alt(dhn, hn_cache)
    dx, dw, db = affine_backward(dh, h_cache)
    return dx, dw, db, dgamma, dbeta
''', "caches in reverse order; backward through batchnorm_backward_alt", file="layer_utils.py"),
    Variant("affine_bn_relu_forward.inline_relu", '''
def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    a, fc_cache = affine_forward(x, w, b)
    a_bn, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out = np.maximum(a_bn, 0)
    cache = (fc_cache, bn_cache, a_bn)
    return out, cache


def affine_bn_relu_backward(dout, cache):
    fc_cache, bn_cache, a_bn = cache
    da_bn = dout * (a_bn > 0)
    da, dgamma, dbeta = batchnorm_backward(da_bn, bn_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta
''', "the ReLU written inline; the cache keeps batchnorm's output", file="layer_utils.py"),
    Variant("affine_ln_relu_forward.dict_cache", '''
def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    fc_out, fc_cache = affine_forward(x, w, b)
    ln_out, ln_cache = layernorm_forward(fc_out, gamma, beta, ln_param)
    out, relu_cache = relu_forward(ln_out)
    return out, {"affine": fc_cache, "layernorm": ln_cache, "relu": relu_cache}


def affine_ln_relu_backward(dout, cache):
    d_ln_out = relu_backward(dout, cache["relu"])
    d_fc_out, dgamma, dbeta = layernorm_backward(d_ln_out, cache["layernorm"])
    dx, dw, db = affine_backward(d_fc_out, cache["affine"])
    return dx, dw, db, dgamma, dbeta
''', "the three caches in a dict", file="layer_utils.py"),
    Variant("affine_ln_relu_forward.reverse_tuple", '''
def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    h, h_cache = affine_forward(x, w, b)
    hn, hn_cache = layernorm_forward(h, gamma, beta, ln_param)
    out, r_cache = relu_forward(hn)
    return out, (r_cache, hn_cache, h_cache)


def affine_ln_relu_backward(dout, cache):
    r_cache, hn_cache, h_cache = cache
    dh, dgamma, dbeta = layernorm_backward(relu_backward(dout, r_cache), hn_cache)
    dx, dw, db = affine_backward(dh, h_cache)
    return dx, dw, db, dgamma, dbeta
''', "caches in reverse order, nested calls", file="layer_utils.py"),
    Variant("affine_ln_relu_forward.inline_relu", '''
def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    a, fc_cache = affine_forward(x, w, b)
    a_ln, ln_cache = layernorm_forward(a, gamma, beta, ln_param)
    out = a_ln * (a_ln > 0)
    return out, (fc_cache, ln_cache, out)


def affine_ln_relu_backward(dout, cache):
    fc_cache, ln_cache, out = cache
    da_ln = np.where(out > 0, dout, 0.0)
    da, dgamma, dbeta = layernorm_backward(da_ln, ln_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta
''', "the ReLU written inline; the cache keeps the sandwich's output", file="layer_utils.py"),
    # ------------------------------------------------------------------ sgd_momentum
    Variant("sgd_momentum.velocity_in_place", '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    next_w = None
    v *= config["momentum"]
    v -= config["learning_rate"] * dw
    next_w = w + v
    config["velocity"] = v
    return next_w, config
''', "the velocity array in config updated in place", file="optim.py"),
    Variant("sgd_momentum.get_defaults", '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    lr = config.get("learning_rate", 1e-2)
    mu = config.get("momentum", 0.9)
    velocity = config.setdefault("velocity", np.zeros_like(w))
    velocity = mu * velocity - lr * dw
    config["velocity"] = velocity
    return w + velocity, config
''', "hyperparameters read with config.get, velocity with setdefault", file="optim.py"),
    Variant("sgd_momentum.w_in_place", '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    w += v
    next_w = w
    config["velocity"] = v
    return next_w, config
''', "w updated in place and returned, as optim.py's header allows", file="optim.py"),
    Variant("sgd_momentum.step_on_copy", """
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v
    v = v - config["learning_rate"] * dw
    next_w = w.copy()
    next_w += v
    config["velocity"] = v
    return next_w, config
""", "the velocity in two steps, added to a copy of w", file="optim.py"),
    # ------------------------------------------------------------------ rmsprop
    Variant("rmsprop.cache_in_place", '''
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    next_w = None
    cache = config["cache"]
    cache *= config["decay_rate"]
    cache += (1 - config["decay_rate"]) * dw * dw
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config
''', "the cache array in config updated in place", file="optim.py"),
    Variant("rmsprop.ufuncs", '''
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    lr, rho, eps = config["learning_rate"], config["decay_rate"], config["epsilon"]
    config["cache"] = np.add(rho * config["cache"], (1 - rho) * np.square(dw))
    next_w = np.subtract(w, lr * np.divide(dw, np.sqrt(config["cache"]) + eps))
    return next_w, config
''', "np.square, np.divide and friends on local names", file="optim.py"),
    Variant("rmsprop.w_in_place", '''
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw ** 2
    w -= config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    next_w = w
    return next_w, config
''', "w updated in place and returned, as optim.py's header allows", file="optim.py"),
    Variant("rmsprop.power_half", """
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    rho = config["decay_rate"]
    config["cache"] = config["cache"] + (1 - rho) * (dw ** 2 - config["cache"])
    next_w = w.copy()
    next_w -= config["learning_rate"] * dw / (config["cache"] ** 0.5 + config["epsilon"])
    return next_w, config
""", "the moving average as cache + (1 - rho) * (dw**2 - cache), the root as ** 0.5, the step on a copy",
        file="optim.py"),
    # ------------------------------------------------------------------ adam
    Variant("adam.locals", '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    lr, b1, b2, eps = config["learning_rate"], config["beta1"], config["beta2"], config["epsilon"]
    m, v, t = config["m"], config["v"], config["t"] + 1
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * (dw * dw)
    mt = m / (1 - b1 ** t)
    vt = v / (1 - b2 ** t)
    next_w = w - lr * mt / (np.sqrt(vt) + eps)
    config["m"], config["v"], config["t"] = m, v, t
    return next_w, config
''', "local m, v, t stored back at the end", file="optim.py"),
    Variant("adam.moments_in_place", '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    config["t"] += 1
    m, v = config["m"], config["v"]
    m *= config["beta1"]
    m += (1 - config["beta1"]) * dw
    v *= config["beta2"]
    v += (1 - config["beta2"]) * dw ** 2
    next_w = w.copy()
    next_w -= config["learning_rate"] * (m / (1 - config["beta1"] ** config["t"])) / (
        np.sqrt(v / (1 - config["beta2"] ** config["t"])) + config["epsilon"])
    return next_w, config
''', "m and v updated in place in config; the step subtracted from a copy of w", file="optim.py"),
    Variant("adam.w_in_place", '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    beta1, beta2 = config["beta1"], config["beta2"]
    config["t"] = config["t"] + 1
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * (dw ** 2)
    m_hat = config["m"] / (1 - beta1 ** config["t"])
    v_hat = config["v"] / (1 - beta2 ** config["t"])
    w -= config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return w, config
''', "w updated in place and returned, as optim.py's header allows", file="optim.py"),
    Variant("adam.paper_step_size", """
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    # the Adam paper's efficient form: bias corrections folded into the step size
    step = config["learning_rate"] * (1 - b2 ** t) ** 0.5 / (1 - b1 ** t)
    next_w = w - step * config["m"] / (np.sqrt(config["v"]) + config["epsilon"])
    return next_w, config
""", "the Adam paper's efficient form (bias corrections in the step size; epsilon then acts on the "
         "uncorrected v)", file="optim.py"),
    Variant("adam.paper_step_size_np_sqrt", """
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    # the Adam paper's efficient form: bias corrections folded into the step size
    step = config["learning_rate"] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    next_w = w - step * config["m"] / (np.sqrt(config["v"]) + config["epsilon"])
    return next_w, config
""", "the Adam paper's efficient form (bias corrections in the step size; epsilon then acts on the "
         "uncorrected v), with np.sqrt of a Python float: a float64 scalar, which makes next_w float64 for "
         "float32 weights (NumPy 2 promotion)", file="optim.py"),
    # ------------------------------------------------------------------ TwoLayerNet
    Variant("TwoLayerNet.layer_by_layer", '''
class TwoLayerNet(object):
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params["W1"] = np.random.normal(0.0, weight_scale, (input_dim, hidden_dim))
        self.params["b1"] = np.zeros((hidden_dim,))
        self.params["W2"] = np.random.normal(0.0, weight_scale, (hidden_dim, num_classes))
        self.params["b2"] = np.zeros((num_classes,))

    def loss(self, X, y=None):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        a1, cache_a1 = affine_forward(X, W1, b1)
        h1, cache_h1 = relu_forward(a1)
        scores, cache_s = affine_forward(h1, W2, b2)
        if y is None:
            return scores
        grads = {}
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(np.square(W1)) + np.sum(np.square(W2)))
        dh1, grads["W2"], grads["b2"] = affine_backward(dscores, cache_s)
        da1 = relu_backward(dh1, cache_h1)
        _, grads["W1"], grads["b1"] = affine_backward(da1, cache_a1)
        grads["W1"] = grads["W1"] + self.reg * W1
        grads["W2"] = grads["W2"] + self.reg * W2
        return loss, grads
''', "affine, relu, affine called one by one; weights from np.random.normal", file="classifiers/fc_net.py"),
    Variant("TwoLayerNet.plain_numpy", '''
class TwoLayerNet(object):
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {
            "W1": weight_scale * np.random.randn(input_dim, hidden_dim),
            "b1": np.zeros(hidden_dim),
            "W2": weight_scale * np.random.randn(hidden_dim, num_classes),
            "b2": np.zeros(num_classes),
        }
        self.reg = reg

    def loss(self, X, y=None):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N = X.shape[0]
        Xr = X.reshape(N, -1)
        z1 = Xr.dot(W1) + b1
        h = np.maximum(z1, 0)
        scores = h.dot(W2) + b2
        if y is None:
            return scores
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).sum() / N
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dscores = probs
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {"W2": h.T.dot(dscores) + self.reg * W2, "b2": dscores.sum(axis=0)}
        dh = dscores.dot(W2.T)
        dh[z1 <= 0] = 0
        grads["W1"] = Xr.T.dot(dh) + self.reg * W1
        grads["b1"] = dh.sum(axis=0)
        return loss, grads
''', "assignment 1's two-layer net: plain numpy, no layer functions", file="classifiers/fc_net.py"),
    Variant("TwoLayerNet.loop_over_layers", '''
class TwoLayerNet(object):
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        dims = [input_dim, hidden_dim, num_classes]
        for i in range(2):
            self.params["W%d" % (i + 1)] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])

    def loss(self, X, y=None):
        caches = {}
        hidden, caches["layer1"] = affine_relu_forward(X, self.params["W1"], self.params["b1"])
        scores, caches["layer2"] = affine_forward(hidden, self.params["W2"], self.params["b2"])
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dhidden, dW2, db2 = affine_backward(dscores, caches["layer2"])
        _, dW1, db1 = affine_relu_backward(dhidden, caches["layer1"])
        for k, (dW, db) in enumerate(((dW1, db1), (dW2, db2)), start=1):
            W = self.params["W%d" % k]
            loss += 0.5 * self.reg * np.sum(W ** 2)
            grads["W%d" % k] = dW + self.reg * W
            grads["b%d" % k] = db
        return loss, grads
''', "parameters made in a loop, caches in a dict, regularization per layer", file="classifiers/fc_net.py"),
    # ------------------------------------------------------------------ FullyConnectedNet
    Variant("FullyConnectedNet.layer_by_layer", _FC_SIGNATURE + '''
        sizes = [input_dim] + list(hidden_dims) + [num_classes]
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            self.params[f"W{i}"] = np.random.normal(0.0, weight_scale, size=(fan_in, fan_out))
            self.params[f"b{i}"] = np.zeros(fan_out)
            if normalization and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(fan_out)
                self.params[f"beta{i}"] = np.zeros(fan_out)
''' + _FC_INIT_TAIL + _FC_LOSS_HEAD + '''
        caches = {}
        h = X
        L = self.num_layers
        for i in range(1, L):
            h, caches[i, "affine"] = affine_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
            if self.normalization == "batchnorm":
                h, caches[i, "norm"] = batchnorm_forward(h, self.params[f"gamma{i}"], self.params[f"beta{i}"],
                                                         self.bn_params[i - 1])
            elif self.normalization == "layernorm":
                h, caches[i, "norm"] = layernorm_forward(h, self.params[f"gamma{i}"], self.params[f"beta{i}"],
                                                         self.bn_params[i - 1])
            h, caches[i, "relu"] = relu_forward(h)
            if self.use_dropout:
                h, caches[i, "dropout"] = dropout_forward(h, self.dropout_param)
        scores, caches[L, "affine"] = affine_forward(h, self.params[f"W{L}"], self.params[f"b{L}"])
        if mode == "test":
            return scores
        grads = {}
        loss, dh = softmax_loss(scores, y)
        dh, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dh, caches[L, "affine"])
        for i in range(L - 1, 0, -1):
            if self.use_dropout:
                dh = dropout_backward(dh, caches[i, "dropout"])
            dh = relu_backward(dh, caches[i, "relu"])
            if self.normalization == "batchnorm":
                dh, grads[f"gamma{i}"], grads[f"beta{i}"] = batchnorm_backward_alt(dh, caches[i, "norm"])
            elif self.normalization == "layernorm":
                dh, grads[f"gamma{i}"], grads[f"beta{i}"] = layernorm_backward(dh, caches[i, "norm"])
            dh, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dh, caches[i, "affine"])
        weights = [k for k in self.params if k.startswith("W")]
        loss += 0.5 * self.reg * sum(np.sum(self.params[k] ** 2) for k in weights)
        for k in weights:
            grads[k] += self.reg * self.params[k]
        return loss, grads
''', "every layer called on its own (batchnorm through batchnorm_backward_alt), caches in a dict keyed by "
         "(layer, kind)", file="classifiers/fc_net.py"),
    Variant("FullyConnectedNet.layer_table", _FC_SIGNATURE + '''
        dims = [input_dim, *hidden_dims, num_classes]
        self.layers = []  # (weight, bias, scale, shift) names of each layer, in order
        for i in range(self.num_layers):
            names = ("W" + str(i + 1), "b" + str(i + 1), "gamma" + str(i + 1), "beta" + str(i + 1))
            self.params[names[0]] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params[names[1]] = np.zeros(dims[i + 1])
            if self.normalization in ("batchnorm", "layernorm") and i + 1 < self.num_layers:
                self.params[names[2]] = np.ones(dims[i + 1])
                self.params[names[3]] = np.zeros(dims[i + 1])
            self.layers.append(names)
''' + _FC_INIT_TAIL + _FC_LOSS_HEAD + '''
        hidden_caches, dropout_caches = [], []
        out = X
        for i, (w, b, g, be) in enumerate(self.layers[:-1]):
            p = self.params
            if self.normalization == "batchnorm":
                out, cache = affine_bn_relu_forward(out, p[w], p[b], p[g], p[be], self.bn_params[i])
            elif self.normalization == "layernorm":
                out, cache = affine_ln_relu_forward(out, p[w], p[b], p[g], p[be], self.bn_params[i])
            else:
                out, cache = affine_relu_forward(out, p[w], p[b])
            hidden_caches.append(cache)
            if self.use_dropout:
                out, cache = dropout_forward(out, self.dropout_param)
                dropout_caches.append(cache)
        w, b, _, _ = self.layers[-1]
        scores, last_cache = affine_forward(out, self.params[w], self.params[b])
        if mode == "test":
            return scores
        loss, grads = 0.0, {}
        loss, dout = softmax_loss(scores, y)
        dout, dW, grads[b] = affine_backward(dout, last_cache)
        loss += 0.5 * self.reg * np.sum(self.params[w] * self.params[w])
        grads[w] = dW + self.reg * self.params[w]
        for i in reversed(range(self.num_layers - 1)):
            w, b, g, be = self.layers[i]
            if self.use_dropout:
                dout = dropout_backward(dout, dropout_caches[i])
            if self.normalization == "batchnorm":
                dout, dW, grads[b], grads[g], grads[be] = affine_bn_relu_backward(dout, hidden_caches[i])
            elif self.normalization == "layernorm":
                dout, dW, grads[b], grads[g], grads[be] = affine_ln_relu_backward(dout, hidden_caches[i])
            else:
                dout, dW, grads[b] = affine_relu_backward(dout, hidden_caches[i])
            loss += 0.5 * self.reg * np.sum(self.params[w] * self.params[w])
            grads[w] = dW + self.reg * self.params[w]
        return loss, grads
''', "a table of each layer's parameter names built in __init__; regularization added in the backward loop",
        file="classifiers/fc_net.py"),
    Variant("FullyConnectedNet.one_loop", _FC_SIGNATURE + '''
        prev = input_dim
        for i, dim in enumerate(list(hidden_dims) + [num_classes]):
            self.params["W%d" % (i + 1)] = np.random.randn(prev, dim) * weight_scale
            self.params["b%d" % (i + 1)] = np.zeros(dim)
            if self.normalization is not None and i < len(hidden_dims):
                self.params["gamma%d" % (i + 1)] = np.ones(dim)
                self.params["beta%d" % (i + 1)] = np.zeros(dim)
            prev = dim
''' + _FC_INIT_TAIL + _FC_LOSS_HEAD + '''
        caches = []
        out = X
        for i in range(1, self.num_layers + 1):
            W, b = self.params["W%d" % i], self.params["b%d" % i]
            if i == self.num_layers:
                out, cache = affine_forward(out, W, b)
                caches.append((cache, None))
                continue
            if self.normalization is None:
                out, cache = affine_relu_forward(out, W, b)
            else:
                sandwich = affine_bn_relu_forward if self.normalization == "batchnorm" else affine_ln_relu_forward
                out, cache = sandwich(out, W, b, self.params["gamma%d" % i], self.params["beta%d" % i],
                                      self.bn_params[i - 1])
            drop_cache = None
            if self.use_dropout:
                out, drop_cache = dropout_forward(out, self.dropout_param)
            caches.append((cache, drop_cache))
        scores = out
        if mode == "test":
            return scores
        loss, grads = 0.0, {}
        loss, dout = softmax_loss(scores, y)
        for i in range(self.num_layers, 0, -1):
            cache, drop_cache = caches[i - 1]
            if i == self.num_layers:
                dout, dW, db = affine_backward(dout, cache)
            else:
                if drop_cache is not None:
                    dout = dropout_backward(dout, drop_cache)
                if self.normalization is None:
                    dout, dW, db = affine_relu_backward(dout, cache)
                else:
                    backward = affine_bn_relu_backward if self.normalization == "batchnorm" else affine_ln_relu_backward
                    dout, dW, db, grads["gamma%d" % i], grads["beta%d" % i] = backward(dout, cache)
            W = self.params["W%d" % i]
            grads["W%d" % i] = dW + self.reg * W
            grads["b%d" % i] = db
            loss += 0.5 * self.reg * np.linalg.norm(W) ** 2
        return loss, grads
''', "one loop for every layer (the last one a branch), dropout caches paired with the layer's, "
         "regularization through np.linalg.norm", file="classifiers/fc_net.py"),
    # ------------------------------------------------------------------ ThreeLayerConvNet
    Variant("ThreeLayerConvNet.layer_by_layer", _CONV_HEAD + '''
        C, H, W = input_dim
        self.params["W1"] = np.random.normal(0, weight_scale, (num_filters, C, filter_size, filter_size))
        self.params["b1"] = np.zeros(num_filters)
        self.params["W2"] = np.random.normal(0, weight_scale, (num_filters * H * W // 4, hidden_dim))
        self.params["b2"] = np.zeros(hidden_dim)
        self.params["W3"] = np.random.normal(0, weight_scale, (hidden_dim, num_classes))
        self.params["b3"] = np.zeros(num_classes)
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)
''' + _CONV_LOSS_HEAD + '''
        conv, conv_cache = conv_forward_fast(X, W1, b1, conv_param)
        relu1, relu1_cache = relu_forward(conv)
        pool, pool_cache = max_pool_forward_fast(relu1, pool_param)
        fc, fc_cache = affine_forward(pool, W2, b2)
        relu2, relu2_cache = relu_forward(fc)
        scores, scores_cache = affine_forward(relu2, W3, b3)
        if y is None:
            return scores
        grads = {}
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * sum(np.sum(self.params[k] ** 2) for k in ("W1", "W2", "W3"))
        drelu2, grads["W3"], grads["b3"] = affine_backward(dscores, scores_cache)
        dfc = relu_backward(drelu2, relu2_cache)
        dpool, grads["W2"], grads["b2"] = affine_backward(dfc, fc_cache)
        drelu1 = max_pool_backward_fast(dpool, pool_cache)
        dconv = relu_backward(drelu1, relu1_cache)
        _, grads["W1"], grads["b1"] = conv_backward_fast(dconv, conv_cache)
        for k in ("W1", "W2", "W3"):
            grads[k] += self.reg * self.params[k]
        return loss, grads
''', "every layer called on its own, on the provided fast conv and pool layers", file="classifiers/cnn.py"),
    Variant("ThreeLayerConvNet.explicit_flatten", _CONV_HEAD + '''
        C, H, W = input_dim
        self.params["W1"] = weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)
        self.params["W2"] = weight_scale * np.random.randn(num_filters * (H // 2) * (W // 2), hidden_dim)
        self.params["W3"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b1"] = np.zeros(num_filters)
        self.params["b2"] = np.zeros(hidden_dim)
        self.params["b3"] = np.zeros(num_classes)
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)
''' + _CONV_LOSS_HEAD + '''
        pooled, cache1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        flat = pooled.reshape(pooled.shape[0], -1)
        hidden, cache2 = affine_relu_forward(flat, W2, b2)
        scores, cache3 = affine_forward(hidden, W3, b3)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))
        dhidden, dW3, db3 = affine_backward(dscores, cache3)
        dflat, dW2, db2 = affine_relu_backward(dhidden, cache2)
        _, dW1, db1 = conv_relu_pool_backward(dflat.reshape(pooled.shape), cache1)
        grads = {"W1": dW1 + self.reg * W1, "b1": db1, "W2": dW2 + self.reg * W2, "b2": db2,
                 "W3": dW3 + self.reg * W3, "b3": db3}
        return loss, grads
''', "the sandwiches, with the pooled maps flattened and their gradient reshaped by hand",
        file="classifiers/cnn.py"),
    Variant("ThreeLayerConvNet.inline_softmax", _CONV_HEAD + '''
        C, H, W = input_dim
        shapes = {"W1": (num_filters, C, filter_size, filter_size), "b1": (num_filters,),
                  "W2": (num_filters * (H // 2) * (W // 2), hidden_dim), "b2": (hidden_dim,),
                  "W3": (hidden_dim, num_classes), "b3": (num_classes,)}
        for name, shape in shapes.items():
            if name.startswith("W"):
                self.params[name] = (weight_scale * np.random.randn(*shape)).astype(dtype)
            else:
                self.params[name] = np.zeros(shape, dtype=dtype)
''' + _CONV_LOSS_HEAD + '''
        a1, c1 = conv_relu_forward(X, W1, b1, conv_param)
        p1, p1_cache = max_pool_forward_fast(a1, pool_param)
        a2, c2 = affine_relu_forward(p1, W2, b2)
        scores, c3 = affine_forward(a2, W3, b3)
        if y is None:
            return scores
        N = X.shape[0]
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        loss = -np.mean(log_probs[np.arange(N), y])
        dscores = np.exp(log_probs)
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {}
        da2, grads["W3"], grads["b3"] = affine_backward(dscores, c3)
        dp1, grads["W2"], grads["b2"] = affine_relu_backward(da2, c2)
        da1 = max_pool_backward_fast(dp1, p1_cache)
        _, grads["W1"], grads["b1"] = conv_relu_backward(da1, c1)
        for name in ("W1", "W2", "W3"):
            loss += 0.5 * self.reg * np.sum(self.params[name] ** 2)
            grads[name] = grads[name] + self.reg * self.params[name]
        return loss, grads
''', "the softmax loss written inline; conv-relu and pooling as two calls; parameters cast as they are made",
        file="classifiers/cnn.py"),
]
