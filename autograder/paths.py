"""Where the trusted files are: in a source checkout (editable install) or inside the installed package.

Three trees, each with one source in the repository and one subpackage when installed:

* ``provided/`` (``autograder._provided``): the provided files of the assignment (fast layers, im2col and its
  compiled extension, layer_checks, solver, gradient_check, data_utils, vis_utils). Every edition has them.
* ``reference/cs231n`` (``autograder._reference``): the solutions. The student edition of the checker does
  not have them: whatever needs them (building fixtures, the template) says so instead of failing.
* ``fixtures/`` (``autograder._fixtures``): the reference's outputs; the student edition has the public ones.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

SOLUTION_START = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent
PROVIDED_SUFFIXES = (".py", ".pyx")
"""Source files of the provided tree (its compiled extension is found separately)."""


def package_dir() -> Path:
    """The ``autograder`` package's own folder (its code and package data), whichever subpackage asks."""
    return _PACKAGE


class ReferenceMissing(FileNotFoundError):
    """The reference solutions are not installed (the student edition, or a broken install)."""


def _first(candidates, marker):
    return next((c for c in candidates if (c / marker).is_file()), None)


def reference_dir(*, missing_ok: bool = False) -> Path | None:
    """The reference ``cs231n`` package folder: the installed package data, else the source checkout's (None when
    ``missing_ok`` and there is none)."""
    found = _first((_PACKAGE / "_reference", _CHECKOUT / "reference" / "cs231n"), "layers.py")
    if found is None and not missing_ok:
        raise ReferenceMissing(
            "the reference solutions are not installed: this is the student edition of the autograder (it runs "
            "the public checks only), or an incomplete install; reinstall the full package with `pip install .`")
    return found


def provided_dir() -> Path:
    """The folder of the trusted provided files."""
    found = _first((_PACKAGE / "_provided", _CHECKOUT / "provided"), "fast_layers.py")
    if found is None:
        raise FileNotFoundError("the provided files (fast_layers.py, solver.py...) were not found; "
                                "reinstall the package with `pip install .`")
    return found


def fixtures_dir() -> Path:
    """The fixtures folder (``AUTOGRADER_FIXTURES`` overrides it, e.g. for a course's own hidden fixtures)."""
    if os.environ.get("AUTOGRADER_FIXTURES"):
        return Path(os.environ["AUTOGRADER_FIXTURES"])
    for candidate in (_PACKAGE / "_fixtures", _CHECKOUT / "fixtures"):
        if (candidate / "manifest.json").is_file():
            return candidate
    return _CHECKOUT / "fixtures" if (_CHECKOUT / "reference").is_dir() else _PACKAGE / "_fixtures"


def digits_path() -> Path:
    """The shipped digits dataset (``datasets/digits.npz`` of the project's fixtures, whatever overrides those)."""
    found = _first((_PACKAGE / "_fixtures" / "datasets", _CHECKOUT / "fixtures" / "datasets"), "digits.npz")
    return (found or _PACKAGE / "_fixtures" / "datasets") / "digits.npz"


def is_student_file(path: Path) -> bool:
    """A file holds student code when it has a marked solution region."""
    return SOLUTION_START in path.read_text(encoding="utf-8")


def provided_sources() -> dict:
    """File name -> path of every provided source file (``.py`` and the Cython ``.pyx``), as students get them."""
    folder = provided_dir()
    return {p.name: p for p in sorted(folder.iterdir())
            if p.suffix in PROVIDED_SUFFIXES and p.is_file() and p.name != "__init__.py"}


@lru_cache(maxsize=None)
def provided_files() -> dict:
    """File name -> trusted path of every provided module and of its compiled extension (what the grader installs
    into a submission: the ``.pyx`` source is not needed to run)."""
    files = {name: path for name, path in provided_sources().items() if path.suffix == ".py"}
    folder = provided_dir()
    for ext in sorted(folder.glob("im2col_cython*.so")) + sorted(folder.glob("im2col_cython*.pyd")):
        files[ext.name] = ext
    return files


def reference_package_files() -> dict:
    """Relative path -> file of the complete reference package as students' ``cs231n/`` holds it: the solution
    files of ``reference/cs231n`` and the provided files (without the reference's ``__init__.py``, which only
    joins the two trees; a copy gets an empty one)."""
    ref = reference_dir()
    files = {p.relative_to(ref).as_posix(): p for p in sorted(ref.rglob("*"))
             if p.is_file() and p.suffix in PROVIDED_SUFFIXES and "__pycache__" not in p.parts}
    del files["__init__.py"]
    files.update(provided_sources())
    return dict(sorted(files.items()))


def copy_reference_package(dest) -> Path:
    """Write the complete reference package (solutions and provided files) as a plain folder ``dest``, as a
    student's finished ``cs231n/`` would be; returns ``dest``."""
    import shutil

    dest = Path(dest)
    for rel, path in reference_package_files().items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (dest / "__init__.py").write_text("")
    return dest
