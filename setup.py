"""Build configuration that pyproject.toml cannot express declaratively.

* The reference library ``reference/cs231n`` is installed as the package ``autograder._reference``
  (it uses relative imports only, so it works under any name), and ``fixtures/`` as the data package
  ``autograder._fixtures``. In a source checkout both are also used in place.
* The Cython im2col extension is compiled by the ordinary ``pip install``; in an editable install it
  lands next to its source in ``reference/cs231n/``, where ``import cs231n`` finds it.
"""
import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, CompileError, LinkError

OPENMP_FLAGS = ["-fopenmp"]


class BuildExtOpenMPIfAvailable(build_ext):
    """Build with OpenMP (parallel im2col and pooling kernels); where the compiler has no OpenMP
    (e.g. Apple clang), build again without it: the kernels then run serially."""

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except (CCompilerError, CompileError, LinkError):
            if not set(OPENMP_FLAGS) & set(ext.extra_compile_args):
                raise
            print(f"warning: building {ext.name} without OpenMP: its kernels will run serially")
            ext.extra_compile_args = [a for a in ext.extra_compile_args if a not in OPENMP_FLAGS]
            ext.extra_link_args = [a for a in ext.extra_link_args if a not in OPENMP_FLAGS]
            super().build_extension(ext)


extensions = [
    Extension(
        "autograder._reference.im2col_cython",
        ["reference/cs231n/im2col_cython.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3", *OPENMP_FLAGS],
        extra_link_args=OPENMP_FLAGS,
    )
]

setup(
    packages=[
        "autograder",
        "autograder._reference",
        "autograder._reference.classifiers",
        "autograder._fixtures",
    ],
    package_dir={
        "autograder": "autograder",
        "autograder._reference": "reference/cs231n",
        "autograder._fixtures": "fixtures",
    },
    package_data={
        "autograder._reference": ["*.pyx"],
        "autograder._fixtures": ["*.json", "*.npz", "**/*.json", "**/*.npz", "**/*.py"],
    },
    ext_modules=cythonize(extensions, language_level=3, quiet=True),
    cmdclass={"build_ext": BuildExtOpenMPIfAvailable},
)
