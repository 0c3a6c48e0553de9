"""Grade one submission: an ordered pipeline of small steps, each of which may end the grading early
with a clear reason without losing what was found so far."""
from __future__ import annotations

import shutil
import time
from contextlib import contextmanager
from fnmatch import fnmatch
from pathlib import Path

from . import fixtures as fixture_store
from .catalog import all_cases, wanted_names
from .config import Config, ConfigError
from .model import Report, TestResult, Verdict
from .profiles import PREFERRED, PROFILES, adapt_inputs, check_scope, choose, submission_signs
from .runner import run_cases
from .sandbox import make_sandbox, new_scratch
from .submission import SubmissionError, find_layout, stage, unpack

CHILD_PREFIX = "_submission"


def grade(submission, *, config: Config | None = None, fixture_dir=None, sandbox=None, runner=None,
          hidden=()) -> Report:
    """Grade a submission folder or zip and return its :class:`~autograder.model.Report`.

    ``sandbox`` is shared by the children of a batch (made from the config when None); ``hidden`` lists extra
    paths the child must not see (the results folder, the other submissions). ``runner`` replaces the
    sandboxed child (``autograder.inprocess.run_in_process``: for the trusted reference and benchmarks only).
    """
    config = config or Config()
    if check_scope(config.scope):
        raise ConfigError(check_scope(config.scope))
    started = time.monotonic()
    report = Report(submission=Path(submission).name)
    store = fixture_store.load(fixture_dir, include_hidden=config.include_hidden)
    cases = [c for c in all_cases() if (c.visibility == "public" or store.has_hidden) and _selected(c, config.select)]
    if runner is None and sandbox is None:
        sandbox = make_sandbox(config.sandbox, hidden=[*hidden, *([fixture_dir] if fixture_dir else [])],
                               limits=config.limits)
    if sandbox is not None:
        report.notes.append(sandbox.describe())
    with _scratch() as scratch:
        folder = None
        try:
            folder = unpack(Path(submission), Path(scratch))
            layout = find_layout(folder, config.packages)
            stage_dir, packages = stage(layout, Path(scratch))
            signs = submission_signs(layout.root, layout.packages)
        except SubmissionError as exc:
            report.error = str(exc)
            profile = PROFILES[config.profile or "cs231n-2021"]
            report.profile = profile.name
            report.results = [_failed(case, test, profile, config, str(exc)) for case in cases for test in case.tests]
            if folder is not None:  # the notebooks can still be checked as submitted
                _add_notebooks(report, folder, config, execute=False)
            report.execution_time = time.monotonic() - started
            return report
        child_config = {"root": str(stage_dir), "packages": list(packages), "prefix": CHILD_PREFIX,
                        "wanted": wanted_names(cases), "pinned": dict(config.functions), "preferred": PREFERRED}
        chosen = {}

        def plan(manifest):
            profile = choose(config.profile, packages, manifest, signs, config.scope)
            chosen["profile"] = profile
            return [
                (case.id, {"id": case.id, "probe": case.probe, "root": str(stage_dir),
                           "inputs": adapt_inputs(fixture_store.make_inputs(case, store.hidden_seed), profile),
                           "seed": fixture_store.case_seed(case, store.hidden_seed)},
                 case.timeout or config.limits.check_seconds)
                for case in cases if profile.applies(case.all_requires())
            ]

        if runner is None:
            outcome = run_cases(Path(scratch), child_config, plan, config.limits, sandbox)
        else:
            outcome = runner(child_config, plan)
        notebook_report = Report(submission=report.submission)
        _add_notebooks(notebook_report, folder, config, execute=bool(config.notebooks.get("execute", False)),
                       stage=(stage_dir, packages), sandbox=sandbox)
    profile = chosen.get("profile") or PROFILES[config.profile or "cs231n-2021"]
    report.profile = profile.name
    if profile.assigned != PROFILES[profile.name].assigned:
        report.notes.append(f"Graded as {profile.description}; the other homeworks' checks are not applicable.")
    elif config.scope and not profile.homeworks:
        report.notes.append(f"scope = {list(config.scope)} was ignored: {profile.description} is one homework.")
    found = outcome.manifest.get("found", {})
    import_errors = outcome.manifest.get("import_errors", {})
    if outcome.startup_error:  # nothing ran: an error of the submission, never a silent 0
        report.error = f"the submission could not be loaded: {outcome.startup_error}"
    for module, error in sorted(import_errors.items()):
        report.notes.append(f"{module.replace('.', '/')}.py could not be imported: {error}")
    for case in cases:
        if not profile.applies(case.all_requires()):
            report.results.extend(_not_applicable(case, test, profile) for test in case.tests)
            continue
        report.results.extend(_judge_case(case, outcome, found, import_errors, store, config, profile))
    report.results.extend(notebook_report.results)
    report.notes.extend(notebook_report.notes)
    report.execution_time = time.monotonic() - started
    return report


def _add_notebooks(report, folder, config, execute, stage=None, sandbox=None):
    """The notebook checks (static, and re-execution when the config asks) join the same report."""
    from .notebook_checks import check_notebooks

    results, notes = check_notebooks(folder, settings=config.notebooks, execute=execute, stage=stage,
                                     sandbox=sandbox, limits=config.limits)
    report.results.extend(results)
    report.notes.extend(notes)


@contextmanager
def _scratch():
    folder = new_scratch()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _selected(case, patterns):
    return not patterns or any(fnmatch(case.id, p) or fnmatch(case.target, p) for p in patterns)


def _points(case, test, config):
    if test.kind == "contract" and not config.count_contract:
        return 0.0
    for key, value in config.points.items():
        if case.id.startswith(key) or case.target == key:
            return float(value) if test.points else 0.0
    return test.points


def _result(case, test, config, passed, message, status=None, target=None, warning=""):
    points = _points(case, test, config)
    target = target or test.target or case.target
    return TestResult(
        case_id=case.id, name=f"{target}: {test.name}", target=target, kind=test.kind,
        visibility=case.visibility, group=case.group, score=points if passed else 0.0, max_score=points,
        status=status or ("passed" if passed else "failed"), message=message, hint="" if passed else test.hint,
        warning=warning,
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
    kind, error = reply.get("kind"), reply.get("error", "")
    if kind in ("form", "interrupted"):
        return error
    exc_type, where = reply.get("type", "Exception"), reply.get("where", "")
    at = f" at {where}" if where else ""
    if exc_type == "NotImplementedError":
        return f"not implemented yet (raises NotImplementedError{at})"
    return f"raised {exc_type}{': ' + error if error else ''}{at}"


def _not_checked(culprit, reply, missing=""):
    """Why a test could not be judged: another function of the case failed first."""
    if missing:
        return f"not checked: {missing}"
    if reply.get("kind") == "form":
        return f"not checked: {reply.get('error', f'{culprit} failed')}"
    if reply.get("kind") == "interrupted":
        return f"not checked: {culprit} did not finish ({reply.get('error', '')})"
    if reply.get("type") == "NotImplementedError":
        return f"not checked: {culprit} is not implemented yet"
    return f"not checked: {culprit} raised {reply.get('type', 'an exception')} on this input"


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
    return {"ok": False, "kind": "interrupted", "error": outcome.failures[case_id],
            "partial": progress["partial"], "function": str(progress["function"])}


def _judge_case(case, outcome, found, import_errors, store, config, profile):
    reply = outcome.replies.get(case.id)
    if case.id in outcome.failures:
        reply = _interrupted(outcome, case.id)
        if reply is None:
            return [_result(case, test, config, False, outcome.failures[case.id]) for test in case.tests]
    partial = reply is not None and not reply.get("ok") and isinstance(reply.get("partial"), dict)
    culprit = reply.get("function") if partial else None
    missing = _missing_reason(case, found, import_errors, outcome.manifest.get("broken_defines", {}), culprit)
    # a missing function stops a probe part-way like an exception: what ran before it is still judged
    if missing and not (partial and culprit not in found):
        # nothing of the case could run: its tests are reported under the case's own target
        return [_result(case, test, config, False, missing, target=case.target) for test in case.tests]
    if reply is None:
        return [_result(case, test, config, False, "no result was produced") for test in case.tests]
    if not reply.get("ok"):
        reason = missing or _reply_error(case, reply)  # a missing function stopped the probe part-way
        if not culprit or not partial:
            return [_result(case, test, config, False, reason) for test in case.tests]
    inputs = adapt_inputs(fixture_store.make_inputs(case, store.hidden_seed), profile)  # what the code was given
    expected = store.expected_for(case)
    broken = outcome.manifest.get("broken_defines", {})
    verdicts = []
    for test in case.tests:
        target = test.target or case.target
        if culprit is None:
            verdicts.append(_verdict(test, reply["outputs"], expected, inputs))
        elif target == culprit:  # the function that failed: the test says how
            verdicts.append(Verdict(False, reason))
        elif target not in found:  # missing too (the probe stopped before it)
            verdicts.append(Verdict(False, _missing_reason(case, found, import_errors, broken, target)))
        else:  # another function failed: judged on what the probe got before, if that is all it needs
            outputs = _Partial(reply["partial"])
            verdict = _verdict(test, outputs, expected, inputs)
            verdicts.append(Verdict(False, _not_checked(culprit, reply, missing)) if outputs.missed else verdict)
    results = []
    for test, verdict in zip(case.tests, verdicts):
        if test.kind in UNCREDITED_ALONE and verdict.passed and not _works(case, test, verdicts, culprit):
            # Leaving the inputs alone earns nothing while the function itself does not work yet.
            verdict = Verdict(False, "not credited until the function's other checks on this input pass")
        if verdict.passed and verdict.warning and config.count_contract:
            verdict = Verdict(False, f"{verdict.warning} (contract details count in this course)")
        results.append(_result(case, test, config, verdict.passed, verdict.message if not verdict.passed else "",
                               warning=verdict.warning if verdict.passed else ""))
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

