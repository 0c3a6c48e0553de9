"""The messages of the child protocol, typed: the :class:`Manifest` a child sends once it has loaded the submission
and the :class:`Reply` it sends for each probe request. Shared by the child (:mod:`.boot`), the in-process runner
and the grader; on the wire they are plain dicts (:meth:`to_dict`), read back with :meth:`from_dict`, which takes
whatever a child sent (student code shares its process and may forge a message) without trusting its types.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _keys(value) -> list:
    """The known keys of removed numpy constructs in what a child sent (anything else is dropped)."""
    from .numpy_compat import BY_KEY

    return [key for key in value if isinstance(key, str) and key in BY_KEY] if isinstance(value, list) else []


@dataclass(frozen=True)
class Manifest:
    """What a child found in the submission, before any probe runs (empty when nothing could be imported)."""

    found: dict = field(default_factory=dict)
    """Wanted name -> ``[module, description]`` of every function or class the child found."""
    import_errors: dict = field(default_factory=dict)
    """Dotted module name -> the error that stopped its import (``SyntaxError: ... (layers.py, line 3)``)."""
    broken_defines: dict = field(default_factory=dict)
    """Dotted module name of a module that did not import -> the names its source defines (whom to blame)."""
    numpy_compat: list = field(default_factory=list)
    """Keys of the removed numpy constructs (:data:`.numpy_compat.REMOVED`) the student's code used on import."""

    def to_dict(self) -> dict:
        return {"found": self.found, "import_errors": self.import_errors, "broken_defines": self.broken_defines,
                **({"numpy_compat": list(self.numpy_compat)} if self.numpy_compat else {})}

    @classmethod
    def from_dict(cls, data) -> "Manifest":
        data = _dict(data)
        return cls(_dict(data.get("found")), _dict(data.get("import_errors")), _dict(data.get("broken_defines")),
                   _keys(data.get("numpy_compat")))


@dataclass(frozen=True)
class Reply:
    """The outcome of one probe request: its outputs, or how the student's code failed (and what came before)."""

    id: Any
    """The request's case id (the runner rejects a reply whose id is not the request's)."""
    ok: bool
    """Whether the probe returned; then ``outputs`` holds what it returned (only ``True`` itself counts)."""
    outputs: Any = None
    """The probe's raw outputs (nested dicts, tuples, arrays) when ``ok``."""
    kind: Any = None
    """How it failed: ``exception`` (the student's code raised), ``form`` (it returned something of the wrong
    form), ``interrupted`` (the child never answered: a time limit, a crash), ``halted`` (stopped before a function
    that ran out of time in an earlier check, which ``error`` names); None when ``ok``."""
    type: Any = None
    """The exception's class name (``kind == 'exception'``); None when not known."""
    error: Any = None
    """The exception's first line, or what was wrong with the form, or why the child stopped; None if not said."""
    where: Any = None
    """``layers.py, line 12, in max_pool_backward_naive``: the last line of the submission in the traceback."""
    partial: Any = None
    """What the probe got before a later function failed (a dict), or None when nothing came before."""
    function: Any = None
    """The student's function that failed when ``partial`` is set."""
    numpy_compat: Any = None
    """Keys of the removed numpy constructs the student's code used in this child so far (None: none)."""

    @property
    def stopped_part_way(self) -> bool:
        """A failure after other functions returned: ``partial`` holds what they gave."""
        return not self.ok and isinstance(self.partial, dict)

    def to_dict(self) -> dict:
        """The wire form: only the fields that are set (``id`` and ``ok`` always)."""
        out = {"id": self.id, "ok": self.ok}
        for name in ("outputs", "kind", "type", "error", "where", "partial", "function", "numpy_compat"):
            value = getattr(self, name)
            if value is not None or (name == "outputs" and self.ok):
                out[name] = value
        return out

    @classmethod
    def from_dict(cls, data) -> "Reply":
        data = _dict(data)
        return cls(data.get("id"), data.get("ok") is True, data.get("outputs"), data.get("kind"), data.get("type"),
                   data.get("error"), data.get("where"), data.get("partial"), data.get("function"),
                   _keys(data.get("numpy_compat")) or None)

    @classmethod
    def failure(cls, request_id, exc_description: dict, partial=None, function=None) -> "Reply":
        """A failed probe from :func:`.boot.describe_failure`'s description, with what came before."""
        d = exc_description
        return cls(request_id, False, None, d.get("kind"), d.get("type"), d.get("error"), d.get("where"),
                   partial, function)
