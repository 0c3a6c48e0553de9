"""The starter's own data files that a course notebook reads (the kitten and puppy photos of
ConvolutionalNetworks), supplied to its re-execution from the trusted provided files.

A student does not submit the starter's images (and never should be charged for them), so before a notebook runs
the grader puts its own copies where the recognised notebook version's starter has them, and wherever a relative
path literal in the notebook's code names one of them (``imread('cs231n/notebook_images/kitten.jpg')``,
``imread('kitten.jpg')``). A cell that still fails for want of a starter file the grader cannot supply is the
grader's problem: the re-execution check is then "not applicable" with the reason (see :func:`missing_file`).

The photos are CS231n's, from the public starter code (github.com/cs231n/cs231n.github.io, MIT licence: see
``provided/notebook_images/LICENSE``); every CS231n year 2016-2025 ships the same two files.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path, PurePosixPath

from .. import paths

IMAGES = "notebook_images"
"""The folder of ``provided/`` that holds the starter's images."""
STARTER_FILES = ("kitten.jpg", "puppy.jpg")
"""The starter data files the grader has (in ``provided/notebook_images/``)."""
KNOWN_STARTER_FILES = STARTER_FILES + ("batchnorm_graph.png", "normalization.png")
"""Every data file a supported starter ships next to its notebooks (the two figures are only shown in Markdown)."""
FOLDERS = {
    "cs231n-2021": "{package}/notebook_images",
    "cs260": "{package}/notebook_images",
    "cs231n-2018": ".",
    "cs231n-2016": ".",
    "libs": ".",
}
"""Notebook version id -> the folder (relative to the notebook, ``{package}`` its course package) where that
version's starter has the images: ``cs231n/notebook_images/`` since 2020's Colab starters, the assignment's own
folder before. A version not listed gets them where its notebook's literals say."""
_LITERAL = re.compile(r"""['"]([^'"\n]{0,200}?)['"]""")


def provided_file(name) -> Path | None:
    """The trusted copy of a starter file, or None when the grader does not have it."""
    path = paths.provided_dir() / IMAGES / name
    return path if path.is_file() else None


def wanted_paths(sources, version_id=None, package="cs231n") -> list:
    """Relative POSIX paths (to the notebook's folder) where the starter files belong: the version's folder and
    every safe relative path literal in ``sources`` (the code cells) whose file name is a starter file."""
    wanted = []
    folder = FOLDERS.get(version_id or "")
    if folder is not None:
        base = PurePosixPath(folder.format(package=package))
        wanted += [str(base / name) for name in STARTER_FILES]
    for source in sources:
        for literal in _LITERAL.findall(source):
            path = PurePosixPath(literal.replace("\\", "/"))
            if path.name in STARTER_FILES and not path.is_absolute() and ".." not in path.parts \
                    and ":" not in literal:
                wanted.append(str(path))
    return list(dict.fromkeys(str(PurePosixPath(p)) for p in wanted))


def supply(work: Path, sources, version_id=None, package="cs231n") -> list:
    """Copy the trusted starter files into the notebook's working folder ``work`` where the notebook reads them;
    a file the student sent there is replaced (the starter's copy is the one the course's outputs came from).
    Returns the relative paths written."""
    written = []
    for rel in wanted_paths(sources, version_id, package):
        trusted = provided_file(PurePosixPath(rel).name)
        if trusted is None:
            continue
        target = Path(work).joinpath(*PurePosixPath(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(trusted, target)
        written.append(rel)
    return written


_MISSING = re.compile(r"""(?:No such file(?: or directory)?|not found|does not exist)\s*:?\s*['"]?([^'"\n]+)""", re.I)


def missing_file(ename, evalue) -> str:
    """The starter data file a failed cell could not read (its path as the error gives it, relative to the
    notebook's folder), or '' when the error is not about one: the grader's problem, never the student's."""
    if ename not in ("FileNotFoundError", "OSError", "IOError"):
        return ""
    text = evalue or ""
    match = _MISSING.search(text)
    candidates = [match.group(1).strip()] if match else []
    candidates += re.findall(r"[\w./\\-]+", text)
    for candidate in candidates:
        name = PurePosixPath(candidate.replace("\\", "/")).name
        if name in KNOWN_STARTER_FILES:
            return candidate.replace("\\", "/").split("/work/", 1)[-1]  # relative to the notebook's folder
    return ""
