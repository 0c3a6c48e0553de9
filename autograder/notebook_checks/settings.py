"""The ``[notebooks]`` table of the course config: points per rule, what counts, re-execution limits.

Every key has a default, so no table is needed::

    [notebooks]
    count_out_of_order = false   # out-of-order execution costs its points (otherwise a 0-point warning)
    execute = false              # `grade` and `batch` re-execute the notebooks too (slow)
    quick = true                 # re-execute with the shortened-training rule (see README)
    cell_seconds = 120           # wall clock per cell on re-execution
    notebook_seconds = 900       # wall clock per notebook on re-execution
    include = ["*.ipynb"]        # which notebooks are checked (shell patterns on the file name)
    skip_cells = ["imread\\("]   # cells (regular expressions on the source) not re-executed
    version = "cs231n-2018"      # check every notebook against this notebook version (default: recognised)
    [notebooks.versions]         # or per notebook (file name without .ipynb); a batch pins these for its rubric
    BatchNormalization = "cs231n-2021"
    [notebooks.points]           # by check (below) or by printed-value rule id (see rules.py)
    printed = 0.25
    affine_backward = 1
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

POINT_KEYS = {
    "valid": 0.0,         # the file is a readable nbformat-4 notebook (a precondition: no points by default)
    "executed": 1.0,      # every code cell has been run
    "no_errors": 1.0,     # no cell shows an error output
    "in_order": 1.0,      # execution counts increase top to bottom (0 points unless count_out_of_order)
    "printed": 0.25,      # each printed test result within the notebook's stated threshold
    "reexecuted": 1.0,    # re-executed, every cell runs without error or timeout
    "matches": 2.0,       # re-executed, the deterministic test cells print what the notebook shows
}
"""Checks of every notebook and their default points."""


class NotebookSettingsError(ValueError):
    """The ``[notebooks]`` table has an unknown key or a value of the wrong type."""


@dataclass(frozen=True)
class NotebookSettings:
    """Validated ``Config.notebooks``."""

    points: dict = field(default_factory=dict)
    """Points per check (:data:`POINT_KEYS`) or per printed-value rule id; replaces the default."""
    count_out_of_order: bool = False
    """Whether out-of-order execution costs the ``in_order`` points (otherwise it is a 0-point warning)."""
    execute: bool = False
    """Whether ``grade`` and ``batch`` re-execute the notebooks (the ``notebooks`` command always does)."""
    quick: bool = True
    """Re-execute with the shortened-training rule."""
    quick_epochs: int = 1
    """Quick rule: the most epochs any ``Solver`` (and any ``num_epochs = N`` literal) runs."""
    quick_iters: int = 100
    """Quick rule: the most iterations a ``num_iters = N`` literal asks for."""
    cell_seconds: float = 120.0
    """Wall-clock seconds one cell may run on re-execution before the kernel is interrupted."""
    notebook_seconds: float = 900.0
    """Wall-clock seconds for a whole notebook on re-execution (kernel start included)."""
    startup_seconds: float = 60.0
    """Wall-clock seconds to start the kernel."""
    interrupt_seconds: float = 10.0
    """After a cell's time limit the kernel is interrupted; a cell still running this many seconds later (it
    ignores the interrupt) ends the notebook's re-execution."""
    memory_bytes: int = 4 * 1024**3
    """Address space (RLIMIT_AS) of the notebook runner and of its kernel, each."""
    output_cap: int = 20000
    """Characters of text output kept per re-executed cell (images are never kept)."""
    jobs: int = 1
    """Notebooks of one submission re-executed at the same time."""
    include: tuple = ("*.ipynb",)
    """Shell patterns on the notebook's file name; only matching notebooks are checked."""
    exclude: tuple = ()
    """Shell patterns on the notebook's path relative to the submission; matching notebooks are skipped."""
    skip_cells: tuple = ()
    """Regular expressions: code cells whose source matches one are not re-executed."""
    version: str = ""
    """A notebook version id (:data:`~.rules.VERSIONS`) every notebook is checked against; empty: each
    notebook's version is recognised from its cells."""
    versions: dict = field(default_factory=dict)
    """Notebook file name without ``.ipynb`` -> the version id it is checked against (before ``version``); a batch
    pins the version most of the class's copies are recognised as, so that every student has the same checks."""

    def version_for(self, stem: str) -> str | None:
        """The version pinned for notebook ``stem`` (None: recognise it from its cells)."""
        return self.versions.get(stem) or self.version or None

    @classmethod
    def from_dict(cls, data) -> "NotebookSettings":
        """Validate a ``[notebooks]`` table (a dict, possibly empty or None)."""
        data = dict(data or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise NotebookSettingsError(f"unknown key(s) {', '.join(unknown)} in [notebooks]; known keys: "
                                        f"{', '.join(sorted(known))}")
        defaults = cls()
        settings = cls(**{name: _coerce(name, value, getattr(defaults, name)) for name, value in data.items()})
        settings._check()
        return settings

    def _check(self):
        from .rules import RULES, VERSIONS_BY_ID

        if not isinstance(self.version, str) or (self.version and self.version not in VERSIONS_BY_ID):
            raise NotebookSettingsError(f"[notebooks] version = {self.version!r} is not a known notebook version; "
                                        f"use one of {', '.join(VERSIONS_BY_ID)} (or leave it out to recognise "
                                        f"each notebook's version from its cells)")
        for stem, version in self.versions.items():
            if not isinstance(version, str) or version not in VERSIONS_BY_ID:
                raise NotebookSettingsError(f"[notebooks.versions] {stem} = {version!r} is not a known notebook "
                                            f"version; use one of {', '.join(VERSIONS_BY_ID)}")
        allowed = set(POINT_KEYS) | {rule.id for rule in RULES}
        bad = sorted(set(self.points) - allowed)
        if bad:
            raise NotebookSettingsError(f"unknown key(s) {', '.join(bad)} in [notebooks.points]; use one of "
                                        f"{', '.join(sorted(POINT_KEYS))} or a printed-value rule id such as "
                                        f"affine_backward")
        for key, value in self.points.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise NotebookSettingsError(f"[notebooks.points] {key} = {value!r} must be a number >= 0")
        for name in ("cell_seconds", "notebook_seconds", "startup_seconds", "interrupt_seconds", "memory_bytes",
                     "output_cap",
                     "jobs", "quick_epochs", "quick_iters"):
            if getattr(self, name) <= 0:
                raise NotebookSettingsError(f"[notebooks] {name} = {getattr(self, name)!r} must be positive")
        for pattern in self.skip_cells:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise NotebookSettingsError(f"[notebooks] skip_cells: {pattern!r} is not a regular expression "
                                            f"({exc})") from None

    def points_for(self, check: str, rule_id: str | None = None) -> float:
        """Points of a check; a printed value's rule id overrides ``printed``."""
        if rule_id is not None and rule_id in self.points:
            return float(self.points[rule_id])
        return float(self.points.get(check, POINT_KEYS[check]))


def _coerce(name, value, default):
    """``value`` checked against the type of the field's default (tuples accept lists)."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise NotebookSettingsError(f"[notebooks] {name} = {value!r} must be true or false")
        return value
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise NotebookSettingsError(f"[notebooks] {name} = {value!r} must be a number")
        return type(default)(value)
    if isinstance(default, tuple):
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise NotebookSettingsError(f"[notebooks] {name} = {value!r} must be a list of strings")
        return tuple(value)
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise NotebookSettingsError(f"[notebooks] {name} must be a table")
        return dict(value)
    return value
