"""Variants for the contract checks (issue 21): other correct ways to honour each documented key and argument,
so that the checks of ``autograder/catalog/contract_*.py`` are shown not to depend on the reference's way."""
from . import Variant
from .models import _CONV_HEAD, _FC_INIT_TAIL, _FC_LOSS_HEAD, _FC_SIGNATURE

VARIANTS = [
    # ------------------------------------------------------------------ update rules: keys read without setdefault
    Variant("sgd_momentum.config_get", '''
def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    learning_rate = config.get("learning_rate", 1e-2)
    momentum = config.get("momentum", 0.9)
    velocity = config.get("velocity")
    if velocity is None:
        velocity = np.zeros_like(w)
    velocity = momentum * velocity - learning_rate * dw
    config.update(learning_rate=learning_rate, momentum=momentum, velocity=velocity)
    return w + velocity, config
''', "every key read with config.get and written back with config.update", file="optim.py"),
    Variant("rmsprop.config_get", '''
def rmsprop(w, dw, config=None):
    config = dict(config or {})
    lr = config.get("learning_rate", 1e-2)
    rho = config.get("decay_rate", 0.99)
    eps = config.get("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    cache = rho * cache + (1 - rho) * np.square(dw)
    config["cache"] = cache
    step = np.divide(dw, np.add(np.sqrt(cache), eps))
    return w - lr * step, config
''', "keys read with config.get into short names; a new config dict is returned", file="optim.py"),
    Variant("adam.folded_bias_correction", '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    lr = config.get("learning_rate", 1e-3)
    b1, b2 = config.get("beta1", 0.9), config.get("beta2", 0.999)
    eps = config.get("epsilon", 1e-8)
    m = config.get("m", np.zeros_like(w))
    v = config.get("v", np.zeros_like(w))
    t = config.get("t", 0) + 1
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * dw * dw
    c1, c2 = 1 - b1 ** t, np.sqrt(1 - b2 ** t)
    # the bias corrections folded into the step size; epsilon scaled so that the step is exactly the same
    next_w = w - (lr * c2 / c1) * m / (np.sqrt(v) + eps * c2)
    config.update(learning_rate=lr, beta1=b1, beta2=b2, epsilon=eps, m=m, v=v, t=t)
    return next_w, config
''', "the bias corrections folded into the step size, epsilon rescaled to match", file="optim.py"),
    # ------------------------------------------------------------------ layers: eps kept, extreme inputs
    Variant("layernorm_forward.eps_in_cache", '''
def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mean = x.mean(axis=1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
    out = gamma * (x - mean) / np.sqrt(var + eps) + beta
    return out, (x, mean, var, eps, gamma)


def layernorm_backward(dout, cache):
    x, mean, var, eps, gamma = cache
    D = x.shape[1]
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dx = inv / D * (D * dxhat - dxhat.sum(axis=1, keepdims=True) - xhat * (dxhat * xhat).sum(axis=1, keepdims=True))
    return dx, dgamma, dbeta
''', "the cache keeps eps and the variance; the backward recomputes the std from them"),
    Variant("max_pool_forward_naive.minus_infinity", '''
def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    Ho, Wo = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.full((N, C, Ho, Wo), -np.inf, dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            for a in range(ph):
                for b in range(pw):
                    out[:, :, i, j] = np.maximum(out[:, :, i, j], x[:, :, i * s + a, j * s + b])
    return out, (x, pool_param)
''', "the maximum grown from -inf one window position at a time", file="layers.py"),
    Variant("softmax_loss.logaddexp", '''
def softmax_loss(x, y):
    N = x.shape[0]
    log_norm = np.logaddexp.reduce(x, axis=1, keepdims=True)
    log_probs = x - log_norm
    loss = -log_probs[np.arange(N), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return loss, dx / N
''', "the normalizer by np.logaddexp.reduce (no explicit max shift, still stable)"),
    # ------------------------------------------------------------------ models: constructor arguments
    Variant("FullyConnectedNet.zip_dims", _FC_SIGNATURE + '''
        sizes = [input_dim] + list(hidden_dims) + [num_classes]
        for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:]), start=1):
            self.params["W" + str(i)] = np.random.normal(0.0, weight_scale, size=(fan_in, fan_out))
            self.params["b" + str(i)] = np.zeros(fan_out)
            if normalization in ("batchnorm", "layernorm") and i < len(sizes) - 1:
                self.params["gamma" + str(i)] = np.ones(fan_out)
                self.params["beta" + str(i)] = np.zeros(fan_out)
''' + _FC_INIT_TAIL + _FC_LOSS_HEAD + '''
        L = self.num_layers
        hidden, caches = X, {}
        for i in range(1, L):
            args = (hidden, self.params["W%d" % i], self.params["b%d" % i])
            if self.normalization == "batchnorm":
                hidden, caches[i] = affine_bn_relu_forward(*args, self.params["gamma%d" % i],
                                                           self.params["beta%d" % i], self.bn_params[i - 1])
            elif self.normalization == "layernorm":
                hidden, caches[i] = affine_ln_relu_forward(*args, self.params["gamma%d" % i],
                                                           self.params["beta%d" % i], self.bn_params[i - 1])
            else:
                hidden, caches[i] = affine_relu_forward(*args)
            if self.use_dropout:
                hidden, caches["drop%d" % i] = dropout_forward(hidden, self.dropout_param)
        scores, caches[L] = affine_forward(hidden, self.params["W%d" % L], self.params["b%d" % L])
        if mode == "test":
            return scores
        loss, dscores = softmax_loss(scores, y)
        weights = [self.params["W%d" % i] for i in range(1, L + 1)]
        loss += 0.5 * self.reg * sum(np.vdot(W, W) for W in weights)
        grads = {}
        d, grads["W%d" % L], grads["b%d" % L] = affine_backward(dscores, caches[L])
        for i in reversed(range(1, L)):
            if self.use_dropout:
                d = dropout_backward(d, caches["drop%d" % i])
            if self.normalization == "batchnorm":
                d, grads["W%d" % i], grads["b%d" % i], grads["gamma%d" % i], grads["beta%d" % i] = \\
                    affine_bn_relu_backward(d, caches[i])
            elif self.normalization == "layernorm":
                d, grads["W%d" % i], grads["b%d" % i], grads["gamma%d" % i], grads["beta%d" % i] = \\
                    affine_ln_relu_backward(d, caches[i])
            else:
                d, grads["W%d" % i], grads["b%d" % i] = affine_relu_backward(d, caches[i])
        for i, W in enumerate(weights, start=1):
            grads["W%d" % i] = grads["W%d" % i] + self.reg * W
        return loss, grads
''', "layer sizes zipped, weights from np.random.normal(0, weight_scale), caches in a dict keyed by layer, "
         "the penalty through np.vdot", file="classifiers/fc_net.py"),
    Variant("ThreeLayerConvNet.params_from_constructor", _CONV_HEAD + '''
        C, H, W = input_dim
        self.conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        self.pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        H_pool = 1 + (H - 2) // 2
        W_pool = 1 + (W - 2) // 2
        self.params["W1"] = np.random.normal(scale=weight_scale, size=(num_filters, C, filter_size, filter_size))
        self.params["b1"] = np.zeros(num_filters)
        self.params["W2"] = np.random.normal(scale=weight_scale, size=(num_filters * H_pool * W_pool, hidden_dim))
        self.params["b2"] = np.zeros(hidden_dim)
        self.params["W3"] = np.random.normal(scale=weight_scale, size=(hidden_dim, num_classes))
        self.params["b3"] = np.zeros(num_classes)
        self.params = {k: v.astype(dtype) for k, v in self.params.items()}

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        p = self.params
        out1, cache1 = conv_relu_pool_forward(X, p["W1"], p["b1"], self.conv_param, self.pool_param)
        out2, cache2 = affine_relu_forward(out1, p["W2"], p["b2"])
        scores, cache3 = affine_forward(out2, p["W3"], p["b3"])
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        grads = {}
        d2, grads["W3"], grads["b3"] = affine_backward(dscores, cache3)
        d1, grads["W2"], grads["b2"] = affine_relu_backward(d2, cache2)
        _, grads["W1"], grads["b1"] = conv_relu_pool_backward(d1, cache1)
        for name in ("W1", "W2", "W3"):
            loss += 0.5 * self.reg * np.sum(np.square(p[name]))
            grads[name] += self.reg * p[name]
        return loss, grads
''', "conv_param and pool_param built once in the constructor from filter_size; the pooled size by the "
         "pooling formula", file="classifiers/cnn.py"),
]
