"""``autograder notebooks SUBMISSION``: check and re-execute one submission's notebooks, print what failed."""
from __future__ import annotations

import shutil
import time
import warnings
from pathlib import Path

import nbformat

from .. import atomic
from ..config import Config
from ..model import Report
from .report import STATUS_MARK, write_report
from ..sandbox.confinement import make_sandbox, new_scratch
from ..sandbox.submission import SubmissionError, open_submission
from ..notebook_checks import check_and_run
from ..notebook_checks.execute import executed_notebook
from ..notebook_checks.settings import NotebookSettings


def notebooks_command(submission, *, config: Config | None = None, quick=None, execute=True, out_dir=None,
                      echo=print) -> int:
    """Check (and with ``execute`` re-execute) the notebooks of a submission folder or zip.

    ``quick`` overrides the config's quick-training rule. Prints one line per check and returns the exit
    status: 0 when every counted check passed, 1 otherwise, 2 when the submission has no notebook or cannot
    be opened. With ``out_dir``, writes results.json and feedback.md of the notebook checks there, and the
    re-executed notebooks (text outputs only) in ``out_dir/executed/``.
    """
    config = config or Config()
    settings = dict(config.notebooks)
    settings.setdefault("jobs", 2)  # one submission at a time here: use two cores unless the config says
    if quick is not None:
        settings["quick"] = quick
    settings = NotebookSettings.from_dict(settings)
    started = time.monotonic()
    scratch = new_scratch()
    report = Report(submission=Path(submission).name, profile="notebooks")
    try:
        staged, notes = None, []
        try:
            opened = open_submission(submission, scratch, config.packages)
            folder, staged = opened.folder, opened.stage
        except SubmissionError as exc:
            if exc.folder is None:  # not even unpacked
                echo(f"error: {exc}")
                return 2
            folder = exc.folder
            if execute:
                notes.append(f"not re-executed: {exc}")
                execute = False
        if not execute:
            staged = None
        sandbox = make_sandbox(config.sandbox, hidden=[out_dir] if out_dir else [],
                               limits=config.limits) if execute else None
        if sandbox is not None:
            notes.append(sandbox.describe())
        results, more, loaded, runs = check_and_run(folder, settings=settings, execute=execute, stage=staged,
                                                    sandbox=sandbox, limits=config.limits, profile=config.profile,
                                                    required=config.required.notebooks)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not results:
        echo(f"no notebook (.ipynb) found in {submission}")
        return 2
    report.results, report.notes = results, notes + more
    report.execution_time = time.monotonic() - started
    _print(report, echo)
    if out_dir:
        paths = write_report(report, out_dir, config.hidden_visibility)
        echo(f"wrote {paths[0]} and {paths[1]}")
        for item in loaded:
            if item.path in runs:
                target = Path(out_dir) / "executed" / item.name
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # cells without ids in old notebooks
                    text = nbformat.writes(executed_notebook(item.notebook, runs[item.path]))
                atomic.write_text(target, text)
                echo(f"wrote {target} (re-executed, text outputs only)")
    return 0 if all(r.status != "failed" or r.max_score == 0 for r in results) else 1


def _print(report, echo):
    current = None
    for r in report.results:
        if r.target != current:
            current = r.target
            echo(f"\n{current}")
        mark = STATUS_MARK.get(r.status, r.status)
        if r.status == "failed" and r.max_score == 0:
            mark = "WARN"
        line = f"  {mark:4}  {r.name.split(': ', 1)[1]}"
        if r.message and r.status != "passed":
            line += f": {r.message}"
        echo(line)
    echo("")
    for note in report.notes:
        echo(f"note: {note}")
    echo(f"notebook checks: {report.score:g} / {report.max_score:g}")
