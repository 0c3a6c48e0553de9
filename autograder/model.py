"""The catalog's building blocks and the grader's results, as small frozen dataclasses."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

KINDS = ("value", "gradient", "reference", "property", "side_effect", "contract", "model", "optimizer", "training",
         "notebook")
"""``contract``: a detail of the layer API the assignment never tests (the output dtype); worth no points unless
the course config sets ``count_contract = true``."""


@dataclass(frozen=True)
class Test:
    """One verdict on the outputs of a case: one line of the report, one pytest test."""

    name: str
    """What is checked, shown after the target: ``gradient dw`` in ``affine_backward: gradient dw``."""
    judge: Any
    """A judge from :mod:`autograder.catalog.judges`: a pure function of the outputs, the expected values and the inputs."""
    points: float = 1.0
    """Points for this test."""
    kind: str = "value"
    """One of :data:`KINDS`; used for pytest markers and the report's grouping."""
    hint: str = ""
    """Advice shown when the test fails."""
    target: str = ""
    """The function this test is about when it is not the case's target (a forward output in a backward case)."""


@dataclass(frozen=True)
class Case:
    """One call of the student's code (a probe with fixed inputs) and the tests judged on its outputs."""

    id: str
    """Stable unique id, e.g. ``affine_backward.notebook``; fixture keys start with it."""
    target: str
    """The function or class the case is about; every test's name starts with it."""
    probe: str
    """Name of the probe in :mod:`autograder.child.probes` that runs the student's code."""
    make_inputs: Callable[[Any], dict]
    """Makes the probe's keyword arguments from a ``numpy.random.RandomState``; pure and deterministic."""
    tests: tuple
    """The :class:`Test` entries judged on this case's outputs."""
    requires: tuple = ()
    """Every name the probe calls; if one is missing from the submission the tests fail with that reason."""
    seed: int = 0
    """Seed of the input generator and of numpy's global state in the child before the probe runs."""
    visibility: str = "public"
    """``public`` (the notebooks' checks, shipped to students) or ``hidden`` (other inputs, graded only)."""
    timeout: float | None = None
    """Wall-clock seconds the probe may take before the child is killed (None: the config's check limit)."""
    group: str = ""
    """Gradebook column (e.g. ``layers``, ``conv``); defaults to the catalog module."""

    def all_requires(self):
        return tuple(dict.fromkeys((self.target,) + tuple(self.requires)))


@dataclass(frozen=True)
class Verdict:
    """The judge's answer for one test."""

    passed: bool
    """Whether the test passed."""
    message: str = ""
    """What was wrong (empty when passed), or a short measured value."""
    value: float | None = None
    """A measured number (relative error, accuracy...) for the report."""
    warning: str = ""
    """A contract detail the assignment never tests (a float64 output for float32 input, a shape that differs
    only by singleton dimensions) on an otherwise passing verdict: a warning by default, a failure when the
    course counts contract details."""


@dataclass(frozen=True)
class TestResult:
    """One test's result, as it goes into results.json and feedback.md."""

    case_id: str
    """The case the test belongs to."""
    name: str
    """Full name: ``<target>: <test name>``."""
    target: str
    """The function or class checked."""
    kind: str
    """The test kind (see :data:`KINDS`)."""
    visibility: str
    """``public`` or ``hidden``."""
    group: str
    """Gradebook column."""
    score: float
    """Points earned."""
    max_score: float
    """Points possible."""
    status: str
    """``passed``, ``failed`` or ``not_applicable``."""
    message: str = ""
    """Explanation for the student."""
    hint: str = ""
    """Advice shown on failure."""
    warning: str = ""
    """A contract detail that differs but is not counted (see :attr:`Verdict.warning`); the test still passed."""
    diagnosis: str = ""
    """On a failure: which kind of mistake explains the wrong value (:mod:`autograder.grading.diagnoses`), or ''."""
    relation: str = ""
    """The id of the relation behind :attr:`diagnosis` (for measurements; never shown alone)."""


@dataclass
class Report:
    """Everything the grader found about one submission."""

    submission: str
    results: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    profile: str = ""
    execution_time: float = 0.0
    error: str = ""
    source: str = ""
    """What the submission was graded from, as its class folder names it (``alice/``, ``alice.zip``); set by batch."""
    timings: dict = field(default_factory=dict)
    """Instructor-only: seconds per case as the grader waited for it (``cases``), spent starting children
    (``startup``, ``children`` started) and the same for the credit-isolation child (``isolation``); written to
    results.json's ``extra_data`` (stored by Gradescope, never shown to students), nowhere else."""
    peak_child_memory_bytes: int | None = None
    """Instructor-only: the largest peak resident memory of the submission's children (None: not measured)."""

    @property
    def score(self):
        return round(sum(r.score for r in self.results), 6)

    @property
    def max_score(self):
        return round(sum(r.max_score for r in self.results if r.status != "not_applicable"), 6)
