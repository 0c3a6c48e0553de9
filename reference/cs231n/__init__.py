"""The reference CS231n library: the complete, correct solutions (``import cs231n`` with ``reference/`` on
``sys.path``, as the notebooks do; installed as ``autograder._reference``).

This folder holds only the files with solution regions (``layers.py``, ``optim.py``, ``classifiers/``...).
The provided files (``fast_layers.py``, ``im2col.py`` and its Cython kernels, ``layer_checks.py``,
``solver.py``, ``gradient_check.py``, ``data_utils.py``, ``vis_utils.py``) have one source, the ``provided/``
folder beside ``reference/`` (installed as ``autograder._provided``), which the grader, the student template
and the student edition of the checker take them from without the solutions. This package appends that
folder to its ``__path__``, so ``from cs231n.fast_layers import conv_forward_fast``, ``from cs231n.solver import
Solver`` and the solution files' relative imports (``from .layer_checks import ...``) find them, and so does
``from .im2col_cython import ...``: the extension is compiled into that folder by ``pip install -e .``.

Why ``__path__`` rather than symlinks or copies: a copy would be a second source of the same file; symlinks
need ``core.symlinks`` on Windows checkouts, are followed by wheel builds (putting the provided files into
``autograder._reference`` again), and cannot reach the compiled extension, whose file name depends on the
Python version. The same two lines find the folder in a checkout and in an installed package.
"""
import os as _os

_here = _os.path.dirname(_os.path.abspath(__file__))
for _provided in (_os.path.join(_here, _os.pardir, _os.pardir, "provided"),  # checkout: reference/cs231n
                  _os.path.join(_here, _os.pardir, "_provided")):            # installed: autograder/_reference
    if _os.path.isfile(_os.path.join(_provided, "fast_layers.py")):
        __path__.append(_os.path.normpath(_provided))
        break
del _os, _here, _provided
