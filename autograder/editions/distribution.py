"""The grader's distributions: the full grader's version and run-time dependencies (from its installed metadata or
its pyproject.toml) and the file name of the student edition's wheel, which the student bundle writes and the
template's ``requirements.txt`` installs.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import metadata

from .. import paths

DISTRIBUTION = "cs231n-autograder"
STUDENT_DISTRIBUTION = "cs231n-autograder-student"


@lru_cache(maxsize=1)
def _dist_info() -> tuple:
    """(version, dependencies) of the full autograder, from its installed metadata or its pyproject.toml."""
    try:
        return metadata.version(DISTRIBUTION), tuple(metadata.requires(DISTRIBUTION) or ())
    except metadata.PackageNotFoundError:
        import tomllib

        project = tomllib.loads((paths._CHECKOUT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        return project["version"], tuple(project["dependencies"])


def version() -> str:
    return _dist_info()[0]


def wheel_name() -> str:
    """The wheel's file name (``cs231n_autograder_student-<version>-py3-none-any.whl``)."""
    return f"{STUDENT_DISTRIBUTION.replace('-', '_')}-{version()}-py3-none-any.whl"


def dependencies() -> list:
    """The full autograder's run-time dependencies, without Cython (nothing is compiled) and copydetect (the
    instructors' similarity report), plus pytest."""
    wanted = [r for r in _dist_info()[1] if "extra ==" not in r and not re.match(r"(?i)(cython|copydetect)\b", r)]
    return wanted + ["pytest>=8"]
