"""Grade a whole class: parallel, resumable, and robust to any single broken submission.

Each entry of the submissions folder (a folder or a .zip, as in a Gradescope or Canvas export) is one
student. Workers grade entries in parallel, each submission in its own sandboxed child. A student's
``results.json`` is written last and atomically, and carries a key made of the submission's content hash and
the grader's version, so a batch killed at any point and run again grades only what is missing or changed.
``gradebook.csv`` and ``summary.md`` are rebuilt from the results on disk at the end of every run.
"""
from __future__ import annotations

import concurrent.futures as futures
import hashlib
import json
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import atomic, paths
from ..config import Config
from ..grading.report import feedback_markdown, results_json, write_results_json
from ..sandbox.spawn import die_with_parent
from .outputs import write_gradebook
from ..sandbox.confinement import make_sandbox
from .roster import Entry, discover  # noqa: F401 - ``autograder.cohort.batch.discover`` keeps working

@dataclass
class BatchResult:
    """What a batch run did."""

    graded: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    seconds: float = 0.0
    similarity: object = None
    """The :class:`autograder.cohort.similarity.SimilarityResult` (``run_batch(similarity=True)``)."""
    changes: object = None
    """The :class:`autograder.cohort.run_comparison.StudentChange` list against ``run_batch(compare=...)``."""
    rubric: object = None
    """The :class:`autograder.cohort.rubric.Rubric` every student was graded under (with its warnings)."""


def single_submission_warning(submissions: Path) -> str:
    """A one-line warning when ``submissions`` looks like one student's submission rather than a class ('' if not):
    it holds a student package (``cs231n/``) or the student's files (``layers.py``) itself."""
    from ..sandbox.submission import STUDENT_MARKERS, _is_package

    submissions = Path(submissions)
    try:
        entries = sorted(submissions.iterdir(), key=lambda p: p.name)
    except OSError:
        return ""
    held = [f"{e.name}/" for e in entries if e.is_dir() and _is_package(e)]
    held += [e.name for e in entries if e.is_file() and e.name in STUDENT_MARKERS]
    if not held:
        return ""
    return (f"{submissions} looks like a single submission (it holds {', '.join(held[:3])} itself), but batch grades "
            f"every folder or .zip in it as one student; to grade it use `autograder grade {submissions}`")


def content_hash(path: Path) -> str:
    """SHA-256 over every file of a folder (relative path and bytes) or over a zip's bytes."""
    digest = hashlib.sha256()
    if path.is_file():
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    for file in sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink()):
        digest.update(str(file.relative_to(path)).encode() + b"\0")
        if file.is_symlink():
            digest.update(b"link:" + os.readlink(file).encode())
        else:
            with open(file, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


def grader_version(config: Config, fixture_dir=None) -> str:
    """Hash of the grader's code, the fixtures' manifest and the configuration."""
    digest = hashlib.sha256()
    package = paths.package_dir()
    for file in sorted(package.rglob("*.py")):
        digest.update(str(file.relative_to(package)).encode() + file.read_bytes())
    manifest = Path(fixture_dir or paths.fixtures_dir()) / "manifest.json"
    digest.update(manifest.read_bytes() if manifest.exists() else b"no fixtures")
    for file in sorted(paths.provided_files().values()):
        digest.update(file.name.encode() + file.read_bytes())
    digest.update(repr(config).encode())
    return digest.hexdigest()[:16]


def _worker_init():
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides what Ctrl-C does


def grade_entry(entry: Entry, out_dir: Path, key: str, config: Config, fixture_dir, sandbox, notes=()):
    """Grade one entry and write its files (results.json last); never raises. ``notes`` (the rubric's warnings
    about this student) go first in the report's notes."""
    from ..grading.pipeline import grade

    target = Path(out_dir) / entry.student
    try:
        report = grade(entry.path, config=config, fixture_dir=fixture_dir, sandbox=sandbox)
        report.submission, report.source = entry.student, entry.source
        report.notes[:0] = list(notes)
        data = results_json(report, config.hidden_visibility)
        feedback = feedback_markdown(report)
    except Exception as exc:  # noqa: BLE001 - a grader failure on one student must not stop the batch
        data = {"score": 0.0, "max_score": 0.0, "execution_time": 0.0, "tests": [],
                "output": f"The submission could not be graded: internal error {type(exc).__name__}: {exc}",
                "extra_data": {"error": f"internal error {type(exc).__name__}: {exc}", "source": entry.source}}
        feedback = f"# Feedback for {entry.student}\n\n> {data['output']}\n"
    data.setdefault("extra_data", {})["key"] = key
    atomic.write_text(target / "feedback.md", feedback)
    write_results_json(target / "results.json", data)
    return entry.student, data["score"], data["extra_data"].get("error", "")


def _is_done(out_dir: Path, entry: Entry, key: str) -> bool:
    try:
        data = json.loads((out_dir / entry.student / "results.json").read_text())
    except (OSError, ValueError):
        return False
    return data.get("extra_data", {}).get("key") == key


def run_batch(submissions, out_dir, *, jobs=2, config: Config | None = None, fixture_dir=None, progress=True,
              shard=None, similarity=False, compare=None, announce=None):
    """Grade every entry of ``submissions`` into ``out_dir``; returns a :class:`BatchResult`.

    ``shard`` (an :class:`autograder.cohort.shards.Shard`) grades only that slice of the class; its gradebook and
    summary list only its own students, and ``autograder gradebook merge`` combines the shards' folders.
    After the gradebook: ``similarity`` writes similarity.csv and similarity.html (:mod:`autograder.cohort.similarity`)
    over the graded entries; ``compare`` (an old results folder, gradebook.csv or loaded
    :class:`autograder.cohort.run_comparison.Run`, read before grading) writes compare.csv.
    Every student is graded under one rubric (:mod:`autograder.cohort.rubric`), decided before grading from the config
    and the whole class; ``announce`` (a callable) receives it then.
    """
    if compare is not None and not hasattr(compare, "students"):
        from .run_comparison import load_run

        compare = load_run(compare)  # before grading: the old run may be this very folder
    from .rubric import decide, detect, warning_notes

    config = config or Config()
    started = time.monotonic()
    submissions, out_dir = Path(submissions).resolve(), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = discover(submissions)
    # One rubric for the whole class (every shard decides the same): read, never run, every submission.
    result = BatchResult(rubric=decide([detect(e, config) for e in entries], config))
    config = result.rubric.config(config)
    if announce is not None:
        announce(result.rubric)
    version = grader_version(config, fixture_dir)
    if shard is not None:
        from .shards import write_shard_manifest

        write_shard_manifest(out_dir, shard, [e.student for e in entries], version)
        entries = shard.select(entries)
    keys = {e.student: f"{version}:{content_hash(e.path)}" for e in entries}
    todo = []
    for entry in entries:
        (result.skipped if _is_done(out_dir, entry, keys[entry.student]) else todo).append(entry)
    sandbox = make_sandbox(config.sandbox, hidden=[submissions, out_dir, *([fixture_dir] if fixture_dir else [])],
                           limits=config.limits)  # decided once: every student gets the same
    bar = _progress(len(entries), len(result.skipped), progress)
    context = multiprocessing.get_context("forkserver")
    try:
        with futures.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context, initializer=_worker_init) as pool:
            pending = {pool.submit(grade_entry, e, out_dir, keys[e.student], config, fixture_dir, sandbox,
                                   warning_notes(result.rubric, e.student)): e for e in todo}
            for done in futures.as_completed(pending):
                entry = pending[done]
                try:
                    student, _, error = done.result()
                except Exception as exc:  # noqa: BLE001 - e.g. a worker killed by the system
                    student, error = entry.student, f"the worker grading this submission died: {exc}"
                    grade_entry_error(entry, out_dir, keys[entry.student], error)
                result.graded.append(student)
                if error:
                    result.errors[student] = error
                bar.update(1)
    finally:
        bar.close()
        write_gradebook(out_dir, [e.student for e in entries])
    if similarity:  # class-level outputs: read the submissions and results, never grade
        from .similarity import run_similarity

        result.similarity = run_similarity(submissions, out_dir, entries=entries, packages=config.packages or None)
    if compare is not None:
        from .run_comparison import compare as compare_runs, load_run, write_changes

        result.changes = compare_runs(compare, load_run(out_dir))
        write_changes(result.changes, out_dir)
    result.seconds = time.monotonic() - started
    return result


def grade_entry_error(entry, out_dir, key, error):
    data = {"score": 0.0, "max_score": 0.0, "execution_time": 0.0, "tests": [], "output": error,
            "extra_data": {"error": error, "key": key, "source": entry.source}}
    atomic.write_text(Path(out_dir) / entry.student / "feedback.md", f"# Feedback for {entry.student}\n\n> {error}\n")
    write_results_json(Path(out_dir) / entry.student / "results.json", data)


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress(total, done, enabled):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="submission", desc="grading", dynamic_ncols=True)
