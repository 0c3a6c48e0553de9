"""Compiles the fast convolution and pooling kernels (cs231n/im2col_cython.pyx) next to their source:

    python setup.py build_ext --inplace

Without them cs231n/fast_layers.py runs a slower pure-numpy version of the same layers.
"""
import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    name="cs231n-assignment",
    py_modules=[],
    ext_modules=cythonize(
        [Extension("cs231n.im2col_cython", ["cs231n/im2col_cython.pyx"], include_dirs=[numpy.get_include()])],
        language_level=3,
    ),
)
