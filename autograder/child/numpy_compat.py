"""numpy constructs that numpy removed, run for student code in the child (never in the grader's own process).

Code written for numpy 1.x (``np.float``, ``np.lib.pad``, a float seed, ``np.reshape(a, newshape=...)``) crashes on
a newer numpy although its math is right. :func:`install` makes each construct of :data:`REMOVED` work again in the
child before the student's code is imported, and remembers which ones the student's files used (an access from
numpy's or the grader's own code is served too, but not counted). The grader reads them from the child's messages
(:func:`autograder.grading.numpy_warnings.results`) and reports each as a 0-point warning naming the construct, the numpy
version that removed it and the modern spelling.

The same constructs are served whatever numpy the child runs (1.26 to the newest 2.x): where a numpy still has one
that a later numpy removed (``np.float_`` in 1.26), it is taken out of numpy's namespace and served (and counted)
the same way, so a submission gets the same grade and the same warnings on every numpy. ``np.bool`` and
``np.long``, gone from numpy 1.24 to 1.26 and back (as numpy scalar types) in numpy 2.0, are served only where
they are missing.

The Python 2 names Python 3 removed (``xrange``, ``dict.iteritems``, ...: :data:`PYTHON2_REMOVED`, served by
:mod:`.python2_compat`) are counted and warned about the same way.

Nothing here weakens the sandbox: it only adds names to numpy's namespace and wraps two functions, in the child,
where student code could do the same.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Removed:
    """One numpy construct that numpy removed, and how the shim serves it."""

    key: str
    """How the warning names it, as students write it: ``np.float``, ``np.lib.pad``, ``np.random.seed(float)``."""
    removed_in: str
    """The numpy release that removed it, as the warning says it: ``1.24``, ``2.0``."""
    modern: str
    """The spelling that works on every numpy, for the warning: ``float (or np.float64)``."""
    value: Callable = None
    """``value(np)``: what the name stands for (None for the constructs served by a wrapper, not a name)."""
    back_in_2: bool = False
    """numpy 2.0 defines the name again (``np.bool``, ``np.long``): served only where it is missing."""
    library: str = "numpy"
    """What removed it, as the warning names it: ``numpy``, or ``Python`` for :data:`PYTHON2_REMOVED`."""


def _attr(name):
    return lambda np: getattr(np, name)


NUMPY_REMOVED = (
    Removed("np.int", "1.24", "int (or np.int64)", lambda np: int),
    Removed("np.float", "1.24", "float (or np.float64)", lambda np: float),
    Removed("np.complex", "1.24", "complex (or np.complex128)", lambda np: complex),
    Removed("np.object", "1.24", "object", lambda np: object),
    Removed("np.str", "1.24", "str", lambda np: str),
    Removed("np.unicode", "1.24", "str", lambda np: str),
    Removed("np.bool", "1.24", "bool (or np.bool_)", _attr("bool_"), back_in_2=True),
    Removed("np.long", "1.24", "int (or np.int64)", _attr("int_"), back_in_2=True),
    Removed("np.asscalar", "1.23", "a.item()", lambda np: lambda a: np.asarray(a).item()),
    Removed("np.float_", "2.0", "np.float64", _attr("float64")),
    Removed("np.complex_", "2.0", "np.complex128", _attr("complex128")),
    Removed("np.cfloat", "2.0", "np.complex128", _attr("complex128")),
    Removed("np.longfloat", "2.0", "np.longdouble", _attr("longdouble")),
    Removed("np.string_", "2.0", "np.bytes_", _attr("bytes_")),
    Removed("np.unicode_", "2.0", "np.str_", _attr("str_")),
    Removed("np.int0", "2.0", "np.intp", _attr("intp")),
    Removed("np.uint0", "2.0", "np.uintp", _attr("uintp")),
    Removed("np.bool8", "2.0", "np.bool_", _attr("bool_")),
    Removed("np.NaN", "2.0", "np.nan", lambda np: float("nan")),
    Removed("np.NAN", "2.0", "np.nan", lambda np: float("nan")),
    Removed("np.Inf", "2.0", "np.inf", lambda np: float("inf")),
    Removed("np.Infinity", "2.0", "np.inf", lambda np: float("inf")),
    Removed("np.infty", "2.0", "np.inf", lambda np: float("inf")),
    Removed("np.PINF", "2.0", "np.inf", lambda np: float("inf")),
    Removed("np.NINF", "2.0", "-np.inf", lambda np: float("-inf")),
    Removed("np.product", "2.0", "np.prod", _attr("prod")),
    Removed("np.cumproduct", "2.0", "np.cumprod", _attr("cumprod")),
    Removed("np.alltrue", "2.0", "np.all", _attr("all")),
    Removed("np.sometrue", "2.0", "np.any", _attr("any")),
    Removed("np.round_", "2.0", "np.round", _attr("round")),
    Removed("np.msort", "2.0", "np.sort(a, axis=0)", lambda np: lambda a: np.sort(a, axis=0)),
    Removed("np.asfarray", "2.0", "np.asarray(a, dtype=float)",
            lambda np: lambda a, dtype=float: np.asarray(a, dtype=dtype if np.dtype(dtype).kind in "fc" else float)),
    Removed("np.mat", "2.0", "np.asmatrix", _attr("asmatrix")),
    Removed("np.lib.pad", "2.0", "np.pad", _attr("pad")),
    Removed("np.trapz", "2.4 (deprecated in 2.0)", "np.trapezoid",
            lambda np: getattr(np, "trapezoid", None) or vars(np).get("trapz")),
    Removed("np.in1d", "2.4 (deprecated in 2.0)", "np.isin (then .ravel())", lambda np: lambda a, b, *args, **kwargs:
            np.isin(np.ravel(a), b, *args, **kwargs)),
    Removed("np.random.seed(float)", "1.14 or earlier (every numpy this grader supports rejects it)",
            "np.random.seed(int(seed))"),
    Removed("np.reshape(newshape=...)", "2.4 (deprecated in 2.1)", "np.reshape(a, shape) or a.reshape(shape)"),
)
"""Every numpy construct the shim serves (learnt from real student code of the supported courses and numpy's release
notes, checked on numpy 1.26.4, 2.3.5 and 2.4.6), in the order the warnings list them."""
PYTHON2_REMOVED = (
    Removed("xrange", "3.0", "range", library="Python"),
    Removed("reduce", "3.0 (as a builtin)", "functools.reduce", library="Python"),
    Removed("dict.iteritems", "3.0", "d.items()", library="Python"),
    Removed("dict.itervalues", "3.0", "d.values()", library="Python"),
    Removed("dict.iterkeys", "3.0", "d.keys()", library="Python"),
    Removed("dict.has_key", "3.0", "key in d", library="Python"),
)
"""The Python 2 names Python 3 removed that the child serves too (:mod:`.python2_compat`, learnt from the 2016
course's Python 2.7 solutions)."""
REMOVED = NUMPY_REMOVED + PYTHON2_REMOVED
"""Every construct the child serves, in the order the warnings list them."""
BY_KEY = {removed.key: removed for removed in REMOVED}

_used = {}  # key -> True, in first-use order
_roots = ()


def used() -> list:
    """The constructs the student's code used so far in this process, in the order of :data:`REMOVED`."""
    return [r.key for r in REMOVED if r.key in _used]


def _from_student(depth=2):
    """Whether the code ``depth`` frames up (the one that touched the construct) is in the submission."""
    try:
        filename = sys._getframe(depth).f_code.co_filename
    except ValueError:
        return False
    return any(filename.startswith(root) for root in _roots)


def _note(key, depth=3):
    if _from_student(depth):
        _used.setdefault(key, True)


def install(np, roots):
    """Serve every construct of :data:`REMOVED` in ``np`` (the child's numpy) and in Python's builtins; count uses
    from files under ``roots`` (the staged submission's folder). Call once, before any student code is imported."""
    global _roots
    _roots = tuple(os.path.join(os.path.abspath(root), "") for root in roots)
    _serve(np, np, "np.")
    _serve(np, np.lib, "np.lib.")
    _wrap_seed(np)
    _wrap_reshape(np)
    from .python2_compat import install as install_python2

    install_python2(_note)


def _serve(np, module, prefix):
    """Names of ``module`` (numpy or numpy.lib) that numpy removed, served by the module's ``__getattr__``."""
    names = {}
    for removed in NUMPY_REMOVED:
        if removed.value is None or not removed.key.startswith(prefix) or "." in removed.key[len(prefix):]:
            continue
        name = removed.key[len(prefix):]
        if removed.back_in_2 and name in vars(module):
            continue  # numpy 2's own np.bool / np.long
        value = removed.value(np)
        if value is None:
            continue
        vars(module).pop(name, None)  # a numpy that still has it serves it the same way as one that has not
        names[name] = (removed.key, value)
    original = vars(module).get("__getattr__")

    def __getattr__(name):
        if name in names:
            key, value = names[name]
            _note(key)
            return value
        if original is not None:
            return original(name)
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    module.__getattr__ = __getattr__


def _wrap_seed(np):
    """``np.random.seed`` that takes a whole float (``np.random.seed(231.0)``) as the int it stands for."""
    seed = np.random.seed

    def compat_seed(*args, **kwargs):
        value = args[0] if args else kwargs.get("seed")
        if isinstance(value, (float, np.floating)):  # np.float64 is a float; np.float32 is not
            _note("np.random.seed(float)", depth=3)
            value = int(value)
            return seed(value)
        return seed(*args, **kwargs)

    compat_seed.__doc__ = seed.__doc__
    np.random.seed = compat_seed


def _wrap_reshape(np):
    """``np.reshape`` that takes the ``newshape=`` keyword numpy 2.4 removed (as ``shape``)."""
    reshape = np.reshape

    def compat_reshape(a, *args, **kwargs):
        if "newshape" in kwargs:
            _note("np.reshape(newshape=...)", depth=3)
            return reshape(a, kwargs.pop("newshape"), *args, **kwargs)
        return reshape(a, *args, **kwargs)

    compat_reshape.__doc__ = reshape.__doc__
    np.reshape = compat_reshape
