"""Shared test setup: the reference library is importable as ``cs231n``, as in the notebooks."""
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
if str(REFERENCE) not in sys.path:
    sys.path.insert(0, str(REFERENCE))

QUICK_BUILD = {"CFLAGS": "-O0 -g0"}
"""The environment of the tests that build a wheel or an editable install (the package's, the template's, the
Gradescope bundle's): the Cython kernels compiled without optimisation or debug information, about 3 s of the
compiler instead of 13 (setup.py leaves the level to CFLAGS that set one). What those tests assert is that the build
works and its kernels load and agree with the naive layers, not their speed, which test_fast_layers and the
benchmarks measure on the -O3 build of the editable install."""


def rel_error(x, y):
    """The notebooks' relative error: max |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


@pytest.fixture
def rng_seed():
    """Seed numpy's global state (the notebooks draw from it) and restore it afterwards."""
    state = np.random.get_state()
    np.random.seed(231)
    yield 231
    np.random.set_state(state)


@pytest.fixture
def make_submission(tmp_path):
    """Write a submission: the reference package with code appended to some of its files.

    Appended definitions replace the reference's (``{"layers.py": "def relu_forward(x): ..."}``), which is how
    the tests plant bugs and hostile code while keeping every other function correct.
    """
    import textwrap

    from autograder import paths

    def make(appends=None, name="submission"):
        root = tmp_path / name
        paths.copy_reference_package(root / "cs231n")
        for rel, code in (appends or {}).items():
            with open(root / "cs231n" / rel, "a", encoding="utf-8") as handle:
                handle.write("\n\n" + textwrap.dedent(code))
        return root

    return make


def grade_catalog_only(*args, **kwargs):
    """``autograder.grading.pipeline.grade`` with the catalog's checks only: notebook checks (of any notebooks beside the
    code) are tested on their own in test_notebooks*.py."""
    from autograder.grading.pipeline import grade

    report = grade(*args, **kwargs)
    report.results = [r for r in report.results if r.group != "notebooks"]
    return report


def shared_once(tmp_path_factory, name, make):
    """A folder that ``make(folder)`` fills once per test session, shared by every xdist worker.

    The first worker to get here calls ``make`` (holding a file lock) in the session's common temporary folder (the
    parent of each worker's, as pytest-xdist's docs show for session fixtures); the others wait and reuse it. A
    ``.done`` marker is written only after ``make`` returns, so a failed ``make`` is retried rather than half-read.
    Returns the folder; callers that change what is in it must copy it first.
    """
    import fcntl
    import os
    import shutil

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    folder, done = shared / f"shared-{name}", shared / f"shared-{name}.done"
    with open(shared / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            make(folder)
            done.touch()
    return folder



# ----------------------------------------------------------------------------- how `pytest -n 2` shares the work
SCHEDULED_FIRST = (
    "test_student_template.py", "test_notebooks_execute.py", "test_gradescope.py", "test_class_batch.py",
    "test_install.py", "test_benchmarks.py", "test_hostile.py", "test_student_bundle.py", "test_correct_variants.py",
    "test_pytest_plugin.py", "test_shards.py", "test_corpus.py", "test_fixtures_and_template.py", "test_isolation.py",
    "test_pipeline_unchanged.py", "test_platforms.py", "test_solver.py", "test_contract_bugs.py",
)
"""Test files by their longest piece of work (one test, or the whole file where it is in :data:`ONE_WORKER`),
longest first, as measured with ``--durations`` (docs/measured/test-suite.md). Under ``pytest -n`` the workers take
the work in this order, so that no long test starts last while the other worker has nothing left; every other file
follows in collection order. Each file's tests keep their order (its module fixtures are set up once per worker)."""

ONE_WORKER = {
    "test_gradescope.py": "the bundle (a wheel that compiles) and the Gradescope root setup.sh installs",
    "test_class_batch.py": "the class batch",
    "test_hostile.py": "the hostile batch",
    "test_correct_variants.py": "the variants' batch",
    "test_fixtures_and_template.py": "the fixtures build",
    "test_shards.py": "the unsharded batch",
    "test_similarity.py": "the class of independent solutions and copies",
    "test_agreement_oracle.py": "the judged corpus (with PyTorch only)",
    "test_student_template.py": "the students' executed notebooks (student_notebooks.py), shared with the next file",
    "test_notebooks_execute.py": "the students' executed notebooks, which the grader re-executes",
}
"""Files whose tests share work made once per session (``shared_once``) or per module: under ``pytest -n`` all of a
file's tests go to one worker, which makes it once, instead of the other worker waiting on the lock (or making a
module fixture a second time) while it could run other tests."""

SAME_UNIT = {"test_notebooks_execute.py": "test_student_template.py"}
"""Files of :data:`ONE_WORKER` whose tests join another file's unit, because they read the same once-made work."""


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SCHEDULED_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep collection order


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``pytest -n N`` (xdist's default ``--dist load``): load balancing one test at a time in the order above, with
    the tests of each :data:`ONE_WORKER` file as one unit. (xdist's own ``--dist loadgroup`` marks do not group
    with pytest 9, whose node ids xdist 3.8 cannot suffix; another ``--dist`` given on the command line is kept.)"""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedWorkScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            file = nodeid.split("::", 1)[0]
            name = Path(file).name
            if name in SAME_UNIT:
                return str(Path(file).with_name(SAME_UNIT[name]))
            return file if name in ONE_WORKER else nodeid

    config.option.loadscopereorder = False  # keep the order of SCHEDULED_FIRST
    return SharedWorkScheduling(config, log)
