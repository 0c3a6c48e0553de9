"""Courses built on the CS231n notebooks with their own package and notebook names: UCLA's ECE C147/C247
("nndl") and Berkeley's CS182 ("deeplearning").

Learnt from public solution repositories (read, never copied):

* nndl (HW4 ``Optimization``, ``Batch-Normalization``, ``Dropout``; HW5 ``CNN-Layers``, ``CNN-BatchNorm``,
  ``CNN``): the CS231n 2017 cells with ``use_batchnorm``; the layer tests of ``Optimization`` print through
  helper functions in another format (not checked); Adam keeps its first moment in ``config['a']`` and prints
  ``a error``; spatial batch normalization prints ``Means:`` and ``Stds:``; no test-time spatial check.
* CS182 (``bn_drop.ipynb``, ``cnn.ipynb``): the 2016-2017 batch normalization and dropout cells in one notebook;
  the convolution and pooling gradient checks print ``dx relative error:`` without a ``Testing`` header.
"""
from __future__ import annotations

from dataclasses import replace

from .cs231n import (BN_FORWARD_2016, BN_NET_2016, BN_TEST_NOISY, SPATIAL_BN_TEST_NOISY, TEMPLATE_RULES, only)
from .template import BATCH_NORMALIZATION, CONVOLUTIONAL, DROPOUT, FULLY_CONNECTED
from .vocabulary import NotebookVersion, grad_errors, printed, around

NNDL_ADAM = replace(
    TEMPLATE_RULES["adam"], source=r"\bexpected_a\b",
    values=(printed("next_w error", around(1e-7)), printed("v error", around(1e-7)), printed("a error", around(1e-7))),
    seeds="UCLA nndl Optimization (the first moment is config['a'])")
"""nndl's Adam check: ``a error`` for the first moment."""

NNDL = NotebookVersion(
    "nndl", "UCLA ECE C147/C247 (nndl)", "nndl",
    (("Optimization", (*only(FULLY_CONNECTED, "sgd_momentum", "rmsprop", "best_model"), NNDL_ADAM)),
     ("Batch-Normalization", (BN_FORWARD_2016, BN_TEST_NOISY, TEMPLATE_RULES["batchnorm_backward"], BN_NET_2016)),
     ("Dropout", DROPOUT),
     ("CNN-Layers", only(CONVOLUTIONAL, "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive",
                         "max_pool_backward_naive", "conv_forward_fast", "conv_backward_fast",
                         "max_pool_forward_fast", "max_pool_backward_fast", "conv_relu_pool", "conv_relu")),
     ("CNN-BatchNorm", only(CONVOLUTIONAL, "spatial_batchnorm_forward", "spatial_batchnorm_backward")),
     ("CNN", only(CONVOLUTIONAL, "cnn_gradients"))),
    markers=(r"\bfrom\s+nndl\b",),
    seeds="public UCLA ECE C147/C247 and ECE 239AS solution repositories; seed 001 (nndl 2025 CNN-Layers)").check()

CS182_CONV_BACKWARD = replace(
    TEMPLATE_RULES["conv_backward_naive"], source=r"\bconv_backward_naive\(", block=None, exclude=r"conv_forward_fast",
    values=grad_errors(("dx relative", "dw relative", "db relative"), 1e-6),
    seeds="CS182 cnn.ipynb (prints `dx relative error:` without a header)")
CS182_POOL_BACKWARD = replace(
    TEMPLATE_RULES["max_pool_backward_naive"], source=r"\bmax_pool_backward_naive\(", block=None,
    exclude=r"max_pool_forward_fast", values=grad_errors(("dx relative",), 1e-10),
    seeds="CS182 cnn.ipynb (prints `dx relative error:` without a header)")

CS182 = NotebookVersion(
    "cs182", "Berkeley CS182 (deeplearning)", "deeplearning",
    (("bn_drop", (BN_FORWARD_2016, BN_TEST_NOISY, *only(BATCH_NORMALIZATION, "batchnorm_backward",
                                                         "batchnorm_backward_alt"),
                  BN_NET_2016, *DROPOUT)),
     ("cnn", (TEMPLATE_RULES["conv_forward_naive"], CS182_CONV_BACKWARD, TEMPLATE_RULES["max_pool_forward_naive"],
              CS182_POOL_BACKWARD, *only(CONVOLUTIONAL, "conv_relu_pool", "cnn_initial_loss", "cnn_gradients",
                                         "spatial_batchnorm_forward"),
              SPATIAL_BN_TEST_NOISY, TEMPLATE_RULES["spatial_batchnorm_backward"]))),
    markers=(r"\bfrom\s+deeplearning\b",),
    seeds="public Berkeley CS182 hw05 (bn_drop.ipynb, cnn.ipynb)").check()
