"""What the notebooks' test cells print and what each printed number must be, per course and notebook version.

* :mod:`.vocabulary`: the shared vocabulary (how a test cell is recognised, what it prints, the thresholds);
* :mod:`.template`: today's table, the first: the course's own notebooks;
* :mod:`.cs231n`: CS231n 2021-2025, 2018-2020 and 2016-2017, and the forks cs260 and libs;
* :mod:`.courses`: UCLA nndl and Berkeley CS182.

Adding a year is adding a :class:`~.vocabulary.NotebookVersion` to :data:`VERSIONS`. Each notebook is checked
against one version: the one pinned in the config (``[notebooks] version``), or the one :func:`recognise` finds
from the notebook's own cells.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .courses import CS182, NNDL
from .cs231n import CS231N_2016, CS231N_2018, CS231N_2021, CS260, LIBS, TEMPLATE
from .vocabulary import (LOG_10, NUM, SECTION, Above, AtLeast, Below, Near, NearOther, NotebookVersion, Rule,
                         Value, accuracy, around, array, as_float, errors, grad_errors, header, label_value,
                         printed)

__all__ = ["VERSIONS", "VERSIONS_BY_ID", "RULES", "RULES_BY_ID", "PROFILE_VERSIONS", "Recognised", "recognise",
           "NotebookVersion", "Rule", "Value", "Below", "Near", "AtLeast", "Above", "NearOther", "NUM", "SECTION",
           "LOG_10", "as_float", "label_value", "around", "printed", "errors", "array", "accuracy", "grad_errors",
           "header"]

VERSIONS = (TEMPLATE, CS231N_2021, CS231N_2018, CS231N_2016, CS260, LIBS, NNDL, CS182)
"""Every notebook version, today's table first; on a tie the earlier one is chosen."""
VERSIONS_BY_ID = {version.id: version for version in VERSIONS}
assert len(VERSIONS_BY_ID) == len(VERSIONS), "version ids must be unique"

RULES = TEMPLATE.rules() + tuple(
    {rule.id: rule for version in VERSIONS[1:] for rule in version.rules()
     if rule.id not in {r.id for r in TEMPLATE.rules()}}.values())
"""One rule per id over all versions (the first table's where several versions share an id): the keys of
``[notebooks.points]``."""
RULES_BY_ID = {rule.id: rule for rule in RULES}
EVERY_RULE = tuple({id(rule): rule for version in VERSIONS for rule in version.rules()}.values())
"""Every rule of every version, variants included (recognition counts the test cells of other versions)."""

PROFILE_VERSIONS = {
    "cs231n-2021": ("template", "cs231n-2021", "cs260"),
    "cs231n-2018": ("cs231n-2018", "libs"),
    "cs231n-2016": ("cs231n-2016",),
    "cs231n-2017": ("cs231n-2016",),
    "cs231n-2020": ("cs231n-2018", "libs"),
    "cs231n-2022": ("template", "cs231n-2021", "cs260"),
    "cs231n-2025": ("template", "cs231n-2021", "cs260"),
    "nndl": ("nndl",),
    "cs182": ("cs182",),
    "cs182-2022": ("cs231n-2016",),
    "cs260": ("cs260",),
    "libs": ("libs",),
}
"""The notebook versions of each course profile (:mod:`autograder.profiles`), the course's own first: on a tie
between versions, the profile's are preferred, and a notebook that cannot be read is listed against the
first. A profile not listed here (``all``) prefers none."""

COURSE_PACKAGES = ("nndl", "deeplearning", "cs260", "libs", "cs231n")
"""Packages that name a course, the forks first: their notebooks also import the provided ``cs231n`` code."""
_IMPORT = re.compile(r"^\s*(?:from|import)\s+(\w+)", re.M)


@dataclass(frozen=True)
class Recognised:
    """The version a notebook is checked against, and how it was chosen."""

    version: NotebookVersion
    how: str
    """``pinned in the config``, ``recognised from its cells`` or ``default (...)``."""
    known: bool
    """Whether the version has a notebook of this name (then its missing test cells fail)."""

    def describe(self, stem):
        name = f"its {stem} notebook" if self.known else "no notebook of this name (only the test cells present)"
        return f"notebook version {self.version.id} ({self.version.course}; {name}), {self.how}"


def course_package(sources) -> str | None:
    """The course package a notebook imports (a fork's package before the ``cs231n`` it also imports)."""
    imported = {match.group(1) for source in sources for match in _IMPORT.finditer(source)}
    return next((package for package in COURSE_PACKAGES if package in imported), None)


def _score(version, stem, sources, package, preferred, present):
    own = version.rules(stem)
    own_ids = {rule.id for rule in own}
    found = {rule.id for rule in own if present(rule)}
    missing = len(own) - len(found) if version.knows(stem) else 0
    extra = {rule.id for rule in EVERY_RULE if rule.id not in own_ids and present(rule)}
    text = "\n".join(sources)
    markers = sum(1 for marker in version.markers if re.search(marker, text))
    return (package is None or version.package == package, len(found) - missing - len(extra),
            version.id in preferred, markers > 0 or not version.needs_marker, markers)


def recognise(stem, sources, *, pinned=None, profile=None) -> Recognised:
    """The version notebook ``stem`` (its file name without ``.ipynb``) is checked against.

    ``sources`` are its code cells' sources (None when it cannot be read). ``pinned`` is a version id from the
    config; ``profile`` the course profile's name (or None). Otherwise every version is scored, best first, by:
    the course package the notebook imports; its test cells found, less those of the version's notebook that
    are missing and those only other versions have; being one of the profile's versions; its markers (a version
    that needs one is out without). Versions whose notebook has the same test cells (CS231n 2018-2020 and 2021+
    ConvolutionalNetworks) are told apart only by markers: on a full tie the first listed is named.
    """
    if pinned:
        version = VERSIONS_BY_ID[pinned]
        return Recognised(version, "pinned in the config", version.knows(stem))
    preferred = PROFILE_VERSIONS.get(getattr(profile, "name", profile) or "", ())
    if sources is None:
        version = VERSIONS_BY_ID[preferred[0]] if preferred else VERSIONS[0]
        why = "the course profile's first version" if preferred else "today's table"
        return Recognised(version, f"default ({why}; the notebook is unreadable)", version.knows(stem))
    package = course_package(sources)
    seen = {}

    def present(rule):
        if id(rule) not in seen:
            seen[id(rule)] = any(rule.matches(source) for source in sources)
        return seen[id(rule)]

    scores = [(_score(version, stem, sources, package, preferred, present), -index, version)
              for index, version in enumerate(VERSIONS)]
    best = max(scores, key=lambda item: item[:2])[2]
    return Recognised(best, "recognised from its cells", best.knows(stem))
