"""The grader's acceptance corpus: realistic submissions generated from the reference at test time.

Nothing large is committed: :mod:`tests.corpus.layouts` writes the reference library as each package
layout that real courses use (and as zips, nested uploads, configured layouts, edited provided files...),
and :mod:`tests.corpus.bugs` lists realistic student bugs as textual edits of the reference source. This
module holds the source tools both use: reading the reference, editing one function, stubbing solution
regions.
"""
from __future__ import annotations

import ast
import re
import shutil
import zipfile
from pathlib import Path

from autograder import paths

START = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
END = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
# A fixed timestamp for zip entries, so generated zips are byte-for-byte reproducible.
ZIP_TIME = (2024, 3, 1, 12, 0, 0)


class EditError(Exception):
    """A textual edit did not apply exactly once (the reference changed under the corpus)."""


def reference_sources() -> dict:
    """The complete reference package (solutions and provided files) as ``{relative path: text}``: every ``.py``
    file and the Cython source, with an empty ``__init__.py`` as a student's package has."""
    files = {rel: path.read_text(encoding="utf-8") for rel, path in paths.reference_package_files().items()}
    return dict(sorted({**files, "__init__.py": ""}.items()))


def student_files(files: dict) -> list:
    """Paths of the files a student writes: the ones with a marked solution region."""
    return sorted(rel for rel, text in files.items() if START in text)


def _definition(text, function):
    """The ``ast`` node of a top-level function or of ``Class.method``."""
    tree = ast.parse(text)
    owner, _, name = function.rpartition(".")
    body = tree.body
    if owner:
        classes = [n for n in body if isinstance(n, ast.ClassDef) and n.name == owner]
        if len(classes) != 1:
            raise EditError(f"class {owner} not found")
        body = classes[0].body
    defs = [n for n in body if isinstance(n, ast.FunctionDef) and n.name == name]
    if len(defs) != 1:
        raise EditError(f"function {function} not found")
    return defs[0]


def _segment(text, function):
    """Line range ``(first, last)`` (1-based, inclusive) of a top-level function or ``Class.method``."""
    node = _definition(text, function)
    return node.lineno, node.end_lineno


def defines(text, function) -> bool:
    try:
        _segment(text, function)
    except (EditError, SyntaxError):
        return False
    return True


def _indented(block, indent):
    lines = block.split("\n")
    return "\n".join([lines[0]] + [indent + line if line else line for line in lines[1:]])


def replace_in_function(text, function, old, new):
    """Replace ``old`` by ``new`` in the code of ``function`` (not its docstring), exactly once.

    Continuation lines of ``old`` and ``new`` are written without the code's indentation: they are
    indented like the line where ``old`` starts.
    """
    node = _definition(text, function)
    lines = text.splitlines(keepends=True)
    first, last = node.lineno, node.end_lineno
    doc = node.body[0] if node.body and isinstance(node.body[0], ast.Expr) and isinstance(
        getattr(node.body[0], "value", None), ast.Constant) and isinstance(node.body[0].value.value, str) else None
    offsets = [0]
    for line in lines[first - 1:last]:
        offsets.append(offsets[-1] + len(line))
    segment = "".join(lines[first - 1:last])
    head = old.split("\n")[0]
    matches = []
    for m in re.finditer(re.escape(head), segment):
        line_no = first + next(i for i in range(len(offsets) - 1) if offsets[i] <= m.start() < offsets[i + 1])
        if doc is not None and doc.lineno <= line_no <= doc.end_lineno:
            continue
        line_start = segment.rfind("\n", 0, m.start()) + 1
        indent = re.match(r"[ \t]*", segment[line_start:]).group(0)
        real_old = _indented(old, indent)
        if segment.startswith(real_old, m.start()):
            matches.append((m.start(), real_old, _indented(new, indent)))
    if len(matches) != 1:
        raise EditError(f"{function}: {old!r} occurs {len(matches)} times in the code, expected exactly once")
    start, real_old, real_new = matches[0]
    end = start + len(real_old)
    line_start = segment.rfind("\n", 0, start) + 1
    if not real_new and real_old.endswith("\n") and not segment[line_start:start].strip():
        start = line_start  # a removed line goes with its indentation
    segment = segment[:start] + real_new + segment[end:]
    return "".join(lines[:first - 1]) + segment + "".join(lines[last:])


def replace_definitions(text, code):
    """``text`` with every top-level function or class that ``code`` defines swapped for ``code``'s version.

    ``code`` is one or more complete top-level definitions (a student's own version of whole functions or
    classes); each must replace exactly one definition of the same name in ``text`` (decorators included).
    Definitions of names that ``text`` does not have (a student's own helpers) go in front of the first
    replaced one. Returns the new text; raises :class:`EditError` if a name is defined twice or nowhere.
    """
    new_tree = ast.parse(code)
    new_lines = code.splitlines(keepends=True)
    old_tree = ast.parse(text)
    old_defs = {n.name: n for n in old_tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    replace, helpers = [], []
    for node in new_tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            raise EditError(f"only whole function or class definitions can be swapped, got {type(node).__name__} "
                            f"at line {node.lineno}")
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        source = "".join(new_lines[first - 1:node.end_lineno]).rstrip() + "\n"
        if node.name in old_defs:
            replace.append((old_defs[node.name], source))
        else:
            helpers.append(source)
    if not replace:
        raise EditError("the code replaces no definition of the text")
    if len({old.name for old, _ in replace}) != len(replace):
        raise EditError("the code defines a name twice")
    lines = text.splitlines(keepends=True)
    spans = sorted(((min([old.lineno] + [d.lineno for d in old.decorator_list]), old.end_lineno, source)
                    for old, source in replace), reverse=True)
    for number, (first, last, source) in enumerate(spans):
        if number == len(spans) - 1 and helpers:
            source = "\n\n".join(helpers + [source])
        lines[first - 1:last] = [source]
    return "".join(lines)


def stub_regions(text, functions, body="pass"):
    """The student template: each solution region of ``functions`` replaced by ``body``."""
    for function in functions:
        first, last = _segment(text, function)
        lines = text.splitlines(keepends=True)
        out, inside, found = [], False, 0
        for line in lines[first - 1:last]:
            stripped = line.strip()
            if stripped == START:
                indent = line[: len(line) - len(line.lstrip())]
                out += [line, f"{indent}{body}\n"]
                inside, found = True, found + 1
            elif stripped == END:
                out.append(line)
                inside = False
            elif not inside:
                out.append(line)
        if not found:
            raise EditError(f"{function} has no solution region")
        text = "".join(lines[:first - 1] + out + lines[last:])
    return text


def pass_in_front(text):
    """Every solution region keeps the starter's ``pass`` in front of the working code, as real solutions do."""
    return re.sub(r"^([ \t]*)(" + re.escape(START) + r"\n)", r"\1\2\1pass\n", text, flags=re.M)


def write_tree(root: Path, files: dict) -> Path:
    """Write ``{relative path: text or bytes}`` under ``root``."""
    root = Path(root)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def zip_tree(folder: Path, target: Path, top: str | None = None, junk=False) -> Path:
    """Zip ``folder``'s contents (under ``top/`` when given) reproducibly; ``junk`` adds macOS litter."""
    folder, target = Path(folder), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f"{top}/" if top else ""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        if top:
            archive.writestr(zipfile.ZipInfo(prefix, ZIP_TIME), "")
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_dir():
                archive.writestr(zipfile.ZipInfo(prefix + rel + "/", ZIP_TIME), "")
                continue
            info = zipfile.ZipInfo(prefix + rel, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
            if junk and path.suffix == ".py":
                where = [p for p in (prefix.rstrip("/"), Path(rel).parent.as_posix()) if p not in ("", ".")]
                litter = "/".join(["__MACOSX", *where])
                archive.writestr(zipfile.ZipInfo(f"{litter}/._{path.name}", ZIP_TIME), b"\x00\x05\x16\x07junk")
    return target


def fresh(folder: Path) -> Path:
    """An empty folder (removed first if it exists)."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder
