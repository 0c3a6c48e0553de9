"""The gradebook and the class summary, made from finished reports: each exporter reads the students' results.json
(as :class:`~autograder.model.Report`, via :func:`autograder.grading.report.read_results_json`) and returns one file's text.

They are two entries of :data:`autograder.cohort.outputs.EXPORTERS`; their statistics come from
:mod:`autograder.cohort.stats`.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter, OrderedDict
from pathlib import Path

from . import stats as class_stats
from ..grading.report import read_results_json
from ..notebook_checks.summary import notebook_summary
from .rubric import summary_lines as rubric_summary


def load_reports(out_dir, students) -> OrderedDict:
    """Student -> their :class:`Report` read from ``out_dir/<student>/results.json``, or None if not graded yet."""
    reports = OrderedDict()
    for student in students:
        try:
            data = json.loads((Path(out_dir) / student / "results.json").read_text())
            reports[student] = read_results_json(data, student) if isinstance(data, dict) else None
        except (OSError, ValueError):
            reports[student] = None
    return reports


def gradebook_csv(reports, out_dir=None) -> str:
    """One row per student, one column per check group (points earned), then score, max_score, the error (why the
    submission could not be graded; empty otherwise) and the source (what it was graded from: ``alice/`` or
    ``alice.zip``, which batch names ``alice`` and ``alice-2``)."""
    groups = sorted({r.group for report in reports.values() if report for r in report.results if r.group})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *groups, "score", "max_score", "error", "source"])
    for student, report in reports.items():
        if report is None:
            writer.writerow([student, *["" for _ in groups], "", "", "not graded yet", ""])
            continue
        per_group = Counter()
        for r in report.results:
            if r.group:
                per_group[r.group] += r.score
        writer.writerow([student, *[f"{per_group[g]:g}" for g in groups], f"{report.score:g}",
                         f"{report.max_score:g}", report.error, report.source])
    return buffer.getvalue()


def _cell(text) -> str:
    """Text made safe for one cell of a markdown table (one line, no column separator)."""
    return " ".join(str(text).split()).replace("|", "/")


def _percent(fraction) -> str:
    return f"{100 * fraction:.1f}%"


def summary_markdown(reports, out_dir=None) -> str:
    """Class summary: the score distribution, per-function mean score and pass rate, the checks failed most often
    (with a typical message), the submissions that could not be graded, and the notebooks' section."""
    finished = {s: r for s, r in reports.items() if r is not None}
    errors = {s: r for s, r in finished.items() if r.error}
    lines = ["# Class summary", "", f"Submissions: {len(reports)}, graded: {len(finished)}, "
             f"with errors: {len(errors)}", ""]
    if finished:
        lines += _distribution(finished, errors)
    functions = class_stats.function_stats(reports)
    graded = len(class_stats.graded_reports(reports))
    if functions:
        lines += ["## Functions", "", f"Over the {graded} submissions graded without an error: the mean score on "
                  "each function's checks and how many passed all of them.", "",
                  "| function | mean score | mean | passed every check |", "|---|---|---|---|"]
        for f in functions:
            lines.append(f"| {_cell(f.name)} | {f.mean_score:.4g} / {f.mean_max:.4g} | {_percent(f.mean_fraction)} | "
                         f"{100 * f.pass_rate:.0f}% ({f.passed}/{f.students}) |")
        lines.append("")
    failing = class_stats.failing_checks(reports)
    if failing:
        lines += ["## Checks failed most often", "", f"The {len(failing)} checks worth points failed by the most of "
                  f"the {graded} submissions graded without an error, with their most common message.", "",
                  "| check | failed by | typical message |", "|---|---|---|"]
        for check in failing:
            lines.append(f"| {_cell(check.name)} | {check.failed} of {check.graded} | {_cell(check.message)} |")
        lines.append("")
    elif functions:
        lines += ["## Checks failed most often", "", "No submission graded without an error fails a check worth "
                  "points.", ""]
    if errors:
        lines += ["## Submissions that could not be graded", ""]
        lines += [f"- {_cell(s)}{f' ({_cell(r.source)})' if r.source else ''}: {_cell(r.error)}"
                  for s, r in errors.items()]
        lines.append("")
    lines += notebook_summary(reports)
    lines += rubric_summary(reports)
    return "\n".join(lines) + "\n"


def _distribution(finished, errors) -> list:
    fractions = [class_stats.score_fraction(r) for r in finished.values()]
    maxima = {r.max_score for s, r in finished.items() if s not in errors}
    lines = ["## Score distribution", "", f"Scores of the {len(finished)} finished submissions as a share of their "
             "maximum" + (f" (the {len(errors)} that could not be graded count as 0)" if errors else "") + ".", "",
             "| | " + " | ".join(label for _, label in class_stats.QUANTILES) + " | mean |",
             "|---" * (len(class_stats.QUANTILES) + 2) + "|",
             "| score | " + " | ".join(_percent(class_stats.quantile(fractions, q)) for q, _ in class_stats.QUANTILES)
             + f" | {_percent(sum(fractions) / len(fractions))} |"]
    if len(maxima) == 1 and not errors:
        (top,) = maxima
        points = [r.score for r in finished.values()]
        lines.append(f"| points of {top:g} | " + " | ".join(f"{class_stats.quantile(points, q):.4g}"
                                                           for q, _ in class_stats.QUANTILES)
                     + f" | {sum(points) / len(points):.4g} |")
    lines += ["", "| score | students |", "|---|---|"]
    for b, count in reversed(list(enumerate(class_stats.histogram(fractions)))):
        lines.append(f"| {b * 10}-{b * 10 + 10}% | {count} {'#' * count} |")
    return lines + [""]
