"""Every class output, written from the students' finished results: the list of exporters and :func:`export`.

``batch`` and ``gradebook merge`` call :func:`export` once the students' files are written, so a file made here
depends only on the results folders, never on how they were graded (one batch, shards, a resumed run). Another
class output is one more entry of :data:`EXPORTERS`: the gradebook and summary (:mod:`autograder.cohort.exporters`), the
figures (:mod:`autograder.cohort.figures`), report.html (:mod:`autograder.cohort.report_html`).
"""
from __future__ import annotations

from pathlib import Path

from .. import atomic
from .exporters import gradebook_csv, load_reports, summary_markdown
from .figures import EXPORTERS as FIGURES
from .report_html import report_html

EXPORTERS = (("gradebook.csv", gradebook_csv), ("summary.md", summary_markdown), *FIGURES,
             ("report.html", report_html))
"""Path in the results folder -> exporter: a function of the students' reports and the results folder, returning
the file's text or bytes. They run in this order, so report.html finds the figures already written."""


def export(out_dir, students, exporters=EXPORTERS):
    """Write every exporter's file into ``out_dir`` (atomically) from the students' finished results."""
    reports = load_reports(out_dir, students)
    for name, exporter in exporters:
        content = exporter(reports, Path(out_dir))
        write = atomic.write_bytes if isinstance(content, bytes) else atomic.write_text
        write(Path(out_dir) / name, content)


def write_gradebook(out_dir: Path, students):
    """``gradebook.csv`` (one row per student, one column per check group), ``summary.md`` and the other class
    outputs, made by the exporters from the students' finished results."""
    export(out_dir, students)
