"""Build configuration that pyproject.toml cannot express declaratively.

* The reference library ``reference/cs231n`` is installed as the package ``autograder._reference``
  (it uses relative imports only, so it works under any name), the provided files ``provided/`` as
  ``autograder._provided`` (the reference finds them through its ``__path__``, see
  ``reference/cs231n/__init__.py``), and ``fixtures/`` as the data package ``autograder._fixtures``.
  In a source checkout all three are also used in place.
* The Cython im2col extension is compiled by the ordinary ``pip install``; in an editable install it
  lands next to its source in ``provided/``, where ``import cs231n`` finds it too. It is compiled with ``-O3``
  unless the builder's ``CFLAGS`` choose an optimisation level themselves (``CFLAGS=-O0 pip install .`` for a quick
  build): an ``-O`` here would come after theirs on the compiler's command line and win.
"""
import os
import re

import numpy
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

extensions = [
    Extension(
        "autograder._provided.im2col_cython",
        ["provided/im2col_cython.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=[] if re.search(r"(^|\s)-O", os.environ.get("CFLAGS", "")) else ["-O3"],
    )
]

setup(
    packages=find_packages(include=["autograder", "autograder.*"]) + [
        "autograder._reference",
        "autograder._reference.classifiers",
        "autograder._provided",
        "autograder._fixtures",
        "autograder._fixtures.datasets",
        "autograder.notebooks",
    ],
    package_dir={
        "autograder": "autograder",
        "autograder._reference": "reference/cs231n",
        "autograder._provided": "provided",
        "autograder._fixtures": "fixtures",
        "autograder.notebooks": "reference/notebooks",
    },
    package_data={
        "autograder": ["template_files/*", "template_files/.*"],
        "autograder._provided": ["*.pyx", "notebook_images/*"],
        "autograder._fixtures": ["*.json", "*.npz"],
        "autograder._fixtures.datasets": ["*.npz"],
        "autograder.notebook_checks": ["kernel/*"],
    },
    ext_modules=cythonize(extensions, language_level=3, quiet=True),
)
