"""Stanford CS231n assignment 2 as handed out in each year, and its forks that keep the notebooks (cs260, libs).

Learnt from public solution repositories of each year (read, never copied): the four notebooks keep their test
cells and print formats from 2016 to 2025, except where noted here.

* 2021-2025: the layer, loss and TwoLayerNet tests left FullyConnectedNets (they moved to assignment 1), which
  starts at the deep-net gradient check; ``dropout_keep_ratio``; Colab setup cells.
* 2018-2020: ``FullyConnectedNet(dropout=..., normalization=...)``; layer and group normalization exist. The
  biases before a batch-normalization layer have a zero gradient, so the normalized net's gradient check prints
  rounding noise for them (0.0089 and 0.013 in a correct 2020 notebook).
* 2016-2017: ``use_batchnorm=True``; the batchnorm forward check prints ``mean:`` / ``std:`` after
  normalization; no layer or group normalization; dropout checks with ``dropout = 0, 0.25, 0.5``; Python 2
  ``print`` statements in 2016. The normalized net prints b errors up to 0.04 (rounding noise, as above).
"""
from __future__ import annotations

from dataclasses import replace

from . import template
from .template import BATCH_NORMALIZATION, BN, CNN, CONVOLUTIONAL, DROP, DROPOUT, FC, FULLY_CONNECTED
from .vocabulary import Below, Near, NotebookVersion, array, errors


def only(rules, *ids):
    """The rules of ``rules`` with these ids, in table order."""
    return tuple(rule for rule in rules if rule.id in ids)


def without(rules, *ids):
    """The rules of ``rules`` without these ids."""
    return tuple(rule for rule in rules if rule.id not in ids)


def swap(rules, *variants):
    """``rules`` with each rule replaced by the variant of the same id."""
    by_id = {variant.id: variant for variant in variants}
    return tuple(by_id.get(rule.id, rule) for rule in rules)


TEMPLATE_RULES = {rule.id: rule for group in (FULLY_CONNECTED, BATCH_NORMALIZATION, DROPOUT, CONVOLUTIONAL)
                  for rule in group}
"""Today's rules by id: the variants below start from them."""

BN_NET_NOISY_B = replace(
    TEMPLATE_RULES["batchnorm_net_gradients"],
    values=(errors(r"W\d+", Below(1e-2), "W relative errors"), errors(r"b\d+", Below(0.5), "b relative errors"),
            errors(r"(?:gamma|beta)\d+", Below(1e-1), "gamma/beta relative errors")),
    stated="relative errors around 1e-6 or less; the biases before batch normalization have a zero gradient, so "
           "their relative error is rounding noise (correct notebooks print 4.4e-03 to 4.0e-02)",
    seeds="CS231n 2016, 2020 and UCLA nndl solution notebooks (b1 relative error 4.00e-02, 1.33e-02, 4.4e-03)",
    compare=False)
"""The normalized net's gradient check where the biases before batch normalization print rounding noise."""

BN_NET_2016 = replace(BN_NET_NOISY_B, source=r"(?s)(?=.*Running check with reg)(?=.*use_batchnorm\s*=\s*True)")
"""2016-2017 (and the forks of that year): the net is built with ``use_batchnorm=True``."""

BN_FORWARD_2016 = replace(
    TEMPLATE_RULES["batchnorm_forward"],
    values=(array("means?", Near(0.0, 1e-4), "means"), array("stds?", Near(1.0, 1e-3), "stds")),
    seeds="CS231n 2016-2017, UCLA nndl, CS182 (print `  mean:` and `  std:` after normalization)")
"""2016-2017: ``mean:`` and ``std:`` after normalization (``means:`` / ``stds:`` elsewhere)."""


def noisier(rule, seeds):
    """A test-time normalization check with the tolerance of 0.5 (means up to 0.24 printed by correct code)."""
    means, stds = rule.values
    return replace(rule, values=(replace(means, judge=Near(0.0, 0.5)), replace(stds, judge=Near(1.0, 0.5))),
                   seeds=seeds)


BN_TEST_NOISY = noisier(TEMPLATE_RULES["batchnorm_test"], "UCLA nndl (prints means up to 0.24), CS231n 2016 (0.117)")
SPATIAL_BN_TEST_NOISY = noisier(TEMPLATE_RULES["spatial_batchnorm_test"], "CS231n 2016-2020, CS182")

CNN_TRAINING = replace(
    TEMPLATE_RULES["cnn_one_epoch"], source=r"(?s)(?=.*\bThreeLayerConvNet\()(?=.*\bSolver\(\s*model\s*,\s*data\b)",
    seeds="CS231n 2016-2020 (the cell trains on all of `data`; some notebooks run it for 2 epochs)")
"""The three-layer convnet trained on the whole data set, however many epochs (the overfit cell trains on
``small_data``)."""

CS231N_2021 = NotebookVersion(
    "cs231n-2021", "CS231n 2021-2025", "cs231n",
    ((FC, only(FULLY_CONNECTED, "fc_net_initial_loss", "fc_net_gradients", "overfit_three_layer",
               "overfit_five_layer", "sgd_momentum", "rmsprop", "adam", "best_model")),
     (BN, BATCH_NORMALIZATION), (DROP, DROPOUT), (CNN, CONVOLUTIONAL)),
    markers=(r"google\.colab", r"\bFOLDERNAME\b", r"\bdropout_keep_ratio\b"),
    seeds="public CS231n 2021, 2022 and 2025 solution repositories; seed 002 (a 2022 fork)").check()

CS231N_2018 = NotebookVersion(
    "cs231n-2018", "CS231n 2018-2020", "cs231n",
    ((FC, FULLY_CONNECTED), (BN, swap(BATCH_NORMALIZATION, BN_NET_NOISY_B, BN_TEST_NOISY)), (DROP, DROPOUT),
     (CNN, swap(CONVOLUTIONAL, SPATIAL_BN_TEST_NOISY, CNN_TRAINING))),
    markers=(r"for dropout in \[1\s*,", r"\bnormalization\s*=\s*['\"]", r"Testing affine_relu_forward and"),
    seeds="public CS231n 2018, 2019 and 2020 solution repositories; seed 000 (2020)").check()

CS231N_2016 = NotebookVersion(
    "cs231n-2016", "CS231n 2016-2017", "cs231n",
    ((FC, FULLY_CONNECTED),
     (BN, swap(without(BATCH_NORMALIZATION, "layernorm_forward", "layernorm_backward"), BN_FORWARD_2016,
               BN_TEST_NOISY, BN_NET_2016)),
     (DROP, DROPOUT),
     (CNN, swap(without(CONVOLUTIONAL, "spatial_groupnorm_forward", "spatial_groupnorm_backward"),
                SPATIAL_BN_TEST_NOISY, CNN_TRAINING))),
    markers=(r"\buse_batchnorm\b", r"(?m)^\s*print\s+['\"]", r"Testing affine_relu_forward:",
             r"for dropout in \[0\s*,"),
    seeds="public CS231n 2016 and 2017 solution repositories").check()

CS260 = replace(CS231N_2021, id="cs260", course="cs260 (a CS231n 2021+ fork: package cs260)", package="cs260",
                markers=(), seeds="seed 002 (cs260 2022 ConvolutionalNetworks)").check()
LIBS = replace(CS231N_2018, id="libs", course="a CS231n 2018-2020 fork with the package libs", package="libs",
               markers=(), seeds="seed 003 (libs 2019 FullyConnectedNets)").check()

TEMPLATE = template.VERSION
