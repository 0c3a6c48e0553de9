"""Grade one submission: an ordered pipeline of small steps over a :class:`Grading` context, each of which may end
the grading early with a clear reason without losing what was found so far.

:func:`grade` runs, in order: :func:`select_cases` (the catalog's cases the config and the fixtures allow),
:func:`~autograder.sandbox.submission.open_submission` (unpack, find the packages, stage them), :func:`run_children`
(the submission's child: its manifest, the profile chosen from it and each case's inputs, made once),
:func:`judge_and_credit` (each case's tests judged on the child's replies, after :func:`run_isolation`, credit
isolation: failed model and sandwich checks rerun over trusted layers in a second child, see
:mod:`autograder.grading.credit_isolation`), :func:`check_notebooks_step` and :func:`finish_report`.
"""
from __future__ import annotations

import shutil
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from fnmatch import fnmatch
from pathlib import Path

from ..catalog import fixtures as fixture_store
from . import credit_isolation as isolation, numpy_warnings
from .. import paths
from ..sandbox import portable_child
from ..catalog import all_cases, wanted_names
from ..child.protocol import Reply
from ..config import Config, ConfigError
from .diagnoses import diagnose_exception, judge_failure
from .early_child import sandbox_hidden
from .hangs import Hangs
from ..hints import not_about_the_math, shown
from ..model import Report, TestResult, Verdict
from ..profiles import (DEFAULT, PREFERRED, PROFILES, adapt_inputs, check_scope, choose, learnt_from, profile_named,
                        submission_signs)
from ..sandbox.runner import RunOutcome, run_cases
from ..sandbox.confinement import make_sandbox, new_scratch
from ..sandbox.submission import OpenedSubmission, SubmissionError, open_submission

CHILD_PREFIX = "_submission"


@dataclass(frozen=True)
class Grading:
    """What every step of one submission's grading reads: the settings and the cases, never the results."""

    config: Config
    """The course config."""
    store: object
    """The loaded fixtures (:func:`autograder.catalog.fixtures.load`): expected outputs and the hidden seed."""
    cases: tuple
    """The catalog's cases selected for this grading (:func:`select_cases`), in catalog order."""
    sandbox: object = None
    """The sandbox the children run in (None with an in-process ``runner``)."""
    runner: object = None
    """Replaces the sandboxed child (``autograder.sandbox.inprocess.run_in_process``); None: :func:`run_cases`."""
    trusted_layers: bool = True
    """Whether credit isolation may run models and sandwiches over trusted layers."""
    started: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the grading started (the submission's time budget counts from it)."""


@dataclass(frozen=True)
class Plan:
    """What the grader asks the child, decided from its manifest: the profile and each case's inputs."""

    profile: object
    """The :class:`~autograder.profiles.Profile` the submission is graded under."""
    inputs: dict
    """Case id -> the probe's keyword arguments in the course's conventions (made once, judged with the same)."""


@dataclass(frozen=True)
class ChildRun:
    """What :func:`run_children` returns: the child's raw outcome and the plan it ran."""

    outcome: RunOutcome
    """Replies, failures, progress and the manifest of the submission's child."""
    plan: Plan
    """The profile chosen from the manifest and the inputs each case was given."""
    judged: dict = field(default_factory=dict)
    """Case id -> its results judged on ``outcome`` while the child computed the next cases (see :func:`judge`)."""
    edited: dict | None = None
    """The provided functions the student changed (:func:`provided_edits`), read while the child started."""

    @property
    def found(self) -> dict:
        return self.outcome.manifest.found

    @property
    def import_errors(self) -> dict:
        return self.outcome.manifest.import_errors


def grade(submission, *, config: Config | None = None, fixture_dir=None, sandbox=None, runner=None,
          hidden=(), trusted_layers=True, early=None) -> Report:
    """Grade a submission folder or zip and return its :class:`~autograder.model.Report`.

    ``sandbox`` is shared by the children of a batch (made from the config when None); ``hidden`` lists extra
    paths the child must not see (the results folder, the other submissions). ``runner`` replaces the
    sandboxed child (``autograder.sandbox.inprocess.run_in_process``: for the trusted reference and benchmarks only).
    ``trusted_layers=False`` (the students' pytest, which has no reference to ship) checks models and sandwich
    layers over the student's own layers only, whatever ``config.isolate_dependencies`` says.
    ``early`` (an :class:`~autograder.grading.early_child.EarlyChild` made with the same ``config``, ``hidden`` and
    ``fixture_dir``, or None): the submission already staged and its child started, which this grading adopts.
    """
    config = config or Config()
    if check_scope(config.scope):
        raise ConfigError(check_scope(config.scope))
    started = time.monotonic()
    report = Report(submission=Path(submission).name)
    store = fixture_store.load(fixture_dir, include_hidden=config.include_hidden)
    if early is not None and (runner is not None or sandbox is not None):
        raise ValueError("grade: early= starts the grading's own sandboxed child; it cannot be combined with a "
                         "runner or a sandbox")
    if early is not None:
        sandbox = early.sandbox
    elif runner is None and sandbox is None and portable_child.sandbox_supported():  # not on Windows
        sandbox = make_sandbox(config.sandbox, hidden=sandbox_hidden(hidden, fixture_dir), limits=config.limits)
    ctx = Grading(config, store, select_cases(config, store), sandbox, runner, trusted_layers, started)
    if sandbox is not None:
        report.notes.append(sandbox.describe())
    elif runner is None:
        report.notes.append("sandbox: none on this platform: a separate process whose time limits the grader "
                            "enforces by killing it (no memory or file limits)")
    with (nullcontext(early.scratch) if early is not None else _scratch()) as scratch:
        try:
            opened = early.opened if early is not None else open_submission(submission, scratch, config.packages)
        except SubmissionError as exc:
            return _unopened(ctx, report, exc)
        run = run_children(ctx, opened, scratch, early.take() if early is not None else None)
        judged = judge_and_credit(ctx, opened, run)
        judged = _name_provided_changes(judged, run.edited)
        notebooks = check_notebooks_step(ctx, opened.folder, stage=opened.stage,
                                         execute=bool(config.notebooks.get("execute", False)),
                                         profile=run.plan.profile)
    return finish_report(ctx, report, run, judged, notebooks)


def provided_edits(opened):
    """The provided functions the student changed (:func:`autograder.grading.provided_changes.changed`), or None
    when that cannot be told."""
    from . import provided_changes

    try:
        return provided_changes.changed(opened.stage_dir, opened.packages)
    except (OSError, ValueError):
        return None


def _name_provided_changes(results, edited):
    """Failures of provided functions the student changed (``edited``: :func:`provided_edits`) say so first."""
    from . import provided_changes

    if edited is None:
        return results
    return [replace(r, message=f"{provided_changes.note(r.target, edited[r.target])}. {r.message}")
            if r.status == "failed" and r.target in edited and not r.message.startswith("not credited") else r
            for r in results]


def select_cases(config, store) -> tuple:
    """The catalog's cases this grading runs: public ones (hidden ones too when the fixtures hold them), those the
    config's ``select`` patterns name."""
    return tuple(c for c in all_cases()
                 if (c.visibility == "public" or store.has_hidden) and selected(c, config.select)
                 and not excluded(c, config.exclude))


def selected(case, patterns) -> bool:
    """Whether ``case`` is chosen by shell ``patterns`` on its id or its function (no patterns: every case)."""
    return not patterns or any(fnmatch(case.id, p) or fnmatch(case.target, p) for p in patterns)


def excluded(case, patterns) -> bool:
    """Whether the config's ``exclude`` patterns name ``case`` (its id or its function)."""
    return bool(patterns) and selected(case, patterns)


def _unopened(ctx, report, exc):
    """The report of a submission that could not be opened: every test fails with the reason; its notebooks, if
    it could be unpacked, are still checked as submitted."""
    config = ctx.config
    profile = profile_named(config.profile or DEFAULT).scoped((), config.scope).requiring(config.required.functions)
    report.error = str(exc)
    report.profile = profile.name
    report.results = [_failed(case, test, profile, ctx.config, str(exc)) for case in ctx.cases for test in case.tests]
    if exc.folder is not None or config.required.notebooks:
        results, notes = check_notebooks_step(ctx, exc.folder, execute=False)
        report.results.extend(results)
        report.notes.extend(notes)
    report.results = [shown(r, config.hints) for r in report.results]
    report.execution_time = time.monotonic() - ctx.started
    return report


def child_config(ctx, opened: OpenedSubmission) -> dict:
    """The settings the submission's child starts with (what to load, which names to find and where)."""
    return {"root": str(opened.stage_dir), "packages": list(opened.packages), "prefix": CHILD_PREFIX,
            "wanted": wanted_names(ctx.cases), "pinned": dict(ctx.config.functions), "preferred": PREFERRED,
            "provided": sorted(name for name in paths.provided_files() if name.endswith(".py"))}


def make_plan(ctx, opened: OpenedSubmission, manifest: dict, signs=None) -> Plan:
    """The profile for what the child found (``manifest``; ``{}`` when nothing could be imported) and the inputs of
    every case it assigns."""
    if signs is None:
        signs = submission_signs(opened.layout.root, opened.layout.packages)
    profile = choose(ctx.config.profile, opened.packages, manifest, signs, ctx.config.scope,
                     ctx.config.required.functions)
    inputs = {case.id: adapt_inputs(fixture_store.cached_inputs(case, ctx.store.hidden_seed), profile)
              for case in ctx.cases if profile.applies(case.all_requires())}
    return Plan(profile, inputs)


def run_children(ctx, opened: OpenedSubmission, scratch, spawned=None) -> ChildRun:
    """Run the submission's child on every case its profile assigns; returns the outcome and the plan it ran.
    ``spawned``: the child's process when it was started already (:mod:`autograder.grading.early_child`)."""
    signs = submission_signs(opened.layout.root, opened.layout.packages)
    plans = []  # the plan made once the child's manifest arrived

    following = {}  # case id -> the id of the case asked after it

    def requests(manifest):
        plans.append(make_plan(ctx, opened, manifest, signs))
        asked = [request(ctx, case, opened.stage_dir, plans[-1]) for case in ctx.cases if case.id in plans[-1].inputs]
        following.update(zip([a[0] for a in asked], [a[0] for a in asked[1:]]))
        return asked

    settings = child_config(ctx, opened)
    more = followups(ctx)
    cases, judged, edited = {case.id: case for case in ctx.cases}, {}, []

    def answered(case_id, outcome):  # judged while the child computes the next case (the same judge as later)
        judged[case_id] = judge(ctx, ChildRun(outcome, plans[-1]), cases[case_id])
        after = cases.get(following.get(case_id))
        if not edited and after is not None and after.probe == "train":
            # Needed only for the report; the child now trains a model (one of its longest cases), while most
            # cases take it less time than the grader spends on each: read now, it delays no case.
            edited.append(provided_edits(opened))

    def meanwhile():  # while the child starts: what the plan will need (the submission's source is read only
        warm_inputs(ctx)  # if a check runs out of time, see Hangs.returned)

    if ctx.runner is None:
        hangs = Hangs.for_submission(ctx.cases, opened.stage_dir, opened.packages)
        outcome = run_cases(Path(scratch), settings, requests, ctx.config.limits, ctx.sandbox, followup=more,
                            hangs=hangs, meanwhile=meanwhile, answered=answered, spawned=spawned,
                            final=lambda case_id: without_followups(cases[case_id]))
    else:
        outcome = ctx.runner(settings, requests, followup=more)
    plan = plans[-1] if plans else make_plan(ctx, opened, outcome.manifest, signs)
    return ChildRun(outcome, plan, judged, edited[0] if edited else provided_edits(opened))


def warm_inputs(ctx):
    """Make every selected case's inputs (:func:`~autograder.catalog.fixtures.cached_inputs`) while the child
    starts: the plan, made once its manifest arrives, then only copies and adapts them."""
    for case in ctx.cases:
        fixture_store.cached_inputs(case, ctx.store.hidden_seed)


def request(ctx, case, root, plan: Plan):
    """The probe request ``(case id, request, seconds)`` of one case, for a child whose staged submission is at
    ``root`` (its inputs are the plan's, whose arrays are read-only and shared: a request is only encoded, or copied
    by the in-process runner). A model whose numerical gradients the fixtures can spare
    (:meth:`~autograder.catalog.fixtures.Store.has_optional`) is asked without them first; see :func:`followups`."""
    inputs = dict(plan.inputs[case.id])
    if inputs.get("numeric") and ctx.store.has_optional(case):
        inputs["numeric"] = ()
    return (case.id, {"id": case.id, "probe": case.probe, "root": str(root), "inputs": inputs,
                      "seed": fixture_store.case_seed(case, ctx.store.hidden_seed)},
            case.timeout or ctx.config.limits.check_seconds)


def followups(ctx):
    """``followup(request, reply)`` for the runners: after a model's first reply (asked without numerical
    gradients), the same request with the perturbed losses of every parameter whose gradient check the reference's
    values cannot decide (:class:`~autograder.catalog.judges.SameAsReference`), or None when every check can be judged.
    The parent decides from the fixtures; the child never sees them."""
    cases = {case.id: case for case in ctx.cases}

    def followup(sent, reply):
        case = cases.get(sent["id"])
        if case is None or not isinstance(reply.outputs, dict):
            return None
        expected, inputs = ctx.store.expected_for(case), sent["inputs"]
        needed = {t.judge.arg for t in case.tests
                  if hasattr(t.judge, "needs_numeric") and t.judge.needs_numeric(reply.outputs, expected, inputs)}
        if not needed:
            return None
        wanted = needed | set(inputs.get("numeric") or ())
        order = [t.judge.arg for t in case.tests if hasattr(t.judge, "needs_numeric")]
        return {**sent, "inputs": {**inputs, "numeric": tuple(dict.fromkeys(n for n in order if n in wanted))}}
    return followup


def without_followups(case) -> bool:
    """Whether :func:`followups` never asks ``case`` again: none of its tests may need numerical gradients."""
    return not any(hasattr(t.judge, "needs_numeric") for t in case.tests)


def judge(ctx, run: ChildRun, case, outcome=None) -> list:
    """One case's results judged on ``outcome`` (by default the submission's child's), with the inputs of the plan
    (those of the submission's child judged already while it ran are not judged again)."""
    outcome = run.outcome if outcome is None else outcome
    if outcome is run.outcome and case.id in run.judged:
        return list(run.judged[case.id])
    return _judge_case(case, outcome, run.found, run.import_errors, ctx.store, ctx.config, run.plan.inputs[case.id])


def run_isolation(ctx, opened: OpenedSubmission, run: ChildRun):
    """Credit isolation (:mod:`autograder.grading.credit_isolation`): ``(mode, Isolation or None)``; with mode ``on`` or ``always``
    the failed model and sandwich checks (all of them with ``always``) ran again over trusted layers in a second
    child."""
    how = isolation.mode(ctx.config, runner=ctx.runner, trusted_layers=ctx.trusted_layers)
    if how not in ("on", "always"):
        return how, None
    profile = run.plan.profile
    return how, isolation.Isolation.run(
        how, [c for c in ctx.cases if profile.applies(c.all_requires())], run.outcome,
        lambda case, outcome: judge(ctx, run, case, outcome),
        layout=opened.layout, request=lambda case, root: request(ctx, case, root, run.plan), followup=followups(ctx),
        child_config=child_config(ctx, opened), profile=profile, limits=ctx.config.limits, sandbox=ctx.sandbox,
        started=ctx.started, found=run.found)


def judge_and_credit(ctx, opened: OpenedSubmission, run: ChildRun) -> list:
    """Every selected case's results: judged on the child's replies, not applicable outside the profile, and
    credited over trusted layers where credit isolation (:func:`run_isolation`) rescued them."""
    profile = run.plan.profile
    how, isolated = run_isolation(ctx, opened, run)
    if isolated is not None:
        run.outcome.isolation = isolated.outcome  # its timings and memory, for the report's instructor data
    results = []
    for case in ctx.cases:
        if not profile.applies(case.all_requires()):
            results.extend(_not_applicable(case, test, profile) for test in case.tests)
            continue
        judged = isolated.own[case.id] if isolated is not None and case.id in isolated.own else judge(ctx, run, case)
        if isolated is not None:
            judged = isolated.merge(case, judged)
        elif how == "unavailable":
            judged = isolation.unavailable(case, judged, run.found)
        results.extend(judged)
    if isolated is not None:
        results = isolated.finish(results, ctx.cases)
    return unscored(results, profile)


def unscored(results, profile):
    """``results`` with the checks of the optional helpers the submission has (``profile.unscored``) turned into
    0-point warnings: graded, shown, never counted, so every student of a class keeps the same max_score."""
    if not profile.unscored:
        return results
    note = "optional helper (not part of the assignment's grade): "
    return [replace(r, score=0.0, max_score=0.0, warning=r.warning or (note + r.message if r.status == "failed" else ""))
            if r.target in profile.unscored else r for r in results]


def check_notebooks_step(ctx, folder, *, execute, stage=None, profile=None):
    """The notebook checks (static, and re-execution when asked) of the submission's notebooks under ``folder``:
    ``(results, notes)``."""
    config = ctx.config
    if not config.required.notebooks and not _has_notebooks(folder):
        return [], []  # what check_notebooks returns then, without importing the notebooks' rules
    from ..notebook_checks import check_notebooks

    named = profile_named(config.profile).name if config.profile else None
    return check_notebooks(folder, settings=config.notebooks, execute=execute, stage=stage, sandbox=ctx.sandbox,
                           limits=config.limits, profile=named, packages=config.packages,
                           required=config.required.notebooks, course=getattr(profile, "table", None))


def _has_notebooks(folder) -> bool:
    """Whether anything under ``folder`` (a file is a folder of one) is named ``*.ipynb``: the notebook checks find
    nothing otherwise."""
    if folder is None:
        return False
    folder = Path(folder)
    if folder.is_file():
        return folder.suffix.lower() == ".ipynb"
    return any(path.suffix.lower() == ".ipynb" for path in folder.rglob("*"))


def finish_report(ctx, report, run: ChildRun, results, notebooks) -> Report:
    """The report: the profile and its notes, the child's startup and import errors, the judged results, then the
    notebooks' results and notes."""
    config, profile = ctx.config, run.plan.profile
    report.profile = profile.name
    base = PROFILES[profile.name]
    if not profile.assigned - profile.unscored >= base.assigned:
        report.notes.append(f"Graded as {profile.description}; the other homeworks' checks are not applicable.")
    elif profile.assigned - profile.unscored != base.assigned:
        report.notes.append(f"Graded as {profile.description}.")
    if profile.table is not None:
        report.notes.append(f"Course year: {profile.name} ({profile.description}), {profile.recognised or 'recognised'}; "
                            f"its rubric was learnt from the public starter or solutions {learnt_from(profile.table)}.")
    if profile.unscored:
        report.notes.append("Optional helpers checked for 0 points (shown as warnings): "
                            + ", ".join(sorted(profile.unscored)) + ".")
    elif config.scope and not profile.homeworks:
        report.notes.append(f"scope = {list(config.scope)} was ignored: {profile.description} is one homework.")
    if run.outcome.startup_error:  # nothing ran: an error of the submission, never a silent 0
        report.error = f"the submission could not be loaded: {run.outcome.startup_error}"
    for module, error in sorted(run.import_errors.items()):
        report.notes.append(f"{module.replace('.', '/')}.py could not be imported: {error}")
    report.results.extend(shown(r, config.hints) for r in (*results, *numpy_warnings.results(run.outcome),
                                                           *notebooks[0]))
    report.notes.extend(notebooks[1])
    report.timings, report.peak_child_memory_bytes = instructor_data(run.outcome)
    report.execution_time = time.monotonic() - ctx.started
    return report


def instructor_data(outcome: RunOutcome):
    """``(timings, peak child memory in bytes or None)`` of a run, for the report's instructor-only data: seconds
    spent starting the children, per case (as the grader waited for it), the children's CPU seconds (``cpu``, where
    measured), and the same for the credit-isolation child under ``isolation``."""
    def timed(run):
        return {"startup": round(run.startup_seconds, 4), "children": run.children,
                "cases": {case_id: round(seconds, 4) for case_id, seconds in run.timings.items()},
                **({"cpu": round(run.cpu_seconds, 3)} if run.cpu_seconds else {})}

    timings = timed(outcome)
    peak = outcome.peak_memory
    if outcome.isolation is not None:
        timings["isolation"] = timed(outcome.isolation)
        peak = max(peak, outcome.isolation.peak_memory)
    return timings, (peak or None)


@contextmanager
def _scratch():
    folder = new_scratch()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _points(case, test, config):
    if test.kind == "contract" and not config.count_contract:
        return 0.0
    for key, value in config.points.items():
        if case.id.startswith(key) or case.target == key:
            return float(value) if test.points else 0.0
    return test.points


def _result(case, test, config, passed, message, status=None, target=None, warning="", diagnosis=None):
    points = _points(case, test, config)
    target = target or test.target or case.target
    return TestResult(
        case_id=case.id, name=f"{target}: {test.name}", target=target, kind=test.kind,
        visibility=case.visibility, group=case.group, score=points if passed else 0.0, max_score=points,
        status=status or ("passed" if passed else "failed"), message=message,
        hint="" if passed or not_about_the_math(message) else test.hint,
        warning=warning, diagnosis=diagnosis.text if diagnosis and not passed else "",
        relation=diagnosis.relation if diagnosis and not passed else "",
    )


def _failed(case, test, profile, config, reason):
    if not profile.applies(case.all_requires()):
        return _not_applicable(case, test, profile)
    return _result(case, test, config, False, reason)


def _not_applicable(case, test, profile):
    target = test.target or case.target
    return TestResult(case.id, f"{target}: {test.name}", target, test.kind, case.visibility, case.group,
                      0.0, 0.0, "not_applicable", f"not assigned in {profile.description}")


def _missing_reason(case, found, import_errors, broken_defines, name=None):
    missing = [n for n in case.all_requires() if n not in found]
    if not missing:
        return ""
    name = name if name in missing else missing[0]
    culprits = [m for m in sorted(import_errors) if name in broken_defines.get(m, ())]
    if culprits:
        module = culprits[0]
        return f"{name} is in {module.replace('.', '/')}.py, which could not be imported: {import_errors[module]}"
    return f"{name} was not found in the submission"


def _reply_error(case, reply):
    kind, error = reply.kind, _field(reply.error, "")
    if kind in ("form", "interrupted"):
        return error
    if kind == "halted":
        return f"not checked: {error}"
    exc_type, where = _field(reply.type, "Exception"), _field(reply.where, "")
    at = f" at {where}" if where else ""
    if exc_type == "NotImplementedError":
        return f"not implemented yet (raises NotImplementedError{at})"
    if exc_type in ("AttributeError", "TypeError") and "'NoneType'" in error:  # a stub's None used as a value
        return f"not implemented yet (returns None): {exc_type}: {error}{at}"
    return f"raised {exc_type}{': ' + error if error else ''}{at}"


def _not_checked(culprit, reply, missing=""):
    """Why a test could not be judged: another function of the case failed first."""
    if missing:
        return f"not checked: {missing}"
    if reply.kind in ("form", "halted"):
        return f"not checked: {_field(reply.error, f'{culprit} failed')}"
    if reply.kind == "interrupted":
        return f"not checked: {culprit} did not finish ({_field(reply.error, '')})"
    if reply.type == "NotImplementedError":
        return f"not checked: {culprit} is not implemented yet"
    return f"not checked: {culprit} raised {_field(reply.type, 'an exception')} on this input"


def _field(value, default):
    """A reply's field, or ``default`` where the child did not send it."""
    return default if value is None else value


class _Partial(dict):
    """The outputs of a probe that stopped part-way; notes whether a judge looked for a missing one."""

    missed = False

    def __contains__(self, key):
        found = dict.__contains__(self, key)
        self.missed |= not found
        return found

    def __getitem__(self, key):
        self.missed |= not dict.__contains__(self, key)
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        return self[key] if key in self else default


def _interrupted(outcome, case_id):
    """A case whose child never answered, as a partial reply: the last function the probe announced did not
    finish (None when the probe announced nothing)."""
    progress = getattr(outcome, "progress", {}).get(case_id)
    if not isinstance(progress, dict) or not isinstance(progress.get("partial"), dict) or not progress.get("function"):
        return None
    return Reply(case_id, False, kind="interrupted", error=outcome.failures[case_id], partial=progress["partial"],
                 function=str(progress["function"]))


def _judge_case(case, outcome, found, import_errors, store, config, inputs):
    """The results of one case's tests judged on ``outcome`` (``inputs``: what the code was given)."""
    reply = outcome.replies.get(case.id)
    if case.id in outcome.failures:
        reply = _interrupted(outcome, case.id)
        if reply is None:
            return [_result(case, test, config, False, outcome.failures[case.id]) for test in case.tests]
    partial = reply is not None and reply.stopped_part_way
    culprit = reply.function if partial else None
    missing = _missing_reason(case, found, import_errors, outcome.manifest.broken_defines, culprit)
    # a missing function stops a probe part-way like an exception: what ran before it is still judged
    if missing and not (partial and culprit not in found):
        # nothing of the case could run: its tests are reported under the case's own target
        return [_result(case, test, config, False, missing, target=case.target) for test in case.tests]
    if reply is None:
        return [_result(case, test, config, False, "no result was produced") for test in case.tests]
    if not reply.ok:
        reason = missing or _reply_error(case, reply)  # a missing function stopped the probe part-way
        raised = None if missing else diagnose_exception(reason, inputs, case.target)
        if not culprit or not partial:
            return [_result(case, test, config, False, reason, diagnosis=raised) for test in case.tests]
    expected = store.expected_for(case)
    broken = outcome.manifest.broken_defines
    verdicts = []
    for test in case.tests:
        target = test.target or case.target
        if culprit is None:
            verdicts.append(_verdict(test, reply.outputs, expected, inputs))
        elif target == culprit:  # the function that failed: the test says how
            verdicts.append(Verdict(False, reason))
        elif target not in found:  # missing too (the probe stopped before it)
            verdicts.append(Verdict(False, _missing_reason(case, found, import_errors, broken, target)))
        else:  # another function failed: judged on what the probe got before, if that is all it needs
            outputs = _Partial(reply.partial)
            verdict = _verdict(test, outputs, expected, inputs)
            verdicts.append(Verdict(False, _not_checked(culprit, reply, missing)) if outputs.missed else verdict)
    results = []
    for test, verdict in zip(case.tests, verdicts):
        diagnosis = None
        if test.kind in UNCREDITED_ALONE and verdict.passed and not _works(case, test, verdicts, culprit):
            # Leaving the inputs alone earns nothing while the function itself does not work yet.
            verdict = Verdict(False, "not credited until the function's other checks on this input pass")
        elif verdict.passed and verdict.warning and config.count_contract:
            verdict = Verdict(False, f"{verdict.warning} (contract details count in this course)")
        elif not verdict.passed and culprit is None:  # what kind of mistake explains it, computed here
            diagnosis = judge_failure(test.judge, reply.outputs, expected, inputs, test.target or case.target,
                                      verdict.message)
        elif not verdict.passed and (test.target or case.target) == culprit:
            diagnosis = diagnose_exception(verdict.message, inputs, culprit)
        results.append(_result(case, test, config, verdict.passed, verdict.message if not verdict.passed else "",
                               warning=verdict.warning if verdict.passed else "", diagnosis=diagnosis))
    return results


UNCREDITED_ALONE = ("side_effect", "contract")
"""Kinds of test that earn nothing until the function's other checks on the same input pass."""


def _works(case, side_effect_test, verdicts, culprit):
    """Whether the function a side-effect test is about passes its other checks on this input; a function with
    no other check in the case (a forward in its backward's gradient check) works if it ran without failing."""
    target = side_effect_test.target or case.target
    own = [v.passed for t, v in zip(case.tests, verdicts)
           if t.kind not in UNCREDITED_ALONE and (t.target or case.target) == target]
    return any(own) if own else target != culprit


def _verdict(test, outputs, expected, inputs):
    try:
        return test.judge(outputs, expected, inputs)
    except Exception as exc:  # noqa: BLE001 - a judge must never stop the grading of the others
        return Verdict(False, f"the output could not be checked ({type(exc).__name__}: {exc})")

