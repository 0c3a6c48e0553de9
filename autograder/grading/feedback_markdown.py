"""The student's feedback.md: what failed first (grouped by function, each failure that costs points with its
diagnosis and hint), then the 0-point warnings (contract details, checks worth nothing), then one line per function whose checks all passed, then the notes (the course profile,
the notebooks' versions, the sandbox): what a student must act on comes before what needs no action.

Hidden checks show their names (what part of the contract they test: "batch of 1: db", "float32: output dtype")
and the diagnosis of a failure, never its message, inputs or expected values, unless ``show_hidden``.
"""
from __future__ import annotations

from collections import OrderedDict

WARNING = "no points lost"


def _check(r):
    return r.name.split(": ", 1)[1] if ": " in r.name else r.name


def _costs_points(r):
    return r.status == "failed" and r.max_score > 0


def _is_warning(r):
    """A 0-point line: a passed check with a contract detail, or a failed check worth nothing (a contract warning,
    "also works with your own layers (not graded)")."""
    return (r.status == "passed" and bool(r.warning)) or (r.status == "failed" and r.max_score == 0)


def _points(results):
    return sum(r.score for r in results), sum(r.max_score for r in results)


def _failure_lines(r, report, show_hidden):
    hidden = r.visibility == "hidden" and not show_hidden
    head = f"- ❌ {'hidden check: ' if hidden else ''}{_check(r)}"
    lines = [head + ("" if hidden or not r.message else f": {r.message}")]
    if r.diagnosis:
        lines.append(f"  - Diagnosis: {r.diagnosis}")
    if r.hint and not report.error and not hidden:
        lines.append(f"  - Hint: {r.hint}")
    return lines


def render(report, show_hidden=False) -> str:
    lines = [f"# Feedback for {report.submission}", "", f"**Score: {report.score:g} / {report.max_score:g}**", ""]
    if report.error:
        lines += [f"> The submission could not be graded: {report.error}", ""]
    groups = OrderedDict()
    for r in report.results:
        if r.status != "not_applicable":
            groups.setdefault(r.target, []).append(r)
    failing = {t: rs for t, rs in groups.items() if any(_costs_points(r) for r in rs)}
    if failing:
        lines += ["## What to fix", ""]
        for target, results in failing.items():
            earned, possible = _points(results)
            failed = [r for r in results if _costs_points(r)]
            passed = sum(r.status == "passed" for r in results)
            lines += [f"### `{target}` ({earned:g} / {possible:g})", ""]
            for r in failed:
                lines += _failure_lines(r, report, show_hidden)
            if passed:
                lines.append(f"- ✅ {passed} other check{'s' if passed > 1 else ''} passed")
            lines.append("")
    warnings = [(t, r) for t, rs in groups.items() for r in rs if _is_warning(r)]
    if warnings:
        lines += ["## Warnings", ""]
        seen = set()
        for target, r in warnings:
            hidden = r.visibility == "hidden" and not show_hidden
            text = r.warning if r.status == "passed" else r.message
            key = (target, text if not hidden else _check(r))
            if key in seen:
                continue
            seen.add(key)
            lines.append(f"- ⚠️ `{target}`: {_check(r)} ({WARNING})" + ("" if hidden or not text else f": {text}"))
        lines.append("")
    passing = [(t, rs) for t, rs in groups.items() if t not in failing]
    if passing:
        lines += ["## Passed", ""]
        for target, results in passing:
            earned, possible = _points(results)
            if all(r.status == "passed" for r in results):
                lines.append(f"- ✅ `{target}` ({earned:g} / {possible:g}): all {len(results)} checks passed")
            else:
                lines.append(f"- ✅ `{target}` ({earned:g} / {possible:g}): every check worth points passed "
                             "(see the warnings above)")
        lines.append("")
    notes = [f"Graded with the course profile {report.profile}."] if report.profile else []
    notes += list(report.notes)
    if notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in notes] + [""]
    return "\n".join(lines).rstrip() + "\n"
