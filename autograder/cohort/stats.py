"""Statistics of a graded class, computed from the students' finished reports (never by grading): the score
distribution, per-function means and pass rates, and the checks failed most often. The class summary, the
figures and report.html (:mod:`autograder.cohort.exporters`) all read them from here, so they agree.

``reports`` is what :func:`autograder.cohort.exporters.load_reports` returns: student -> :class:`~autograder.model.Report`,
or None when the student has no finished results yet. A submission that could not be graded at all (its report
has an ``error``) counts in the score distribution (with its score, 0) but not in the per-function and per-check
statistics, whose failures it would swamp with the same "no student package" message.
"""
from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass

QUANTILES = ((0.0, "min"), (0.25, "25%"), (0.5, "median"), (0.75, "75%"), (1.0, "max"))
"""The quantiles of the score distribution that the summary lists, with their labels."""
MESSAGE_CHARS = 160
"""A typical message is cut to its first line and this many characters."""


@dataclass(frozen=True)
class FunctionStats:
    """How the class did on one function or class of the assignment."""

    name: str
    """The function or class (the checks' target), e.g. ``affine_backward``."""
    students: int
    """Graded submissions with at least one check of it worth points."""
    mean_score: float
    """Mean points earned on its checks over those submissions."""
    mean_max: float
    """Mean points possible (the same for every student under one rubric)."""
    mean_fraction: float
    """Mean over those submissions of earned / possible, from 0 to 1."""
    passed: int
    """Submissions that passed every check of it worth points."""

    @property
    def pass_rate(self) -> float:
        return self.passed / self.students if self.students else 0.0


@dataclass(frozen=True)
class FailingCheck:
    """A check that some graded submissions fail."""

    name: str
    """The check's full name (``affine_backward: numerical gradient: dw``)."""
    failed: int
    """Submissions that fail it."""
    graded: int
    """Submissions graded on it."""
    message: str
    """The most common failure message (first line, shortened); ties go to the first student's."""


def graded_reports(reports) -> OrderedDict:
    """The reports of the submissions that were graded (finished, and without a submission-level error)."""
    return OrderedDict((s, r) for s, r in reports.items() if r is not None and not r.error)


def score_fraction(report) -> float:
    """The report's score as a share of its maximum (0 when nothing could be graded)."""
    return report.score / report.max_score if report.max_score else 0.0


def quantile(values, q: float) -> float:
    """The ``q``-quantile of ``values`` with linear interpolation (numpy's default method)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def histogram(fractions, bins=10) -> list:
    """How many fractions fall in each of ``bins`` equal bins of [0, 1] (1.0 goes to the last)."""
    counts = [0] * bins
    for fraction in fractions:
        counts[min(max(int(fraction * bins), 0), bins - 1)] += 1
    return counts


def function_scores(report) -> OrderedDict:
    """Function -> (points earned, points possible, every check passed) over the report's checks worth points,
    in the order the report lists them (the catalog's)."""
    scores = OrderedDict()
    for r in report.results:
        if r.status == "not_applicable" or r.max_score <= 0 or not r.target:
            continue
        earned, possible, passed = scores.get(r.target, (0.0, 0.0, True))
        scores[r.target] = (earned + r.score, possible + r.max_score, passed and r.status == "passed")
    return scores


def functions(reports) -> list:
    """Every function graded in the class, in the order the students' reports list them."""
    names = OrderedDict()
    for report in reports.values():
        for name in function_scores(report) if report is not None else ():
            names[name] = None
    return list(names)


def function_stats(reports) -> list:
    """A :class:`FunctionStats` per function graded in the class (graded submissions only), in catalog order."""
    graded = graded_reports(reports)
    per_student = [function_scores(report) for report in graded.values()]
    stats = []
    for name in functions(graded):
        rows = [scores[name] for scores in per_student if name in scores]
        stats.append(FunctionStats(
            name=name, students=len(rows), mean_score=sum(e for e, _, _ in rows) / len(rows),
            mean_max=sum(p for _, p, _ in rows) / len(rows),
            mean_fraction=sum(e / p for e, p, _ in rows) / len(rows), passed=sum(ok for _, _, ok in rows)))
    return stats


def short_message(message: str, limit=MESSAGE_CHARS) -> str:
    """The first line of a message, cut to ``limit`` characters."""
    line = (message or "").strip().split("\n", 1)[0].strip()
    return line if len(line) <= limit else line[:limit - 1] + "…"


def failing_checks(reports, limit=20) -> list:
    """The ``limit`` checks worth points that the most graded submissions fail, most failed first (then by name)."""
    graded, failed, messages = Counter(), Counter(), {}
    for report in graded_reports(reports).values():
        for r in report.results:
            if r.status == "not_applicable" or r.max_score <= 0:
                continue
            graded[r.name] += 1
            if r.status == "failed":
                failed[r.name] += 1
                messages.setdefault(r.name, Counter())[short_message(r.message)] += 1
    ranked = sorted(failed, key=lambda name: (-failed[name], name))[:limit]
    return [FailingCheck(name, failed[name], graded[name], messages[name].most_common(1)[0][0]) for name in ranked]


def heat_map(reports):
    """(students, functions, rows): per student (every finished report, in gradebook order) the fraction of each
    function's points earned, or None where the student has no check of it."""
    finished = OrderedDict((s, r) for s, r in reports.items() if r is not None)
    names = functions(graded_reports(finished)) or functions(finished)
    rows = []
    for report in finished.values():
        scores = function_scores(report)
        rows.append([scores[n][0] / scores[n][1] if n in scores else None for n in names])
    return list(finished), names, rows
