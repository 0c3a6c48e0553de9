"""The course configuration (a TOML file): profile, layout pins, points, limits and report settings."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .sandbox.limits import Limits
from .hints import check_setting as check_hints


class ConfigError(Exception):
    """The configuration file is missing, unreadable or has unknown keys."""


@dataclass(frozen=True)
class Required:
    """The ``[required]`` table: the parts every submission is graded on, submitted or not."""

    functions: tuple = ()
    """Functions and classes graded whatever the profile assigns (a missing one fails its checks)."""
    notebooks: tuple | None = None
    """Notebook file names (``BatchNormalization.ipynb``): a missing one fails all its checks, and only these
    count (any other notebook is listed as not counted). None: every submitted notebook counts, none is required."""

    @property
    def notebook_stems(self) -> tuple:
        return tuple(name[:-len(".ipynb")] for name in self.notebooks or ())


def check_exclude(patterns):
    """A one-line ConfigError for an ``exclude`` that is not a list of names, or a name or pattern no check's id or
    function matches."""
    from fnmatch import fnmatch

    from .catalog import all_cases

    if not all(isinstance(p, str) for p in patterns):
        raise ConfigError(f"exclude must be a list of function names or patterns, not {list(patterns)!r}")
    cases = all_cases()
    unknown = [p for p in patterns if not any(fnmatch(c.id, p) or fnmatch(c.target, p) for c in cases)]
    if unknown:
        raise ConfigError(f"exclude: {', '.join(unknown)} names no check or function; known functions: "
                          f"{', '.join(sorted({c.target for c in cases}))}")


def check_profile(name):
    """A one-line ConfigError for a ``profile`` that is neither a profile nor a course year."""
    from .profiles import known_names

    if not isinstance(name, str) or name not in known_names():
        raise ConfigError(f"unknown profile {name!r}; known profiles and course years: {', '.join(known_names())}")


def required_from_table(table) -> Required:
    """Validate a ``[required]`` table: known keys, known function and notebook names (a one-line ConfigError)."""
    from .notebook_checks.rules import VERSIONS
    from .profiles import PROFILES

    if not isinstance(table, dict):
        raise ConfigError("required must be a table: [required] functions = [...], notebooks = [...]")
    bad = sorted(set(table) - {"functions", "notebooks"})
    if bad:
        raise ConfigError(f"unknown key(s) {', '.join(bad)} in [required]; known keys: functions, notebooks")
    for key, value in table.items():
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"[required] {key} must be a list of names, not {value!r}")
    known = PROFILES["all"].assigned
    unknown = [f for f in table.get("functions", ()) if f not in known]
    if unknown:
        raise ConfigError(f"[required] functions: unknown function(s) {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(known))}")
    stems = {name: name[:-len(".ipynb")] if name.endswith(".ipynb") else name for name in table.get("notebooks", ())}
    notebooks = sorted({stem for version in VERSIONS for stem, _ in version.notebooks})
    unknown = [name for name, stem in stems.items() if stem not in notebooks]
    if unknown:
        raise ConfigError(f"[required] notebooks: unknown notebook(s) {', '.join(unknown)}; known: "
                          f"{', '.join(n + '.ipynb' for n in notebooks)}")
    return Required(tuple(table.get("functions", ())),
                    tuple(dict.fromkeys(f"{stem}.ipynb" for stem in stems.values())) if "notebooks" in table else None)


@dataclass(frozen=True)
class Config:
    """Settings of one course; every field has a default, so no config file is needed."""

    profile: str | None = None
    """Course profile name (see ``autograder profiles``); detected from the submission when unset."""
    packages: tuple = ()
    """Package folders of the student's code, main first; detected when empty."""
    functions: dict = field(default_factory=dict)
    """Pins: function name -> module (``{"conv_forward_naive" = "nndl.conv_layers"}``)."""
    points: dict = field(default_factory=dict)
    """Points per test, by case-id prefix or target name (``{"affine_backward" = 2}``): replaces the default."""
    select: tuple = ()
    """Only the cases whose id or target matches one of these shell patterns (``conv_*``); all when empty."""
    exclude: tuple = ()
    """Not the cases whose id or target matches one of these shell patterns (``affine_bn_relu_*``): they are not
    graded at all (applied after ``select``)."""
    count_contract: bool = False
    """Count contract details the assignment never tests (float32 in but float64 out, shapes that differ only
    by singleton dimensions such as dgamma of shape (1, D)): by default they are 0-point warnings."""
    scope: tuple = ()
    """Homeworks of the profile to grade (``["cnn"]`` for nndl's convolutional homework; see ``autograder
    profiles``); detected from what the submission defines when empty."""
    include_hidden: bool = True
    """Run the hidden checks (they need the hidden fixtures)."""
    hidden_visibility: str = "after_published"
    """Gradescope visibility of hidden tests."""
    hints: str = "concepts"
    """Hints on failed checks: ``full`` (each check's own advice), ``concepts`` (the idea that applies to the
    function) or ``none`` (no hint anywhere); see :mod:`autograder.hints`."""
    sandbox: str = "auto"
    """``auto`` (namespaces where available), ``namespaces`` (required) or ``limits`` (resource limits only)."""
    limits: Limits = field(default_factory=Limits)
    """Time, memory and output limits of the child process."""
    isolate_dependencies: bool | str = True
    """Credit isolation: a model or sandwich check that fails over the student's own layers is run again over
    trusted layers, so a bug costs only the function that has it (``false``: off; ``"always"``: every such check
    runs both ways). See :mod:`autograder.grading.credit_isolation`."""
    required: Required = field(default_factory=Required)
    """The ``[required]`` table: functions and notebooks graded whether submitted or not (:class:`Required`)."""
    notebooks: dict = field(default_factory=dict)
    """Notebook checks: points per rule, whether out-of-order execution counts, re-execution settings
    (validated by :mod:`autograder.notebook_checks.settings`)."""


def load_config(path=None, **overrides) -> Config:
    """Read a TOML config (or none) and apply keyword overrides that are not None."""
    data = {}
    if path is not None:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(unknown)} in the config; known keys: {', '.join(sorted(known))}")
    limit_keys = {f.name for f in fields(Limits)}
    limits = data.pop("limits", {})
    bad = sorted(set(limits) - limit_keys)
    if bad:
        raise ConfigError(f"unknown limit(s) {', '.join(bad)}; known limits: {', '.join(sorted(limit_keys))}")
    for key in ("packages", "select", "scope", "exclude"):
        if key in data:
            data[key] = tuple(data[key])
    from .notebook_checks.settings import NotebookSettings, NotebookSettingsError

    try:
        NotebookSettings.from_dict(data.get("notebooks", {}))
    except NotebookSettingsError as exc:
        raise ConfigError(str(exc)) from None
    from .profiles import check_scope

    if data.get("exclude"):
        check_exclude(data["exclude"])
    if data.get("profile") is not None:
        check_profile(data["profile"])
    if check_scope(tuple(data.get("scope", ()))):
        raise ConfigError(check_scope(tuple(data["scope"])))
    try:
        check_hints(data.get("hints", "concepts"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if data.get("isolate_dependencies", True) not in (True, False, "always"):
        raise ConfigError(f"isolate_dependencies must be true, false or \"always\", not "
                          f"{data['isolate_dependencies']!r}")
    if "required" in data:
        data["required"] = required_from_table(data["required"])
    config = Config(**data, limits=replace(Limits(), **limits))
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})
