"""One class graded on many machines: deterministic shards of a batch, and the merge of their result folders.

``autograder batch --shard K/N`` grades only the K-th of N slices of the class. Every shard lists the whole
submissions folder the same way (:func:`autograder.cohort.roster.discover`: sorted entry names, made unique), so the
shards agree on who is in which slice without talking to each other: entry ``i`` (0-based, in that order)
belongs to shard ``i % N + 1``. A shard's folder holds the results of its own students only, a gradebook
and summary of those students, and ``shard.json``: the shard, the whole class in order, and the grader's
version. ``autograder gradebook merge`` copies every student's finished files from the shard that graded
them and writes the class gradebook and summary with the batch's own exporter
(:func:`autograder.cohort.outputs.write_gradebook`), so the result is byte for byte what one unsharded batch writes.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import atomic

SHARD_FILE = "shard.json"


class GradebookError(Exception):
    """A shard specification or a set of shard folders that cannot be used as asked."""


@dataclass(frozen=True)
class Shard:
    """One slice of a class: shard ``index`` of ``count`` (1-based, as Slurm's array task ids)."""

    index: int
    """Which slice, from 1 to ``count``."""
    count: int
    """How many slices the class is cut into."""

    @classmethod
    def parse(cls, text: str) -> "Shard":
        """``"2/8"`` -> ``Shard(2, 8)``; a clear error for anything else."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
        if not match:
            raise GradebookError(f"--shard {text!r} is not of the form K/N (for example 2/8: the second of 8 shards)")
        index, count = int(match.group(1)), int(match.group(2))
        if count < 1 or not 1 <= index <= count:
            raise GradebookError(f"--shard {text}: K must be between 1 and N (the shards are numbered 1 to N)")
        return cls(index, count)

    def select(self, entries: list) -> list:
        """The entries of this shard: every ``count``-th of the sorted class, starting at ``index - 1``."""
        return [entry for number, entry in enumerate(entries) if number % self.count == self.index - 1]

    def __str__(self):
        return f"{self.index}/{self.count}"


def write_shard_manifest(out_dir, shard: Shard, class_students: list, version: str):
    """Record in a shard's results folder which shard it is, the whole class in order, and the grader's version."""
    data = {"shard": shard.index, "of": shard.count, "class": list(class_students),
            "students": shard.select(list(class_students)),
            "grader_version": version}
    atomic.write_text(Path(out_dir) / SHARD_FILE, json.dumps(data, indent=1) + "\n")


@dataclass
class MergeResult:
    """What a merge wrote."""

    students: list = field(default_factory=list)
    """The whole class, in gradebook order."""
    missing: list = field(default_factory=list)
    """Students whose shard has no finished results.json for them (their rows say "not graded yet")."""


def _read_manifest(folder: Path) -> dict:
    path = folder / SHARD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {"shard": int(data["shard"]), "of": int(data["of"]), "class": list(data["class"]),
                "version": str(data.get("grader_version", ""))}
    except FileNotFoundError:
        raise GradebookError(f"{folder} is not the results folder of a shard (no {SHARD_FILE}); "
                             "pass the --out folders of `autograder batch --shard K/N`") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GradebookError(f"{path} is unreadable or damaged ({exc}); grade that shard again") from None


def merge(shard_dirs, out_dir) -> MergeResult:
    """Combine the results folders of all N shards of one batch into ``out_dir``, as one unsharded batch writes it.

    Every shard 1..N must be given once, all graded from the same class listing with the same grader version
    and configuration. Each student's files are copied from the shard that graded them (results.json last),
    then ``gradebook.csv`` and ``summary.md`` are written from those results.
    """
    from .outputs import write_gradebook

    folders = [Path(d).resolve() for d in shard_dirs]
    if not folders:
        raise GradebookError("no shard folders given: pass the --out folder of every `autograder batch --shard K/N`")
    out_dir = Path(out_dir).resolve()
    if out_dir in folders:
        raise GradebookError(f"--out {out_dir} is one of the shard folders; merge into a new folder")
    manifests = []
    for folder in folders:
        if not folder.is_dir():
            raise GradebookError(f"{folder} is not a folder")
        manifests.append((folder, _read_manifest(folder)))
    first_folder, first = manifests[0]
    by_index = {}
    for folder, data in manifests:
        for key, what in (("of", "number of shards"), ("class", "class listing"),
                          ("version", "grader version or configuration")):
            if data[key] != first[key]:
                raise GradebookError(f"{folder} and {first_folder} differ in their {what}: "
                                     "they are not shards of the same batch")
        if data["shard"] in by_index:
            raise GradebookError(f"{folder} and {by_index[data['shard']]} are both shard {data['shard']}/{data['of']}")
        by_index[data["shard"]] = folder
    count = first["of"]
    absent = [f"{k}/{count}" for k in range(1, count + 1) if k not in by_index]
    if absent:
        raise GradebookError(f"shard(s) {', '.join(absent)} missing: "
                             "pass the results folder of every shard")
    students = first["class"]
    result = MergeResult(students=list(students))
    for number, student in enumerate(students):
        source = by_index[number % first["of"] + 1] / student
        if not (source / "results.json").is_file():
            result.missing.append(student)
            continue
        files = sorted((p for p in source.rglob("*") if p.is_file()), key=lambda p: p.name == "results.json")
        for path in files:  # results.json last: a folder with results.json is complete, as in a batch
            atomic.write_bytes(out_dir / student / path.relative_to(source), path.read_bytes())
    out_dir.mkdir(parents=True, exist_ok=True)
    write_gradebook(out_dir, students)
    return result
