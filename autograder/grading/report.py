"""Write a report: Gradescope's results.json, the student's feedback.md, and a terminal summary table.

Everything but ``execution_time`` and the instructor-only measurements in results.json's ``extra_data``
(:data:`MEASURED`) is a pure function of the results, so the same submission gives the same files bit for bit
apart from those. Files are written atomically: a reader never sees half a report.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

from .. import atomic
from ..hints import failure_text
from ..model import Report

STATUS_MARK = {"passed": "PASS", "failed": "FAIL", "not_applicable": "n/a"}
MEASURED = ("timings", "peak_child_memory_bytes")
"""Instructor-only measurements of a report, kept in results.json's ``extra_data`` (Gradescope stores it and shows
it to no student): they differ from run to run."""
WARNING_LABEL = "Warning (no points lost)"
"""How a contract detail that is not counted (see ``count_contract`` in the config) is shown on a passing test."""


def results_json(report: Report, hidden_visibility="after_published"):
    """The Gradescope results schema (top level and one entry per test)."""
    tests = []
    for number, r in enumerate((r for r in report.results if r.status != "not_applicable"), start=1):
        hint = r.hint and r.status == "failed" and not report.error  # a submission-level error explains it all
        output = failure_text(r, show_hint=bool(hint))
        if r.warning:
            output = f"{WARNING_LABEL}: {r.warning}"
        tests.append({
            "name": r.name, "number": str(number), "score": r.score, "max_score": r.max_score,
            "status": r.status, "output": output, "tags": [r.target, r.kind, r.group],
            "visibility": "visible" if r.visibility == "public" else hidden_visibility,
        })
    summary = [f"Score: {report.score:g} / {report.max_score:g}  (course profile: {report.profile})"]
    if report.error:
        summary.append(f"The submission could not be graded: {report.error}")
    summary.extend(report.notes)
    extra = {"profile": report.profile, "error": report.error, **({"source": report.source} if report.source else {})}
    if report.timings:
        extra["timings"] = report.timings
    if report.peak_child_memory_bytes is not None:
        extra["peak_child_memory_bytes"] = int(report.peak_child_memory_bytes)
    return {
        "score": report.score, "max_score": report.max_score,
        "execution_time": round(report.execution_time, 3),
        "output": "\n".join(summary), "output_format": "text", "visibility": "visible",
        "stdout_visibility": "hidden", "extra_data": extra,
        "tests": tests,
    }


def read_results_json(data: dict, submission="") -> Report:
    """The :class:`Report` a results.json (as :func:`results_json` writes it) holds: its tests (not applicable ones
    are never written; case ids are not kept), notes, error, profile, source and instructor-only measurements.
    ``results_json`` of what it returns is ``data`` again, apart from ``extra_data`` entries other than these."""
    from ..model import TestResult

    extra = data.get("extra_data") or {}
    error, profile, source = extra.get("error") or "", extra.get("profile") or "", extra.get("source") or ""
    lines = str(data.get("output", "")).split("\n")[1:]  # the first line is the score
    if error and lines and lines[0] == f"The submission could not be graded: {error}":
        lines = lines[1:]
    results = []
    for test in data.get("tests", []):
        tags = list(test.get("tags") or [])
        target, kind, group = (tags + ["", "", ""])[:3]
        output, message, hint, warning, diagnosis = str(test.get("output", "")), "", "", "", ""
        if output.startswith(f"{WARNING_LABEL}: "):
            warning = output[len(WARNING_LABEL) + 2:]
        else:
            message, _, hint = output.partition("\nHint: ")
            message, _, diagnosis = message.partition("\nDiagnosis: ")
        results.append(TestResult(
            case_id="", name=test.get("name", ""), target=target, kind=kind,
            visibility="public" if test.get("visibility") == "visible" else "hidden", group=group,
            score=float(test.get("score", 0.0)), max_score=float(test.get("max_score", 0.0)),
            status=test.get("status", "failed"), message=message, hint=hint, warning=warning,
            diagnosis=diagnosis if not warning else ""))
    timings = extra.get("timings")
    peak = extra.get("peak_child_memory_bytes")
    return Report(submission=submission, results=results, notes=lines, profile=profile,
                  execution_time=float(data.get("execution_time", 0.0)), error=error, source=str(source),
                  timings=timings if isinstance(timings, dict) else {},
                  peak_child_memory_bytes=int(peak) if isinstance(peak, (int, float)) else None)


def without_measurements(data: dict) -> dict:
    """A results.json without what differs from run to run (``execution_time`` and :data:`MEASURED`): two
    gradings of the same submission give equal ones."""
    data = {k: v for k, v in data.items() if k != "execution_time"}
    if isinstance(data.get("extra_data"), dict):
        data["extra_data"] = {k: v for k, v in data["extra_data"].items() if k not in MEASURED}
    return data


def slowest_checks(report: Report, *, n=15):
    """The ``n`` slowest checks of a report: ``(seconds, case id, function)``, slowest first (a check rerun by
    credit isolation appears once per child, its id marked ``(isolation)``)."""
    from ..catalog import all_cases

    targets = {case.id: case.target for case in all_cases()}
    rows = []
    for label, timed in (("", report.timings), (" (isolation)", report.timings.get("isolation") or {})):
        for case_id, seconds in (timed.get("cases") or {}).items():
            rows.append((float(seconds), case_id + label, targets.get(case_id, case_id.split(".")[0])))
    return sorted(rows, key=lambda row: (-row[0], row[1]))[:n]


def slowest_table(report: Report, *, n=15):
    """:func:`slowest_checks` as lines for the terminal, with the children's start-up time."""
    rows = slowest_checks(report, n=n)
    timings = report.timings
    cpu = sum(float(t.get("cpu", 0.0)) for t in (timings, timings.get("isolation") or {}))
    lines = [f"slowest checks ({len(rows)} of {len(timings.get('cases') or {})}; children started in "
             f"{float(timings.get('startup', 0.0)):.2f} s" + (f", used {cpu:.2f} s of CPU" if cpu else "") + "):"]
    lines += [f"{seconds:8.3f} s  {case_id}  {target}" for seconds, case_id, target in rows]
    if report.peak_child_memory_bytes:
        lines.append(f"peak child memory: {report.peak_child_memory_bytes / 2**20:.1f} MiB")
    return "\n".join(lines)


def write_results_json(path, data: dict):
    """Write a results.json (Gradescope's schema: :func:`results_json`, or an error row) atomically: the one place
    results.json is written, by ``grade``, ``batch`` and the Gradescope entry point alike."""
    atomic.write_text(Path(path), json.dumps(data, indent=1, sort_keys=True) + "\n")


def by_target(report: Report):
    """Results grouped by the function or class they check, in catalog order."""
    groups = OrderedDict()
    for r in report.results:
        groups.setdefault(r.target, []).append(r)
    return groups


def feedback_markdown(report: Report, show_hidden=False):
    """The student's feedback (:mod:`autograder.grading.feedback_markdown`): failures first, grouped by function, with their
    diagnoses; warnings as warnings; passes folded into one line per function; notes last."""
    from .feedback_markdown import render

    return render(report, show_hidden=show_hidden)


def summary_table(report: Report, width=100):
    """A plain-text table for the terminal: one row per function."""
    rows = [("function / class", "score", "failed tests")]
    for target, results in by_target(report).items():
        graded = [r for r in results if r.status != "not_applicable"]
        if not graded:
            rows.append((target, "n/a", ""))
            continue
        earned, possible = sum(r.score for r in graded), sum(r.max_score for r in graded)
        failed = [r for r in graded if r.status == "failed"]
        first = failed[0].message if failed else ""
        rows.append((target, f"{earned:g}/{possible:g}", f"{len(failed)}" + (f": {first}" if first else "")))
    name_w = max(len(r[0]) for r in rows)
    score_w = max(len(r[1]) for r in rows)
    out = []
    for name, score, failed in rows:
        line = f"{name:<{name_w}}  {score:>{score_w}}  {failed}"
        out.append(line if len(line) <= width else line[: width - 1] + "…")
    out.append(f"{'TOTAL':<{name_w}}  {report.score:g}/{report.max_score:g}")
    return "\n".join(out)


def write_report(report: Report, out_dir, hidden_visibility="after_published"):
    """Write ``results.json`` and ``feedback.md`` into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    results = out_dir / "results.json"
    feedback = out_dir / "feedback.md"
    atomic.write_text(feedback, feedback_markdown(report))
    write_results_json(results, results_json(report, hidden_visibility))
    return results, feedback
