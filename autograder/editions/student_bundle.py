"""The student bundle: what a course hands out (``autograder student build --out DIR``).

``DIR`` is the student template (exactly as ``autograder template build`` writes it) plus, in
``DIR/checker/``, the student edition of the checker as a pure-Python wheel that the template's
``requirements.txt`` installs by relative path. The student edition is the grader's own code (the pytest
plugin, the catalog, the sandboxed child), the trusted provided files (``autograder._provided``) and the
public fixtures, so ``pytest`` in the template gives the verdicts and messages ``autograder grade
--public-only`` gives. It holds no reference solution (``autograder._reference``, the notebooks' sources)
and no hidden fixtures: its manifest lists the public fixtures only. The build refuses to write a wheel in
which a shipped file has a solution region with code in it, or names a hidden fixture.

The wheel is written directly (it is a zip with a ``.dist-info`` folder, PEP 427), reproducibly: fixed
timestamps, sorted members. It has no compiled extension, so it installs on any platform; the fast layers
then run on numpy inside the checker (the template's own ``pip install -e .`` compiles the students' copy).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import atomic, paths
from . import template
from .distribution import STUDENT_DISTRIBUTION, dependencies, version, wheel_name
from ..catalog.fixtures import FILES
from .wheel_writer import wheel_bytes

SUMMARY = "Student edition of the cs231n autograder: the public checks as pytest tests (no reference, no hidden fixtures)."
EXCLUDED_DIRS = ("_reference", "_provided", "_fixtures", "notebooks", "__pycache__")
"""Folders of the installed ``autograder`` package that are not copied as they are (the provided files and
the public fixtures are added separately). Of the rest, the Python modules and ``template_files/`` (the
package data of setup.py) are copied: no compiled file, nothing a developer left lying around."""
ENTRY_POINTS = "[pytest11]\nautograder = autograder.editions.pytest_plugin\n"


class StudentBuildError(Exception):
    """The student edition would ship something it must not (a solution, a hidden fixture)."""


def _package_files() -> dict:
    """``autograder/...`` path -> bytes of the grader's own code and package data."""
    package = paths._PACKAGE
    files = {}
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if (not path.is_file() or rel.parts[0] in EXCLUDED_DIRS or "__pycache__" in rel.parts
                or not (path.suffix == ".py" or rel.parts[0] == "template_files")):
            continue
        files[f"autograder/{rel.as_posix()}"] = path.read_bytes()
    return files


def _provided_files() -> dict:
    files = {"autograder/_provided/__init__.py": (paths.provided_dir() / "__init__.py").read_bytes()}
    for name, path in paths.provided_sources().items():
        if path.suffix == ".py":
            files[f"autograder/_provided/{name}"] = path.read_bytes()
    return files


def _public_fixtures() -> dict:
    """The public fixtures, with a manifest that knows of nothing else."""
    folder = paths.fixtures_dir()
    if not (folder / "manifest.json").is_file():
        raise StudentBuildError(f"no fixtures in {folder}; run `autograder fixtures build`")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    public = FILES["public"]
    data = (folder / public).read_bytes()
    if hashlib.sha256(data).hexdigest() != manifest["files"].get(public):
        raise StudentBuildError(f"{folder / public} does not match its manifest; run `autograder fixtures build`")
    student_manifest = {
        "format": manifest["format"], "generator": manifest.get("generator", ""), "numpy": manifest.get("numpy"),
        "edition": "student: public fixtures only",
        "files": {public: manifest["files"][public]}, "keys": {"public": manifest["keys"]["public"]},
    }
    return {
        "autograder/_fixtures/__init__.py": b"",
        "autograder/_fixtures/manifest.json": (json.dumps(student_manifest, indent=1, sort_keys=True) + "\n").encode(),
        f"autograder/_fixtures/{public}": data,
        "autograder/_fixtures/datasets/digits.npz": paths.digits_path().read_bytes(),
    }


def _hidden_keys() -> list:
    manifest = json.loads((paths.fixtures_dir() / "manifest.json").read_text(encoding="utf-8"))
    return manifest.get("keys", {}).get("hidden", [])


def edition_files() -> dict:
    """Path in the wheel -> bytes of every file of the student edition (without its ``.dist-info``)."""
    files = {**_package_files(), **_provided_files(), **_public_fixtures()}
    _refuse_secrets(files)
    return dict(sorted(files.items()))


def _refuse_secrets(files: dict):
    hidden = [key.encode() for key in _hidden_keys()]
    for name, data in files.items():
        if Path(name).name == FILES["hidden"]:
            raise StudentBuildError(f"{name}: the hidden fixtures must not be shipped to students")
        if any(key in data for key in hidden):
            raise StudentBuildError(f"{name} names a hidden fixture; it must not be shipped to students")
        if name.endswith((".py", ".pyx")):
            text = data.decode("utf-8")
            if template.stub_source(text, name) != text:
                raise StudentBuildError(f"{name} has a solution region with code in it; it must not be shipped")


def _metadata() -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {STUDENT_DISTRIBUTION}", f"Version: {version()}",
             f"Summary: {SUMMARY}", "Requires-Python: >=3.11"]
    lines += [f"Requires-Dist: {requirement}" for requirement in dependencies()]
    return "\n".join(lines) + "\n"


def render_wheel() -> bytes:
    """The student edition's wheel, byte for byte reproducible."""
    files = edition_files()
    info = f"{STUDENT_DISTRIBUTION.replace('-', '_')}-{version()}.dist-info"
    files[f"{info}/METADATA"] = _metadata().encode()
    files[f"{info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: autograder student build\nRoot-Is-Purelib: true\n"
                              f"Tag: py3-none-any\n").encode()
    files[f"{info}/entry_points.txt"] = ENTRY_POINTS.encode()
    files[f"{info}/top_level.txt"] = b"autograder\n"
    return wheel_bytes(files, info)


def build(out_dir) -> Path:
    """Write the student bundle into ``out_dir``: the template, then ``checker/<wheel>``; returns the wheel."""
    out_dir = Path(out_dir)
    paths.reference_dir()  # the template is cut from it: say so first when it is missing
    wheel = render_wheel()  # before writing anything, so that a refused build leaves nothing half-written
    template.build(out_dir)
    target = out_dir / template.CHECKER_DIR / wheel_name()
    atomic.write_bytes(target, wheel)
    for stale in target.parent.glob("*.whl"):
        if stale != target:
            stale.unlink()
    return target
