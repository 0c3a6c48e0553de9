"""The one thing pyproject.toml cannot say: the Cython extension. Build it with

    pip install -e .

(not `python setup.py build_ext --inplace`, which setuptools has deprecated). The extension is optional: if it
cannot be compiled, the install goes on and cs231n/fast_layers.py uses its pure-numpy fallback.
"""
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [Extension("cs231n.im2col_cython", ["cs231n/im2col_cython.pyx"], extra_compile_args=["-O3"],
                   optional=True)],
        language_level=3,
        quiet=True,
    ),
)
