"""The grader's checks as pytest tests: one test per check, with the verdict and message ``autograder grade`` gives.

Registered through the ``pytest11`` entry point, so it is loaded in every pytest run of an environment where the
autograder is installed; it does nothing unless a submission is named, either on the command line
(``pytest --submission PATH``) or by the ini option ``autograder_submission`` (the student template's
``pytest.ini`` names its own folder).

Collection: the submission's main package folder (``cs231n/``; a zip file itself) becomes a collector whose
children are the checked functions (``affine_backward``) and whose grandchildren are their checks
(``numerical gradient: dw``), so ``-k conv`` selects by function or check name (never by a case's group or id)
and ``-m gradient`` by kind. Only the public
checks are collected, unless the instructor passes fixtures that hold the hidden ones.

Running: grading is done by :func:`autograder.grading.pipeline.grade` in its sandboxed child process, once per batch: the
first check run in a pytest process grades every check that process is about to run (all the selected ones
without xdist; the ones queued on the worker with ``pytest -n``), and each test then reports its own
:class:`~autograder.model.TestResult`. A summary at the end previews the score.
"""
from __future__ import annotations

import os
import re
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pytest

from ..model import KINDS

STATE = pytest.StashKey["_State"]()
PROPERTY = "autograder"
NOTES = "autograder-notes"


def pytest_addoption(parser):
    """Every option has an ini twin (``--autograder-profile`` / ``autograder_profile``); the command line wins.
    The older spellings ``--submission``, ``--instructor-fixtures`` and ``--hidden`` keep working."""
    group = parser.getgroup("autograder", "autograder: the grader's checks as tests")
    group.addoption("--autograder-submission", "--submission", dest="autograder_submission", metavar="PATH",
                    help="Run the grader's public checks against this submission (a folder or a .zip).")
    group.addoption("--autograder-profile", dest="autograder_profile", metavar="NAME",
                    help="Course profile (see `autograder profiles`); detected from the submission when omitted.")
    group.addoption("--autograder-config", dest="autograder_config", metavar="TOML",
                    help="Course config of the grader (TOML).")
    group.addoption("--autograder-fixtures", "--instructor-fixtures", dest="autograder_fixtures", metavar="DIR",
                    help="Fixture folder holding hidden.npz: run the hidden checks too (instructors only).")
    group.addoption("--autograder-hidden", "--hidden", dest="autograder_hidden", action="store_true", default=None,
                    help="Run the hidden checks too, with the installed fixtures (instructors only).")
    group.addoption("--autograder-hints", dest="autograder_hints", choices=("full", "concepts", "none"),
                    help="Hints on failed checks: full, concepts (the course config's default) or none.")
    parser.addini("autograder_hints", default="", help="Hints on failed checks: full, concepts or none.")
    parser.addini("autograder_submission", type="paths", default=[],
                  help="Submission folder whose checks are run (relative to the ini file).")
    parser.addini("autograder_profile", default="", help="Course profile (detected when empty).")
    parser.addini("autograder_config", type="paths", default=[], help="Course config of the grader (TOML).")
    parser.addini("autograder_fixtures", type="paths", default=[],
                  help="Fixture folder holding hidden.npz (instructors only; relative to the ini file).")
    parser.addini("autograder_hidden", type="bool", default=False,
                  help="Run the hidden checks too, with the installed fixtures (instructors only).")


@dataclass(frozen=True)
class Options:
    """The plugin's settings, resolved once from the command line and the ini file (the command line wins)."""

    submission: Path | None
    """The submission graded (``--autograder-submission`` / ``autograder_submission``); None: the plugin is idle."""
    profile: str | None
    """The course profile (``--autograder-profile`` / ``autograder_profile``); None: detected."""
    config: Path | None
    """The grader's course config (``--autograder-config`` / ``autograder_config``); None: the defaults."""
    fixtures: Path | None
    """Fixtures holding the hidden checks (``--autograder-fixtures`` / ``autograder_fixtures``)."""
    hidden: bool
    """Whether the hidden checks run (``--autograder-hidden`` / ``autograder_hidden``, or fixtures given)."""
    hints: str | None = None
    """Which hints failures show (``--autograder-hints`` / ``autograder_hints``); None: the course config's."""


def resolve_options(config) -> Options:
    """The plugin's :class:`Options` for a pytest ``config``: each from its command-line option, else its ini twin
    (ini paths are relative to the ini file, command-line paths to the current folder)."""

    def path(name):
        cli = config.getoption(name)
        if cli is not None:
            return Path(cli).resolve()
        ini = config.getini(name)
        return Path(ini[0]).resolve() if ini else None

    fixtures = path("autograder_fixtures")
    hidden = config.getoption("autograder_hidden")
    hidden = bool(config.getini("autograder_hidden")) if hidden is None else bool(hidden)
    return Options(submission=path("autograder_submission"),
                   profile=config.getoption("autograder_profile") or config.getini("autograder_profile") or None,
                   config=path("autograder_config"), fixtures=fixtures, hidden=hidden or fixtures is not None,
                   hints=config.getoption("autograder_hints") or config.getini("autograder_hints") or None)


class CheckFailed(Exception):
    """A check's verdict was 'failed': shown as the grader's message and hint, without a traceback."""

    def __init__(self, result):
        super().__init__(result.message)
        self.result = result


def pytest_configure(config):
    options = resolve_options(config)
    if options.submission is None:
        return
    cli = config.getoption("autograder_submission")  # named on the command line (not by the ini file)
    state = _State.create(options)
    config.stash[STATE] = state
    for kind in KINDS:
        config.addinivalue_line("markers", f"{kind}: autograder checks of kind '{kind}'")
    config.addinivalue_line("markers", "public: autograder checks shipped with the assignment")
    config.addinivalue_line("markers", "hidden: autograder checks on other inputs (instructors only)")
    config.pluginmanager.register(ScorePreview(state), "autograder-score-preview")
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    if cli is not None and not explicit:
        config.args[:] = [str(state.anchor)]
    elif (cli is not None or not explicit) and not _covered(state.anchor, config):
        config.args.append(str(state.anchor))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under ``pytest -n`` (without ``--dist``), deal whole cases round-robin to the workers, all at the start.

    Each worker's queue then holds its whole share, which it grades in one child process (see
    :func:`_upcoming_cases`); xdist's default would hand out a few checks at a time, so that every worker graded
    small batches, most cases twice.
    """
    state = config.stash.get(STATE, None)
    if state is None or config.getvalue("dist") != "load" or _dist_chosen(config):
        return None
    from xdist.scheduler import LoadScopeScheduling

    workers = max(1, len(config.getvalue("tx") or ()))
    groups = {f"{test.target or case.target}::{item_name(test.name)}": f"autograder-{index % workers}"
              for index, case in enumerate(state.cases) for test in case.tests}

    class CaseScheduling(LoadScopeScheduling):
        """Work units: the checks' round-robin shares of the cases (any other test is a unit of its own)."""

        def _split_scope(self, nodeid):
            return groups.get("::".join(nodeid.split("::")[-2:]), nodeid)

    return CaseScheduling(config, log)


def _dist_chosen(config):
    """Whether the user picked an xdist distribution mode (``--dist``) rather than getting ``-n``'s default."""
    args = [*config.invocation_params.args, *os.environ.get("PYTEST_ADDOPTS", "").split(), *config.getini("addopts")]
    return any(str(a).startswith("--dist") or str(a) == "-d" for a in args)


def _covered(path, config):
    base = config.invocation_params.dir
    for arg in config.args:
        arg_path = (base / arg.split("::")[0]).resolve()
        if path == arg_path or arg_path in path.parents:
            return True
    return False


class _State:
    """Everything one pytest process knows about the submission: its config, cases and the grades so far."""

    def __init__(self, submission, anchor, config, fixture_dir, hidden, cases):
        self.submission, self.anchor, self.config = submission, anchor, config
        self.fixture_dir, self.hidden, self.cases = fixture_dir, hidden, cases
        self.results = {}   # (case id, full test name) -> TestResult
        self.graded = {}    # case id -> None, or the exception that stopped its grading
        self.notes = []

    @classmethod
    def create(cls, options: Options):
        from ..catalog import all_cases
        from ..config import ConfigError, load_config
        from ..catalog.fixtures import FixtureError
        from ..catalog.fixtures import load as load_fixtures
        from ..grading.pipeline import selected
        from ..profiles import known_names

        submission, profile, hidden, fixture_dir = options.submission, options.profile, options.hidden, options.fixtures
        if not submission.exists():
            raise pytest.UsageError(f"--submission: {submission} does not exist")
        if profile is not None and profile not in known_names():
            raise pytest.UsageError(f"unknown course profile {profile!r}; known: {', '.join(known_names())}")
        try:
            config = load_config(options.config, profile=profile, include_hidden=hidden)
            if options.hints is not None:
                from ..hints import check_setting

                try:
                    config = replace(config, hints=check_setting(options.hints))
                except ValueError as exc:
                    raise ConfigError(f"autograder_hints: {exc}") from None
            store = load_fixtures(fixture_dir, include_hidden=hidden)
        except (ConfigError, FixtureError) as exc:
            raise pytest.UsageError(str(exc)) from None
        if hidden and not store.has_hidden:
            where = fixture_dir or "the installed fixtures"
            raise pytest.UsageError(f"no hidden fixtures (hidden.npz) in {where}: the hidden checks cannot run")
        cases = [c for c in all_cases() if (c.visibility == "public" or hidden) and selected(c, config.select)]
        return cls(submission, _anchor(submission, config.packages), config, fixture_dir, hidden, cases)

    def result(self, item):
        """The item's TestResult, grading it (with the other checks queued in this process) if needed."""
        if item.case.id not in self.graded:
            # an xdist worker grades its own share in one child: the workers already use the CPUs
            self._grade([item.case.id] + [c for c in _upcoming_cases(item) if c not in self.graded],
                        1 if hasattr(item.session.config, "workerinput") else parallel_children())
        error = self.graded[item.case.id]
        if error is not None:
            raise error
        try:
            return self.results[(item.case.id, item.full_name)]
        except KeyError:
            raise RuntimeError(f"the grader gave no result for {item.full_name!r} (case {item.case.id})") from None

    def _grade(self, case_ids, children=1):
        case_ids = list(dict.fromkeys(case_ids))
        by_id = {c.id: c for c in self.cases}
        shares = [case_ids]
        if children > 1 and all(c in by_id for c in case_ids):
            shares = shares_of([by_id[c] for c in case_ids], children)
        configs = [replace(self.config, select=tuple(_escape(c) for c in share), include_hidden=self.hidden)
                   for share in shares]
        configs[1:] = [without_notebooks(config) for config in configs[1:]]  # the first share checks them
        try:
            reports = grade_shares(self.submission, configs, self.fixture_dir)
        except Exception as exc:  # noqa: BLE001 - every check of the batch reports it
            for case_id in case_ids:
                self.graded[case_id] = exc
            raise
        for report in reports:
            for result in report.results:
                self.results[(result.case_id, result.name)] = result
            notes = list(report.notes) + ([f"The submission could not be graded: {report.error}"] if report.error
                                          else [])
            self.notes.extend(n for n in notes if n not in self.notes)
        for case_id in case_ids:
            self.graded[case_id] = None


def parallel_children() -> int:
    """How many children a pytest run without xdist grades in at once: two where there are two CPUs (students'
    machines have them; the checks' numerical gradients of the models take most of the time), else one."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def shares_of(cases, n) -> list:
    """The ids of ``cases`` in ``n`` shares of about equal work (each in catalog order), largest first; a share is
    graded in a child of its own (:func:`grade_shares`). The work of a case is estimated from its inputs: the
    number of model losses its numerical gradients take, or a training run."""
    if n <= 1 or len(cases) < 2 * n:
        return [[c.id for c in cases]]
    from ..catalog.fixtures import DEFAULT_HIDDEN_SEED, cached_inputs

    def work(case):
        try:
            inputs = cached_inputs(case, DEFAULT_HIDDEN_SEED)
        except Exception:  # noqa: BLE001 - an estimate only
            return 1
        numeric = inputs.get("numeric") or () if isinstance(inputs, dict) else ()
        runs = len(inputs.get("regs") or (None,)) if isinstance(inputs, dict) else 1
        return 1 + 20 * runs * len(numeric) + (20 if case.probe == "train" else 0)

    loads, shares = [0] * n, [[] for _ in range(n)]
    for index, case in sorted(enumerate(cases), key=lambda item: -work(item[1])):
        lightest = loads.index(min(loads))
        loads[lightest] += work(case)
        shares[lightest].append(index)
    return [[cases[i].id for i in sorted(share)] for share in shares if share]


def without_notebooks(config):
    """``config`` checking no notebook (none included, none required)."""
    return replace(config, notebooks={**config.notebooks, "include": []},
                   required=replace(config.required, notebooks=None))


def grade_shares(submission, configs, fixture_dir=None) -> list:
    """:func:`grade_subset` of each config, at once (one thread each: the children compute, the threads mostly
    wait for them); the reports in order. The first exception raised is raised once all have finished."""
    if len(configs) == 1:
        return [grade_subset(submission, configs[0], fixture_dir)]
    import threading

    reports, errors = [None] * len(configs), []

    def one(i):
        try:
            reports[i] = grade_subset(submission, configs[i], fixture_dir)
        except Exception as exc:  # noqa: BLE001 - raised below, in the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(1, len(configs))]
    for thread in threads:
        thread.start()
    one(0)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return reports


def grade_subset(submission, config, fixture_dir=None):
    """:func:`autograder.grading.pipeline.grade` on the selected cases (the grader detects the course profile from the
    submission's classes even when only a few cases are selected).

    Without trusted layers (the student edition ships no reference code): models and sandwich layers are checked
    over the student's own layers, and their failure messages say that the grader checks them over trusted ones.
    """
    from ..grading.pipeline import grade

    return grade(submission, config=config, fixture_dir=fixture_dir, trusted_layers=False)


def _escape(name):
    """A shell pattern that matches exactly ``name``."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _anchor(submission, packages):
    """The path the checks are collected under: the main package folder (``cs231n/``), or the zip itself."""
    from ..sandbox.submission import SubmissionError, find_layout

    if not submission.is_dir():
        return submission
    try:
        layout = find_layout(submission, packages)
    except SubmissionError:
        return submission  # grading reports why; the checks still appear
    return layout.root.resolve() if layout.inside else (layout.root / layout.packages[0]).resolve()


def _upcoming_cases(item):
    """Case ids of the checks this process will run next: all selected ones, or those queued on this xdist worker."""
    session = item.session
    worker = _xdist_worker(session.config)
    if worker is None:
        items = session.items
    else:
        try:
            with worker.torun.lock() as queued:
                indices = [worker.nextitem_index, *queued]
            items = [session.items[i] for i in indices if isinstance(i, int)]
        except (AttributeError, TypeError, IndexError):  # another xdist: grade the item's function at least
            items = [i for i in session.items if isinstance(i, CheckItem) and i.parent is item.parent]
    return [i.case.id for i in items if isinstance(i, CheckItem)]


def _xdist_worker(config):
    if not hasattr(config, "workerinput"):
        return None
    for plugin in config.pluginmanager.get_plugins():
        if hasattr(plugin, "torun") and hasattr(plugin, "nextitem_index"):
            return plugin
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path, parent):
    state = parent.config.stash.get(STATE, None)
    if state is not None and path == state.anchor:
        return SubmissionDir.from_parent(parent, path=path, nodeid=_nodeid(path, parent.config))
    return None


def pytest_collect_file(file_path, parent):
    state = parent.config.stash.get(STATE, None)
    if state is not None and file_path == state.anchor:
        return SubmissionFile.from_parent(parent, path=file_path, nodeid=_nodeid(file_path, parent.config))
    return None


def _nodeid(path, config):
    rel = os.path.relpath(path, config.rootpath)
    return (path.name if rel == "." else rel).replace(os.sep, "/")


class _Checks:
    """Collects one :class:`TargetChecks` per checked function, in catalog order."""

    def collect(self):
        targets = {}
        for case in self.config.stash[STATE].cases:
            for test in case.tests:
                targets.setdefault(test.target or case.target, []).append((case, test))
        for target, checks in targets.items():
            yield TargetChecks.from_parent(self, name=target, nodeid=f"{self.nodeid}::{target}", checks=checks)


class SubmissionDir(_Checks, pytest.Directory):
    """The submission's main package folder: its children are the checked functions, not its files."""


class SubmissionFile(_Checks, pytest.File):
    """A zipped submission."""


class TargetChecks(pytest.Collector):
    """The checks of one function or class (``affine_backward``)."""

    def __init__(self, *, checks, **kwargs):
        super().__init__(**kwargs)
        self.checks = checks  # [(case, test)]

    def collect(self):
        for case, test in self.checks:
            item = CheckItem.from_parent(self, name=item_name(test.name), case=case, test=test)
            item.add_marker(test.kind)
            item.add_marker(case.visibility)
            yield item


def item_name(test_name):
    """A node-id-safe, still readable name for a check: no ``::``, path separators or brackets."""
    name = test_name.replace("::", ":").replace("[", "(").replace("]", ")")
    return re.sub(r"[/\\\n\r\t]", "|", name)


class ContractWarning(UserWarning):
    """A contract detail the assignment never tests differs (float64 out for float32 in, a shape that differs
    only by singleton dimensions); the check passed and no points are lost unless the course counts them."""


class CheckItem(pytest.Item):
    """One check of the catalog: passes, fails or is skipped (not assigned in the course) as the grader says."""

    def __init__(self, *, case, test, **kwargs):
        super().__init__(**kwargs)
        self.case, self.test = case, test
        self.full_name = f"{test.target or case.target}: {test.name}"
        # No extra keywords: ``-k`` matches the function's and the check's names (and pytest's markers) only, so
        # ``-k affine`` does not also run relu_forward's checks because their case group is "affine_relu".

    def runtest(self):
        result = self.config.stash[STATE].result(self)
        self.user_properties.append((PROPERTY, asdict(result)))
        self.user_properties.append((NOTES, list(self.config.stash[STATE].notes)))
        if result.status == "not_applicable":
            raise pytest.skip.Exception(result.message, _use_item_location=True)
        if result.status != "passed":
            raise CheckFailed(result)
        if result.warning:
            warnings.warn(ContractWarning(f"{self.full_name}: {result.warning} (no points lost)"), stacklevel=1)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckFailed):
            result = excinfo.value.result
            from ..hints import failure_text

            return failure_text(result)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, self.full_name


class ScorePreview:
    """Adds up the checks' points from the test reports (also those of xdist workers) and prints a preview."""

    def __init__(self, state):
        self.state = state
        self.results = {}  # nodeid -> the TestResult fields
        self.notes = []    # the grader's notes, from every process

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            for name, value in report.user_properties:
                if name == PROPERTY:
                    self.results[report.nodeid] = value
                elif name == NOTES:
                    self.notes.extend(n for n in value if n not in self.notes)

    def pytest_terminal_summary(self, terminalreporter):
        if not self.results:
            return
        graded = [r for r in self.results.values() if r["status"] != "not_applicable"]
        passed = sum(r["status"] == "passed" for r in graded)
        earned = sum(r["score"] for r in graded)
        possible = sum(r["max_score"] for r in graded)
        skipped = len(self.results) - len(graded)
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "autograder score preview")
        write(f"{passed} of {len(graded)} checks passed: {earned:g} / {possible:g} points"
              + (f" ({skipped} not assigned in this course)" if skipped else ""))
        if self.state.hidden:
            write("These are the public and the hidden checks.")
        else:
            write("Only the public checks ran here; the grader also runs hidden checks on other inputs, "
                  "so the final score can be lower.")
        total = sum(len(c.tests) for c in self.state.cases)
        if len(self.results) < total:
            write(f"Only {len(self.results)} of the {total} checks ran (a -k/-m selection or a stopped run).")
        verbose = terminalreporter.config.getoption("verbose") > 0
        for note in self.notes:
            if verbose or not note.startswith("sandbox"):
                write(f"note: {note}")
