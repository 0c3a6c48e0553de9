"""Builders that turn a few declarative facts about a layer into catalog cases.

Each builder returns one :class:`~autograder.model.Case`: the probe to run, how its inputs are made (a pure
function of a seeded ``RandomState``) and the tests judged on its outputs.
"""
from __future__ import annotations

import re

from .judges import Close, DtypeFollows, GradientClose, Identical, NearZero, Predicate, SameAsReference, Unchanged
from ..model import Case, Test

REFERENCE_TOL = {"float64": 1e-7, "float32": 1e-4}


def title_id(prefix, title):
    """A case id made from its title (``conv_backward_naive.hidden`` + ``"stride 1, pad 0"`` ->
    ``conv_backward_naive.hidden.stride_1_pad_0``): a row inserted into a table of cases changes no other row's
    id, and so neither its hidden inputs (seeded by the id) nor its fixtures."""
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    if not slug:
        raise ValueError(f"the title {title!r} gives no id")
    return f"{prefix}.{slug}"


def value_case(id, target, args, literal, tol, *, arg_names=(), title="notebook values", points=1.0,
               hint="", out_path="result.0", seed=0):
    """A notebook's fixed-value cell: ``target(*args)[0]`` against the notebook's printed array."""
    def make_inputs(rng):
        return {"target": target, "args": args(rng) if callable(args) else args}
    tests = (Test(f"{title}: output", Close(out_path, tol, "out", literal=literal), points, "value", hint),)
    tests += inputs_unchanged(target, title, arg_names, 0.0)
    return Case(id, target, "call", make_inputs, tests, seed=seed, group=_group(target))


def gradient_case(id, forward, backward, make_args, grad_names, tol, *, arg_names, numeric=None,
                  title="numerical gradient", points=1.0, seed=0, h=1e-5, tols=None, visibility="public", hint="",
                  max_points=400, forward_side_effects=True, out_points=None):
    """The notebooks' gradient check: ``backward`` against central differences of the student's ``forward``.

    ``make_args(rng)`` returns ``(args, dout)``; ``numeric`` maps each gradient to the index of the forward
    argument it is taken with respect to (default: the first ``len(grad_names)`` arguments). Inputs larger
    than ``max_points`` elements are checked at that many evenly spread elements, to bound the time.
    Side effects are judged per function: the backward must leave ``dout`` and its cache alone, the forward
    its arguments (``forward_side_effects=False`` where another case already checks that forward on the same
    inputs). ``out_points`` adds a test of the forward's output against the reference (for forwards that have
    no value case of their own, e.g. the sandwich layers).
    """
    numeric = numeric or {g: i for i, g in enumerate(grad_names)}

    def make_inputs(rng):
        args, dout = make_args(rng)
        indices = tuple(sorted(set(numeric.values())))
        return {"forward": forward, "backward": backward, "args": args, "dout": dout, "numeric": indices, "h": h,
                "n_grads": len(grad_names), "max_points": max_points, "directions": indices}

    tests = ()
    # the reference's output: already kept as "out" where a test compares it, else under "again" (a hidden key
    # "relu_backward.notebook:out" would read as part of the public "affine_relu_backward.notebook:out")
    shortcut = SameAsReference(value="out", reference="out" if out_points is not None else "again")
    if out_points is not None:
        tests += (Test(f"{title}: output", Close("out", REFERENCE_TOL["float64"], "out"), out_points, "reference",
                       f"{forward} is wrong on these inputs: compose the layers' forward passes in order.",
                       target=forward),)
    tests += tuple(
        Test(f"{title}: {g}", GradientClose(f"grads.{k}", numeric[g], (tols or {}).get(g, tol), g, h=h,
                                            like=arg_names[numeric[g]], shortcut=shortcut),
             points, "gradient", hint or f"Derive {g} step by step along the forward computation; check shapes first.")
        for k, g in enumerate(grad_names) if g in numeric
    )
    tests += (Test(f"{title}: backward called twice gives the same gradients",
                   Identical("grads", "grads_again", f"calling {backward} twice on the same cache gave different "
                             "gradients: it changes its cache in place, or depends on something else"),
                   0.5, "side_effect", "Do not change arrays stored in the cache; compute new arrays instead."),
              Test(f"{title}: does not modify dout", Unchanged("dout_after", "dout", "dout", function=backward),
                   0.25, "side_effect", "Assigning dout to a new name does not copy it: changing that array "
                   "changes the caller's dout."),
              Test(f"{title}: does not modify its cache",
                   Unchanged("cache_after", "cache_before", "its cache", function=backward, before_in_outputs=True),
                   0.25, "side_effect", "Do not change arrays stored in the cache; compute new arrays instead."))
    if forward_side_effects:
        tests += inputs_unchanged(forward, title, arg_names, 0.25, path="args_after", target=forward)
    return Case(id, backward, "forward_backward", make_inputs, tests, requires=(forward,), seed=seed,
                visibility=visibility, group=_group(backward))


RUNNING_STATISTICS = ("running_mean", "running_var")


def inputs_unchanged(function, title, arg_names, points, *, path="args_after", target=""):
    """One side-effect test per named argument: ``function`` left it as it was given (``bn_param`` may
    change only its running statistics, which the forward pass is meant to update)."""
    return tuple(
        Test(f"{title}: does not modify {name}",
             Unchanged(f"{path}.{i}", f"args.{i}", name, function=function,
                       ignore=RUNNING_STATISTICS if name == "bn_param" else ()),
             points, "side_effect", "Work on copies instead of changing the arrays you are given.", target=target)
        for i, name in enumerate(arg_names) if name)


def reference_case(id, forward, backward, make_args, grad_names, *, arg_names, title, dtype="float64",
                   points=1.0, seed=0, visibility="hidden", tol=None, out_points=None, zero_grads=()):
    """Forward and backward on other inputs, compared with the reference's outputs (hidden by default).

    float32 values are compared by the relative error of whole arrays (an element that cancels to almost
    nothing has no relative precision in float32); ``zero_grads`` names gradients that are zero in exact
    arithmetic (:class:`~autograder.catalog.judges.NearZero`)."""
    tol = tol or REFERENCE_TOL[dtype]
    metric = "norm" if dtype == "float32" else "max"

    def judge(k, g):
        like = arg_names[k] if k < len(arg_names) else None
        if g in zero_grads:
            return NearZero(f"grads.{k}", "dout", g, like=like)
        return Close(f"grads.{k}", tol, g, like=like, metric=metric)

    def make_inputs(rng):
        args, dout = make_args(rng)
        return {"forward": forward, "backward": backward, "args": args, "dout": dout, "numeric": (),
                "n_grads": len(grad_names)}

    tests = (Test(f"{title}: output", Close("out", tol, "out", metric=metric), points if out_points is None else out_points,
                  "reference", f"{forward} is wrong on these inputs even if the notebook's case passes.",
                  target=forward),)
    tests += tuple(Test(f"{title}: {g}", judge(k, g), points, "reference") for k, g in enumerate(grad_names))
    if dtype == "float32":
        tests += (Test(f"{title}: output dtype", DtypeFollows("out", "args.0", "out"), 0.5, "contract",
                       "Keep the input's dtype: float32 in, float32 out.", target=forward),)
    return Case(id, backward, "forward_backward", make_inputs, tests, requires=(forward,), seed=seed,
                visibility=visibility, group=_group(backward))


def property_case(id, target, probe, make_inputs, checks, *, requires=(), seed=0, visibility="public",
                  timeout=None, kind="property"):
    """Properties of the outputs: ``checks`` is a list of ``(name, fn, points, hint)``, ``fn(outputs, inputs)``."""
    tests = tuple(Test(name, Predicate(fn, name), points, kind, hint) for name, fn, points, hint in checks)
    return Case(id, target, probe, make_inputs, tests, requires=requires, seed=seed, visibility=visibility,
                timeout=timeout, group=_group(target))


_GROUPS = {
    "affine": "affine_relu", "relu": "affine_relu", "svm": "losses", "softmax": "losses",
    "batchnorm": "batchnorm", "spatial_batchnorm": "batchnorm", "layernorm": "normalization",
    "spatial_groupnorm": "normalization", "dropout": "dropout", "conv": "conv", "max_pool": "pool",
    "sgd": "optim", "rmsprop": "optim", "adam": "optim",
}


def _group(target):
    if target[:1].isupper():
        return "models"
    if target.startswith(("affine_relu", "affine_bn", "affine_ln", "conv_relu", "conv_bn")):
        return "sandwich"
    for prefix in sorted(_GROUPS, key=len, reverse=True):
        if target.startswith(prefix):
            return _GROUPS[prefix]
    return "other"
