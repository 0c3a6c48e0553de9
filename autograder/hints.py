"""Which hint a student sees: the course setting ``hints = "full" | "concepts" | "none"``.

``full`` shows each check's own hint from the catalog (what to check, never code or the solution's formula);
``concepts`` (the default) shows only the idea that applies to the function (:data:`CONCEPTS`: the shape rule, the
chain rule through the mean, inverted dropout's scaling); ``none`` shows no hint anywhere (results.json,
feedback.md, report.html, the students' pytest). Diagnoses (:mod:`autograder.grading.diagnoses`) describe the student's
own value, not the solution, and are shown whatever the setting.
"""
from __future__ import annotations

from dataclasses import replace

SETTINGS = ("full", "concepts", "none")
DEFAULT = "concepts"

CONCEPTS_BY_KIND = {
    "side_effect": "Side effects: a layer computes new arrays and leaves what it is given (inputs, dout, the cache) "
                   "unchanged.",
    "contract": "The layer's contract: keep the input's dtype and the documented shapes.",
    "training": "Training: if the gradient checks pass, check the update rule and that the loss decreases.",
}
"""Concepts of kinds of checks that are about the same idea whatever the function."""

CONCEPTS = {
    "affine_forward": "The shape rule: each example becomes one row before the matrix product.",
    "affine_backward": "The chain rule through a matrix product; each gradient has the shape of what it is the "
                       "gradient of.",
    "relu_forward": "ReLU acts elementwise.",
    "relu_backward": "The gradient passes only where the ReLU was active.",
    "svm_loss": "The multiclass hinge loss, averaged over the batch, and its gradient.",
    "softmax_loss": "Softmax cross-entropy, numerically stable, averaged over the batch (its gradient too).",
    "batchnorm_forward": "Normalization by the minibatch's statistics in training, by running averages in test mode.",
    "batchnorm_backward": "The chain rule through the mean and the variance.",
    "layernorm": "Layer normalization: per-example statistics over the features.",
    "spatial_batchnorm": "Spatial batchnorm: one set of statistics per channel, over examples and positions.",
    "spatial_groupnorm": "Group normalization: per-example statistics within each group of channels.",
    "dropout": "Inverted dropout's scaling: p is the probability of keeping a unit.",
    "conv_forward": "Convolution: padding on the spatial axes, windows that move by the stride.",
    "conv_backward": "The chain rule through each window of the convolution; the padding is not part of x.",
    "max_pool_forward": "Max pooling: one maximum per window; the output size follows from the window and stride.",
    "max_pool_backward": "Only the maximum of each window receives its gradient.",
    "affine_relu": "A sandwich layer composes the layers forward and their backward passes in reverse order.",
    "affine_bn_relu": "A sandwich layer composes the layers forward and their backward passes in reverse order.",
    "affine_ln_relu": "A sandwich layer composes the layers forward and their backward passes in reverse order.",
    "conv_": "A sandwich layer composes the layers forward and their backward passes in reverse order.",
    "sgd_momentum": "Momentum: a velocity that accumulates steps against the gradient.",
    "rmsprop": "RMSProp: steps divided by a running root mean square of the gradients.",
    "adam": "Adam: momentum and RMSProp with the bias correction of the current step.",
    "TwoLayerNet": "A model: forward through the layers, softmax loss plus the L2 penalty, backward in reverse.",
    "FullyConnectedNet": "A model: forward through the layers, softmax loss plus the L2 penalty, backward in reverse.",
    "ThreeLayerConvNet": "A model: forward through the layers, softmax loss plus the L2 penalty, backward in reverse.",
}
"""The idea that applies to each function (the longest matching name prefix wins)."""


def check_setting(value) -> str:
    """``value`` if it is a known setting, else a ValueError naming the known ones."""
    if value not in SETTINGS:
        raise ValueError(f"hints must be one of {', '.join(repr(s) for s in SETTINGS)}, not {value!r}")
    return value


def concept(target, kind="") -> str:
    """The idea that applies to a check of ``target`` of ``kind`` ('' when the table has none)."""
    if kind in CONCEPTS_BY_KIND:
        return CONCEPTS_BY_KIND[kind]
    matches = [name for name in CONCEPTS if target.startswith(name)]
    return CONCEPTS[max(matches, key=len)] if matches else ""


def not_about_the_math(message) -> bool:
    """Whether a failure says nothing about the function's math (it is missing, could not be imported, or was not
    checked because another function failed): no hint then."""
    return ("was not found in the submission" in message or "could not be imported" in message
            or message.startswith("not checked"))


def shown(result, setting=DEFAULT):
    """``result`` (a TestResult) with the hint the setting shows: ``full``, its own (else its concept);
    ``concepts``, its concept (else its own); ``none``, nothing. Only failures about the function's math get one;
    notebook checks keep their own."""
    if result.status != "failed" or setting == "none" or not_about_the_math(result.message):
        return replace(result, hint="") if result.hint else result
    if result.group == "notebooks":
        return result
    idea = concept(result.target, result.kind)
    hint = (result.hint or idea) if setting == "full" else (idea or result.hint)
    return replace(result, hint=hint) if hint != result.hint else result


def failure_text(result, show_hint=True) -> str:
    """The lines a student reads for a failed check: the message, the diagnosis, then the hint."""
    text = result.message
    if result.diagnosis:
        text += f"\nDiagnosis: {result.diagnosis}"
    if show_hint and result.hint:
        text += f"\nHint: {result.hint}"
    return text
