"""The class listing: the entries of a submissions folder, one per student, with names safe and unique for folders.

Batch grading, sharding and the similarity report list a class the same way, from here.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SKIP = {".DS_Store", "__MACOSX", "Thumbs.db"}


@dataclass(frozen=True)
class Entry:
    """One student's submission in the batch."""

    student: str
    """Name of the student's output folder (the entry's name, made safe and unique)."""
    path: Path
    """The submission folder or zip."""

    @property
    def source(self) -> str:
        """The entry as the submissions folder names it: ``alice/`` for a folder, ``alice.zip`` for a file."""
        return self.path.name + ("/" if self.path.is_dir() else "")


def discover(submissions: Path) -> list:
    """The entries of a submissions folder, sorted by name; names made unique and safe for folders."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise NotADirectoryError(f"{submissions} is not a folder of submissions (one folder or .zip per student)")
    entries, used = [], Counter()
    for path in sorted(submissions.iterdir(), key=lambda p: p.name):
        if path.name in SKIP or path.name.startswith(".") or not (
                path.is_dir() or path.suffix.lower() in (".zip", ".ipynb")):
            continue
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem if path.is_file() else path.name).strip("._") or "student"
        used[base] += 1
        entries.append(Entry(base if used[base] == 1 else f"{base}-{used[base]}", path))
    return entries
