"""Shared test setup: the reference library is importable as ``cs231n``, as in the notebooks."""
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
if str(REFERENCE) not in sys.path:
    sys.path.insert(0, str(REFERENCE))


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
