"""The 0-point warnings for numpy constructs numpy removed (and Python 2 names Python 3 removed) that a submission's
code used.

The child serves them (:mod:`autograder.child.numpy_compat`, installed there only) and says which ones the student's
files touched, in its manifest (on import) and in its replies (while the checks ran). Each becomes one passing,
0-point line: ``numpy: np.float: Warning (no points lost): np.float was removed in numpy 1.24 and works here only
through the grader's compatibility shim; write float (or np.float64)``.
"""
from __future__ import annotations

from ..child.numpy_compat import BY_KEY, REMOVED
from ..model import TestResult

TARGET = "numpy"
"""The target (and gradebook group) of the warning lines about numpy's constructs."""
PYTHON_TARGET = "python"
"""The target of the warning lines about Python 2's names (``xrange``, ``dict.iteritems``)."""


def used(outcome) -> list:
    """Keys of the removed constructs a run's child reported (its manifest and every reply), in table order."""
    seen = set(outcome.manifest.numpy_compat)
    for reply in outcome.replies.values():
        seen.update(reply.numpy_compat or ())
    return [r.key for r in REMOVED if r.key in seen]


def message(key) -> str:
    """What the warning says about one construct."""
    removed = BY_KEY[key]
    return (f"{key} was removed in {removed.library} {removed.removed_in} and works here only through the grader's "
            f"compatibility shim; write {removed.modern}")


def results(outcome) -> list:
    """One 0-point warning result per removed construct the student's code used."""
    return [_warning(key, TARGET if BY_KEY[key].library == "numpy" else PYTHON_TARGET) for key in used(outcome)]


def _warning(key, target):
    return TestResult(f"{target}_compat/{key}", f"{target}: {key}", target, "contract", "public", target, 0.0, 0.0,
                      "passed", warning=message(key))
