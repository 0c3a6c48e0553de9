"""Provided functions a student changed: the sandwich layers of ``layer_utils.py`` (``affine_relu_backward``...) are
course code in the student's own file, so an edit of them is graded like the student's code. The report names such
an edit as what it is ("you changed affine_relu_backward, which the course provides"), so a failure there is not
read as a bug of the student's own functions. Only failures say so: another course year's starter may word a
provided function differently and still be right.

Compared as code: the syntax tree of the student's definition (docstring and comments aside) against the
reference's, for every function of the reference's ``layer_utils.py`` and ``layers.py`` outside the solution
regions (:func:`autograder.grading.credit_isolation.provided_calls`).
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from .. import paths
from . import syntax

FILES = ("layer_utils.py", "layers.py")


def _definitions(text) -> dict:
    """Top-level function name -> its syntax tree dumped without the docstring (None if ``text`` does not parse)."""
    try:
        tree = syntax.parse(text)
    except SyntaxError:
        return {}
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            body = node.body[1:] if (node.body and isinstance(node.body[0], ast.Expr)
                                     and isinstance(getattr(node.body[0], "value", None), ast.Constant)) else node.body
            out[node.name] = ast.dump(ast.Module(body=body, type_ignores=[]), annotate_fields=False) + \
                ast.dump(node.args, annotate_fields=False)
    return out


def changed(stage_dir, packages) -> dict:
    """Provided function name -> the file (relative to the stage) where the student's definition differs from the
    course's."""
    found = {}
    for name in FILES:
        reference = _reference(name)
        for package in packages:
            path = Path(stage_dir) / package / name
            if not path.is_file():
                continue
            own = _definitions(path.read_text(encoding="utf-8", errors="replace"))
            for function, code in reference.items():
                if function in own and own[function] != code:
                    found.setdefault(function, f"{package}/{name}")
    return found


@lru_cache(maxsize=None)
def _reference(name) -> dict:
    """The provided functions of the reference's file ``name``, as :func:`_definitions` dumps them (read once per
    process: a batch worker compares many submissions with them)."""
    from .credit_isolation import provided_calls

    provided = set(provided_calls())
    text = (paths.reference_dir() / name).read_text(encoding="utf-8")
    return {k: v for k, v in _definitions(text).items() if k in provided}


def note(function, where) -> str:
    """What a failure of a changed provided function says first."""
    return (f"{function} in {where} is not the course's copy (the course provides it; did you change it?): its "
            f"checks grade this version")
