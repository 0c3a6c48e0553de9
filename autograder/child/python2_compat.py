"""Python 2 names that Python 3 removed, served for student code in the child (never in the grader's own process).

The 2016 course was taught in Python 2.7: its students' code loops with ``xrange``, walks a model's parameters with
``self.params.iteritems()`` and folds shapes with ``reduce``. Each has an exact Python 3 equivalent, so the child
serves it (:func:`install`) and counts a use from the submission's files the way :mod:`.numpy_compat` counts numpy's
removed names; the report warns about each for 0 points. The student's source is never rewritten, so what Python 3
changed in the language itself (``print x`` statements, ``/`` on two ints giving a float) still fails, with the
error Python gives.

``dict`` is a built-in type whose attributes Python does not let code set, so its methods are added to the type's
own dictionary (``gc.get_referents(dict.__dict__)``), after which ``PyType_Modified`` clears CPython's attribute
cache. Nothing here weakens the sandbox: student code in the child can do the same.
"""
from __future__ import annotations

import builtins
import functools


def _xrange(note):
    def xrange(*args):
        note("xrange")
        return range(*args)
    return xrange


def _reduce(note):
    def reduce(*args):
        note("reduce")
        return functools.reduce(*args)
    return reduce


def _dict_method(key, body):
    """A method of ``dict`` that counts its use as ``key`` and then does ``body(self, *args)``."""
    def method(note):
        def served(self, *args):
            note(key)
            return body(self, *args)
        served.__name__ = key.split(".", 1)[1]
        return served
    return method


BUILTINS = {"xrange": _xrange, "reduce": _reduce}
"""Builtin name -> ``factory(note)`` of its stand-in."""
DICT_METHODS = {
    "iteritems": _dict_method("dict.iteritems", lambda self: iter(self.items())),
    "itervalues": _dict_method("dict.itervalues", lambda self: iter(self.values())),
    "iterkeys": _dict_method("dict.iterkeys", lambda self: iter(self.keys())),
    "has_key": _dict_method("dict.has_key", lambda self, key: key in self),
}
"""``dict`` method name -> ``factory(note)`` of its stand-in."""


def install(note):
    """Serve every name above in this process; ``note(key)`` is called on each use (it tells whose code it was)."""
    for name, factory in BUILTINS.items():
        if not hasattr(builtins, name):
            setattr(builtins, name, factory(note))
    import ctypes
    import gc

    namespace = gc.get_referents(dict.__dict__)[0]
    for name, factory in DICT_METHODS.items():
        namespace.setdefault(name, factory(note))
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(dict))
