"""Reading submitted notebooks and checking them as they are: executed, without errors, in order, and with
printed test results within the notebook's stated thresholds (:mod:`.rules`).

Everything here is a pure function of the notebook file, and nothing a notebook holds can crash it: a file
that is not UTF-8, not JSON (truncated), not a notebook, or that breaks the nbformat schema is reported as such.
"""
from __future__ import annotations

import fnmatch
import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .rules import NUM, SECTION, Recognised, Rule, as_float, recognise

MAX_NOTEBOOK_BYTES = 100 * 1024**2
SKIPPED_DIRS = (".ipynb_checkpoints", "__MACOSX", "__pycache__")
_NUMBER = re.compile(NUM, re.I)
_NP_SCALAR = re.compile(r"np\.(?:float|int)(?:16|32|64)\(([^()]*)\)")
_RANDOM_DRAW = re.compile(r"np\.random\.(?!seed\b)\w+|\b\w*Net\(|\bSolver\(|\bdropout_forward\(")
_SEED = re.compile(r"np\.random\.seed\(")


@dataclass
class Cell:
    """A code cell as the checks see it."""

    index: int
    """Index among all cells of the notebook."""
    number: int
    """1-based position among the code cells (what messages call "code cell N")."""
    source: str
    execution_count: int | None
    outputs: list

    def label(self):
        first = next((line.strip() for line in self.source.splitlines() if line.strip()), "").replace("`", "'")
        first = first if len(first) <= 50 else first[:49] + "…"
        count = f" [{self.execution_count}]" if self.execution_count is not None else ""
        return f"code cell {self.number}{count} (`{first}`)"


@dataclass
class Loaded:
    """A notebook file after reading: its code cells, or why it could not be read."""

    path: Path
    name: str
    cells: list = field(default_factory=list)
    notebook: object = None
    """The nbformat NotebookNode (None when unreadable)."""
    error: str = ""
    """Why the file could not be read at all (not UTF-8, not JSON, not a notebook)."""
    invalid: str = ""
    """Why the notebook breaks the nbformat schema (it was still read)."""
    version: Recognised | None = None
    """The notebook version it is checked against (:func:`~.rules.recognise`; set by :func:`identify`)."""


def find_notebooks(folder, include=("*.ipynb",), exclude=()) -> list:
    """Every ``.ipynb`` under ``folder`` (a file is a folder of one), checkpoints and hidden folders skipped."""
    folder = Path(folder)
    if folder.is_file():
        return [folder] if folder.suffix.lower() == ".ipynb" else []
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.suffix.lower() != ".ipynb" or not path.is_file() or path.is_symlink():
            continue
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts):
            continue
        if not any(fnmatch.fnmatch(path.name, p) for p in include):
            continue
        if any(fnmatch.fnmatch(rel.as_posix(), p) for p in exclude):
            continue
        found.append(path)
    return found


def display_names(paths, folder) -> dict:
    """Path -> the shortest unique trailing part of its relative path (usually the file name)."""
    folder = Path(folder)
    rels = {p: PurePosixPath((p.relative_to(folder) if folder.is_dir() else Path(p.name)).as_posix()) for p in paths}
    names = {}
    for path, rel in rels.items():
        for depth in range(1, len(rel.parts) + 1):
            tail = PurePosixPath(*rel.parts[-depth:])
            if sum(1 for other in rels.values() if other.parts[-depth:] == tail.parts) == 1:
                names[path] = str(tail)
                break
        else:
            names[path] = str(rel)
    return names


def load(path, name=None) -> Loaded:
    """Read and validate one notebook; never raises for a bad file."""
    path = Path(path)
    loaded = Loaded(path, name or path.name)
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            loaded.error = f"the file is larger than {MAX_NOTEBOOK_BYTES // 1024**2} MiB"
            return loaded
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        loaded.error = f"the file is not UTF-8 text ({exc.reason} at byte {exc.start}), so it is not a notebook"
        return loaded
    except OSError as exc:
        loaded.error = f"the file could not be read ({exc.strerror or exc})"
        return loaded
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        loaded.error = _json_problem(text, exc)
        return loaded
    except RecursionError:
        loaded.error = "the file is not valid JSON (nested too deeply)"
        return loaded
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", raw.get("worksheets")), list):
        loaded.error = "the file is JSON but not a Jupyter notebook (it has no list of cells)"
        return loaded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. MissingIDFieldWarning: cells of nbformat 4.5 without an id
        return _read(loaded, text, raw)


def _read(loaded, text, raw):
    import nbformat

    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds of errors on odd files
        if raw.get("nbformat") != 4:
            loaded.error = (f"the file is JSON but nbformat cannot read it as a notebook "
                            f"({type(exc).__name__}: {_first_line(exc)})")
            return loaded
        notebook = nbformat.from_dict(raw)  # a version-4 notebook with broken cells: read what can be read
        loaded.invalid = f"nbformat cannot read it ({type(exc).__name__}: {_first_line(exc)})"
    if not loaded.invalid:
        try:
            nbformat.validate(notebook)
        except Exception as exc:  # noqa: BLE001 - ValidationError and friends
            loaded.invalid = _first_line(getattr(exc, "message", None) or str(exc))
    loaded.notebook = notebook
    loaded.cells = code_cells(notebook)
    return loaded


def _json_problem(text, exc):
    end = text.rstrip()
    if not end:
        return "the file is empty"
    if exc.pos >= len(end) or exc.msg.startswith("Unterminated string") or not end.endswith("}"):
        return (f"the file is not valid JSON: it ends early, at line {end.count(chr(10)) + 1}, before the notebook "
                f"is closed (truncated: the upload or the save was cut off)")
    return f"the file is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"


def _first_line(text):
    line = str(text).strip().splitlines()[0] if str(text).strip() else "schema error"
    return line if len(line) <= 200 else line[:199] + "…"


def _text(value):
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def code_cells(notebook) -> list:
    """The notebook's code cells, read defensively (a cell may lack any field in an invalid notebook)."""
    cells, number = [], 0
    for index, cell in enumerate(notebook.get("cells", []) if isinstance(notebook, dict) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        count = cell.get("execution_count")
        outputs = cell.get("outputs")
        cells.append(Cell(index, number, _text(cell.get("source")),
                          count if isinstance(count, int) and not isinstance(count, bool) else None,
                          [o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []))
    return cells


def is_blank(cell: Cell) -> bool:
    return not cell.source.strip()


def output_lines(outputs) -> list:
    """The printed text of a cell: stdout streams and the ``text/plain`` of results, split into lines."""
    chunks = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream" and output.get("name", "stdout") == "stdout":
            chunks.append(_text(output.get("text")))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data")
            if isinstance(data, dict):
                chunks.append(_text(data.get("text/plain")) + "\n")
    text = "".join(chunks).replace("\r\n", "\n")
    return [_NP_SCALAR.sub(r"\1", line.rsplit("\r", 1)[-1]) for line in text.split("\n")]


def error_outputs(outputs) -> list:
    """``[(ename, evalue)]`` of a cell's error outputs."""
    return [(str(o.get("ename", "Error")), _first_line(o.get("evalue", "") or ""))
            for o in outputs if o.get("output_type") == "error"]


def sections(lines) -> list:
    """Split printed lines into sections ``(header line or "", lines)``, a new one at each Testing/Running/...
    line."""
    result = [("", [])]
    for line in lines:
        if SECTION.match(line):
            result.append((line, []))
        else:
            result[-1][1].append(line)
    return [s for s in result if s[0] or s[1]]


@dataclass(frozen=True)
class Reading:
    """One printed number of a :class:`~.rules.Value`."""

    value: float
    key: str
    """The parameter (``W1``) or array position (``[2]``), or empty."""
    line: str
    section: tuple


def read_values(rule: Rule, lines) -> dict:
    """Value name -> the :class:`Reading` list the rule finds in a cell's printed lines, in order."""
    found = {value.name: [] for value in rule.values}
    for header, body in sections(lines):
        if rule.block and not re.search(rule.block, header):
            continue
        body = tuple(body)
        for value in rule.values:
            pattern = value.regex()
            for position, line in enumerate(body):
                match = pattern.search(line)
                if not match:
                    continue
                if value.array:
                    numbers = _array_numbers(match.group("a"), body[position + 1:])
                    found[value.name].extend(Reading(n, f"[{i}]", line.strip(), body) for i, n in enumerate(numbers))
                else:
                    key = match.groupdict().get("k") or ""
                    found[value.name].append(Reading(as_float(match.group("v")), key, line.strip(), body))
    return found


def _array_numbers(start, following):
    """The numbers of a printed numpy array that starts with ``[`` and may go on over the next lines."""
    text, depth_closed = start, "]" in start
    for line in following:
        if depth_closed:
            break
        text += " " + line
        depth_closed = "]" in line
    text = text[: text.index("]") + 1] if "]" in text else text
    return [as_float(n) for n in _NUMBER.findall(text.strip("[]"))]


def judge_readings(value, readings) -> tuple:
    """``(passed, readings judged)`` for one value: every reading, the largest or the last one."""
    if not readings:
        return False, []
    if value.aggregate == "max":
        chosen = [max(readings, key=lambda r: -math.inf if math.isnan(r.value) else r.value)]
    elif value.aggregate == "last":
        chosen = [readings[-1]]
    else:
        chosen = readings
    return all(not math.isnan(r.value) and value.judge.check(r.value, r.section) for r in chosen), chosen


def find_cell(rule: Rule, cells) -> Cell | None:
    """The rule's test cell: among the cells whose source matches, the last one that printed the rule's values
    (or the last one when none did)."""
    candidates = [c for c in cells if rule.matches(c.source)]
    if not candidates:
        return None
    printed = [c for c in candidates if any(read_values(rule, output_lines(c.outputs)).values())]
    return (printed or candidates)[-1]


def deterministic(rule: Rule, cell: Cell) -> bool:
    """Whether the cell prints the same on every run of the same code: fixed inputs, or numpy seeded in the cell
    before anything random happens."""
    if rule.fixed_inputs:
        return True
    seed, draw = _SEED.search(cell.source), _RANDOM_DRAW.search(cell.source)
    return seed is not None and (draw is None or seed.start() < draw.start())


def identify(loaded: Loaded, pinned=None, profile=None) -> Recognised:
    """Recognise (or take the pinned) notebook version of ``loaded`` and remember it there."""
    sources = None if loaded.error else [cell.source for cell in loaded.cells]
    loaded.version = recognise(Path(loaded.name).stem, sources, pinned=pinned, profile=profile)
    return loaded.version


def rules_for(loaded: Loaded) -> list:
    """``[(rule, cell or None)]``: the test cells of the notebook's version (:func:`identify`). Those of the
    version's notebook of this name are all listed (None when missing from the notebook); a notebook the version
    does not know lists only the version's test cells it holds."""
    recognised = loaded.version or identify(loaded)
    pairs = []
    for rule in recognised.version.rules(Path(loaded.name).stem):
        cell = find_cell(rule, loaded.cells) if loaded.cells else None
        if cell is not None or recognised.known:
            pairs.append((rule, cell))
    return pairs


_COLAB_SETUP = re.compile(r"^\s*(?:from\s+google\.colab\s+import|import\s+google\.colab)|drive\.mount\(", re.M)
_COMMENT = re.compile(r"^\s*(?:#.*)?$")


def needs_running(cell: Cell) -> bool:
    """Whether an unexecuted code cell counts as work left undone: not when it holds only comments, nor when it is
    the starters' Colab setup cell (``from google.colab import drive; drive.mount(...)``), which a student who ran the
    notebook on their own machine rightly skips."""
    if all(_COMMENT.match(line) for line in cell.source.split("\n")):
        return False
    return not _COLAB_SETUP.search(cell.source)


def execution_problems(cells) -> dict:
    """What the structural checks find: unexecuted cells (those that need running), error outputs, order
    violations."""
    code = [c for c in cells if not is_blank(c)]
    executed = [c for c in code if c.execution_count is not None]
    errors = [(c, e) for c in cells for e in error_outputs(c.outputs)]
    order = [(prev, cell) for prev, cell in zip(executed, executed[1:]) if cell.execution_count <= prev.execution_count]
    unexecuted = [c for c in code if c.execution_count is None and needs_running(c)]
    return {"code": code, "executed": executed, "unexecuted": unexecuted, "errors": errors, "order": order}
