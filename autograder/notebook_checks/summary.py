"""The class summary's notebook section: how many submissions' notebooks were run, in order, without errors,
within the printed thresholds, and (when re-executed) reproduce, counted from the students' finished reports
(an exporter's section: see :mod:`autograder.cohort.exporters`)."""
from __future__ import annotations

from collections import Counter

CHECKS = (
    ("valid notebook file", "readable notebooks"),
    ("every code cell executed", "every cell executed"),
    ("no error outputs", "no error outputs"),
    ("cells executed in order, top to bottom", "run in order"),
    ("re-executes without errors", "re-execute without errors"),
    ("printed values match the re-execution", "outputs match the re-execution"),
)


def notebook_summary(reports) -> list:
    """Markdown lines for ``summary.md``; ``reports`` maps a student to their :class:`~autograder.model.Report`
    (or None when not graded yet).

    Counts students (not notebooks): a student passes a check when every one of their notebooks passes it.
    Returns no lines when no submission has a notebook.
    """
    with_notebooks, passed, present, printed = 0, Counter(), Counter(), Counter()
    for report in reports.values():
        tests = [r for r in (report.results if report else []) if r.group == "notebooks"]
        if not tests:
            continue
        with_notebooks += 1
        for check, _ in CHECKS:
            mine = [r for r in tests if r.name.endswith(f": {check}")]
            if mine:
                present[check] += 1
                passed[check] += all(r.status == "passed" for r in mine)
        values = [r for r in tests if not any(r.name.endswith(f": {c}") for c, _ in CHECKS)]
        printed["values"] += len(values)
        printed["passed"] += sum(r.status == "passed" for r in values)
    if not with_notebooks:
        return []
    lines = ["## Notebooks", "", f"Submissions with notebooks: {with_notebooks}", "", "| check | students |",
             "|---|---|"]
    for check, label in CHECKS:
        if present[check]:
            share = 100 * passed[check] / present[check]
            lines.append(f"| {label} | {passed[check]}/{present[check]} ({share:.0f}%) |")
    if printed["values"]:
        lines.append(f"| printed test values within their thresholds (all notebooks) | {printed['passed']}/"
                     f"{printed['values']} ({100 * printed['passed'] / printed['values']:.0f}%) |")
    return lines + [""]
