"""One rubric for a batch: the class is graded under one course profile, one set of homeworks and one set of
notebooks (each against one notebook version), so every gradebook row has the same max_score.

Before grading, :func:`decide` reads every submission without running any of it (:func:`detect`: the package
layout, the names and constructor parameters the files define, parsed with :mod:`ast`, and the notebooks'
recognised versions; a few milliseconds a student) and takes the config's choices, else what most of the class
matches. A student whose code looks like another course or year is still graded under the class's rubric, with a
warning in their report's notes, in the batch's output and in the class summary. ``autograder grade`` keeps
detecting each submission's own profile from what its child imports (:func:`autograder.profiles.choose`).
"""
from __future__ import annotations

import ast
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..config import Config
from ..profiles import DEFAULT, PREFERRED, PROFILES, explain, profile_named, submission_signs

WARNING = "Rubric warning: "
"""How a rubric warning starts in a report's notes (the class summary collects them)."""


@dataclass(frozen=True)
class Detection:
    """What one submission looks like, read without running it."""

    student: str
    """The student's name in the batch."""
    profile: str = ""
    """The profile its code matches (:func:`autograder.profiles.explain`); empty when it could not be read."""
    why: str = ""
    """What the profile was detected from (``an nndl/ package``)."""
    names: frozenset = frozenset()
    """The functions and classes its files define (for the homeworks in scope)."""
    notebooks: dict = field(default_factory=dict)
    """Notebook file name -> the notebook version its cells are recognised as."""
    error: str = ""
    """Why it could not be read (it is graded anyway and fails there with the same reason)."""


@dataclass(frozen=True)
class Rubric:
    """The batch's decisions and the warnings for the students who look otherwise."""

    profile: str
    """The profile every student is graded under."""
    how: str
    """``(set in the config)`` or ``like 17 of 20 submissions``."""
    scope: tuple = ()
    """The homeworks graded (the profile's homeworks; empty when the profile is one homework)."""
    notebooks: tuple = ()
    """The notebooks that count, required of every student: the config's ``[required] notebooks``, else those
    more than half of the class submitted (any other notebook is listed but not counted)."""
    versions: dict = field(default_factory=dict)
    """Notebook stem -> the notebook version every copy is checked against."""
    warnings: dict = field(default_factory=dict)
    """Student -> their warning lines (without the student's name)."""
    detections: tuple = ()
    """Every :class:`Detection`, in class order."""

    def config(self, config: Config) -> Config:
        """``config`` with the rubric's decisions pinned: what every student of the batch is graded with."""
        required = replace(config.required, notebooks=self.notebooks)
        notebooks = {**config.notebooks, "versions": {**self.versions, **config.notebooks.get("versions", {})}}
        return replace(config, profile=self.profile, scope=self.scope, required=required, notebooks=notebooks)

    def describe(self) -> str:
        """One line for the batch's output."""
        parts = [f"one rubric: profile {self.profile} {self.how if self.how.startswith('(') else f'({self.how})'}"]
        if self.scope:
            parts.append(f"homeworks {', '.join(self.scope)}")
        parts.append("notebooks " + (", ".join(self.notebooks) if self.notebooks else "none counted"))
        return "; ".join(parts)


# ----------------------------------------------------------------------------- reading a submission
def defined_names(layout) -> tuple:
    """``(found, broken)`` of a submission's :class:`~autograder.sandbox.submission.Layout`, read with :mod:`ast`:
    ``found`` maps each top-level function or class to ``[module, parameter names]`` as the child's manifest does
    (a class's ``__init__`` parameters; a definition in the preferred modules first); ``broken`` maps a file that
    does not parse to the names it defines (read with a regex, as the child does)."""
    from ..child.loader import _defined_names
    from ..sandbox.submission import MAX_SOURCE_BYTES

    rank = {m: i for i, m in enumerate(PREFERRED)}
    candidates, broken = {}, {}
    for index, package in enumerate(layout.packages):
        base = layout.root if layout.inside and index == 0 else layout.root / package
        for path in sorted(base.rglob("*.py"))[:500]:
            rel = path.relative_to(base).with_suffix("")
            if not all(p.isidentifier() for p in rel.parts) or path.is_symlink() or not path.is_file():
                continue
            if path.stat().st_size > MAX_SOURCE_BYTES:
                continue
            module = ".".join((package, *rel.parts))
            try:
                tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
            except (SyntaxError, ValueError, RecursionError):
                broken[module] = _defined_names(path)
                continue
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    params = _parameters(node)
                elif isinstance(node, ast.ClassDef):
                    init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
                    params = [p for p in _parameters(init) if p != "self"] if init else []
                else:
                    continue
                candidates.setdefault(node.name, []).append((rank.get(rel.parts[-1], len(rank)), module, params))
    found = {name: list(min(options)[1:]) for name, options in candidates.items()}
    return found, broken


def _parameters(node):
    args = node.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *([args.vararg] if args.vararg else []),
                            *args.kwonlyargs, *([args.kwarg] if args.kwarg else []))]


def detect(entry, config: Config) -> Detection:
    """What ``entry`` (a batch :class:`~autograder.cohort.batch.Entry`) looks like: its profile and why, the names it
    defines and its notebooks' versions. Never runs its code; never raises for a bad submission."""
    try:
        return _detect(entry, config)
    except Exception as exc:  # noqa: BLE001 - one unreadable submission must not stop the batch (graded anyway)
        return Detection(entry.student, error=f"could not be read: {type(exc).__name__}: {exc}")


def _detect(entry, config):
    from ..notebook_checks import NotebookSettings
    from ..notebook_checks.static import display_names, find_notebooks, identify, load
    from ..sandbox.submission import SubmissionError, find_layout, unpack

    with tempfile.TemporaryDirectory(prefix="autograder-rubric-") as scratch:
        try:
            folder = unpack(Path(entry.path), Path(scratch))
        except SubmissionError as exc:
            return Detection(entry.student, error=str(exc))
        settings = NotebookSettings.from_dict(config.notebooks)
        paths = find_notebooks(folder, settings.include, settings.exclude)
        names = display_names(paths, folder)
        try:
            layout = find_layout(folder, config.packages or None)
        except SubmissionError as exc:
            layout, error = None, str(exc)
        profile, why, found, broken = "", "", {}, {}
        if layout is not None:
            error = ""
            found, broken = defined_names(layout)
            signs = submission_signs(layout.root, layout.packages)
            chosen, why = explain(layout.packages, found, signs["template"], signs["notebooks"])
            profile = chosen.name
        notebooks = {}
        for path in paths:
            item = load(path, names[path])
            name = Path(item.name).name
            if name not in notebooks:
                notebooks[name] = identify(item, settings.version_for(Path(name).stem), profile or None).version.id
    defined = frozenset(found).union(*map(frozenset, broken.values()))
    return Detection(entry.student, profile, why, defined, notebooks, error)


# ----------------------------------------------------------------------------- deciding
def _majority(counter, order=()):
    """The most common key (ties: the first in ``order``, then the smallest) and its count."""
    if not counter:
        return None, 0
    position = {key: i for i, key in enumerate(order)}
    best = min(counter, key=lambda k: (-counter[k], position.get(k, len(position)), str(k)))
    return best, counter[best]


def decide(detections, config: Config) -> Rubric:
    """The batch's rubric from every student's :class:`Detection` (the whole class, whatever the shard)."""
    readable = [d for d in detections if d.profile]
    total = len(readable)
    if config.profile:
        profile, how = config.profile, "(set in the config)"
    else:
        profile, agree = _majority(Counter(d.profile for d in readable), PROFILES)
        profile = profile or DEFAULT
        how = f"like {agree} of {total} submissions"
    homeworks = profile_named(profile).homeworks
    scope, scopes = tuple(config.scope), {}
    if homeworks:
        scopes = {d.student: tuple(h.name for h in homeworks if h.detected(d.names)) or
                  tuple(h.name for h in homeworks) for d in readable}
        if not scope:
            scope = _majority(Counter(scopes.values()))[0] or tuple(h.name for h in homeworks)
    from ..notebook_checks.rules import VERSIONS_BY_ID

    notebooks, versions = _notebooks(detections, config, profile)
    warnings = {}
    for d in detections:
        lines = []
        if d.profile and d.profile != profile:
            lines.append(f"looks like {d.profile} (detected from {d.why}) but graded as {profile} {how}; "
                         f"set profile = \"{d.profile}\" in the config to change")
        if homeworks and d.student in scopes and set(scopes[d.student]) != set(scope):
            lines.append(f"submitted homework(s) {', '.join(scopes[d.student])} but graded on "
                         f"{', '.join(scope)} like the class; set scope = [...] in the config to change")
        for name, version in sorted(d.notebooks.items()):
            stem = name[:-len(".ipynb")]
            # only a version with a notebook of that name is another year's notebook (not an empty one's guess)
            if stem in versions and version != versions[stem] and VERSIONS_BY_ID[version].knows(stem):
                lines.append(f"{name} looks like notebook version {version} but is checked as {versions[stem]} "
                             f"like the class; set [notebooks.versions] {stem} = \"{version}\" in the config "
                             f"to change")
        if lines:
            warnings[d.student] = lines
    return Rubric(profile, how, scope, notebooks, versions, warnings, tuple(detections))


def _notebooks(detections, config, profile):
    """The notebooks that count (the config's required ones, else those most of the class submitted, by name) and
    the version each is checked against (pinned in the config, else the one most copies are recognised as)."""
    from ..notebook_checks.rules import PROFILE_VERSIONS, VERSIONS, VERSIONS_BY_ID

    submitted = Counter(name for d in detections for name in d.notebooks)
    known = {stem for v in VERSIONS for stem, _ in v.notebooks}
    if config.required.notebooks is not None:
        notebooks = tuple(config.required.notebooks)
    else:
        half = len([d for d in detections if not d.error]) / 2
        notebooks = tuple(sorted(n for n, count in submitted.items()
                                 if count > half and n[:-len(".ipynb")] in known))
    pinned = config.notebooks.get("versions", {})
    versions = {}
    for name in notebooks:
        stem = name[:-len(".ipynb")]
        if pinned.get(stem) or config.notebooks.get("version"):
            continue
        seen = Counter(d.notebooks[name] for d in detections
                       if name in d.notebooks and VERSIONS_BY_ID[d.notebooks[name]].knows(stem))
        preferred = [*PROFILE_VERSIONS.get(profile, ()), *(v.id for v in VERSIONS)]
        best = _majority(seen, preferred)[0] or next(
            (v for v in preferred if VERSIONS_BY_ID[v].knows(stem)), None)
        if best:
            versions[stem] = best
    return notebooks, versions


def warning_notes(rubric: Rubric, student: str) -> list:
    """The notes added to ``student``'s report."""
    return [WARNING + line for line in rubric.warnings.get(student, ())]


def summary_lines(reports) -> list:
    """The class summary's section of rubric warnings (from the students' report notes)."""
    lines = [f"- {student}: {note[len(WARNING):]}" for student, report in reports.items() if report is not None
             for note in report.notes if note.startswith(WARNING)]
    if not lines:
        return []
    return ["", "## Rubric warnings", "",
            "These students' code looks like another course, year or homework; they were graded under the class's "
            "rubric.", "", *lines]
