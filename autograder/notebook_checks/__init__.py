"""Notebook execution checks: were the submitted notebooks really run, in order, without errors, against the
submitted code, and do their printed test results meet the notebooks' stated thresholds?

* :mod:`.static`: reading notebooks (never crashing on a bad file) and what they show;
* :mod:`.rules`: the printed test results and their thresholds, one table per course and notebook version;
* :mod:`.execute`: headless re-execution with nbclient inside the grader's sandbox;
* :mod:`.checks`: the report lines; :mod:`.settings`: the ``[notebooks]`` config table;
* :mod:`.command`: ``autograder notebooks SUBMISSION``.

The grader calls :func:`check_notebooks` for every submission.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

from .checks import environment_problems, not_counted, notebook_results, required_missing
from .settings import POINT_KEYS, NotebookSettings, NotebookSettingsError
from .static import Loaded, display_names, find_notebooks, identify, load

__all__ = ["check_notebooks", "check_and_run", "NotebookSettings", "NotebookSettingsError",
           "POINT_KEYS"]


def check_notebooks(folder, *, settings: dict, execute: bool, stage=None, sandbox=None,
                    limits=None, profile=None, packages=None, required=None, course=None) -> tuple:
    """Check every notebook under ``folder`` (the unpacked submission root); returns ``(results, notes)``.

    ``settings`` is the raw ``Config.notebooks`` table (validated here: :class:`NotebookSettingsError`).
    With ``execute`` the notebooks are also re-executed, against ``stage`` = ``(stage_dir, packages)`` of the
    staged submission (staged here from ``folder`` when None), in ``sandbox`` (a :class:`~autograder.sandbox.confinement.
    Sandbox`, or none: resource limits only), with the file and process limits of ``limits``
    (:class:`~autograder.sandbox.runner.Limits`). ``profile`` (a course profile or its name) prefers that course's
    notebook versions (:data:`~.rules.PROFILE_VERSIONS`); ``packages`` (the config's) says where the package is
    when it is staged here. ``required`` (notebook file names, the config's ``[required] notebooks``): a missing
    one fails all its checks, and only these count. ``course`` (a :class:`~autograder.course_years.CourseYear`)
    says which notebooks are not graded work when nothing is required: its helpers, and of each either-or group all
    but the most executed one. No notebook and none required: ``([], [])``.
    """
    results, notes, _, _ = check_and_run(folder, settings=settings, execute=execute, stage=stage, sandbox=sandbox,
                                         limits=limits, profile=profile, packages=packages, required=required,
                                         course=course)
    return results, notes


def check_and_run(folder, *, settings, execute, stage=None, sandbox=None, limits=None, profile=None,
                  packages=None, required=None, course=None) -> tuple:
    """:func:`check_notebooks` that also returns what it read and ran: ``(results, notes, loaded, runs)`` with
    ``loaded`` the :class:`~.static.Loaded` notebooks and ``runs`` their :class:`~.execute.NotebookRun` by path."""
    config = settings if isinstance(settings, NotebookSettings) else NotebookSettings.from_dict(settings)
    paths = find_notebooks(folder, config.include, config.exclude) if folder is not None else []
    if not paths and not required:
        return [], [], [], {}
    names = display_names(paths, folder) if paths else {}
    loaded = [load(path, names[path]) for path in paths]
    for item in loaded:
        identify(item, config.version_for(Path(item.name).stem), profile)
    if not loaded:
        results = _required(loaded, required, config, execute, profile)
        return results, [], [], {}
    notes, runs, problem = [], {}, ""
    if execute:
        started = time.monotonic()
        runs, problem = _execute_all(folder, loaded, config, stage, sandbox, limits, packages)
        if runs:
            notes.append(_execution_note(runs, config, time.monotonic() - started))
        for item in loaded:
            missing = environment_problems(item, runs[item.path]) if item.path in runs else []
            if missing:
                notes.append(f"grader's environment error, not charged to the student: {item.name}: {missing[0]}")
    notes.append(_versions_note(loaded))
    results = []
    counted = _counted(loaded, required)
    skipped = uncounted(loaded, course) if required is None else {}
    for item in loaded:
        found = notebook_results(item, config, runs.get(item.path), execute, problem)
        if item.path not in counted or item.path in skipped:
            found = not_counted(found, skipped.get(item.path) or _not_counted_reason(item, required))
        results.extend(found)
    results += _required(loaded, required, config, execute, profile)
    return results, notes, loaded, runs


def _counted(loaded, required):
    """Paths of the notebooks that count: all of them when nothing is required, else the first copy of each
    required notebook."""
    if required is None:
        return {item.path for item in loaded}
    counted = {}
    for item in loaded:
        name = Path(item.name).name
        if name in required and name not in counted:
            counted[name] = item.path
    return set(counted.values())


SCRATCH = re.compile(r"untitled[ _-]?\d*", re.IGNORECASE)
"""The stem Jupyter, Colab or VS Code gives a new notebook (``Untitled``, ``Untitled1``, ``Untitled-2``): no course
hands one out, so it is never graded work (nndl 2019 students kept one beside each homework's notebooks)."""


def uncounted(loaded, course):
    """Path -> why it does not count, for the notebooks that are not graded work in ``course``'s starter (a
    :class:`~autograder.course_years.CourseYear`, or None): its helpers (collect_submission), in each either-or
    group (PyTorch / TensorFlow) every notebook but the one with the most executed code cells, and a notebook that
    is not one of the year's (``course.notebooks``) when it is a copy of one that was submitted too
    (``two_layer_nn_nosol.ipynb`` beside ``two_layer_nn.ipynb``) or holds none of the course's test cells (another
    question's notebook, such as nndl's ``coding_HW3.ipynb``) or is a scratch notebook (:data:`SCRATCH`, even with a
    test cell pasted into it). A renamed course notebook (``Q1_FullyConnectedNets``) holds its test cells and still
    counts."""
    from .static import execution_problems, rules_for

    if course is None:
        return {}
    reasons = {}
    stems = {Path(item.name).stem for item in loaded}
    for item in loaded:
        stem, name = Path(item.name).stem, Path(item.name).name
        if stem in course.helpers:
            reasons[item.path] = f"not counted: {name} is a helper of the course, not graded work"
        elif stem in course.elsewhere:
            reasons[item.path] = f"not counted: {name} is a notebook of another homework of the course"
        elif stem not in course.notebooks and course.notebooks:
            original = next((s for s in course.notebooks if s in stems and s in stem), None)
            if SCRATCH.fullmatch(stem):
                reasons[item.path] = (f"not counted: {name} is a scratch notebook (the name Jupyter gives a new one), "
                                      f"not one of the course's notebooks")
            elif original:
                reasons[item.path] = f"not counted: {name} is another copy of {original}.ipynb, which was checked"
            elif not item.error and not rules_for(item):
                reasons[item.path] = (f"not counted: {name} is not one of the course's notebooks "
                                      f"({', '.join(n + '.ipynb' for n in course.notebooks)}) and holds none of "
                                      f"their test cells")
    for group in course.either:
        members = [item for item in loaded if Path(item.name).stem in group and item.path not in reasons]
        if len(members) < 2:
            continue
        done = {item.path: len(execution_problems(item.cells)["executed"]) if item.cells else 0 for item in members}
        chosen = max(members, key=lambda item: done[item.path])
        for item in members:
            if item is not chosen:
                reasons[item.path] = (f"not counted: students do one of {' / '.join(g + '.ipynb' for g in group)}; "
                                      f"{Path(chosen.name).name} is the one done")
    return reasons


def _not_counted_reason(item, required):
    name = Path(item.name).name
    if name in required:
        return f"not counted: another copy of {name} was checked"
    listed = ", ".join(required) if required else "none"
    return f"not counted: {name} is not one of the required notebooks ({listed})"


def _required(loaded, required, config, execute, profile):
    """The failed checks of every required notebook that was not submitted, against its pinned version, else the
    course profile's first version with a notebook of that name."""
    from .rules import PROFILE_VERSIONS, VERSIONS, VERSIONS_BY_ID, Recognised

    submitted = {Path(item.name).name for item in loaded}
    results = []
    for name in required or ():
        if name in submitted:
            continue
        stem = name[:-len(".ipynb")]
        pinned = config.version_for(stem)
        preferred = [VERSIONS_BY_ID[v] for v in PROFILE_VERSIONS.get(getattr(profile, "name", profile) or "", ())]
        if pinned:
            version, how = VERSIONS_BY_ID[pinned], "pinned in the config"
        else:
            version = next((v for v in [*preferred, *VERSIONS] if v.knows(stem)), VERSIONS[0])
            how = "the course's version with a notebook of that name (not submitted)"
        item = Loaded(Path(name), name, error="not submitted")
        item.version = Recognised(version, how, version.knows(stem))
        results.extend(required_missing(item, config, execute))
    return results


def _execute_all(folder, loaded, config, stage, sandbox, limits, packages=None):
    """Re-execute every readable notebook; returns ``({path: NotebookRun}, problem)``."""
    from concurrent.futures import ThreadPoolExecutor  # only when notebooks are executed

    from .execute import run_notebook

    readable = [item for item in loaded if item.notebook is not None]
    if not readable:
        return {}, ""
    scratch = None
    try:
        if stage is None:
            stage, scratch, problem = _stage(folder, packages)
            if stage is None:
                return {}, problem
        stage_dir, packages = stage

        def one(item):
            version = getattr(getattr(item, "version", None), "version", None)
            return item.path, run_notebook(item.path, item.notebook, stage_dir=stage_dir, packages=packages,
                                           settings=config, sandbox=sandbox, limits=limits,
                                           version_id=getattr(version, "id", None))

        if config.jobs == 1:  # in this thread: the runner then dies with the grader (PR_SET_PDEATHSIG)
            return dict(map(one, readable)), ""
        with ThreadPoolExecutor(max_workers=config.jobs) as pool:
            return dict(pool.map(one, readable)), ""
    finally:
        if scratch is not None:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)


def _stage(folder, packages=None):
    """Stage the submission's package for re-execution when the caller did not: ``(stage, scratch, problem)``."""
    from ..sandbox.confinement import new_scratch
    from ..sandbox.submission import SubmissionError, open_submission

    scratch = new_scratch()
    try:
        return open_submission(Path(folder), scratch, packages).stage, scratch, ""
    except SubmissionError as exc:
        return None, scratch, f"not re-executed: {exc}"


def _versions_note(loaded):
    return "notebook versions: " + "; ".join(f"{item.name}: {item.version.describe(Path(item.name).stem)}"
                                             for item in loaded)


def _execution_note(runs, config, seconds):
    rule = (f"quick training: CS231N_QUICK=1, Solver and num_epochs literals capped at {config.quick_epochs} "
            f"epoch(s), num_iters literals at {config.quick_iters}" if config.quick else "full training")
    return (f"notebooks re-executed in {seconds:.0f} s ({len(runs)} notebook(s), {rule}; offline: "
            f"get_CIFAR10_data returns the shipped digits)")
