"""The shared vocabulary of the notebook rules: how a test cell is recognised (:class:`Rule`), what it prints
(:class:`Value` and its helpers :func:`printed`, :func:`errors`, :func:`array`, :func:`accuracy`) and how a
printed number is judged (:class:`Below`, :class:`Near`, :class:`AtLeast`, :class:`Above`, :class:`NearOther`),
plus :class:`NotebookVersion`, one course's notebooks and their test cells. The tables themselves (one module per
course family) only combine these.

A :class:`Rule` finds its test cell by a regular expression on the cell's source (usually the header the cell
prints, ``Testing affine_backward function:``), then reads its :class:`Value` lines from the cell's printed
output (``dx error:  9.88e-10``), in the output section that starts with ``block`` when one is given. Sections
start at lines beginning with ``Testing``, ``Running``, ``After`` or ``Before``, so the two blocks of the
``svm_loss`` / ``softmax_loss`` cell, or the ``reg = 0`` and ``reg = 3.14`` blocks of a gradient check, are
told apart.

Thresholds. The notebooks state an order of magnitude ("The error should be around 1e-10", "less than 1e-10",
"on the order of e-12"); correct code routinely prints up to ten times more than stated (seed 000 states
"less than 1e-10" for affine_backward and prints 9.9e-10; seed 001 states "around 1e-8" for conv_relu_pool and
prints 2.7e-08), while a wrong gradient prints 1e-3 to 1. So an error passes below **100 times** the stated
order (:func:`around`). Losses "about 2.3" pass within a stated tolerance of the expected value (log 10 =
2.3026 for 10 classes), accuracies "at least 50%" pass at that value.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

NUM = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)"
"""A printed number (``9.88e-10``, ``2.3``, ``0.``, ``nan``)."""
SECTION = re.compile(r"^\s*(?:Testing|Running|After|Before)\b")
"""A printed line that starts a new section of a cell's output."""
LOG_10 = math.log(10)
"""The initial softmax loss for 10 classes with small random weights: log(10) = 2.3026."""


def as_float(text):
    """A printed number as a float (NaN when it is not one)."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def label_value(lines, label):
    """The first number printed as ``<label>: <number>`` in ``lines`` (None when absent)."""
    pattern = re.compile(rf"^\s*{label}\s*:\s*({NUM})\s*$", re.I)
    for line in lines:
        match = pattern.match(line)
        if match:
            return as_float(match.group(1))
    return None


@dataclass(frozen=True)
class Below:
    """An error or difference: passes when strictly below ``limit``."""

    limit: float

    def check(self, value, section):
        return value < self.limit

    def describe(self):
        return f"below {self.limit:g}"

    def agree(self, a, b, exact=False):
        """Two printed errors agree when on the same side of the limit and within a factor of 10 (``exact``:
        values that reproduce up to rounding) or 1000 (numerical gradients, whose rounding noise differs between
        machines); values below the limit / 10^4 count as equal."""
        if self.check(a, ()) != self.check(b, ()) or math.isnan(a) != math.isnan(b):
            return False
        floor = self.limit * 1e-4
        decades = 1.0 if exact else 3.0
        return math.isnan(a) or abs(math.log10(max(abs(a), floor)) - math.log10(max(abs(b), floor))) <= decades


@dataclass(frozen=True)
class Near:
    """A value the notebook says should be about ``target``: passes within ``tol``."""

    target: float
    tol: float

    def check(self, value, section):
        return abs(value - self.target) <= self.tol

    def describe(self):
        return f"within {self.tol:g} of {self.target:.5g}" if self.tol else f"equal to {self.target:g}"

    def agree(self, a, b, exact=False):
        return self.check(a, ()) == self.check(b, ()) and abs(a - b) <= max(self.tol / 10, 1e-9 * abs(b))


@dataclass(frozen=True)
class AtLeast:
    """An accuracy the notebook asks for: passes at ``value`` or more."""

    value: float

    def check(self, value, section):
        return value >= self.value - 1e-12

    def describe(self):
        return f"at least {self.value:g}"

    def agree(self, a, b, exact=False):
        return self.check(a, ()) == self.check(b, ()) and abs(a - b) <= 1e-6


@dataclass(frozen=True)
class Above:
    """Larger than another value printed in the same section (``other`` is its label pattern)."""

    other: str
    other_name: str

    def check(self, value, section):
        other = label_value(section, self.other)
        return other is not None and value > other

    def describe(self):
        return f"above the {self.other_name}"

    def agree(self, a, b, exact=False):
        return abs(a - b) <= 1e-6 * max(1.0, abs(b))


@dataclass(frozen=True)
class NearOther:
    """Within a relative tolerance of another value printed in the same section."""

    other: str
    other_name: str
    rtol: float

    def check(self, value, section):
        other = label_value(section, self.other)
        return other is not None and abs(value - other) <= self.rtol * abs(other)

    def describe(self):
        if self.rtol <= 1e-6:
            return f"equal to the {self.other_name}"
        return f"within {100 * self.rtol:g}% of the {self.other_name}"

    def agree(self, a, b, exact=False):
        return abs(a - b) <= 1e-3 * max(1.0, abs(b))


@dataclass(frozen=True)
class Value:
    """One kind of printed number in a test cell's output."""

    name: str
    """What it is, as it appears in the check's name (``dx error``)."""
    pattern: str
    """Regular expression on one output line: group ``v`` the number (or ``a`` the start of a printed array),
    optional group ``k`` a key (the parameter ``W1`` of ``W1 relative error: 1.2e-08``)."""
    judge: object
    """:class:`Below`, :class:`Near`, :class:`AtLeast`, :class:`Above` or :class:`NearOther`."""
    aggregate: str = "each"
    """``each``: every printed occurrence must pass; ``max``: the largest; ``last``: the last one."""
    array: bool = False
    """The value is a printed numpy array (``means: [ 1.1e-16 -2.2e-17]``); every element must pass."""

    def regex(self):
        return re.compile(self.pattern, re.I)


def around(order):
    """The notebook says the error should be around (or less than, or on the order of) ``order``."""
    return Below(order * 100)


def printed(label, judge, name=None, aggregate="each"):
    """A ``<label>: <number>`` line."""
    return Value(name or label.replace("\\", ""), rf"^\s*{label}\s*:\s*(?P<v>{NUM})\s*$", judge, aggregate)


def errors(key, judge, name="relative errors"):
    """``<key> relative error: <number>`` lines of a gradient check (``W1 relative error: 1.22e-08``)."""
    return Value(name, rf"^\s*(?P<k>{key})\s+(?:max\s+)?relative\s+error\s*:\s*(?P<v>{NUM})\s*$", judge)


def array(label, judge, name=None):
    """A ``<label>: [n1 n2 ...]`` line (the array may continue on the next lines)."""
    return Value(name or label, rf"^\s*{label}\s*:\s*(?P<a>\[.*)$", judge, array=True)


def accuracy(which, judge, aggregate):
    """The Solver's ``(Epoch 1 / 10) train acc: 0.16; val_acc: 0.12`` lines (both CS231n formats)."""
    label = "train acc" if which == "train" else "val_acc"
    name = "training accuracy" if which == "train" else "validation accuracy"
    return Value(f"{'best' if aggregate == 'max' else 'final'} {name}",
                 rf"\b{label.replace(' ', r'[ _]')}\s*:\s*(?P<v>{NUM})", judge, aggregate)


def grad_errors(gradients, limit):
    """``dx error: <number>`` lines, one per gradient name, each below ``limit``."""
    return tuple(printed(f"{g} error", Below(limit)) for g in gradients)


@dataclass(frozen=True)
class Rule:
    """One kind of test cell and the printed values it must show."""

    id: str
    """Stable id; a key of ``[notebooks.points]``."""
    title: str
    """What the cell tests, the start of the check's name (``affine_backward``)."""
    source: str
    """Regular expression searched in a code cell's source: the cell is this test cell."""
    values: tuple
    """The printed :class:`Value` entries."""
    stated: str
    """What the notebook says the values should be."""
    seeds: str
    """Where this entry comes from."""
    block: str | None = None
    """Regular expression on the output line that opens this rule's section (None: the whole output)."""
    exclude: str | None = None
    """Regular expression; a cell whose source matches it is not this test cell."""
    fixed_inputs: bool = False
    """The cell's inputs are fixed (``np.linspace``), so it prints the same on every run; other cells are
    deterministic only when they seed numpy themselves (``np.random.seed(231)``) before drawing."""
    exact: bool = False
    """The printed values reproduce up to rounding on any machine (no numerical gradient): compared tightly."""
    compare: bool = True
    """Compare with a re-execution (False for training, data- and quick-rule-dependent, and for checks whose
    printed values are rounding noise)."""

    def matches(self, source: str) -> bool:
        # A pattern of lookaheads over the whole cell is tried at the start only (the same answer, in linear
        # time: searched, it would be tried again at every position).
        find = re.match if self.source.startswith("(?s)(?=") else re.search
        if not find(self.source, source):
            return False
        return not (self.exclude and re.search(self.exclude, source))


def header(text):
    """The header a test cell prints, as a pattern for both its source and its output."""
    return rf"Testing {text}\b"




@dataclass(frozen=True)
class NotebookVersion:
    """One course family's notebooks in one version: which notebooks there are and which test cells each has.

    A test cell of the version's notebook that the submitted notebook lacks is *missing* (it fails); a test cell
    the version never had is *not applicable* (no check). A notebook whose name the version does not know is
    checked against every test cell of the version that it holds, and none is missing.
    """

    id: str
    """Stable id, shown in the report and accepted by ``[notebooks] version``."""
    course: str
    """The course and years it stands for."""
    package: str
    """The package the notebooks import (``cs231n``, ``nndl``, ``deeplearning``...)."""
    notebooks: tuple
    """``((file stem, (Rule, ...)), ...)``: the course's notebooks and their test cells, in notebook order."""
    markers: tuple = ()
    """Regular expressions on a notebook's code that are evidence for this version (and for no other, where
    the test cells alike do not tell versions apart)."""
    seeds: str = ""
    """Where the table comes from (public notebooks studied, seeds)."""
    needs_marker: bool = False
    """Recognised only in a notebook that shows one of its markers (today's table: the project's own notebooks;
    a public notebook with the same test cells is one of the years' versions)."""

    def rules(self, stem=None) -> tuple:
        """The test cells of notebook ``stem`` (every test cell of the version when None or unknown)."""
        for name, rules in self.notebooks:
            if name == stem:
                return rules
        seen, every = set(), []
        for _, rules in self.notebooks:
            for rule in rules:
                if rule.id not in seen:
                    seen.add(rule.id)
                    every.append(rule)
        return tuple(every)

    def knows(self, stem) -> bool:
        """Whether the version has a notebook of this file stem."""
        return any(name == stem for name, _ in self.notebooks)

    def check(self):
        """Raise ``ValueError`` when a notebook lists a rule id twice."""
        for name, rules in self.notebooks:
            ids = [rule.id for rule in rules]
            if len(set(ids)) != len(ids):
                raise ValueError(f"notebook version {self.id}: {name} lists a rule id twice")
        return self
