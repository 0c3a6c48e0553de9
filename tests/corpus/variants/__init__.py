"""Correct implementations written independently of the reference: the grader must give each full marks.

Every function students write (each solution region of the reference) has at least three variants here,
written the ways real submissions of CS231n assignment 2 (2016-2025) and its forks write them: explicit
loops, vectorised, ``einsum``, im2col and ``sliding_window_view``, the staged computational graph of
batchnorm backward and its simplified one-line formulas, other dropout masks under the same seed, layer and
group norm through transposes of batchnorm, caches holding other things, models that call the layers
one by one or keep their caches in dicts. The code is the project's own, written from those patterns.

A :class:`Variant` is one or more whole definitions (functions, or whole classes for the models) that
replace the reference's definitions of the same names in one file of a CS231n student's package; names the
reference does not define are the student's own helpers. Variants that change a cache's contents replace
the forward and the backward together.

``pending`` marks a correct variant that loses points with today's grader, saying which check and why (a grader
or template fix to make); the test expects it to fail exactly so (:data:`SYMPTOMS`) until that fix lands.
Variants whose float64 outputs, singleton-shaped gradients or in-place updates are 0-point warnings since issue
12's fixes carry no mark; :mod:`corpus.variants.sweep` regrades the hidden checks under other secret seeds.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property

from .. import replace_definitions
from ..bugs import MODELS, USERS

# Checks reach further than the reference's own calls: the sandwiches students write, and the models.
REACH = {
    **USERS,
    "affine_ln_relu_forward": {"affine_ln_relu_backward", "FullyConnectedNet"},
    "affine_ln_relu_backward": {"affine_ln_relu_backward", "FullyConnectedNet"},
    "layernorm_forward": USERS["layernorm_forward"],
}
# Every function or class in a solution region of the reference (what students write), by file.
STUDENT_CODE = {
    "layers.py": ("affine_forward", "affine_backward", "relu_forward", "relu_backward", "svm_loss",
                  "softmax_loss", "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
                  "layernorm_forward", "layernorm_backward", "dropout_forward", "dropout_backward",
                  "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
                  "spatial_batchnorm_forward", "spatial_batchnorm_backward", "spatial_groupnorm_forward",
                  "spatial_groupnorm_backward"),
    "layer_utils.py": ("affine_bn_relu_forward", "affine_bn_relu_backward", "affine_ln_relu_forward",
                       "affine_ln_relu_backward"),
    "optim.py": ("sgd_momentum", "rmsprop", "adam"),
    "classifiers/fc_net.py": ("TwoLayerNet", "FullyConnectedNet"),
    "classifiers/cnn.py": ("ThreeLayerConvNet",),
}
KNOWN = frozenset(name for names in STUDENT_CODE.values() for name in names)

# What each pending reason looks like in a report ("<test name>: <message>"): a lost point that does not match
# its variant's reason is a real failure. None is pending today: the last two (a bias of shape (1, M) refused by
# the starter's shape check during training, and the hidden batchnorm-sandwich db, zero in exact arithmetic,
# judged by relative error) were fixed in the grader and the provided layer_checks.py.
SYMPTOMS = {}


@dataclass(frozen=True)
class Variant:
    """One correct implementation of one or more functions (or model classes), as a student writes it."""

    id: str
    """``<function>.<how>``: the function it is a variant of, then what it does differently."""
    code: str
    """Whole top-level definitions replacing the reference's of the same names (plus the student's helpers)."""
    description: str
    file: str = "layers.py"
    """The file of the CS231n package it goes in."""
    pending: str = ""
    """Why it loses points with today's grader ('' : it must keep full marks today)."""

    @cached_property
    def _tree(self):
        return ast.parse(self.code)

    @property
    def target(self):
        return self.id.split(".")[0]

    @cached_property
    def functions(self):
        """The student functions or classes it replaces (its own helpers are not counted)."""
        return frozenset(n.name for n in self._tree.body if n.name in KNOWN)

    @cached_property
    def calls(self):
        """Student functions its code calls (whose variants would change what it computes)."""
        return frozenset(n.func.id for n in ast.walk(self._tree)
                         if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in KNOWN)

    @cached_property
    def reach(self):
        """Targets whose checks run its code."""
        return frozenset().union(*({f} | set(REACH.get(f, ())) for f in self.functions))

    def apply(self, files):
        """``files`` (``{"cs231n/<file>": text}``) with this variant's definitions swapped in."""
        key = f"cs231n/{self.file}"
        return {**files, key: replace_definitions(files[key], self.code)}


def compatible(a: Variant, b: Variant) -> bool:
    """Whether two variants can share a submission: neither's checks run, nor its code calls, the other's code;
    and a variant expected to lose points shares no check with another (so every lost point has one cause)."""
    if (a.pending or b.pending) and a.reach & b.reach:
        return False
    return not (a.functions & (b.reach | b.calls)) and not (b.functions & (a.reach | a.calls))


def groups(variants, size=10):
    """Pack variants into few submissions of pairwise compatible variants (the most constrained first)."""
    conflicts = {v.id: sum(not compatible(v, w) for w in variants if w is not v) for v in variants}
    packed = []
    for variant in sorted(variants, key=lambda v: (-conflicts[v.id], v.id)):
        for group in packed:
            if len(group) < size and all(compatible(variant, other) for other in group):
                group.append(variant)
                break
        else:
            packed.append([variant])
    return packed


def _all():
    from . import contract, conv, layers, models, norm
    return layers.VARIANTS + norm.VARIANTS + conv.VARIANTS + models.VARIANTS + contract.VARIANTS


VARIANTS = _all()
BY_ID = {v.id: v for v in VARIANTS}
__all__ = ["Variant", "VARIANTS", "BY_ID", "STUDENT_CODE", "KNOWN", "MODELS", "compatible", "groups",
           "SYMPTOMS"]
