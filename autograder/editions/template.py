"""The student template, generated from the reference: each marked solution region becomes ``pass``.

Everything between a START line and its END line is dropped and replaced by ``pass`` at the same
indentation; the code around a region (``out = None`` before it, ``return out, cache`` after it, the
docstring and the TODO comment) is what the student starts from. Provided files are copied unchanged from
``provided/`` (:func:`autograder.paths.provided_sources`), and ``cs231n/__init__.py`` is empty.

Besides the ``cs231n/`` package the template holds the notebooks (built from ``reference/notebooks/*.py``
with their solution regions stubbed the same way, see :mod:`autograder.editions.notebook_sources`), the offline digits
data, ``cs231n/datasets/get_datasets.sh`` for CIFAR-10, and the students' README, requirements,
pyproject.toml + setup.py (``pip install -e .`` builds the Cython layers in place) and the pytest
configuration that runs the grader's public checks (``autograder/template_files/``).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from . import notebook_sources
from .. import paths

START = paths.SOLUTION_START
END = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
FILES_DIR = paths.package_dir() / "template_files"
STUDENT_FILES = {
    "README.md": "README.md",
    "conftest.py": "conftest.py",
    "pytest.ini": "pytest.ini",
    "requirements.txt": "requirements.txt",
    "pyproject.toml": "pyproject.toml",
    "setup.py": "setup.py",
    "cs231n/datasets/get_datasets.sh": "get_datasets.sh",
}
"""Template path -> file in ``autograder/template_files`` (copied as it is)."""
EXECUTABLE = ("cs231n/datasets/get_datasets.sh",)
CHECKER_DIR = "checker"
"""Folder of the student bundle that holds the checker's wheel (``autograder student build``)."""
IGNORED_DIRS = ("__pycache__", "build")
IGNORED_SUFFIXES = (".so", ".pyd", ".c", ".pyc")


class TemplateError(Exception):
    """A solution region is malformed (an END without START, nested or unclosed regions)."""


def stub_source(text: str, name: str = "<source>") -> str:
    """Replace every solution region's body by ``pass``, keeping the START/END lines."""
    out, inside, indent = [], False, ""
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped == START:
            if inside:
                raise TemplateError(f"{name}:{number}: a region starts inside another region")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out += [line, f"{indent}pass\n"]
        elif stripped == END:
            if not inside:
                raise TemplateError(f"{name}:{number}: END line without a START line")
            inside = False
            out.append(line)
        elif not inside:
            out.append(line)
    if inside:
        raise TemplateError(f"{name}: a region is not closed")
    return "".join(out)


def render() -> dict:
    """Relative path -> file content (text or bytes) of the whole template folder."""
    files = {"cs231n/__init__.py": ""}
    for rel, path in paths.reference_package_files().items():
        text = path.read_text(encoding="utf-8")
        files[f"cs231n/{rel}"] = stub_source(text, rel) if START in text else text
    files["cs231n/datasets/digits.npz"] = paths.digits_path().read_bytes()
    for rel, source in STUDENT_FILES.items():
        files[rel] = (FILES_DIR / source).read_text(encoding="utf-8")
    files["requirements.txt"] = files["requirements.txt"].replace("{checker_wheel}", checker_wheel_path())
    files.update(notebook_sources.render(stub_source))
    return dict(sorted(files.items()))


def _write(folder: Path, files: dict):
    for rel, content in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        if rel in EXECUTABLE:
            target.chmod(0o755)


def template_dir() -> Path:
    return paths.reference_dir().parent.parent / "student_template"


def checker_wheel_path() -> str:
    """Where the student bundle puts the student edition's wheel, relative to the template folder (the line of
    ``requirements.txt`` that installs it; see :mod:`autograder.editions.student_bundle`)."""
    from .distribution import wheel_name

    return f"./{CHECKER_DIR}/{wheel_name()}"


def _ignored(rel: Path) -> bool:
    """Files a student or a local run makes, and the student bundle's checker, which are neither generated nor
    checked."""
    return (any(part.startswith(".") or part in IGNORED_DIRS for part in rel.parts) or rel.parts[0] == CHECKER_DIR
            or rel.suffix in IGNORED_SUFFIXES or rel.parts[:3] == ("cs231n", "datasets", "cifar-10-batches-py"))


def _extra_files(out_dir: Path, want: dict) -> list:
    return [path for path in sorted(out_dir.rglob("*"))
            if path.is_file() and not _ignored(path.relative_to(out_dir)) and str(path.relative_to(out_dir)) not in want]


def build(out_dir=None) -> Path:
    """Write the template folder: each generated top-level entry is replaced in one step, stale files removed."""
    out_dir = Path(out_dir) if out_dir else template_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    files = render()
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".build-") as tmp:
        _write(Path(tmp), files)
        for top in sorted({Path(rel).parts[0] for rel in files}):
            _replace(Path(tmp, top), out_dir / top)
    for path in _extra_files(out_dir, files):
        path.unlink()
    return out_dir


def _replace(new: Path, target: Path):
    if new.is_dir() and target.exists():
        old = target.with_name(f".{target.name}-old")
        target.rename(old)
        new.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


def check(out_dir=None) -> list:
    """Differences between the committed template folder and what :func:`build` would write."""
    out_dir = Path(out_dir) if out_dir else template_dir()
    want = render()
    problems = []
    for rel, content in want.items():
        path = out_dir / rel
        if not path.exists():
            problems.append(f"{rel} is missing")
            continue
        if path.read_bytes() != (content if isinstance(content, bytes) else content.encode("utf-8")):
            problems.append(f"{rel} differs from the reference it is generated from")
        elif rel in EXECUTABLE and not os.access(path, os.X_OK):
            problems.append(f"{rel} is not executable")
    problems += [f"{path.relative_to(out_dir)} is not generated from the reference (remove it)"
                 for path in _extra_files(out_dir, want)]
    return problems
