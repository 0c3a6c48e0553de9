"""The one thing pyproject.toml cannot say: the Cython extension. Build it with

    pip install -e .

(not `python setup.py build_ext --inplace`, which setuptools has deprecated). The extension is optional: if it
cannot be compiled, the install goes on and cs231n/fast_layers.py uses its pure-numpy fallback. It is compiled
with -O3 unless your CFLAGS choose an optimisation level (CFLAGS=-O0 pip install -e . builds faster).
"""
import os
import re

from Cython.Build import cythonize
from setuptools import Extension, setup

# -O3, unless CFLAGS already say how much to optimise (an -O here would come after theirs and win).
OPTIMISE = [] if re.search(r"(^|\s)-O", os.environ.get("CFLAGS", "")) else ["-O3"]

setup(
    ext_modules=cythonize(
        [Extension("cs231n.im2col_cython", ["cs231n/im2col_cython.pyx"], extra_compile_args=OPTIMISE,
                   optional=True)],
        language_level=3,
        quiet=True,
    ),
)
