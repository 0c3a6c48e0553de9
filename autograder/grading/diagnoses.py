"""Diagnoses of wrong values: which kind of mistake explains a failed comparison.

Computed in the grader, never in the child, from the student's value and the expected one (the reference's, the
notebook's literal, or the numerical gradient of the student's own forward), once a judge has failed. Each
:class:`~autograder.grading.diagnosis_relations.Relation` of the table :data:`~autograder.grading.diagnosis_relations.RELATIONS`
proposes what the student's value would be under one mistake (the expected value transposed, scaled by N, without
the mean term...); it is reported only when that proposal matches the student's value within the check's own
tolerance. A diagnosis names a relation and quantities of the case (``N``, ``p``, ``reg``), never numbers of a
hidden case's inputs or expected values.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..catalog.judges import (METRICS, Close, CloseToAny, GradientClose, NearZero, Predicate, Unchanged, Identical,
                              lookup, numerical_gradient)
from ..child.probes import sample_indices


MAX_ELEMENTS = 200_000
"""Values larger than this are not diagnosed (the catalog's are far smaller; the relations' cost grows with size)."""


@dataclass(frozen=True)
class Diagnosis:
    """What a relation found."""

    relation: str
    """The relation's id (``scaled``, ``sum_axes``...): stable, for measurements and tests."""
    text: str
    """The sentence the student reads: names the mistake, never the answer."""


@dataclass(frozen=True)
class Evidence:
    """Everything a relation may read about one failed comparison."""

    label: str
    """The compared value's name in messages (``dx``, ``next_w``)."""
    got: object
    """The student's value (an array, float64), or None for a failure that compares nothing (an exception)."""
    want: object
    """The expected value (an array, float64), or None."""
    tol: float
    """The check's own tolerance: a relation explains the difference only within it."""
    metric: str = "max"
    """How the check measures the error (:data:`autograder.catalog.judges.METRICS`)."""
    inputs: dict = field(default_factory=dict)
    """What the student's code was given (the case's inputs)."""
    outputs: dict = field(default_factory=dict)
    """Everything the probe returned."""
    target: str = ""
    """The function the check is about."""
    path: str = ""
    """Where the value is in the outputs (``grads.0``, ``runs.1.grads.W2``, ``config.velocity``)."""
    like: str = ""
    """The input the value must look like (``x`` for ``dx``)."""
    message: str = ""
    """The judge's message (for relations that classify a property check's finding)."""
    judge: object = None
    """The judge that failed."""
    picked: object = None
    """For a gradient checked at a sample of its elements: the flat indices compared (None: every element)."""

    def fits(self, model) -> bool:
        """Whether ``model`` (what the student's value would be under a mistake) equals it within the tolerance."""
        if model is None or self.got is None:
            return False
        model = np.asarray(model, dtype=np.float64)
        if model.shape != self.got.shape or not np.all(np.isfinite(model)):
            return False
        if self.want is not None and model.shape == self.want.shape and np.array_equal(model, self.want):
            return False  # the "mistake" changes nothing here: it cannot explain the difference
        return METRICS[self.metric](self.got, model) <= self.tol


def _array(value):
    if value is None or isinstance(value, (bool, np.bool_, str)):
        return None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array


def evidence(judge, outputs, expected, inputs, *, target="", message="") -> Evidence | None:
    """The evidence of a failed judge, or None when the judge compares nothing a relation can read."""
    common = {"inputs": inputs if isinstance(inputs, dict) else {}, "outputs": outputs if isinstance(outputs, dict)
              else {}, "target": target, "message": message, "judge": judge}
    try:
        if isinstance(judge, CloseToAny):
            judge = judge.close
        if isinstance(judge, Close):
            want = judge.literal if judge.literal is not None else lookup(expected, judge.path)
            return Evidence(judge.label or judge.path, _array(lookup(outputs, judge.path)), _array(want), judge.tol,
                            judge.metric, path=judge.path, like=judge.like or "", **common)
        if isinstance(judge, NearZero):
            want = np.zeros(np.shape(lookup(expected, judge.path)))
            return Evidence(judge.label or judge.path, _array(lookup(outputs, judge.path)), want, judge.tol,
                            path=judge.path, like=judge.like or "", **common)
        if isinstance(judge, GradientClose):
            return _gradient_evidence(judge, outputs, expected, inputs, common)
        if isinstance(judge, Predicate) and hasattr(judge.fn, "evidence"):
            label, got, want, tol, path = judge.fn.evidence(outputs, inputs)
            return Evidence(label, _array(got), _array(want), tol, path=path, **common)
        if isinstance(judge, (Predicate, Unchanged, Identical)):
            return Evidence("", None, None, 0.0, **common)
    except (KeyError, IndexError, TypeError, ValueError):
        return Evidence("", None, None, 0.0, **common)
    return None


def _gradient_evidence(judge, outputs, expected, inputs, common):
    """The analytic gradient and the numerical one it was compared with (at the sampled elements, if sampled)."""
    analytic = _array(lookup(outputs, judge.path))
    try:
        dout = lookup(inputs, judge.dout) if judge.dout else None
        numeric = numerical_gradient(lookup(outputs, judge.perturbed or f"perturbed_{judge.arg}"), dout, judge.h)
    except KeyError:
        numeric = lookup(expected, f"{judge._prefix()}numeric.{judge.arg}")
    numeric = _array(numeric)
    shape, picked = judge._input_shape(inputs, outputs), None
    if analytic is not None and numeric is not None and shape is not None:
        size = int(np.prod(shape))
        if numeric.size == size:
            numeric = numeric.reshape(shape)
        elif analytic.size == size:  # sampled: the relations see the sampled elements only
            picked = sample_indices(size, numeric.size)
            analytic = analytic.reshape(-1)[picked]
    return Evidence(judge.label, analytic, numeric, judge.tol, judge.metric, path=judge.path, like=judge.like or "",
                    picked=picked, **common)


def diagnose(ev: Evidence | None) -> Diagnosis | None:
    """The first relation of the table that explains the failure, as a :class:`Diagnosis` (None: none does)."""
    from .diagnosis_relations import RELATIONS

    if ev is None or any(v is not None and v.size > MAX_ELEMENTS for v in (ev.got, ev.want)):
        return None  # a student's huge array costs no grading time in relations
    for relation in RELATIONS:
        if relation.targets and not any(ev.target.startswith(t) for t in relation.targets):
            continue
        if relation.needs_values and (ev.got is None or ev.want is None):
            continue
        try:
            found = relation.explain(ev)
        except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError, FloatingPointError, AttributeError):
            found = None
        if found is not None:
            fields = found if isinstance(found, dict) else {}
            return Diagnosis(relation.id, relation.message.format(label=ev.label or "the value", target=ev.target,
                                                                  like=ev.like or "the input", **fields))
    return None


def diagnose_exception(error: str, inputs, target="") -> Diagnosis | None:
    """A diagnosis of a check that failed because the student's code raised (``error``: the reason shown)."""
    ev = Evidence("", None, None, 0.0, inputs=inputs if isinstance(inputs, dict) else {}, target=target,
                  message=error)
    return diagnose(ev)


def judge_failure(judge, outputs, expected, inputs, target, message) -> Diagnosis | None:
    """The diagnosis of a failed judge (never raises: a diagnosis is a bonus, not a verdict)."""
    try:
        with np.errstate(all="ignore"):
            return diagnose(evidence(judge, outputs, expected, inputs, target=target, message=message))
    except Exception:  # noqa: BLE001 - a diagnosis must never break the grading
        return None

