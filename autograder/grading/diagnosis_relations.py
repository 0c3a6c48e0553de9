"""The table of relations the grader tries on a failed comparison (see :mod:`autograder.grading.diagnoses`).

Each :class:`Relation` is one kind of mistake: ``explain(evidence)`` computes what the student's value would be
under that mistake, from the expected value and the case's inputs, and returns the message's fields (a dict, or
``{}``) when it matches the student's value within the check's tolerance, else None. The first relation that
explains a failure is reported, so the specific ones come before the general ones. Messages name the mistake and
quantities of the case (``N``, ``p``, ``reg``); never a number from a hidden case. The case-specific relations
(layers, update rules, models, property checks, exceptions) are in :mod:`autograder.grading.diagnosis_cases`.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..catalog.judges import METRICS
from .diagnosis_cases import (_across_groups, _args, _bn_test_mode, _conv_stride, _conv_window, _dict_arg,
                              _first_array, _in_place, _keep_inverted, _layer_size, _message_numbers, _not_inverted,
                              _params, _penalty_terms, _pool_overlaps, _pool_whole_window, _reg, _reg_gradient,
                              _relu_kink, _rule_variants, _running_variants, _shapes_in, _stats_axis, _unbiased_std,
                              _unflattened, _update_rule, _windows, quantities)
from .diagnosis_contracts import (backward_eps, batch_axis_sum, bn_setting, norm_eps, width_from_height, channels_mixed, clamped_log, clipped_at_zero,
                                  conv_shrinks, dtype_ignored, epsilon_inside, filter_size, init_scale, no_eps,
                                  non_square, pool_missing, running_replaced, setting_default, square_images,
                                  test_mode_mask, unbound_variable)


@dataclass(frozen=True)
class Relation:
    """One kind of mistake the grader can recognise in a wrong value."""

    id: str
    """Stable id, for measurements and tests (``scaled``, ``sum_axes``)."""
    tests: str
    """What the relation tests, in words (the documentation's table)."""
    message: str
    """The student's sentence: ``str.format`` fields ``label``, ``target``, ``like`` and what ``explain`` returns."""
    explain: Callable
    """``explain(evidence) -> dict | None``: the message's fields when the relation explains the difference."""
    targets: tuple = ()
    """Function-name prefixes the relation is tried on (empty: every function)."""
    needs_values: bool = True
    """Whether the relation needs the student's and the expected value (False: it reads the message or inputs)."""


# ----------------------------------------------------------------------------- value relations
def _nonfinite(ev):
    got = ev.got
    if got is None or np.all(np.isfinite(got)):
        return None
    bad = ~np.isfinite(got)
    where = _where(bad)
    x = _first_array(ev)
    if ev.target == "adam":
        t = (ev.inputs.get("config") or {}).get("t", 0) if isinstance(ev.inputs.get("config"), dict) else 0
        if not t:
            return {"where": where, "cause": "a division by 1 - beta ** t with t still 0 (t is incremented after its "
                                             "first use)"}
    if x is not None and np.max(np.abs(x)) > 50:
        return {"where": where, "cause": "an overflow of exp on large scores (shift the scores first)"}
    if ev.target.startswith(("batchnorm", "layernorm", "spatial")):
        return {"where": where, "cause": "a division by a variance of zero (where is eps?)"}
    return {"where": where, "cause": "a division by zero or an overflow"}


def _where(mask):
    if mask.all():
        return "everywhere"
    if mask.ndim >= 2:
        return "in some of the samples"
    return "in some of the elements"


def _empty(ev):
    got, want = ev.got, ev.want
    if got.size == 0 and want.size > 0:
        axes = [i for i, n in enumerate(got.shape) if n == 0]
        return {"axes": ", ".join(map(str, axes))}
    return None


def _reshaped(ev):
    got, want = ev.got, ev.want
    if got.shape != want.shape and got.size == want.size and got.size > 1:
        if METRICS[ev.metric](got.reshape(want.shape), want) <= ev.tol:
            return {}
    return None


def _permuted(ev):
    got, want = ev.got, ev.want
    if got.ndim < 2 or got.ndim > 5 or got.size < 2:
        return None
    for perm in itertools.permutations(range(want.ndim)):
        if perm == tuple(range(want.ndim)):
            continue
        moved = np.transpose(want, perm)
        if moved.shape == got.shape and ev.fits(moved):
            return {"axes": perm, "what": "transposed" if want.ndim == 2 else f"with its axes permuted as {perm}"}
    return None


def _reordered(ev):
    """The right values in another order: axes moved by a reshape where a transpose was needed."""
    got, want = ev.got, ev.want
    if got.shape != want.shape or got.ndim < 3 or got.ndim > 5:
        return None
    for perm in itertools.permutations(range(want.ndim)):
        if perm == tuple(range(want.ndim)):
            continue
        if ev.fits(np.transpose(want, perm).reshape(want.shape)) or ev.fits(
                np.transpose(want.reshape(np.transpose(want, perm).shape), np.argsort(perm))):
            return {}
    return None


def _sources(ev):
    """Arrays a wrong value may be a sum of: the upstream gradient and the inputs."""
    arrays = [ev.inputs.get("dout"), *_args(ev)]
    return [np.asarray(a, np.float64) for a in arrays if isinstance(a, np.ndarray) and a.ndim >= 2]


def _sum_axes(ev):
    got = ev.got
    for name, source in zip(("dout", "the input"), _sources(ev)):
        for k in range(1, source.ndim):
            for axes in itertools.combinations(range(source.ndim), k):
                total = source.sum(axis=axes)
                if total.shape == got.shape and ev.fits(total):
                    if total.shape == ev.want.shape and ev.target.endswith("_backward") and name == "dout" and \
                            "_" in ev.target.replace("_backward", "").replace("spatial_", "", 1):
                        return None  # the right sum of the wrong gradient: see _skipped_layer
                    return {"axes": axes[0] if len(axes) == 1 else axes, "plural": "es" if len(axes) > 1 else "is",
                            "source": name}
    return None


def _skipped_layer(ev):
    """A sandwich's parameter gradient that is the sum of dout as it arrived: a layer in between was skipped."""
    dout = ev.inputs.get("dout")
    if dout is None or np.ndim(dout) < 2:
        return None
    dout = np.asarray(dout, np.float64)
    axes = tuple(a for a in range(dout.ndim) if a != 1) if ev.got.ndim == 1 else None
    return {} if axes and dout.sum(axis=axes).shape == ev.got.shape and ev.fits(dout.sum(axis=axes)) else None


def _missing_sum(ev):
    got, want = ev.got, ev.want
    if got.ndim <= want.ndim:
        return None
    for k in range(1, got.ndim):
        for axes in itertools.combinations(range(got.ndim), k):
            total = got.sum(axis=axes)
            if total.shape == want.shape and np.max(np.abs(total - want)) <= ev.tol * max(1.0, np.max(np.abs(want))):
                return {"axes": axes[0] if len(axes) == 1 else axes, "plural": "es" if len(axes) > 1 else "is"}
    return None


def _padding_kept(ev):
    got, want = ev.got, ev.want
    if got.ndim != 4 or want.ndim != 4 or got.shape[:2] != want.shape[:2]:
        return None
    ph, pw = got.shape[2] - want.shape[2], got.shape[3] - want.shape[3]
    if ph <= 0 or ph % 2 or pw != ph:
        return None
    pad = ph // 2
    inner = got[:, :, pad:pad + want.shape[2], pad:pad + want.shape[3]]
    return {} if np.max(np.abs(inner - want)) <= ev.tol * max(1.0, np.max(np.abs(want))) * 10 else None


def _sign(ev):
    return {} if ev.fits(-ev.want) else None


def _scaled(ev):
    want = ev.want
    denom = float(np.sum(want * want))
    if denom == 0:
        return None
    k = float(np.sum(ev.got * want)) / denom
    for name, value in quantities(ev).items():
        if ev.fits(value * want):
            return {"factor": name}
    if want.size > 1 and k > 0 and abs(k - 1) > 1e-3 and not _property(ev) and ev.fits(k * want):
        return {"factor": "a constant factor"}
    return None


def _property(ev):
    """Whether the compared values are statistics a property check derived (standard deviations, a penalty): an
    unnamed constant says nothing about them."""
    return getattr(ev.judge, "fn", None) is not None


def _offset(ev):
    diff = ev.got - ev.want
    for value in _args(ev)[2:3]:
        if isinstance(value, np.ndarray) and value.ndim == 1 and value.shape == ev.got.shape[-1:] and ev.fits(
                ev.want + value):
            return {"by": "the bias b (added once too often)"}
        if isinstance(value, np.ndarray) and value.ndim == 1 and value.shape == ev.got.shape[-1:] and ev.fits(
                ev.want - value):
            return {"by": "minus the bias b (the bias is missing)"}
    c = float(np.mean(diff))
    if round(c) != 0 and ev.fits(ev.want + round(c)):
        return {"by": f"a constant {int(round(c))}"}
    if ev.want.size > 1 and c != 0 and not _property(ev) and ev.fits(ev.want + c):
        return {"by": "a constant"}
    return None


def _axis_constant(ev):
    """The difference is the same along one axis: a sum or mean over that axis is missing, extra or wrong."""
    got, want = ev.got, ev.want
    if got.shape != want.shape or got.ndim < 2:
        return None
    diff = got - want
    scale = max(1e-12, float(np.max(np.abs(want))))
    if np.max(np.abs(diff)) <= ev.tol * scale:
        return None
    for axis in range(got.ndim):
        if got.shape[axis] < 2:
            continue
        spread = np.max(np.abs(diff - diff.mean(axis=axis, keepdims=True)))
        if spread <= max(ev.tol, 1e-9) * scale:
            return {"axis": axis}
    return None


def _located(ev):
    """Right everywhere except one region (the last row or column, some samples or channels)."""
    got, want = ev.got, ev.want
    if got.shape != want.shape or got.ndim < 2:
        return None
    scale = max(1e-12, float(np.max(np.abs(want))))
    bad = np.abs(got - want) > max(ev.tol, 1e-9) * scale
    if not bad.any() or bad.all():
        return None
    if got.ndim == 4:
        inner = np.zeros_like(bad)
        inner[:, :, 1:-1, 1:-1] = True
        if not (bad & inner).any() and got.shape[2] > 2:
            return {"where": "on the border of each image (where padding matters)"}
    if not bad[..., :-1].any():
        return {"where": "in the last column"}
    if got.ndim >= 2 and not bad[..., :-1, :].any():
        return {"where": "in the last row"}
    if ev.like not in ("x", "") or ev.picked is not None:
        return None  # samples and channels are axes 0 and 1 of activations only
    samples = bad.reshape(bad.shape[0], -1).any(axis=1)
    if not samples.all():
        return {"where": "for some of the samples"}
    if got.ndim >= 3:
        channels = np.moveaxis(bad, 1, 0).reshape(bad.shape[1], -1).any(axis=1)
        if not channels.all():
            return {"where": "for some of the channels"}
    return None


# ----------------------------------------------------------------------------- more layer relations
def _zero(ev):
    return {} if not np.any(ev.got) and np.any(ev.want) else None


def _mask_missing(ev):
    """Zero in the expected gradient (a unit the forward pass switched off) but not in the student's."""
    scale = float(np.max(np.abs(ev.want)))
    if scale == 0 or ev.got.shape != ev.want.shape or "grads" not in ev.path.split("."):
        return None  # gradients only: a forward output's zeros (a ReLU's) are no mask of a backward pass
    off = np.abs(ev.want) <= 1e-12 * scale
    if not off.any() or off.all():
        return None
    alive = np.abs(ev.got[off]) > 1e-8 * scale
    return {} if alive.any() else None


RELATIONS = (
    Relation("nonfinite", "the value has NaN or inf: where, and the likely cause (adam's t still 0, an overflow of exp, "
             "a variance of zero)", "{label} has NaN or inf values {where}: likely {cause}.", _nonfinite),
    Relation("empty", "the value has a dimension of size 0", "{label} is empty along axis {axes}: a slice such as "
             "a:-k is empty when k is 0; slice with explicit end points.", _empty),
    Relation("padding_kept", "the value's middle equals the expected one: the padding border was not cut off",
             "{label} still includes the padding border: its inside is right, crop the padding to get {like}'s "
             "shape.", _padding_kept),
    Relation("reshape", "the right values in another shape", "{label} has the right values in another shape: "
             "give it the shape of {like}.", _reshaped),
    Relation("permuted", "the expected value with its axes permuted (transposed)", "{label} is the expected value "
             "{what}: check the order of the axes.", _permuted),
    Relation("reordered", "the right values in another order: the axes moved by a reshape where a transpose was "
             "needed", "{label} holds the right values in the wrong order: a reshape cannot move an axis, a "
             "transpose can.", _reordered),
    Relation("sum_axes", "a sum of dout (or an input) over other axes than the expected", "{label} is a sum over "
             "ax{plural} {axes} of {source}: the shape of {like} tells which axes to sum over.", _sum_axes),
    Relation("skipped_layer", "a sandwich's parameter gradient equals the sum of dout as it arrived",
             "{label} is computed from dout as it arrived: the gradient skipped a layer in between (backpropagate "
             "through every layer, in reverse order).", _skipped_layer,
             targets=("affine_relu", "affine_bn", "affine_ln", "conv_relu", "conv_bn")),
    Relation("missing_sum", "the value summed over some axes is the expected value", "{label} is not summed: "
             "summed over ax{plural} {axes} it would be right (a parameter's gradient adds up over the batch).",
             _missing_sum),
    Relation("update_rule", "the step of an update rule recomputed from its inputs with one known slip",
             "{label}: {slip}.", _update_rule, targets=("sgd_momentum", "rmsprop", "adam")),
    Relation("setting_default", "an update rule's step recomputed with one setting of config at its documented "
             "default", "{label} is what the default {key} gives: the step does not use config['{key}'] (every "
             "setting of config must come from config).", setting_default, targets=("sgd_momentum", "rmsprop", "adam")),
    Relation("epsilon_inside", "rmsprop's or adam's step recomputed with epsilon under the square root",
             "{label}: epsilon is added under the square root; it belongs outside it, to the root.",
             epsilon_inside, targets=("rmsprop", "adam")),
    Relation("channels_mixed", "spatial batchnorm recomputed on rows made by a reshape alone (C not moved last)",
             "{label} is what normalizing rows made by a reshape alone gives: the rows mix the channels; a reshape "
             "cannot move an axis, a transpose can.", channels_mixed, targets=("spatial_batchnorm_forward",)),
    Relation("running_replaced", "a running statistic equal to the batch's own", "{label} is the batch's own "
             "statistic: the running value must be a moving average (with bn_param's momentum), not replaced.",
             running_replaced, targets=("batchnorm_forward", "spatial_batchnorm_forward")),
    Relation("bn_setting", "batchnorm's output or running statistics recomputed with bn_param's eps or momentum at "
             "its default", "{label} is what the default {key} gives: bn_param['{key}'] is not used (read every "
             "setting from bn_param).", bn_setting, targets=("batchnorm_forward", "spatial_batchnorm_forward")),
    Relation("norm_eps", "layer or group norm's output recomputed with its param dict's eps at the default",
             "{label} is what the default eps gives: the param dict's 'eps' is not used (read every setting from "
             "ln_param / gn_param).", norm_eps, targets=("layernorm_forward", "spatial_groupnorm_forward")),
    Relation("backward_eps", "batchnorm's dx recomputed with the default eps in the backward pass's std",
             "{label} is what the default eps gives in the backward pass: use the eps of the forward pass "
             "(bn_param's), kept in the cache, not a constant.", backward_eps,
             targets=("batchnorm_backward",)),
    Relation("no_eps", "batchnorm's output recomputed without eps", "{label} is what normalizing without eps "
             "gives: eps keeps the division finite when a feature's variance is (near) zero.", no_eps,
             targets=("batchnorm_forward", "spatial_batchnorm_forward")),
    Relation("clamped_log", "softmax's loss recomputed from probabilities clamped at a small floor",
             "{label} is capped: the log is taken of a probability clamped away from zero, which caps each "
             "example's loss (work with log-probabilities, which need no clamp).", clamped_log,
             targets=("softmax_loss",)),
    Relation("clipped_at_zero", "max pooling's output with its negative values replaced by 0", "{label} is never "
             "negative where it should be: the maximum of a window starts from zero instead of from the window's "
             "own values.", clipped_at_zero, targets=("max_pool_forward",)),
    Relation("test_mode", "batchnorm's test-mode output recomputed with the batch's statistics, or eps outside sqrt",
             "{label} is what normalizing {how} gives.", _bn_test_mode, targets=("batchnorm_forward",)),
    Relation("running_statistics", "batchnorm's running mean and variance (and the test-mode output after them) "
             "recomputed from the warm-up batches with one slip (momentum swapped, unbiased variance)",
             "{label} is what the running averages give when {slip}.", _running_variants,
             targets=("batchnorm_forward",)),
    Relation("unbiased_variance", "normalized outputs whose standard deviations are sqrt((N - 1) / N) of the "
             "target", "{label} are sqrt((N - 1) / N) of the target: the variance divides by N - 1 (unbiased) "
             "instead of N.", _unbiased_std, targets=("batchnorm_forward", "layernorm_forward")),
    Relation("conv_stride", "a naive convolution's output recomputed with windows that move by 1",
             "{label} is what windows moving by 1 give: they must move by the stride.", _conv_stride,
             targets=("conv_forward",)),
    Relation("pool_whole_window", "max pooling's dx with dout added to every element of each window",
             "{label} sends each window's gradient to every element of the window; only the element that was the "
             "maximum gets it.", _pool_whole_window, targets=("max_pool_backward",)),
    Relation("pool_overlaps", "max pooling's dx wrong only where windows overlap", "{label} is right except where "
             "pooling windows overlap: gradients from overlapping windows must add up.", _pool_overlaps,
             targets=("max_pool_backward",)),
    Relation("penalty", "a model's loss differs by a part of the L2 penalty (all of it, its 0.5, one layer's)",
             "{label} differs by part of the regularization: {what}.", _penalty_terms,
             targets=("TwoLayerNet", "FullyConnectedNet", "ThreeLayerConvNet")),
    Relation("reg_gradient", "a weight's gradient differs by reg * W (or half of it)", "{label} {what} reg * "
             "{param}: the regularization's gradient does not match the penalty added to the loss.", _reg_gradient,
             targets=("TwoLayerNet", "FullyConnectedNet", "ThreeLayerConvNet")),
    Relation("zero", "the value is zero where the expected one is not", "{label} is zero: the parameter never "
             "takes part in the computation (is the layer it belongs to used?).", _zero),
    Relation("sign", "the expected value with its sign flipped", "{label} has the opposite sign of the expected "
             "value.", _sign),
    Relation("scaled", "the expected value times a constant, named when it is a quantity of the case (N, 1/N, 2, 1/2, "
             "p, 1/p, 1 - p, H * W, reg, learning_rate)", "{label} is the expected value scaled by {factor}.",
             _scaled),
    Relation("offset", "the expected value plus a constant or the bias", "{label} is the expected value offset by "
             "{by}.", _offset),
    Relation("mask_missing", "nonzero where the expected gradient is exactly zero (units the forward pass switched "
             "off)", "{label} is nonzero where the gradient must be zero: a mask of the forward pass (dropout, "
             "ReLU) is not applied in the backward pass.", _mask_missing),
    Relation("relu_kink", "wrong only where the ReLU's input is exactly 0", "{label} differs only where x is exactly "
             "0: decide which side of the ReLU's kink those elements take.", _relu_kink,
             targets=("relu_backward",)),
    Relation("batch_axis_sum", "layernorm's dx off by a per-example and a per-feature term (scaled by each "
             "example's std)", "{label} varies along the batch where it should not: a sum is taken over the batch "
             "axis (0) where layer norm's statistics are per example (axis 1).", batch_axis_sum,
             targets=("layernorm_backward",)),
    Relation("axis_constant", "the difference from the expected value is the same along one axis",
             "{label} differs from the expected value by a term that is the same along axis {axis}: a sum or mean "
             "over axis {axis} is missing, extra, or taken over the wrong axis (the chain rule through the "
             "statistics).", _axis_constant),
    Relation("located", "right everywhere except one region (border, last row or column, some samples or channels)",
             "{label} is right except {where}.", _located),
    Relation("stats_axis", "a normalization whose output has the expected statistics over another axis",
             "the output is normalized over axis {axis}: the statistics are taken over the wrong axis.", _stats_axis,
             needs_values=False),
    Relation("across_groups", "a group norm's output normalized across the groups instead of within each group",
             "the output is normalized across the groups (for each position) instead of within each group: the "
             "statistics are taken over the wrong axis.", _across_groups, targets=("spatial_groupnorm_forward",),
             needs_values=False),
    Relation("keep_probability", "dropout keeps about 1 - p of the units", "about 1 - p of the units are kept: "
             "in this course p is the probability of keeping a unit, not of dropping it.", _keep_inverted,
             targets=("dropout",), needs_values=False),
    Relation("dropout_not_inverted", "dropout's kept units are not scaled", "the kept units keep their values: "
             "inverted dropout rescales them at training time so that test time needs no change.", _not_inverted,
             targets=("dropout",), needs_values=False),
    Relation("unflattened", "a matrix product failed on an input of more than 2 dimensions",
             "x went into a matrix product with all its dimensions: each example must become one row first "
             "(the shape rule of the affine layer).", _unflattened, needs_values=False),
    Relation("conv_window", "a naive convolution raised on the product of a window with a filter of another size",
             "a window of the input is {how}.", _conv_window, targets=("conv_forward",), needs_values=False),
    Relation("pool_missing", "a model's affine layer gets 4 times the features its weight has rows",
             "the activations reaching the hidden affine layer have 4 times the features its weight expects: the "
             "2x2 max pool of the architecture is missing from the forward pass.", pool_missing,
             targets=("ThreeLayerConvNet",), needs_values=False),
    Relation("conv_shrinks", "a model's affine layer gets fewer positions than its weight expects (not a factor 4)",
             "the activations reaching the hidden affine layer are smaller than its weight expects: the convolution "
             "changes height and width (its padding must preserve them for every filter_size).", conv_shrinks,
             targets=("ThreeLayerConvNet",), needs_values=False),
    Relation("layer_size", "a layer's weight has a multiple of the rows its input has features",
             "the weight has {k} times as many rows as its input has features per example: its size was computed "
             "for the input before a step that shrinks it (pooling?).", _layer_size, needs_values=False),
    Relation("init_scale", "a model's weights have the std of the constructor's default weight_scale",
             "the weights are drawn with the default scale: their std does not follow the weight_scale argument.",
             init_scale, needs_values=False),
    Relation("dtype_ignored", "a model's parameters keep float64 when dtype asks for another type",
             "the parameters are not converted to the dtype argument.", dtype_ignored, needs_values=False),
    Relation("filter_size", "a convolutional model's filters have another size than filter_size",
             "the filters' height and width do not follow the filter_size argument.", filter_size,
             targets=("ThreeLayerConvNet",), needs_values=False),
    Relation("square_images", "a model's hidden weight sized with the height for the width (or the reverse)",
             "the hidden layer's weight is sized as if the images were square: height and width are mixed up.",
             square_images, targets=("ThreeLayerConvNet",), needs_values=False),
    Relation("test_mode_mask", "dropout's backward pass failing on the mask in test mode", "in test mode the "
             "forward pass keeps no mask (it is None): the backward pass of test mode must not use it.",
             test_mode_mask, targets=("dropout_backward",), needs_values=False),
    Relation("width_from_height", "a pooling or convolution output as wide as the window's height gives",
             "{label} is as wide as the window's height would make it: the width axis must use pool_width (or "
             "the filter's own width), not the height.", width_from_height, targets=("max_pool", "conv_forward")),
    Relation("non_square", "max pooling indexing past an axis on a non-square window or input", "an index runs past "
             "the end of an axis on a non-square window or input: height and width (pool_height and pool_width) "
             "are mixed up somewhere.", non_square, targets=("max_pool",), needs_values=False),
    Relation("unbound_variable", "the code read a local variable that has no value on this path",
             "the code reads a variable that was never given a value on this path: it is set only in a loop or "
             "branch that did not run for these arguments.", unbound_variable, needs_values=False),
    Relation("in_place", "an input, dout or the cache changed by the function", "the function changes an array it "
             "was given: compute new arrays instead of writing into the inputs, dout or the cache.", _in_place,
             needs_values=False),
)
