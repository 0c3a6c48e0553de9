"""The student template, generated from the reference: each marked solution region becomes ``pass``.

Everything between a START line and its END line is dropped and replaced by ``pass`` at the same
indentation; the code around a region (``out = None`` before it, ``return out, cache`` after it, the
docstring and the TODO comment) is what the student starts from. Provided files are copied unchanged.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from . import paths

START = paths.SOLUTION_START
END = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
COPIED_SUFFIXES = (".py", ".pyx")


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
    """Relative path -> file content (text or bytes) of the template package."""
    ref = paths.reference_dir()
    files = {}
    for path in sorted(ref.rglob("*")):
        rel = path.relative_to(ref)
        if path.is_dir() or "__pycache__" in rel.parts or path.suffix not in COPIED_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8")
        files[str(Path("cs231n") / rel)] = stub_source(text, str(rel)) if START in text else text
    digits = paths.fixtures_dir() / "datasets" / "digits.npz"
    files["cs231n/datasets/digits.npz"] = digits.read_bytes()
    return files


def _write(folder: Path, files: dict):
    for rel, content in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def template_dir() -> Path:
    return paths.reference_dir().parent.parent / "student_template"


def build(out_dir=None) -> Path:
    """Write the template's package folder (replacing the previous one in one step)."""
    out_dir = Path(out_dir) if out_dir else template_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".build-") as tmp:
        _write(Path(tmp), render())
        target = out_dir / "cs231n"
        old = out_dir / ".cs231n-old"
        if target.exists():
            target.rename(old)
        Path(tmp, "cs231n").rename(target)
        shutil.rmtree(old, ignore_errors=True)
    return out_dir


def check(out_dir=None) -> list:
    """Differences between the committed template package and what :func:`build` would write."""
    out_dir = Path(out_dir) if out_dir else template_dir()
    want = render()
    problems = []
    for rel, content in want.items():
        path = out_dir / rel
        if not path.exists():
            problems.append(f"{rel} is missing")
            continue
        have = path.read_bytes()
        if have != (content if isinstance(content, bytes) else content.encode("utf-8")):
            problems.append(f"{rel} differs from the reference it is generated from")
    package = out_dir / "cs231n"
    if package.exists():
        for path in sorted(package.rglob("*")):
            rel = str(path.relative_to(out_dir))
            if path.is_file() and "__pycache__" not in rel and not path.name.endswith((".so", ".c")) and rel not in want:
                problems.append(f"{rel} is not generated from the reference (remove it)")
    return problems
