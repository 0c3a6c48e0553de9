"""Realistic student bugs, each a textual edit of one reference function.

Every entry is what students really get wrong in these assignments (seen in the notebooks' seeds, in
course forums and in public solutions): a shape they forget, an axis they confuse, a term they drop, an
array they modify in place. A bug is applied to the reference written as a CS231n student's package (the
sandwich layers on the provided fast layers, as CS231n's layer_utils.py has them), and must cost points
in checks of the bugged function, and only in checks of the functions that call it (``allowed``).

``old`` and ``new`` are code of the bugged function (never its docstring); continuation lines are written
without the function's indentation. ``old`` must occur exactly once.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import replace_in_function

MODELS = frozenset({"TwoLayerNet", "FullyConnectedNet", "ThreeLayerConvNet"})
AFFINE_SANDWICHES = frozenset({"affine_relu_backward", "affine_bn_relu_backward", "affine_ln_relu_backward"})
RELU_SANDWICHES = AFFINE_SANDWICHES | {"conv_relu_backward", "conv_relu_pool_backward", "conv_bn_relu_backward"}

# Every target whose checks call a function (directly, through a sandwich, a model or training). The conv
# sandwiches and ThreeLayerConvNet run on the provided fast layers, so the naive conv and pool layers
# reach only their own checks.
USERS = {
    "affine_forward": {"affine_forward", "affine_backward"} | AFFINE_SANDWICHES | MODELS,
    "affine_backward": {"affine_backward"} | AFFINE_SANDWICHES | MODELS,
    "relu_forward": {"relu_forward", "relu_backward"} | RELU_SANDWICHES | MODELS,
    "relu_backward": {"relu_backward"} | RELU_SANDWICHES | MODELS,
    "svm_loss": {"svm_loss"},
    "softmax_loss": {"softmax_loss"} | MODELS,
    "batchnorm_forward": {"batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
                          "spatial_batchnorm_forward", "spatial_batchnorm_backward", "affine_bn_relu_backward",
                          "conv_bn_relu_backward", "FullyConnectedNet"},
    "batchnorm_backward": {"batchnorm_backward", "spatial_batchnorm_backward", "affine_bn_relu_backward",
                           "conv_bn_relu_backward", "FullyConnectedNet"},
    "batchnorm_backward_alt": {"batchnorm_backward_alt"},
    "layernorm_forward": {"layernorm_forward", "layernorm_backward", "affine_ln_relu_backward", "FullyConnectedNet"},
    "layernorm_backward": {"layernorm_backward", "affine_ln_relu_backward", "FullyConnectedNet"},
    "dropout_forward": {"dropout_forward", "dropout_backward", "FullyConnectedNet"},
    "dropout_backward": {"dropout_backward", "FullyConnectedNet"},
    "conv_forward_naive": {"conv_forward_naive", "conv_backward_naive"},
    "conv_backward_naive": {"conv_backward_naive"},
    "max_pool_forward_naive": {"max_pool_forward_naive", "max_pool_backward_naive"},
    "max_pool_backward_naive": {"max_pool_backward_naive"},
    "spatial_batchnorm_forward": {"spatial_batchnorm_forward", "spatial_batchnorm_backward", "conv_bn_relu_backward"},
    "spatial_batchnorm_backward": {"spatial_batchnorm_backward", "conv_bn_relu_backward"},
    "spatial_groupnorm_forward": {"spatial_groupnorm_forward", "spatial_groupnorm_backward"},
    "spatial_groupnorm_backward": {"spatial_groupnorm_backward"},
    "affine_bn_relu_forward": {"affine_bn_relu_backward", "FullyConnectedNet"},
    "affine_bn_relu_backward": {"affine_bn_relu_backward", "FullyConnectedNet"},
    "sgd_momentum": {"sgd_momentum", "FullyConnectedNet"},
    "rmsprop": {"rmsprop", "FullyConnectedNet"},
    "adam": {"adam"} | MODELS,
    "TwoLayerNet": {"TwoLayerNet"},
    "FullyConnectedNet": {"FullyConnectedNet"},
    "ThreeLayerConvNet": {"ThreeLayerConvNet"},
}
FILES = {"optim": "optim.py", "layer_utils": "layer_utils.py", "fc_net": "classifiers/fc_net.py",
         "cnn": "classifiers/cnn.py"}


@dataclass(frozen=True)
class Bug:
    """One realistic bug: a textual edit of one reference function."""

    id: str
    function: str
    """The edited function, or ``Class.method``."""
    old: str
    new: str
    description: str
    file: str = "layers.py"
    """The reference file (relative to the package)."""
    allowed: frozenset = None
    """Targets allowed to lose points (default: every user of the bugged function)."""
    needs: str = ""
    """Catalog module whose checks find the bug (models, optim, training); skipped while it is missing."""
    also: tuple = ()
    """More ``(old, new)`` edits of the same function, for a bug that touches several places."""

    @property
    def target(self):
        """The target whose tests must fail: the function, or the class of a method."""
        return self.function.split(".")[0]

    @property
    def allowed_targets(self):
        return frozenset(self.allowed if self.allowed is not None else USERS[self.target])

    def apply(self, text):
        for old, new in ((self.old, self.new),) + tuple(self.also):
            text = replace_in_function(text, self.function, old, new)
        return text


BUGS = [
    # ------------------------------------------------------------------ affine, relu, losses
    Bug("affine_forward.no_reshape", "affine_forward",
        "out = x.reshape(x.shape[0], -1).dot(w) + b", "out = x.dot(w) + b",
        "x is not reshaped to (N, D): works for 2-D x only"),
    Bug("affine_backward.db_wrong_axis", "affine_backward",
        "db = np.sum(dout, axis=0)", "db = np.sum(dout, axis=1)",
        "db summed over the outputs instead of over the batch"),
    Bug("affine_backward.dx_not_reshaped", "affine_backward",
        "dx = dout.dot(w.T).reshape(x.shape)", "dx = dout.dot(w.T)",
        "dx left as (N, D) instead of x's shape"),
    Bug("relu_backward.modifies_cache", "relu_backward",
        "dx = dout * (x > 0)", "x[x < 0] = 0\nx[x > 0] = 1\ndx = np.multiply(x, dout)",
        "the mask is built in place in the cached x (as in the nndl 2023 seed)"),
    Bug("svm_loss.not_averaged", "svm_loss",
        "loss = np.sum(margins) / N", "loss = np.sum(margins)",
        "the loss is summed, not averaged over the batch (dx is averaged)"),
    Bug("svm_loss.counts_correct_class", "svm_loss",
        "margins[np.arange(N), y] = 0\n", "",
        "the correct class's margin of 1 is not zeroed: every example adds 1 to the loss"),
    Bug("softmax_loss.dx_not_averaged", "softmax_loss",
        "dx /= N\n", "",
        "dx is not divided by N while the loss is averaged"),
    # ------------------------------------------------------------------ batch / layer / group norm
    Bug("batchnorm_forward.ddof1", "batchnorm_forward",
        "sample_var = np.var(x, axis=0)", "sample_var = np.var(x, axis=0, ddof=1)",
        "unbiased variance (ddof=1) instead of the biased one"),
    Bug("batchnorm_forward.no_eps", "batchnorm_forward",
        "std = np.sqrt(sample_var + eps)", "std = np.sqrt(sample_var)",
        "eps forgotten in the training-time normalization"),
    Bug("batchnorm_forward.momentum_swapped", "batchnorm_forward",
        "running_mean = momentum * running_mean + (1 - momentum) * sample_mean",
        "running_mean = momentum * sample_mean + (1 - momentum) * running_mean",
        "momentum applied to the new batch mean instead of the running mean"),
    Bug("batchnorm_forward.test_uses_batch_stats", "batchnorm_forward",
        "out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta",
        "out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta",
        "test mode normalizes with the test batch's statistics"),
    Bug("batchnorm_forward.test_eps_outside_sqrt", "batchnorm_forward",
        "out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta",
        "out = gamma * (x - running_mean) / (np.sqrt(running_var) + eps) + beta",
        "test mode divides by sqrt(running_var) + eps instead of sqrt(running_var + eps) (seen in real submissions)"),
    Bug("batchnorm_backward.no_mean_term", "batchnorm_backward",
        "dx = dx_mu - np.sum(dx_mu, axis=0) / N", "dx = dx_mu",
        "the gradient through the batch mean is dropped"),
    Bug("batchnorm_backward_alt.dgamma_not_summed", "batchnorm_backward_alt",
        "dgamma = np.sum(dout * x_hat, axis=0)", "dgamma = dout * x_hat",
        "dgamma not summed over the batch (shape (N, D))"),
    Bug("layernorm_forward.axis0", "layernorm_forward",
        "sample_mean = np.mean(x, axis=1, keepdims=True)\nsample_var = np.var(x, axis=1, keepdims=True)",
        "sample_mean = np.mean(x, axis=0, keepdims=True)\nsample_var = np.var(x, axis=0, keepdims=True)",
        "statistics over the batch (axis 0), copied from batchnorm"),
    Bug("layernorm_backward.batch_axis", "layernorm_backward",
        "- np.sum(dx_hat, axis=1, keepdims=True)", "- np.sum(dx_hat, axis=0, keepdims=True)",
        "one sum over the batch axis left from batchnorm_backward_alt"),
    Bug("spatial_batchnorm_forward.no_transpose", "spatial_batchnorm_forward",
        "x_rows = x.transpose(0, 2, 3, 1).reshape(N * H * W, C)", "x_rows = x.reshape(N * H * W, C)",
        "x reshaped to (N*H*W, C) without moving C last"),
    Bug("spatial_batchnorm_forward.running_mean_is_batch_mean", "spatial_batchnorm_forward",
        "out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)",
        'out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)\nif bn_param["mode"] == "train":\n'
        '    bn_param["running_mean"] = x_rows.mean(axis=0)',
        "the running mean is overwritten by the batch mean (no momentum; seen in real submissions)"),
    Bug("spatial_batchnorm_backward.no_transpose", "spatial_batchnorm_backward",
        "dx = dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)", "dx = dx_rows.reshape(N, C, H, W)",
        "dx reshaped straight to (N, C, H, W)"),
    Bug("spatial_groupnorm_forward.across_groups", "spatial_groupnorm_forward",
        "sample_mean = np.mean(x_groups, axis=2, keepdims=True)\nsample_var = np.var(x_groups, axis=2, keepdims=True)",
        "sample_mean = np.mean(x_groups, axis=1, keepdims=True)\nsample_var = np.var(x_groups, axis=1, keepdims=True)",
        "statistics across the groups axis instead of within each group"),
    # ------------------------------------------------------------------ dropout
    Bug("dropout_forward.p_is_drop", "dropout_forward",
        "mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype)",
        "mask = ((np.random.rand(*x.shape) >= p) / (1 - p)).astype(x.dtype)",
        "p used as the probability of dropping a unit"),
    Bug("dropout_forward.not_inverted", "dropout_forward",
        "mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype)",
        "mask = (np.random.rand(*x.shape) < p).astype(x.dtype)",
        "vanilla dropout: kept units are not scaled by 1 / p"),
    Bug("dropout_backward.unscaled_mask", "dropout_backward",
        "dx = dout * mask", "dx = dout * (mask > 0)",
        "backward applies the 0/1 mask without the 1 / p scale"),
    # ------------------------------------------------------------------ convolution and pooling
    Bug("conv_forward_naive.pad_all_dims", "conv_forward_naive",
        'x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")',
        'x_pad = np.pad(x, pad, mode="constant")',
        "np.pad(x, pad) pads N and C too"),
    Bug("conv_forward_naive.stride_ignored", "conv_forward_naive",
        "field = x_pad[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]",
        "field = x_pad[:, :, i:i + HH, j:j + WW]",
        "windows move by 1 whatever the stride"),
    Bug("conv_forward_naive.unpadded_input", "conv_forward_naive",
        "field = x_pad[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]",
        "field = x[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]",
        "the windows are taken from x instead of the padded x (seen in real submissions)"),
    Bug("conv_backward_naive.negative_pad_slice", "conv_backward_naive",
        "dx = dx_pad[:, :, pad:pad + H, pad:pad + W]", "dx = dx_pad[:, :, pad:-pad, pad:-pad]",
        "the padding is cut with pad:-pad, which is empty when pad = 0 (the most common real conv bug)"),
    Bug("max_pool_forward_naive.width_from_pool_height", "max_pool_forward_naive",
        'H_out, W_out = _pool_output_shape(np.shape(x), pool_param, "max_pool_forward_naive")',
        'H_out = 1 + (x.shape[2] - pool_param["pool_height"]) // pool_param["stride"]\n'
        'W_out = 1 + (x.shape[3] - pool_param["pool_height"]) // pool_param["stride"]',
        "the output width is computed from pool_height (right for square windows only; seen in real submissions)"),
    Bug("conv_backward_naive.dx_keeps_padding", "conv_backward_naive",
        "dx = dx_pad[:, :, pad:pad + H, pad:pad + W]", "dx = dx_pad",
        "dx keeps the padding"),
    Bug("conv_backward_naive.db_wrong_axes", "conv_backward_naive",
        "db = np.sum(dout, axis=(0, 2, 3))", "db = np.sum(dout, axis=(1, 2, 3))",
        "db summed over the filters instead of the batch and positions"),
    Bug("max_pool_backward_naive.whole_window", "max_pool_backward_naive",
        "dx[n, c, i * stride + row, j * stride + col] += dout[:, :, i, j]",
        "dx[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += dout[:, :, i, j, None, None]",
        "the gradient goes to every element of the window, not only the maximum"),
    Bug("max_pool_backward_naive.overwrites", "max_pool_backward_naive",
        "dx[n, c, i * stride + row, j * stride + col] += dout[:, :, i, j]",
        "dx[n, c, i * stride + row, j * stride + col] = dout[:, :, i, j]",
        "overlapping windows overwrite each other's gradient instead of adding up"),
    # ------------------------------------------------------------------ sandwich layers
    Bug("affine_bn_relu_backward.skips_relu", "affine_bn_relu_backward",
        "da, dgamma, dbeta = batchnorm_backward(da_bn, bn_cache)",
        "da, dgamma, dbeta = batchnorm_backward(dout, bn_cache)",
        "the batchnorm backward gets dout instead of the ReLU's gradient", file="layer_utils.py"),
    # ------------------------------------------------------------------ update rules
    Bug("sgd_momentum.sign", "sgd_momentum",
        'v = config["momentum"] * v - config["learning_rate"] * dw',
        'v = config["momentum"] * v + config["learning_rate"] * dw',
        "the velocity adds the gradient (ascent)", file="optim.py", needs="optim"),
    Bug("rmsprop.no_sqrt", "rmsprop",
        "np.sqrt(cache)", "cache",
        "divides by the cache instead of its square root", file="optim.py", needs="optim"),
    Bug("adam.no_bias_correction", "adam",
        'm_hat = config["m"] / (1 - beta1 ** config["t"])\nv_hat = config["v"] / (1 - beta2 ** config["t"])',
        'm_hat = config["m"]\nv_hat = config["v"]',
        "no bias correction of m and v", file="optim.py", needs="optim"),
    Bug("adam.t_after_use", "adam",
        'config["t"] += 1\nconfig["m"] = beta1 * config["m"] + (1 - beta1) * dw\n'
        'config["v"] = beta2 * config["v"] + (1 - beta2) * dw**2\nm_hat = config["m"] / (1 - beta1 ** config["t"])\n'
        'v_hat = config["v"] / (1 - beta2 ** config["t"])',
        'config["m"] = beta1 * config["m"] + (1 - beta1) * dw\n'
        'config["v"] = beta2 * config["v"] + (1 - beta2) * dw**2\n'
        'm_hat = config["m"] / (1 - beta1 ** config["t"])\nv_hat = config["v"] / (1 - beta2 ** config["t"])\n'
        'config["t"] += 1',
        "t incremented after the bias correction instead of before", file="optim.py", needs="optim"),
    # ------------------------------------------------------------------ models
    Bug("TwoLayerNet.reg_one_layer", "TwoLayerNet.loss",
        'for name in ("W1", "W2"):', 'for name in ("W1",):',
        "L2 regularization of W2 forgotten", file="classifiers/fc_net.py", needs="models"),
    Bug("FullyConnectedNet.reg_no_half", "FullyConnectedNet.loss",
        "loss += 0.5 * self.reg * np.sum(W * W)", "loss += self.reg * np.sum(W * W)",
        "regularization without the 0.5 (the gradient keeps reg * W)", file="classifiers/fc_net.py",
        needs="models"),
    Bug("FullyConnectedNet.last_layer_not_regularized", "FullyConnectedNet.loss",
        "for i in range(1, L + 1):", "for i in range(1, L):",
        "the L2 penalty (and its gradient) leaves out the last affine layer", file="classifiers/fc_net.py",
        needs="models"),
    Bug("FullyConnectedNet.ignores_layernorm", "FullyConnectedNet.loss",
        'elif self.normalization == "layernorm":\n    gamma, beta = self.params[f"gamma{i}"], self.params[f"beta{i}"]\n'
        '    out, cache = affine_ln_relu_forward(out, W, b, gamma, beta, self.bn_params[i - 1])',
        'elif False:  # layernorm was never written\n    pass',
        "normalization='layernorm' runs the plain network; gamma and beta get zero gradients",
        file="classifiers/fc_net.py", needs="models",
        also=(('elif self.normalization == "layernorm":\n    dout, grads[f"W{i}"], grads[f"b{i}"], grads[f"gamma{i}"], '
               'grads[f"beta{i}"] = (\n        affine_ln_relu_backward(dout, hidden_caches[i - 1]))',
               'elif False:\n    pass'),
              ("return loss, grads", "for name, value in self.params.items():\n"
                                     "    grads.setdefault(name, np.zeros_like(value))\nreturn loss, grads"))),
    Bug("FullyConnectedNet.dropout_not_backpropagated", "FullyConnectedNet.loss",
        "if self.use_dropout:\n    dout = dropout_backward(dout, dropout_caches[i - 1])\n", "",
        "the backward pass skips the dropout layers", file="classifiers/fc_net.py", needs="models"),
    Bug("ThreeLayerConvNet.pool_not_halved", "ThreeLayerConvNet.__init__",
        "pooled_dim = num_filters * (H // 2) * (W // 2)", "pooled_dim = num_filters * H * W",
        "W2 sized for the unpooled activations", file="classifiers/cnn.py", needs="models"),
    # ------------------------------------------------------------------ side effects
    Bug("relu_backward.zeroes_dout", "relu_backward",
        "dx = dout * (x > 0)", "dx = dout\ndx[x <= 0] = 0",
        "dx = dout aliases the upstream gradient, so zeroing dx zeroes the caller's dout"),
]
BY_ID = {bug.id: bug for bug in BUGS}


def compatible(a: Bug, b: Bug) -> bool:
    """Whether two bugs can share a submission and still be told apart in its report.

    Their allowed targets are disjoint, or overlap only in models that both may break (then neither
    bug's own target is in the other's allowed set, so its own failures are attributable).
    """
    if a.target == b.target:
        return False
    left, right = a.allowed_targets, b.allowed_targets
    shared = left & right
    if not shared:
        return True
    return (shared <= MODELS and left & MODELS == right & MODELS
            and a.target not in right and b.target not in left)


def groups(bugs, size=5):
    """Pack bugs into few groups of pairwise compatible bugs (greedy, the most constrained bugs first)."""
    conflicts = {bug.id: sum(not compatible(bug, other) for other in bugs if other is not bug) for bug in bugs}
    packed = []
    for bug in sorted(bugs, key=lambda bug: -conflicts[bug.id]):
        for group in packed:
            if len(group) < size and all(compatible(bug, other) for other in group):
                group.append(bug)
                break
        else:
            packed.append([bug])
    return packed
