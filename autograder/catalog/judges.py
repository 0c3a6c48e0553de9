"""Judges: pure functions that compare a probe's raw outputs with the expected side.

Order of comparison follows numpy.testing: type, then shape, then dtype, then values. The expected side is
the reference (or the notebook's literal), never the student's. Messages say what is wrong and where, e.g.
``dw has shape (5, 6), expected (6, 5) like w``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from ..child.codec import Opaque
from ..child.probes import sample_indices
from ..model import Verdict


def rel_error(x, y):
    """The notebooks' relative error: ``max |x - y| / max(1e-8, |x| + |y|)``."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def lookup(obj, path):
    """``lookup(outputs, "grads.1")`` is ``outputs["grads"][1]``; raises KeyError with the path if absent."""
    for part in path.split(".") if path else ():
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, (tuple, list)) and part.lstrip("-").isdigit() and -len(obj) <= int(part) < len(obj):
            obj = obj[int(part)]
        else:
            raise KeyError(path)
    return obj


def describe(value):
    """How a wrong value is named in a message."""
    if value is None:
        return "None"
    if isinstance(value, Opaque):
        return f"a {value.type_name}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _numeric(value):
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float)):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return value
    return None


def norm_error(x, y):
    """Relative error of whole arrays, ``||x - y|| / (||x|| + ||y||)``: one kink of ReLU or max pooling crossed
    by a finite difference moves it little, unlike the elementwise maximum."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.linalg.norm(x - y) / max(1e-12, np.linalg.norm(x) + np.linalg.norm(y)))


METRICS = {"max": rel_error, "norm": norm_error}


def singleton_only(got_shape, want_shape):
    """Whether two different shapes hold the same elements in the same order and differ only by dimensions of
    size 1: ``(1, D)`` or ``(D, 1)`` for ``(D,)``, ``(1, C, 1, 1)`` for ``(C,)``."""
    squeeze = lambda shape: tuple(n for n in shape if n != 1)  # noqa: E731
    return tuple(got_shape) != tuple(want_shape) and squeeze(got_shape) == squeeze(want_shape)


def compare_arrays(label, actual, expected, tol, like=None, metric="max"):
    """Shape, dtype kind, finiteness, then relative error; returns a Verdict.

    A shape that differs only by singleton dimensions (``dgamma`` of shape ``(1, D)`` for ``(D,)``) is a
    contract detail the assignment never tests: the values are compared as if reshaped, and a right answer
    passes with a warning. Another number of elements, or a wrong value, fails.
    """
    like_text = f" like {like}" if like else ""
    got = _numeric(actual)
    if actual is None:
        return Verdict(False, f"{label}: not implemented yet (returns None), expected an array of shape {np.shape(expected)}{like_text}")
    if got is None:
        return Verdict(False, f"{label} is {describe(actual)}, expected an array of shape {np.shape(expected)}{like_text}")
    expected = np.asarray(expected)
    warning = ""
    if got.shape != expected.shape:
        if not singleton_only(got.shape, expected.shape):
            return Verdict(False, f"{label} has shape {got.shape}, expected {expected.shape}{like_text}")
        warning = (f"{label} has shape {got.shape}, expected {expected.shape}{like_text}; only dimensions of size 1 "
                   f"differ, so the values were compared as if reshaped")
        got = got.reshape(expected.shape)
    if expected.dtype.kind == "f" and got.dtype.kind not in "fc":
        return Verdict(False, f"{label} has dtype {got.dtype}, expected a floating dtype like {expected.dtype}")
    if got.dtype.kind in "fc" and not np.all(np.isfinite(got)):
        bad = int(np.size(got) - np.count_nonzero(np.isfinite(got)))
        return Verdict(False, f"{label} has {bad} non-finite value(s) (NaN or inf)")
    err = METRICS[metric](got, expected)
    if err > tol:
        shape_note = f" (and {warning.split('; ')[0]})" if warning else ""
        return Verdict(False, f"{label} is wrong: relative error {err:.2e} exceeds {tol:.0e}{shape_note}", err)
    return Verdict(True, f"relative error {err:.2e}", err, warning)


@dataclass(frozen=True)
class Close:
    """Output at ``path`` equals the expected value (the reference's output, or a notebook ``literal``)."""

    path: str
    tol: float
    label: str = ""
    like: str | None = None
    literal: Any = None
    metric: str = "max"
    """``max`` (the notebooks' elementwise relative error) or ``norm`` (of whole arrays: float32 values that
    cancel to almost nothing have no relative precision of their own)."""

    def expected_paths(self):
        return () if self.literal is not None else (self.path,)

    def __call__(self, outputs, expected, inputs):
        label = self.label or self.path
        want = np.asarray(self.literal) if self.literal is not None else lookup(expected, self.path)
        try:
            got = lookup(outputs, self.path)
        except KeyError:
            return Verdict(False, f"{label} is missing from what the function returned")
        return compare_arrays(label, got, want, self.tol, self.like, self.metric)


@dataclass(frozen=True)
class NearZero:
    """A gradient that is exactly zero in exact arithmetic (the bias of a layer followed by batchnorm): its
    computed values are rounding noise, which no relative error can judge, so it must be small against the
    upstream gradient at ``scale_path`` in the inputs: ``max |got| <= tol * max(1, max |dout|)``."""

    path: str
    scale_path: str
    label: str = ""
    like: str | None = None
    tol: float = 1e-8

    def expected_paths(self):
        return (self.path,)  # the reference's value gives the shape

    def __call__(self, outputs, expected, inputs):
        label = self.label or self.path
        want = np.asarray(lookup(expected, self.path))
        try:
            got = lookup(outputs, self.path)
        except KeyError:
            return Verdict(False, f"{label} is missing from what the function returned")
        shape = compare_arrays(label, got, np.zeros_like(want), np.inf, self.like)  # shape, dtype, finiteness
        if not shape.passed:
            return shape
        largest = float(np.max(np.abs(_numeric(got)))) if np.size(got) else 0.0
        bound = self.tol * max(1.0, float(np.max(np.abs(np.asarray(lookup(inputs, self.scale_path), np.float64)))))
        if largest > bound:
            return Verdict(False, f"{label} is wrong: it is zero in exact arithmetic (batchnorm removes the bias), "
                                  f"but its largest value is {largest:.2e}", largest)
        return Verdict(True, f"largest value {largest:.2e}", largest, shape.warning)


@dataclass(frozen=True)
class CloseToAny:
    """Like :class:`Close`, but the value of another convention that a course's starter code has also passes:
    ``others`` holds ``(description, fn)`` pairs, ``fn(inputs)`` giving that convention's expected value (None: the
    convention is not the course's)."""

    close: Close
    others: tuple = ()

    def expected_paths(self):
        return self.close.expected_paths()

    def __call__(self, outputs, expected, inputs):
        verdict = self.close(outputs, expected, inputs)
        if verdict.passed:
            return verdict
        for description, fn in self.others:
            literal = fn(inputs)
            if literal is None:  # a convention of another course than this one's
                continue
            other = replace(self.close, literal=literal)(outputs, expected, inputs)
            if other.passed:
                return Verdict(True, f"{other.message} ({description})", other.value)
        return verdict


def numerical_gradient(perturbed, dout, h):
    """Central differences from raw outputs ``perturbed[0][i] = f(x + h e_i)``, ``perturbed[1][i] = f(x - h e_i)``."""
    plus, minus = np.asarray(perturbed[0], np.float64), np.asarray(perturbed[1], np.float64)
    diff = (plus - minus).reshape(plus.shape[0], -1)
    weights = np.ones(diff.shape[1]) if dout is None else np.asarray(dout, np.float64).reshape(-1)
    if weights.size != diff.shape[1]:
        return None
    return diff @ weights / (2.0 * h)


@dataclass(frozen=True)
class SameAsReference:
    """When a numerical gradient check may be decided without perturbing the student's function.

    A first request runs the function without perturbed calls but with two cheap pieces of evidence, taken after
    every other call: its value once more (``again``) and, per input or parameter, its values with that whole
    array moved by +h and -h along a fixed random +-1 direction (``directional.<name>``: losses, or forward
    outputs weighted by ``dout``). When the student's initial parameters and value equal the reference's, the
    value repeats, and it changes along each direction as the reference's does, the student's function is the
    reference's own around this point (a forward that reads stale copies of its parameters, or that depends on
    earlier calls, shows here). The test is then judged against the reference's numerical gradient (kept in the
    instructors' fixtures, never sent to the child) at ``margin`` times its tolerance; otherwise the grader asks
    for the perturbed calls and judges as always. Without the expected values numerics are computed as before.
    """

    params: tuple = ()
    """Every parameter of a model: the student's initial values must equal the reference's."""
    value: str = "loss"
    """The output compared with the reference's (``loss``, or ``out`` for a layer's forward)."""
    reference: str = ""
    """Where the fixtures keep the reference's value (default: ``value``; ``again``, the same value, where a key
    ``<case>:out`` could be mistaken for part of another case's public key)."""
    same: float = 1e-10
    """Largest difference of the parameters, the value and the repeated value from the reference's, relative to
    the largest magnitude (at least 1)."""
    direction: float = 1e-6
    """Largest relative difference of the value's change along each direction from the reference's."""
    margin: float = 2.0
    """The analytic gradient must pass against the reference's numerical gradient at ``tol / margin``."""

    def paths(self, prefix, name):
        """Expected paths the decision needs for the gradient of ``name`` (``prefix``: ``runs.0.`` or '')."""
        return (*(f"params.{p}" for p in self.params), f"{prefix}{self.reference or self.value}",
                f"{prefix}directional.{name}", f"{prefix}numeric.{name}")

    def same_function(self, outputs, expected, prefix, name):
        """Whether the student's function is the reference's near the point, for ``name``."""
        try:
            pairs = [(lookup(outputs, f"params.{p}"), lookup(expected, f"params.{p}")) for p in self.params]
            value = lookup(outputs, f"{prefix}{self.value}")
            pairs += [(value, lookup(expected, f"{prefix}{self.reference or self.value}")),
                      (lookup(outputs, f"{prefix}again"), value)]
            moved = _numeric(lookup(outputs, f"{prefix}directional.{name}"))
            ref = np.asarray(lookup(expected, f"{prefix}directional.{name}"), np.float64)
        except KeyError:
            return False
        if not all(_same_values(got, want, self.same) for got, want in pairs):
            return False
        if moved is None or moved.shape != (2,) or not np.all(np.isfinite(moved)):
            return False
        change, ref_change = float(moved[0] - moved[1]), float(ref[0] - ref[1])
        return ref_change != 0.0 and abs(change - ref_change) <= self.direction * abs(ref_change)


def _same_values(got, want, tol):
    """Numbers or arrays of the same shape, all finite, within ``tol`` of ``want``'s largest magnitude (at least 1)."""
    got, want = _numeric(got), _numeric(want)
    if got is None or want is None or got.shape != want.shape:
        return False
    if np.array_equal(got, want):  # the usual case, and the quickest to see
        return bool(np.all(np.isfinite(got))) if got.dtype.kind in "fc" else True
    if not np.all(np.isfinite(got)):
        return False
    want = want.astype(np.float64)
    return float(np.max(np.abs(got - want))) <= tol * max(1.0, float(np.max(np.abs(want))))


@dataclass(frozen=True)
class GradientClose:
    """Analytic gradient at ``path`` against the numerical gradient of the student's own forward.

    ``arg`` is the input the gradient is taken with respect to (an index into ``inputs['args']``, or a model
    parameter name whose shape is read from the outputs at ``shape_path``); ``dout`` is the inputs path of the
    upstream gradient (None for scalar losses); ``perturbed`` the outputs path of the raw perturbed outputs.
    """

    path: str
    arg: Any
    tol: float
    label: str
    dout: str | None = "dout"
    h: float = 1e-5
    like: str | None = None
    perturbed: str | None = None
    shape_path: str | None = None
    metric: str = "max"
    shortcut: SameAsReference | None = None
    """For a model's gradient at ``<run>.grads.<name>``: when the numerical gradient may be skipped (see
    :class:`SameAsReference`)."""

    def expected_paths(self):
        return ()

    def _prefix(self):
        """Where this gradient's run is in the outputs: ``runs.0.`` for ``runs.0.grads.W1``, else ''."""
        return self.path.rsplit("grads.", 1)[0] if "grads." in self.path else ""

    def optional_paths(self):
        """Expected values that let the grader skip the numerical gradient (absent: it is computed)."""
        return self.shortcut.paths(self._prefix(), self.arg) if self.shortcut is not None else ()

    def reference_values(self, outputs, inputs):
        """The optional expected values, from the reference's full outputs (for the fixtures)."""
        if self.shortcut is None:
            return {}
        prefix, perturbed = self._prefix(), self.perturbed or f"perturbed_{self.arg}"
        values = {p: np.asarray(lookup(outputs, p)) for p in self.shortcut.paths(prefix, self.arg)[:-1]}
        dout = lookup(inputs, self.dout) if self.dout else None
        values[f"{prefix}numeric.{self.arg}"] = numerical_gradient(lookup(outputs, perturbed), dout, self.h)
        return values

    def needs_numeric(self, outputs, expected, inputs):
        """Whether this test needs the perturbed outputs it lacks (the shortcut cannot decide it)."""
        if self.shortcut is None:
            return False
        try:
            lookup(outputs, self.perturbed or f"perturbed_{self.arg}")
            return False
        except KeyError:
            return self._shortcut(outputs, expected, inputs) is None

    def _shortcut(self, outputs, expected, inputs):
        """The verdict against the reference's numerical gradient, or None when the shortcut does not decide."""
        if self.shortcut is None or not self.shortcut.same_function(outputs, expected, self._prefix(), self.arg):
            return None
        try:
            analytic, numeric = lookup(outputs, self.path), lookup(expected, f"{self._prefix()}numeric.{self.arg}")
            shape = self._input_shape(inputs, outputs)
        except KeyError:
            return None
        if _numeric(analytic) is None:
            return None
        verdict = self._against(analytic, np.asarray(numeric, np.float64), shape, self.tol / self.shortcut.margin)
        if not verdict.passed:
            return None
        return replace(verdict, message=f"{verdict.message} against the reference's numerical gradient (the loss "
                                        "is the reference's own function here, so its numerical gradient was not "
                                        "recomputed)")

    def _input_shape(self, inputs, outputs):
        if isinstance(self.arg, int):
            return np.shape(inputs["args"][self.arg])
        if self.shape_path:
            return np.shape(lookup(outputs, self.shape_path))
        return None

    def __call__(self, outputs, expected, inputs):
        try:
            analytic = lookup(outputs, self.path)
            perturbed = lookup(outputs, self.perturbed or f"perturbed_{self.arg}")
            shape = self._input_shape(inputs, outputs)
        except KeyError:
            shortcut = self._shortcut(outputs, expected, inputs)
            if shortcut is not None:
                return shortcut
            return Verdict(False, f"{self.label} is missing from what the function returned")
        if _numeric(analytic) is None:
            return compare_arrays(self.label, analytic, np.zeros(shape if shape is not None else ()), np.inf, self.like)
        dout = lookup(inputs, self.dout) if self.dout else None
        numeric = numerical_gradient(perturbed, dout, self.h)
        if numeric is None:
            return Verdict(False, f"the forward output has the wrong size, so {self.label} cannot be checked")
        if not np.all(np.isfinite(numeric)):
            return Verdict(False, f"the forward pass gives non-finite values, so {self.label} cannot be checked")
        return self._against(analytic, numeric, shape, self.tol)

    def _against(self, analytic, numeric, shape, tol):
        """The analytic gradient against a numerical one (``numeric``: at every element, or at the evenly spread
        sample the child perturbed)."""
        if shape is None:
            shape = np.shape(analytic)
        size = int(np.prod(shape))
        warning = ""
        if numeric.size != size:  # sampled: compare at the evenly spread indices the child used
            picked = sample_indices(size, numeric.size)
            if picked.size == numeric.size and singleton_only(np.shape(analytic), shape):
                warning = compare_arrays(self.label, analytic, np.zeros(shape), np.inf, self.like).warning
                analytic = np.asarray(analytic).reshape(shape)
            if picked.size != numeric.size or np.shape(analytic) != tuple(shape):
                return compare_arrays(self.label, analytic, np.zeros(shape), np.inf, self.like)
            analytic, want = np.asarray(analytic).reshape(-1)[picked], numeric
        else:
            want = numeric.reshape(shape)
        verdict = compare_arrays(self.label, analytic, want, tol, self.like, self.metric)
        if not verdict.passed and verdict.value is not None:
            return Verdict(False, f"{self.label} does not match the numerical gradient of the forward pass: "
                                  f"relative error {verdict.value:.2e} exceeds {tol:.0e}", verdict.value)
        if verdict.passed and warning and not verdict.warning:
            return replace(verdict, warning=warning)
        return verdict


@dataclass(frozen=True)
class Unchanged:
    """What the student's code left of an input (``after``) still equals the input (``before``).

    ``before`` is read from the probe's inputs, or from its outputs when ``before_in_outputs`` (a snapshot the
    probe took, e.g. the cache before backward). Dict keys in ``ignore`` may change (bn_param's running
    statistics are meant to be updated); keys the code added are not changes. Messages name ``function``:
    ``relu_backward modified dout in place``.
    """

    after: str
    before: str
    label: str
    function: str = ""
    ignore: tuple = ()
    before_in_outputs: bool = False

    def expected_paths(self):
        return ()

    def __call__(self, outputs, expected, inputs):
        try:
            got = lookup(outputs, self.after)
            want = lookup(outputs if self.before_in_outputs else inputs, self.before)
        except KeyError:
            return Verdict(False, f"{self.label} could not be inspected")
        who = f"{self.function} modified" if self.function else "modified"
        if isinstance(want, dict):
            if not isinstance(got, dict):
                return Verdict(False, f"{self.label} was replaced by {describe(got)}")
            changed = [k for k in want if k not in self.ignore and (k not in got or not _same(got[k], want[k]))]
            if changed:
                keys = ", ".join(repr(k) if isinstance(k, str) else str(k) for k in changed)
                return Verdict(False, f"{who} {self.label} in place (key{'s' if len(changed) > 1 else ''} {keys})"
                                      if self.function else f"{self.label} was modified in place (keys {keys})")
            return Verdict(True)
        if not _same(got, want):
            root = self.label.split()[-1]  # "its cache" -> cache[1]['x']
            where = _difference(got, want, root)
            detail = f" ({where} changed)" if where and where != root else ""
            if self.function:
                return Verdict(False, f"{who} {self.label} in place{detail}")
            return Verdict(False, f"{self.label} was modified in place{detail}; work on a copy instead")
        return Verdict(True)


def _difference(a, b, path):
    """The path of the first part of ``a`` that differs from ``b`` (``cache[1]['x']``), or None."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and type(a) is type(b) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if not _same(x, y):
                return _difference(x, y, f"{path}[{i}]")
        return None
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for key in b:
            if not _same(a[key], b[key]):
                return _difference(a[key], b[key], f"{path}[{key!r}]")
        return None
    return None if _same(a, b) else path


def _same(a, b):
    """Exact structural equality of arrays, numbers, tuples, lists and dicts (NaN equals NaN)."""
    if isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (np.ndarray, np.generic)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


@dataclass(frozen=True)
class Identical:
    """Two outputs are exactly equal (e.g. backward called twice on the same cache)."""

    first: str
    second: str
    message: str

    def expected_paths(self):
        return ()

    def __call__(self, outputs, expected, inputs):
        try:
            a, b = lookup(outputs, self.first), lookup(outputs, self.second)
        except KeyError:
            return Verdict(False, self.message)
        if a is None:  # the untouched starter's `out = None` is the same twice, but it is nothing
            return Verdict(False, "no output: the function returned None")
        return Verdict(True) if _same(a, b) else Verdict(False, self.message)


@dataclass(frozen=True)
class DtypeFollows:
    """Output at ``path`` has the dtype of input ``like`` (float32 in, float32 out).

    Another floating precision (``np.zeros(shape)`` is float64) is a contract detail: a warning unless the
    course counts contract details; a non-floating output fails."""

    path: str
    like: str
    label: str

    def expected_paths(self):
        return ()

    def __call__(self, outputs, expected, inputs):
        try:
            got = lookup(outputs, self.path)
        except KeyError:
            return Verdict(False, f"{self.label} is missing")
        want = np.asarray(lookup(inputs, self.like)).dtype
        if not isinstance(got, np.ndarray):
            return Verdict(False, f"{self.label} is {describe(got)}, expected an array of dtype {want}")
        if got.dtype != want:
            message = f"{self.label} has dtype {got.dtype}, expected {want} like the input"
            if got.dtype.kind == want.kind == "f":  # another precision: a contract detail, not a wrong answer
                return Verdict(True, warning=message)
            return Verdict(False, message)
        return Verdict(True)


@dataclass(frozen=True)
class Predicate:
    """A named property of the outputs: ``fn(outputs, inputs) -> (passed, message, value)``, or ``(passed,
    message, value, warning)`` for a property that holds but with a contract detail (see :class:`Verdict`)."""

    fn: Callable
    description: str = ""

    def expected_paths(self):
        return ()

    def __call__(self, outputs, expected, inputs):
        try:
            passed, message, value, *warning = self.fn(outputs, inputs)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            return Verdict(False, f"{self.description or 'the output'} could not be checked ({type(exc).__name__}: {exc})")
        return Verdict(bool(passed), message, value, warning[0] if warning and passed else "")
