"""Where the trusted files are: in a source checkout (editable install) or inside the installed package."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

SOLUTION_START = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def reference_dir() -> Path:
    """The reference ``cs231n`` package folder: the installed package data, else the source checkout's."""
    for candidate in (_PACKAGE / "_reference", _CHECKOUT / "reference" / "cs231n"):
        if (candidate / "layers.py").is_file():
            return candidate
    raise FileNotFoundError("the reference library was not found; reinstall the package with `pip install .`")


def fixtures_dir() -> Path:
    """The fixtures folder (``AUTOGRADER_FIXTURES`` overrides it, e.g. for a course's own hidden fixtures)."""
    if os.environ.get("AUTOGRADER_FIXTURES"):
        return Path(os.environ["AUTOGRADER_FIXTURES"])
    for candidate in (_PACKAGE / "_fixtures", _CHECKOUT / "fixtures"):
        if (candidate / "manifest.json").is_file():
            return candidate
    return _CHECKOUT / "fixtures" if (_CHECKOUT / "reference").is_dir() else _PACKAGE / "_fixtures"


def is_student_file(path: Path) -> bool:
    """A reference file holds student code when it has a marked solution region."""
    return SOLUTION_START in path.read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def provided_files() -> dict:
    """File name -> trusted path, for every provided module of the reference and its compiled extension."""
    ref = reference_dir()
    files = {p.name: p for p in sorted(ref.glob("*.py")) if p.name != "__init__.py" and not is_student_file(p)}
    for ext in sorted(ref.glob("im2col_cython*.so")) + sorted(ref.glob("im2col_cython*.pyd")):
        files[ext.name] = ext
    return files
