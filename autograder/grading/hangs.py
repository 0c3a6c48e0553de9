"""A function that hangs costs its time limit once, not once per check that calls it.

When a check runs out of time, the function that was running is recorded as hung: the one the probe last said it
was about to call (its progress report), else the function the check is about; but only where that is certain: a
function that calls other functions of the catalog (a model, a sandwich layer) may be waiting on one of them, so
it is not recorded (credit isolation may still rerun its checks over trusted layers). Later checks that would call
a hung function are not run, and their tests fail with "not checked: affine_forward timed out in an earlier
check"; a forward-backward check whose own functions only reach it stops right before calling the one that does
(the child is told to), so its forward's outputs and side effects are still judged when only its backward hangs.
Credit isolation never reruns a check whose own function (the model, the sandwich) hung, and skips the same way in
its child, where only those functions are the student's.

Which functions a check "would call" is read from the submission's own source, not guessed from the catalog: the
names each top-level function and class of the submission mentions, followed through the submission's other
definitions (a model calls ``affine_relu_forward``, which calls ``affine_forward``), from the check's own
functions (:meth:`~autograder.model.Case.all_requires`). A model that never calls a hung layer still runs; a call
made through a name built at run time (``getattr(layers, kind + "_forward")``) is not seen, which can cost one
more time limit but never a point.

A function that has returned in an earlier check (or earlier in the same check) is slow on a larger input, not
stuck: it is not recorded, so correct but slow code keeps the checks it passes in time.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from . import syntax

HALTABLE = ("forward_backward",)
"""Probes that announce each student function before calling it (``probes.calling``): they can stop right before
a hung one instead of being skipped whole."""


@lru_cache(maxsize=1)
def catalog_names() -> frozenset:
    """Every function or class a check of the catalog calls."""
    from ..catalog import all_cases

    return frozenset(n for case in all_cases() for n in case.all_requires())


def not_checked(function):
    return f"{function} timed out in an earlier check"


def source_calls(root, packages) -> dict:
    """Top-level function or class name of the submission's files under ``root`` -> the names its body mentions
    (every definition of a name counts: a name defined twice mentions what either definition does)."""
    mentions = {}
    for package in packages:
        for path in sorted((Path(root) / package).rglob("*.py")):
            try:
                tree = syntax.parse(path.read_text(encoding="utf-8", errors="replace"))
            except (SyntaxError, ValueError, OSError, RecursionError):
                continue
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names = mentions.setdefault(node.name, set())
                    for inner in ast.walk(node):
                        if isinstance(inner, ast.Name):
                            names.add(inner.id)
                        elif isinstance(inner, ast.Attribute):
                            names.add(inner.attr)
    return mentions


def reach(mentions, names, known=frozenset(), avoid=frozenset()) -> frozenset:
    """``names`` and every definition of the submission they reach through the names their bodies mention (and
    the ``known`` names they mention, however those are defined: ``affine_forward = my_affine_forward``), but not
    through the names in ``avoid``."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(n for n in mentions.get(name, ())
                    if (n in mentions or n in known) and n not in seen and n not in avoid)
    return frozenset(seen)


OPTIONAL_PARTS = ("batchnorm", "layernorm", "groupnorm", "dropout", "_bn_", "_ln_")
"""Name parts of the layers a model calls only when built with them (``normalization="batchnorm"``, dropout): a
model check reaches them only if the catalog says it uses them (its ``requires``), so a plain FullyConnectedNet
still runs when ``batchnorm_forward`` hung."""


def optional_layers(case) -> frozenset:
    """The catalog's layers a model ``case`` does not build its model with (none for other cases)."""
    if not case.target[:1].isupper():
        return frozenset()
    uses = set(case.all_requires())
    return frozenset(n for n in catalog_names() if any(p in n for p in OPTIONAL_PARTS) and n not in uses)


class Hangs:
    """The functions that ran out of time in one child's checks, and what each later check does about them.

    ``cases``: case id -> the :class:`~autograder.model.Case`; ``reaches(names, case)``: the functions that
    calling ``names`` (in ``case``, or in general when None) may run (by default just ``names``); ``calls(case)``: the student's functions the case's probe calls
    itself (by default :meth:`~autograder.model.Case.all_requires`); ``halt``: whether a forward-backward check may
    stop right before a hung function (False where the child's replies are scrubbed, as in credit isolation)."""

    def __init__(self, cases, reaches=None, calls=None, halt=True):
        self.cases = dict(cases)
        self.reaches = reaches or (lambda names, case=None: frozenset(names))
        self.calls = calls or (lambda case: case.all_requires())
        self.halt = halt
        self.hung = {}          # function -> case id where it ran out of time
        self._returned = set()  # functions that returned at least once, as far as resolved
        self._unresolved = []   # (case id, names or None) whose functions returned, resolved when first needed

    @property
    def returned(self) -> set:
        """The functions that returned at least once. What a case may run is read from the submission's source
        (:meth:`needs`), so it is worked out only when a check first runs out of time: a submission without one
        never has its source read for this."""
        while self._unresolved:
            case_id, names = self._unresolved.pop(0)
            self._returned |= self.needs(case_id, names)
        return self._returned

    @classmethod
    def for_submission(cls, cases, root, packages):
        """Hangs for a submission staged at ``root`` (its ``packages``), whose calls are read from its source (at
        the first need: the first check that runs out of time, see :attr:`returned`)."""
        read = []

        def mentions():
            if not read:
                read.append(source_calls(root, packages))
            return read[0]

        def reaches(names, case=None):
            avoid = optional_layers(case) if case is not None else frozenset()
            return reach(mentions(), names, catalog_names(), avoid)
        return cls({c.id: c for c in cases}, reaches)

    def needs(self, case_id, names=None) -> frozenset:
        """The functions the case (or its functions ``names``) may run."""
        case = self.cases.get(case_id)
        if names is None:
            names = self.calls(case) if case is not None else ()
        return self.reaches(tuple(names), case)

    def before(self, case_id, request):
        """``(request, reason)``: the request to send (told where to stop), or the reason it is not run at all."""
        if not self.hung:
            return request, ""
        hit = [f for f in self.hung if f in self.needs(case_id)]
        if not hit:
            return request, ""
        inputs = request.get("inputs") or {}
        if self.halt and request.get("probe") in HALTABLE:
            halt = {}
            for name in (inputs.get("forward"), inputs.get("backward")):
                found = [f for f in self.hung if f in self.needs(case_id, (name,))] if name else []
                if found:
                    halt[name] = not_checked(found[0])
            if halt:
                return {**request, "halt": halt}, ""
        return request, f"not checked: {not_checked(hit[0])}"

    def answered(self, case_id, reply):
        """The child answered: every function the case may run returned (or raised), so none of them is stuck."""
        if reply.ok:
            self._unresolved.append((case_id, None))
        elif reply.stopped_part_way:
            self._forward_returned(case_id, reply.partial)

    def timed_out(self, case_id, request, progress):
        """The case ran out of time: record the function that was running, unless it has returned before or it
        calls other functions of the catalog (a model, a sandwich: which of them hangs is not known)."""
        progress = progress if isinstance(progress, dict) else {}
        self._forward_returned(case_id, progress.get("partial"))
        running = progress.get("function")
        case = self.cases.get(case_id)
        if not isinstance(running, str) or not running:  # no progress report: the function the case calls
            running = case.target if case is not None else None
        if not running or running in self.returned or running in self.hung:
            return
        if (self.reaches((running,)) & catalog_names()) - {running}:
            return
        self.hung[running] = case_id

    def _forward_returned(self, case_id, partial):
        """A forward-backward probe's outputs so far hold the forward's output once the forward has returned."""
        case = self.cases.get(case_id)
        if case is not None and case.probe in HALTABLE and isinstance(partial, dict) and "out" in partial:
            self._unresolved.append((case_id, case.requires[:1]))
