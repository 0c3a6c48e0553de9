"""The notebook checks as report lines (:class:`~autograder.model.TestResult`), one notebook at a time.

Per notebook: ``valid``, ``executed``, ``no_errors``, ``in_order`` (a 0-point warning unless the config counts
it), one line per printed value of every test cell (:mod:`.rules`), and with re-execution ``reexecuted`` and
``matches``. The set of lines of a notebook does not depend on what is wrong with it: a notebook that cannot
be read fails all of them with the reason, and a test cell that the notebook's version (:mod:`.rules`) has in
its notebook of that name fails when missing.
"""
from __future__ import annotations

import math
import re

from ..model import TestResult
from ..sandbox.submission import KNOWN_PACKAGES
from . import starter_data
from .static import (Loaded, deterministic, error_outputs, execution_problems, judge_readings, output_lines,
                     read_values, rules_for)

GROUP = "notebooks"
KIND = "notebook"
HINTS = {
    "valid": "Download the notebook again (File > Download as .ipynb) and check that it opens before submitting; "
             "a truncated or corrupted file cannot be checked.",
    "executed": "Restart the kernel and run every cell (Kernel > Restart & Run All), then save and submit.",
    "no_errors": "Fix what the failing cells call, then re-run the notebook from the top and save it.",
    "in_order": "Run the notebook from top to bottom in a fresh kernel (Kernel > Restart & Run All) before "
                "submitting, so that every output comes from the code above it.",
    "reexecuted": "The notebook must run from top to bottom in a fresh kernel against the code you submit.",
    "matches": "Re-run the notebook after your last change to the code and never edit printed outputs by hand: "
               "the outputs must be what your code prints.",
}
SHOWN = 5
"""Cells listed in a message before "and N more"."""
NOTEBOOK_EXTRA = ("imageio", "scipy", "future", "six", "PIL")
"""Modules the ``notebooks`` extra installs (``pip install "cs231n-autograder[notebooks]"``): what the supported
courses' notebooks and provided code import beyond numpy and matplotlib (``future`` provides ``past``)."""
INSTALL_EXTRA = "cs231n-autograder[notebooks]"
"""The distribution and extra that install :data:`NOTEBOOK_EXTRA` (pyproject.toml's name)."""
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_NO_NAME = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")


def _result(name, key, title, passed, message, points, hint="", status=None):
    return TestResult(
        case_id=f"notebook:{name}:{key}", name=f"{name}: {title}", target=name, kind=KIND, visibility="public",
        group=GROUP, score=points if passed else 0.0, max_score=points,
        status=status or ("passed" if passed else "failed"), message=message, hint="" if passed else hint)


def _listing(items):
    shown = "; ".join(items[:SHOWN])
    return shown + (f"; and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def value_title(rule, value):
    return f"{rule.title} {value.name} {value.judge.describe()}"


def notebook_results(loaded: Loaded, settings, run=None, execute=False, run_problem="") -> list:
    """Every check of one notebook; ``run`` is its :class:`~.execute.NotebookRun` when re-executed."""
    name = loaded.name
    if loaded.error:
        return _all_failed(loaded, settings, execute, f"the notebook could not be read: {loaded.error}",
                           HINTS["valid"])
    results = [_valid(loaded, settings), *_structure(loaded, settings)]
    results += _printed(loaded, settings)
    if execute:
        if run is None:
            results += _execution_failed(name, settings, run_problem or "the notebook was not re-executed")
        else:
            results += [_reexecuted(loaded, run, settings), _matches(loaded, run, settings)]
    return results


CHECKS = (("valid", "valid notebook file"), ("executed", "every code cell executed"),
          ("no_errors", "no error outputs"), ("in_order", "cells executed in order, top to bottom"))


def _all_failed(loaded, settings, execute, reason, hint):
    """Every check of a notebook that cannot be checked (unreadable, or required and not submitted), failed with
    ``reason``: the same lines, and so the same points, as a readable notebook of its version."""
    name = loaded.name
    results = [_result(name, key, title, False, reason if key == "valid" else f"not checked: {reason}",
                       _points(settings, key), hint) for key, title in CHECKS]
    results += [_result(name, f"printed:{rule.id}:{value.name}", value_title(rule, value), False,
                        f"not checked: {reason}", settings.points_for("printed", rule.id), hint)
                for rule, _ in rules_for(loaded) for value in rule.values]
    if execute:
        results += _execution_failed(name, settings, f"not re-executed: {reason}")
    return results


def required_missing(loaded: Loaded, settings, execute=False) -> list:
    """The checks of a required notebook that was not submitted (``loaded``: its name and version, no file): all
    failed, so it scores 0 of its points."""
    return _all_failed(loaded, settings, execute, f"notebook {loaded.name} is required but was not submitted",
                       f"Submit {loaded.name} with your code, executed from top to bottom with its outputs saved.")


def not_counted(results, reason) -> list:
    """A notebook's results made 0-point and not applicable (a notebook that is not one of the required ones)."""
    from dataclasses import replace

    return [replace(r, score=0.0, max_score=0.0, status="not_applicable", message=reason, hint="", warning="")
            for r in results]


def _points(settings, key):
    if key == "in_order" and not settings.count_out_of_order:
        return 0.0
    return settings.points_for(key)


def _valid(loaded, settings):
    message = f"the notebook breaks the nbformat 4 schema: {loaded.invalid}" if loaded.invalid else ""
    return _result(loaded.name, "valid", "valid notebook file", not loaded.invalid, message,
                   settings.points_for("valid"), HINTS["valid"])


def _structure(loaded, settings):
    name, found = loaded.name, execution_problems(loaded.cells)
    code, executed = found["code"], found["executed"]
    never_run = "not credited: no code cell of the notebook was executed"
    if found["unexecuted"]:
        message = (f"{len(found['unexecuted'])} of {len(code)} code cells were never executed: "
                   + _listing([c.label() for c in found["unexecuted"]]))
    else:
        message = f"all {len(code)} code cells were executed"
    results = [_result(name, "executed", "every code cell executed", not found["unexecuted"], message,
                       settings.points_for("executed"), HINTS["executed"])]
    if not executed:
        message = never_run
    elif found["errors"]:
        message = "error outputs: " + _listing([f"{c.label()}: {e}: {v}" if v else f"{c.label()}: {e}"
                                                for c, (e, v) in found["errors"]])
    else:
        message = ""
    results.append(_result(name, "no_errors", "no error outputs", bool(executed) and not found["errors"], message,
                           settings.points_for("no_errors"), HINTS["no_errors"]))
    results.append(_order(loaded, found, settings))
    return results


def _order(loaded, found, settings):
    points = _points(settings, "in_order")
    if not found["executed"]:
        passed, message = False, "not credited: no code cell of the notebook was executed"
    elif found["order"]:
        counts = ", ".join(str(c.execution_count) for c in found["executed"][:25])
        more = ", ..." if len(found["executed"]) > 25 else ""
        passed = False
        message = ("cells were run out of order: " + _listing([f"{b.label()} ran before {a.label()} above it"
                                                                for a, b in found["order"]])
                   + f" (execution counts top to bottom: {counts}{more})")
    else:
        passed, message = True, ""
    if not passed and not settings.count_out_of_order and found["executed"]:
        message = f"warning only, not counted: {message}"
    return _result(loaded.name, "in_order", "cells executed in order, top to bottom", passed, message, points,
                   HINTS["in_order"])


def _printed(loaded, settings):
    results = []
    for rule, cell in rules_for(loaded):
        readings = read_values(rule, output_lines(cell.outputs)) if cell is not None else {}
        for value in rule.values:
            points = settings.points_for("printed", rule.id)
            key, title = f"printed:{rule.id}:{value.name}", value_title(rule, value)
            hint = _printed_hint(rule)
            if cell is None:
                message = _missing_cell(rule, loaded.cells)
                results.append(_result(loaded.name, key, title, False, message, points, hint))
                continue
            found = readings.get(value.name, [])
            if not found:
                results.append(_result(loaded.name, key, title, False, _not_printed(cell, value), points, hint))
                continue
            passed, chosen = judge_readings(value, found)
            results.append(_result(loaded.name, key, title, passed, _printed_message(value, chosen, passed), points,
                                   hint))
    return results


def _printed_hint(rule):
    """The hint of a test cell's printed values; a cell of code the course provides asks to check the student's
    own functions it calls, never to fix the provided code."""
    from ..profiles import PROVIDED

    name = rule.title.split(" ")[0]
    if name in PROVIDED or name.endswith("_fast"):
        return (f"{name} is provided by the course: check your own functions that this cell also calls, then re-run "
                f"it (the notebook says: {rule.stated}).")
    return f"Check {name} and re-run its test cell (the notebook says: {rule.stated})."


def _missing_cell(rule, cells):
    """Why a test cell was not found: a cell that names the tested function but never ran is reported as not
    executed (the template's own cells are like that), only a cell with no trace as deleted."""
    name = re.escape(rule.title.split(" ")[0])
    for cell in cells or ():
        if getattr(cell, "execution_count", 0) is None and re.search(rf"\b{name}\b", cell.source or ""):
            if rule.matches(cell.source) or not cell.outputs:
                return f"the test cell of {rule.title} was not executed: run it (and the cells above it), then save"
    return f"the test cell of {rule.title} is missing from the notebook (do not delete test cells)"


def _not_printed(cell, value):
    errors = error_outputs(cell.outputs)
    if cell.execution_count is None and not cell.outputs:
        return f"nothing printed: {cell.label()} was never run"
    if errors:
        return f"{value.name} was not printed: {cell.label()} raised {errors[0][0]}: {errors[0][1]}"
    return f"{value.name} was not printed by {cell.label()}"


def _printed_message(value, chosen, passed):
    failing = [r for r in chosen if math.isnan(r.value) or not value.judge.check(r.value, r.section)]
    shown = chosen if passed else failing
    items = [f"{r.line}" if not value.array else f"{r.line.split(':')[0].strip()}{r.key} = {r.value:.6g}"
             for r in shown[:3]]
    text = "printed " + "; ".join(dict.fromkeys(items)) + (" ..." if len(shown) > 3 else "")
    return text if passed else f"{text}, not {value.judge.describe()}"


def _execution_failed(name, settings, reason):
    return [_result(name, "reexecuted", "re-executes without errors", False, reason,
                    settings.points_for("reexecuted"), HINTS["reexecuted"]),
            _result(name, "matches", "printed values match the re-execution", False, reason,
                    settings.points_for("matches"), HINTS["matches"])]


def environment_problems(loaded, run) -> list:
    """The re-executed cells that failed for want of a package the grader's environment lacks (not one of the
    course packages of the submission): ``["code cell 1 (...) imports imageio, which ...", ...]``."""
    labels = {c.index: c.label() for c in loaded.cells}
    found = []
    for index, cell_run in sorted(run.cells.items()):
        missing_file = starter_data.missing_file(cell_run.ename, cell_run.evalue) if cell_run.status == "error" else ""
        if missing_file:
            found.append(f"{labels.get(index, f'cell {index + 1}')} reads the starter's own file {missing_file}, "
                         "which the grader has no copy of (the course staff can skip the cell with [notebooks] "
                         "skip_cells)")
            continue
        if cell_run.status != "error" or cell_run.ename not in ("ModuleNotFoundError", "ImportError"):
            continue
        missing, name = _NO_MODULE.search(cell_run.evalue or ""), _NO_NAME.search(cell_run.evalue or "")
        module = missing.group(1) if missing else name.group(2) if name else ""
        top = module.split(".")[0]
        if not top or top in KNOWN_PACKAGES:
            continue
        label = labels.get(index, f"cell {index + 1}")
        if missing:
            what = f"imports {module}, which the grader's environment does not have"
        else:
            what = f"imports {name.group(1)} from {module}, which the grader's {top} does not have"
        extra = (f"install the grader with its notebooks extra: pip install \"{INSTALL_EXTRA}\""
                 if top in NOTEBOOK_EXTRA or top == "past" else f"install {top} in the grader's environment")
        found.append(f"{label} {what} ({extra}, or skip the cell with [notebooks] skip_cells)")
    return found


def _reexecuted(loaded, run, settings):
    environment = environment_problems(loaded, run)
    if environment:
        return _result(loaded.name, "reexecuted", "re-executes without errors", False,
                       "not charged: the grader's environment could not run the notebook: " + _listing(environment),
                       settings.points_for("reexecuted"), status="not_applicable")
    labels = {c.index: c.label() for c in loaded.cells}
    failures = []
    for index, cell_run in sorted(run.cells.items()):
        label = labels.get(index, f"cell {index + 1}")
        if cell_run.status == "error":
            failures.append(f"{label} raised {cell_run.ename}: {_short(cell_run.evalue)}")
        elif cell_run.status == "timeout":
            failures.append(f"{label} exceeded the cell time limit of {settings.cell_seconds:g} s (interrupted)")
        elif cell_run.status == "killed":
            failures.append(f"{label}: {cell_run.evalue or 'killed'}")
    not_run = sum(1 for c in run.cells.values() if c.status == "not_run")
    parts = []
    if run.problem:
        parts.append(run.problem + (f" ({not_run} code cells were not run)" if not_run else ""))
    if failures:
        parts.append("failing cells: " + _listing(failures))
    passed = not parts
    message = "; ".join(parts) if parts else f"all cells ran in {run.seconds:.0f} s"
    return _result(loaded.name, "reexecuted", "re-executes without errors", passed, message,
                   settings.points_for("reexecuted"), HINTS["reexecuted"])


def _short(text, n=200):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def compare(loaded, run):
    """``(values compared, test cells compared, mismatches)`` between the notebook and its re-execution, over
    the deterministic test cells that printed something in the submitted notebook."""
    compared, cells, mismatches = 0, 0, []
    for rule, cell in rules_for(loaded):
        if cell is None or not rule.compare or not deterministic(rule, cell):
            continue
        submitted = read_values(rule, output_lines(cell.outputs))
        cell_run = run.cells.get(cell.index)
        if not any(submitted.values()) or cell_run is None or cell_run.status in ("skipped", "not_run"):
            continue
        rerun = read_values(rule, output_lines(cell_run.outputs))
        cells += 1
        for value in rule.values:
            shown, printed = submitted[value.name], rerun[value.name]
            if not shown:
                continue
            compared += len(shown)
            problem = _difference(value, shown, printed, cell_run, rule.exact)
            if problem:
                mismatches.append(f"{cell.label()}: {problem}")
    return compared, cells, mismatches


def _difference(value, shown, printed, cell_run, exact):
    if not printed:
        why = f" (it raised {cell_run.ename}: {_short(cell_run.evalue, 120)})" if cell_run.status != "ok" else ""
        return f"the notebook shows `{shown[0].line}` but re-running the cell prints no {value.name}{why}"
    if len(shown) != len(printed):
        return f"the notebook shows {len(shown)} {value.name} values but re-running the cell prints {len(printed)}"
    for a, b in zip(shown, printed):
        if not value.judge.agree(a.value, b.value, exact):
            where = f" {a.key}" if value.array else ""
            return f"the notebook shows `{a.line}`{where} but re-running the cell prints `{b.line}`"
    return ""


def _matches(loaded, run, settings):
    compared, cells, mismatches = compare(loaded, run)
    points = settings.points_for("matches")
    title = "printed values match the re-execution"
    if environment_problems(loaded, run):
        return _result(loaded.name, "matches", title, False, "not charged: the notebook could not be re-executed "
                       "in the grader's environment (see re-executes without errors)", points,
                       status="not_applicable")
    if mismatches:
        message = "outputs that do not match what the code prints: " + _listing(mismatches)
        return _result(loaded.name, "matches", title, False, message, points, HINTS["matches"])
    if not compared:
        if not rules_for(loaded):
            return _result(loaded.name, "matches", title, False, "no known test cell to compare", 0.0,
                           status="not_applicable")
        return _result(loaded.name, "matches", title, False, "not credited: no deterministic test cell of the "
                       "notebook shows printed values to compare", points, HINTS["matches"])
    return _result(loaded.name, "matches", title, True,
                   f"{compared} printed values of {cells} deterministic test cells match", points)
