"""Class outputs made from finished reports: each exporter reads the students' results.json (as
:class:`~autograder.model.Report`, via :meth:`Report.from_results_json`) and returns one file's text.

``batch`` and ``gradebook merge`` call :func:`export` once the students' files are written, so a file made here
depends only on the results folders, never on how they were graded (one batch, shards, a resumed run). Another
class output (figures, HTML, similarity) is one more entry of :data:`EXPORTERS`.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter, OrderedDict
from pathlib import Path

from . import atomic
from .model import Report
from .notebook_checks.summary import notebook_summary
from .rubric import summary_lines as rubric_summary


def load_reports(out_dir, students) -> OrderedDict:
    """Student -> their :class:`Report` read from ``out_dir/<student>/results.json``, or None if not graded yet."""
    reports = OrderedDict()
    for student in students:
        try:
            data = json.loads((Path(out_dir) / student / "results.json").read_text())
            reports[student] = Report.from_results_json(data, student) if isinstance(data, dict) else None
        except (OSError, ValueError):
            reports[student] = None
    return reports


def gradebook_csv(reports) -> str:
    """One row per student, one column per check group (points earned), then score, max_score and error."""
    groups = sorted({r.group for report in reports.values() if report for r in report.results if r.group})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *groups, "score", "max_score", "error"])
    for student, report in reports.items():
        if report is None:
            writer.writerow([student, *["" for _ in groups], "", "", "not graded yet"])
            continue
        per_group = Counter()
        for r in report.results:
            if r.group:
                per_group[r.group] += r.score
        writer.writerow([student, *[f"{per_group[g]:g}" for g in groups], f"{report.score:g}",
                         f"{report.max_score:g}", report.error])
    return buffer.getvalue()


def summary_markdown(reports) -> str:
    """Class summary: score histogram, the pass rate of every check, and the notebooks' section."""
    graded = {s: r for s, r in reports.items() if r is not None}
    lines = ["# Class summary", "", f"Submissions: {len(reports)}, graded: {len(graded)}, "
             f"with errors: {sum(1 for r in graded.values() if r.error)}", ""]
    if graded:
        fractions = [r.score / r.max_score if r.max_score else 0.0 for r in graded.values()]
        lines += ["## Score histogram", "", "| score | students |", "|---|---|"]
        bins = Counter(min(int(f * 10), 9) for f in fractions)
        for b in range(10):
            lines.append(f"| {b * 10}-{b * 10 + 10}% | {bins[b]} {'#' * bins[b]} |")
        lines += ["", f"Mean: {100 * sum(fractions) / len(fractions):.1f}%", ""]
        passes, totals = Counter(), Counter()
        for report in graded.values():
            for r in report.results:
                totals[r.name] += 1
                passes[r.name] += r.status == "passed"
        lines += ["## Pass rate per check", "", "| check | passed |", "|---|---|"]
        for name in sorted(totals, key=lambda n: (passes[n] / totals[n], n)):
            lines.append(f"| {name.replace('|', '/')} | {passes[name]}/{totals[name]} ({100 * passes[name] / totals[name]:.0f}%) |")
    lines += notebook_summary(reports)
    lines += rubric_summary(reports)
    return "\n".join(lines) + "\n"


EXPORTERS = (("gradebook.csv", gradebook_csv), ("summary.md", summary_markdown))
"""File name -> exporter (a function of the students' reports, returning the file's text)."""


def export(out_dir, students, exporters=EXPORTERS):
    """Write every exporter's file into ``out_dir`` (atomically) from the students' finished results."""
    reports = load_reports(out_dir, students)
    for name, exporter in exporters:
        atomic.write_text(Path(out_dir) / name, exporter(reports))
