"""Contract bugs: code that passes every notebook cell but breaks the documented API (issue 21).

Each bug ignores or mishandles one documented argument or key (a config key of an update rule, a key of
``bn_param``/``ln_param``/``gn_param``/``conv_param``/``pool_param``, a constructor argument), one documented
shape, or one robustness property (the max shift of softmax, zero variance, negative activations). They are
the patterns of issue 21 and others of the same kind seen in public submissions, written here as edits of
the reference with the same :class:`~corpus.bugs.Bug` mechanism as :mod:`corpus.bugs` (and graded the same way
by ``tests/test_contract_bugs.py``), kept apart from those 44 so that the contract checks of
``autograder/catalog/contract_*.py`` can be measured on their own.
"""
from __future__ import annotations

from .bugs import Bug

OPT, FC, CNN = "optim.py", "classifiers/fc_net.py", "classifiers/cnn.py"
_FC_INIT = "for i in range(1, self.num_layers + 1):\n    fan_in, fan_out = layer_dims[i - 1], layer_dims[i]\n"

CONTRACT_BUGS = [
    # ------------------------------------------------------------------ update rules: config keys
    Bug("sgd_momentum.momentum_hard_coded", "sgd_momentum",
        'v = config["momentum"] * v - config["learning_rate"] * dw', 'v = 0.9 * v - config["learning_rate"] * dw',
        "momentum fixed at the default 0.9 instead of config['momentum']", file=OPT, needs="optim"),
    Bug("sgd_momentum.learning_rate_hard_coded", "sgd_momentum",
        'v = config["momentum"] * v - config["learning_rate"] * dw', 'v = config["momentum"] * v - 1e-2 * dw',
        "learning rate fixed at the default 1e-2", file=OPT, needs="optim", allowed=frozenset({"sgd_momentum"})),
    Bug("rmsprop.epsilon_hard_coded", "rmsprop",
        '(np.sqrt(cache) + config["epsilon"])', "(np.sqrt(cache) + 1e-8)",
        "epsilon hard-coded at 1e-8: a non-default epsilon, or small gradients, give another step", file=OPT,
        needs="optim"),
    Bug("rmsprop.decay_rate_hard_coded", "rmsprop",
        'decay_rate = config["decay_rate"]', "decay_rate = 0.99",
        "decay_rate fixed at the default 0.99", file=OPT, needs="optim"),
    Bug("rmsprop.epsilon_inside_sqrt", "rmsprop",
        'np.sqrt(cache) + config["epsilon"]', 'np.sqrt(cache + config["epsilon"])',
        "epsilon added under the square root: wrong once gradients are as small as sqrt(epsilon)", file=OPT,
        needs="optim"),
    Bug("adam.epsilon_hard_coded", "adam",
        '(np.sqrt(v_hat) + config["epsilon"])', "(np.sqrt(v_hat) + 1e-8)",
        "epsilon hard-coded at 1e-8", file=OPT, needs="optim"),
    Bug("adam.beta1_hard_coded", "adam",
        'beta1, beta2 = config["beta1"], config["beta2"]', 'beta1, beta2 = 0.9, config["beta2"]',
        "beta1 fixed at the default 0.9", file=OPT, needs="optim"),
    Bug("adam.beta2_hard_coded", "adam",
        'beta1, beta2 = config["beta1"], config["beta2"]', 'beta1, beta2 = config["beta1"], 0.999',
        "beta2 fixed at the default 0.999", file=OPT, needs="optim"),
    Bug("adam.epsilon_inside_sqrt", "adam",
        'np.sqrt(v_hat) + config["epsilon"]', 'np.sqrt(v_hat + config["epsilon"])',
        "epsilon added under the square root", file=OPT, needs="optim"),
    Bug("adam.learning_rate_hard_coded", "adam",
        'config["learning_rate"] * m_hat', "1e-3 * m_hat",
        "learning rate fixed at the default 1e-3", file=OPT, needs="optim", allowed=frozenset({"adam"})),
    # ------------------------------------------------------------------ normalization: param keys, zero variance
    Bug("batchnorm_forward.eps_ignored", "batchnorm_forward",
        'eps = bn_param.get("eps", 1e-5)', "eps = 1e-5",
        "bn_param['eps'] ignored (always 1e-5)"),
    Bug("batchnorm_forward.momentum_ignored", "batchnorm_forward",
        'momentum = bn_param.get("momentum", 0.9)', "momentum = 0.9",
        "bn_param['momentum'] ignored (always 0.9)"),
    Bug("batchnorm_backward.eps_hard_coded", "batchnorm_backward",
        "x_hat, gamma, x_mu, std = cache", "x_hat, gamma, x_mu, std = cache\nstd = np.sqrt(np.mean(x_mu**2, axis=0) + 1e-5)",
        "the backward pass recomputes the std with eps = 1e-5 instead of the forward's eps"),
    Bug("batchnorm_backward_alt.eps_hard_coded", "batchnorm_backward_alt",
        "x_hat, gamma, _, std = cache", "x_hat, gamma, x_mu, std = cache\nstd = np.sqrt(np.mean(x_mu**2, axis=0) + 1e-5)",
        "the simplified backward recomputes the std with eps = 1e-5"),
    Bug("batchnorm_backward.std_without_eps", "batchnorm_backward",
        "dx_mu = dx_hat / std", "dx_mu = dx_hat / np.sqrt(np.mean(x_mu**2, axis=0))",
        "divides by the std without eps: inf or NaN on a constant feature"),
    Bug("layernorm_forward.eps_ignored", "layernorm_forward",
        'eps = ln_param.get("eps", 1e-5)', "eps = 1e-5",
        "ln_param['eps'] ignored (always 1e-5)"),
    Bug("spatial_groupnorm_forward.eps_ignored", "spatial_groupnorm_forward",
        'eps = gn_param.get("eps", 1e-5)', "eps = 1e-5",
        "gn_param['eps'] ignored (always 1e-5)"),
    Bug("spatial_batchnorm_forward.drops_bn_param_keys", "spatial_batchnorm_forward",
        "out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)",
        'param = {"mode": bn_param["mode"]}\nfor key in ("running_mean", "running_var"):\n'
        '    if key in bn_param:\n        param[key] = bn_param[key]\n'
        "out_rows, cache = batchnorm_forward(x_rows, gamma, beta, param)\n"
        'bn_param["running_mean"], bn_param["running_var"] = param["running_mean"], param["running_var"]',
        "passes batchnorm_forward a new dict with mode and running statistics only: eps and momentum are lost"),
    # ------------------------------------------------------------------ losses: extreme logits
    Bug("softmax_loss.no_max_shift", "softmax_loss",
        "shifted_logits = x - np.max(x, axis=1, keepdims=True)", "shifted_logits = x",
        "no max shift: exp overflows (inf, NaN) for logits around 1000"),
    Bug("softmax_loss.log_of_clamped_probability", "softmax_loss",
        "log_probs = shifted_logits - np.log(np.sum(np.exp(shifted_logits), axis=1, keepdims=True))",
        "probs = np.exp(shifted_logits) / np.sum(np.exp(shifted_logits), axis=1, keepdims=True)\n"
        "log_probs = np.log(np.maximum(probs, 1e-20))",
        "log of a probability clamped at 1e-20: the loss is capped at 46 once a wrong class leads by more"),
    # ------------------------------------------------------------------ dropout
    Bug("dropout_backward.mask_in_test_mode", "dropout_backward",
        "dx = dout.copy()", "dx = dout * mask",
        "test mode multiplies by the mask, which is None in test mode"),
    # ------------------------------------------------------------------ convolution and pooling: param keys
    Bug("conv_forward_naive.square_filters_only", "conv_forward_naive",
        "F, _, HH, WW = w.shape", "F, _, HH, _ = w.shape\nWW = HH",
        "filter width taken from its height (right for square filters only)"),
    Bug("max_pool_forward_naive.max_with_zero", "max_pool_forward_naive",
        "out[:, :, i, j] = np.max(window, axis=(2, 3))", "out[:, :, i, j] = np.maximum(np.max(window, axis=(2, 3)), 0)",
        "the maximum starts from 0 (an output initialised with zeros): wrong where a window is all negative"),
    Bug("max_pool_backward_naive.width_from_height", "max_pool_backward_naive",
        "row, col = np.divmod(np.argmax(window.reshape(N, C, -1), axis=2), WW)",
        "row, col = np.divmod(np.argmax(window.reshape(N, C, -1), axis=2), HH)",
        "the position of the maximum decoded with pool_height as the row length (square windows only)"),
    # ------------------------------------------------------------------ FullyConnectedNet: constructor arguments
    Bug("FullyConnectedNet.one_hidden_layer_crash", "FullyConnectedNet.__init__",
        _FC_INIT,
        'self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dims[0])\n'
        'self.params["b1"] = np.zeros(hidden_dims[0])\n'
        "for i in range(1, len(hidden_dims)):\n"
        '    self.params[f"W{i + 1}"] = weight_scale * np.random.randn(hidden_dims[i - 1], hidden_dims[i])\n'
        '    self.params[f"b{i + 1}"] = np.zeros(hidden_dims[i])\n'
        'self.params[f"W{self.num_layers}"] = weight_scale * np.random.randn(hidden_dims[i], num_classes)\n'
        'self.params[f"b{self.num_layers}"] = np.zeros(num_classes)\n'
        "for i in range(1, self.num_layers + 1):\n    fan_in, fan_out = layer_dims[i - 1], layer_dims[i]\n",
        "the last layer is sized with the middle loop's variable, unbound with exactly one hidden layer",
        file=FC, needs="models",
        also=(('self.params[f"W{i}"] = weight_scale * np.random.randn(fan_in, fan_out)\n'
               'self.params[f"b{i}"] = np.zeros(fan_out)\n', ""),)),
    Bug("FullyConnectedNet.weight_scale_ignored", "FullyConnectedNet.__init__",
        'self.params[f"W{i}"] = weight_scale * np.random.randn(fan_in, fan_out)',
        'self.params[f"W{i}"] = 1e-2 * np.random.randn(fan_in, fan_out)',
        "weights drawn with the default scale 1e-2 whatever weight_scale says", file=FC, needs="models"),
    Bug("FullyConnectedNet.dtype_ignored", "FullyConnectedNet.__init__",
        "for k, v in self.params.items():\n    self.params[k] = v.astype(dtype)", "pass",
        "parameters left float64 whatever dtype says", file=FC, needs="models"),
    Bug("FullyConnectedNet.reg_only_in_loss", "FullyConnectedNet.loss",
        'grads[f"W{i}"] += self.reg * W\n', "",
        "the L2 penalty is added to the loss but not to the gradients", file=FC, needs="models"),
    Bug("FullyConnectedNet.norm_on_first_layer_only", "FullyConnectedNet.loss",
        "if self.normalization == \"batchnorm\":\n    gamma, beta",
        "if self.normalization == \"batchnorm\" and i == 1:\n    gamma, beta",
        "batchnorm only after the first hidden layer (the notebooks' nets have two)", file=FC, needs="models",
        also=(('if self.normalization == "batchnorm":\n    dout, grads', 'if self.normalization == "batchnorm" and i == 1:\n    dout, grads'),
              ("return loss, grads", "for name, value in self.params.items():\n"
                                     "    grads.setdefault(name, np.zeros_like(value))\nreturn loss, grads"))),
    # ------------------------------------------------------------------ TwoLayerNet
    Bug("TwoLayerNet.weight_scale_ignored", "TwoLayerNet.__init__",
        'self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)',
        'self.params["W1"] = 1e-3 * np.random.randn(input_dim, hidden_dim)',
        "W1 drawn with the default scale 1e-3", file=FC, needs="models"),
    # ------------------------------------------------------------------ ThreeLayerConvNet
    Bug("ThreeLayerConvNet.filter_size_ignored", "ThreeLayerConvNet.__init__",
        "num_filters, C, filter_size, filter_size)", "num_filters, C, 3, 3)",
        "the filters are always 3x3", file=CNN, needs="models"),
    Bug("ThreeLayerConvNet.square_images_only", "ThreeLayerConvNet.__init__",
        "pooled_dim = num_filters * (H // 2) * (W // 2)", "pooled_dim = num_filters * (H // 2) * (H // 2)",
        "W2 sized for square images (H used for W)", file=CNN, needs="models"),
    Bug("ThreeLayerConvNet.no_max_pool", "ThreeLayerConvNet.loss",
        "pooled, pool_cache = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)",
        "pooled, pool_cache = conv_relu_forward(X, W1, b1, conv_param)",
        "the 2x2 max pool is left out of the loss (the activations no longer match W2)", file=CNN, needs="models",
        also=(("_, grads[\"W1\"], grads[\"b1\"] = conv_relu_pool_backward(dpooled, pool_cache)",
               "_, grads[\"W1\"], grads[\"b1\"] = conv_relu_backward(dpooled, pool_cache)"),)),
    Bug("ThreeLayerConvNet.reg_only_in_loss", "ThreeLayerConvNet.loss",
        "grads[name] += self.reg * W\n", "",
        "the L2 penalty is added to the loss but not to the gradients", file=CNN, needs="models"),
    Bug("ThreeLayerConvNet.pad_hard_coded", "ThreeLayerConvNet.loss",
        'conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}', 'conv_param = {"stride": 1, "pad": 1}',
        "pad fixed at 1 (right for 3x3 filters only)", file=CNN, needs="models"),
    Bug("ThreeLayerConvNet.weight_scale_ignored", "ThreeLayerConvNet.__init__",
        'self.params["W3"] = weight_scale * np.random.randn(hidden_dim, num_classes)',
        'self.params["W3"] = 1e-3 * np.random.randn(hidden_dim, num_classes)',
        "W3 drawn with the default scale 1e-3", file=CNN, needs="models"),
]
