"""The assignment's notebooks, written as Python sources and turned into ``.ipynb`` files with nbformat.

A source (``reference/notebooks/<Name>.py``) is in the "percent" format that editors and jupytext read: a
line ``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell whose lines are comments (``# text``).
IPython magics are written commented out (``# %matplotlib inline``) so that the source stays valid Python, and
are uncommented in the notebook. Code the student writes is a marked solution region, as in the library: the
template's notebooks have it replaced by ``pass`` (:func:`autograder.editions.template.stub_source`), the reference's
keep it, which is how the tests run every notebook top to bottom.

The output is deterministic: fixed cell ids, no outputs or execution counts, sorted JSON keys.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

NAMES = ("FullyConnectedNets", "BatchNormalization", "Dropout", "ConvolutionalNetworks")
"""The notebooks, in the order students work through them."""
_CELL = re.compile(r"^# %%(?: \[(markdown)\])?\s*$")
_MAGIC = re.compile(r"^# (%[A-Za-z_].*)$")
METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}


def sources_dir() -> Path:
    """The folder of the notebook sources (``reference/notebooks``)."""
    from .. import paths

    return paths.reference_dir().parent / "notebooks"


def parse_cells(text: str) -> list:
    """``[(cell type, source)]`` of a percent-format source; text before the first marker is dropped."""
    cells, kind, lines = [], None, []
    for line in text.splitlines() + ["# %%"]:
        match = _CELL.match(line)
        if not match:
            lines.append(line)
            continue
        if kind is not None:
            cells.append((kind, _cell_source(kind, lines)))
        kind, lines = ("markdown" if match.group(1) else "code"), []
    return [(k, s) for k, s in cells if s]


def _cell_source(kind, lines):
    if kind == "markdown":
        lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
    else:
        lines = [_MAGIC.sub(r"\1", line) for line in lines]
    return "\n".join(lines).strip("\n")


def build(text: str, name: str) -> nbformat.NotebookNode:
    """The notebook of a source, with cell ids ``<name>-<index>``."""
    notebook = nbformat.v4.new_notebook(metadata=METADATA)
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    for index, (kind, source) in enumerate(parse_cells(text)):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        notebook.cells.append(make(source, id=f"{stem}-{index:03d}"))
    nbformat.validate(notebook)
    return notebook


def dumps(notebook: nbformat.NotebookNode) -> str:
    """The ``.ipynb`` text: nbformat's own JSON layout (sorted keys, one-space indent), ending in a newline."""
    return nbformat.writes(notebook).rstrip("\n") + "\n"


def render(stub) -> dict:
    """``{"<Name>.ipynb": text}`` for every notebook; ``stub(text, name)`` turns a source into the student's."""
    folder = sources_dir()
    return {f"{name}.ipynb": dumps(build(stub((folder / f"{name}.py").read_text(encoding="utf-8"),
                                              f"notebooks/{name}.py"), name))
            for name in NAMES}
