"""What changed between two gradings of a class: the students whose score changed, and by which checks.

A run is a results folder (``gradebook.csv`` and ``<student>/results.json``, as ``autograder batch`` writes it) or a
lone ``gradebook.csv``. With both runs' results.json a student's change is explained check by check; when the old
run is only a gradebook, by the totals. Reads finished results only; never grades.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from .. import atomic


class CompareError(Exception):
    """The old or new run cannot be read (not a results folder or gradebook.csv, no student column...)."""


@dataclass(frozen=True)
class StudentRun:
    """One student's grade in one run."""

    score: float | None
    """Total score; None when the student was not graded in that run."""
    max_score: float | None
    """Total possible."""
    error: str
    """Why the submission could not be graded ('' if it was)."""
    checks: dict | None
    """Check name -> points earned, from results.json; None when only the gradebook's totals are known."""


@dataclass(frozen=True)
class Run:
    """A whole class's grades."""

    source: Path
    """The results folder or gradebook.csv read."""
    students: dict
    """Student -> :class:`StudentRun`."""


@dataclass(frozen=True)
class CheckChange:
    """One check whose points differ between the runs."""

    name: str
    """The check (``affine_backward: numerical gradient: dw``)."""
    old: float | None
    """Points in the old run; None when the old run had no such check."""
    new: float | None
    """Points in the new run; None when the new run has no such check."""


@dataclass(frozen=True)
class StudentChange:
    """A student whose score (or max score) differs between the runs."""

    student: str
    old: StudentRun | None
    """None: not in the old run."""
    new: StudentRun | None
    """None: not in the new run."""
    checks: tuple = ()
    """The :class:`CheckChange` of each check whose points differ (empty when either run has totals only)."""

    @property
    def delta(self):
        old = self.old.score if self.old and self.old.score is not None else 0.0
        new = self.new.score if self.new and self.new.score is not None else 0.0
        return new - old

    def describe(self) -> str:
        """One line: ``alice: 296 -> 300 (+4): affine_backward: numerical gradient: dw 0 -> 4``."""
        def total(run):
            if run is None:
                return "absent"
            if run.score is None:
                return "not graded"
            return f"{run.score:g}/{run.max_score:g}" if run.max_score is not None else f"{run.score:g}"

        line = f"{self.student}: {total(self.old)} -> {total(self.new)} ({self.delta:+g})"
        if self.checks:
            line += ": " + "; ".join(_check_text(c) for c in self.checks)
        elif self.old is not None and self.new is not None and (self.old.checks is None or self.new.checks is None):
            line += " (totals only: no results.json to compare checks)"
        if self.new is not None and self.new.error:
            line += f" [error now: {self.new.error}]"
        return line


def _check_text(change):
    old = "absent" if change.old is None else f"{change.old:g}"
    new = "absent" if change.new is None else f"{change.new:g}"
    return f"{change.name} {old} -> {new}"


def _number(text):
    try:
        return float(text) if str(text).strip() != "" else None
    except ValueError:
        return None


def _read_gradebook(path: Path) -> dict:
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    except (OSError, UnicodeError, csv.Error) as exc:
        raise CompareError(f"{path} could not be read as a gradebook: {exc}") from None
    if rows and ("student" not in rows[0] or "score" not in rows[0]):
        raise CompareError(f"{path} is not a gradebook.csv of `autograder batch`: it needs the columns "
                           f"student and score")
    return {row["student"]: StudentRun(_number(row["score"]), _number(row.get("max_score")),
                                       row.get("error") or "", None) for row in rows if row.get("student")}


def _read_results(path: Path) -> StudentRun | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "score" not in data:
        return None
    checks = {}
    for test in data.get("tests", []):
        name, number = str(test.get("name", "")), 2
        while name in checks:  # two checks of one name: keep both
            name, number = f"{test.get('name')} ({number})", number + 1
        checks[name] = float(test.get("score") or 0.0)
    return StudentRun(float(data["score"]), _number(data.get("max_score")),
                      (data.get("extra_data") or {}).get("error") or "", checks)


def load_run(path) -> Run:
    """Read a results folder (its gradebook.csv and every ``<student>/results.json``) or a lone gradebook.csv."""
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() != ".csv":
            raise CompareError(f"{path} is not a gradebook.csv nor a results folder of `autograder batch`")
        return Run(path, _read_gradebook(path))
    if not path.is_dir():
        raise CompareError(f"{path} does not exist; pass the old results folder or its gradebook.csv")
    gradebook = path / "gradebook.csv"
    students = _read_gradebook(gradebook) if gradebook.is_file() else {}
    for results in sorted(path.glob("*/results.json")):
        run = _read_results(results)
        if run is not None and (results.parent.name in students or not gradebook.is_file()):
            students[results.parent.name] = run
    if not students and not gradebook.is_file():
        raise CompareError(f"{path} holds no gradebook.csv and no <student>/results.json: not a results folder of "
                           f"`autograder batch`")
    return Run(path, dict(sorted(students.items())))


def compare(old: Run, new: Run, *, tolerance=1e-9) -> list:
    """The students whose score or max score differs between ``old`` and ``new`` (or who are in one run only), by
    name, each with the checks whose points differ."""
    changes = []
    for student in sorted(set(old.students) | set(new.students)):
        before, after = old.students.get(student), new.students.get(student)
        if before is not None and after is not None:
            same = all(
                (x is None and y is None) or (x is not None and y is not None and abs(x - y) <= tolerance)
                for x, y in ((before.score, after.score), (before.max_score, after.max_score)))
            if same:
                continue
        checks = ()
        if before is not None and after is not None and before.checks is not None and after.checks is not None:
            names = list(after.checks) + [n for n in before.checks if n not in after.checks]
            checks = tuple(CheckChange(n, before.checks.get(n), after.checks.get(n)) for n in names
                           if abs((before.checks.get(n) or 0.0) - (after.checks.get(n) or 0.0)) > tolerance)
        changes.append(StudentChange(student, before, after, checks))
    return changes


def changes_csv(changes) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "old_score", "new_score", "delta", "old_max_score", "new_max_score", "checks"])
    for c in changes:
        def field(run, name):
            value = getattr(run, name) if run is not None else None
            return "" if value is None else f"{value:g}"

        writer.writerow([c.student, field(c.old, "score"), field(c.new, "score"), f"{c.delta:+g}",
                         field(c.old, "max_score"), field(c.new, "max_score"),
                         "; ".join(_check_text(k) for k in c.checks)])
    return buffer.getvalue()


def write_changes(changes, out_dir) -> Path:
    """``compare.csv`` in ``out_dir``: one row per student whose score changed."""
    target = Path(out_dir) / "compare.csv"
    atomic.write_text(target, changes_csv(changes))
    return target
