"""The reference library written as the submissions real courses produce.

Each :class:`Layout` writes one correct submission into an empty folder and says where the grader must
find the functions without any configuration (or with the course's pins, for the configured layout):

- ``cs231n/`` as CS231n ships it (conv layers in ``layers.py``, models in ``classifiers/``);
- ``nndl/`` as UCLA's ECE C147/C247 does (conv layers in ``conv_layers.py`` and ``conv_layer_utils.py``,
  ``fc_net.py`` and ``cnn.py`` at the package root, provided code in a sibling ``cs231n/`` or ``utils/``
  or not submitted at all, absolute imports such as ``from nndl.layers import *``);
- ``cs260/``, ``libs/`` and ``deeplearning/``: the CS231n package renamed, with the absolute imports of
  CS231n 2017-2019 (``from cs260.layers import *``);
- as folders, zips with and without a top folder, zips made inside the package folder (its files at the
  zip's top), and a Canvas/Gradescope-style nested upload.

Foreign layouts are written the way those courses' code looks: their ``layers.py`` has none of this
reference's private shape checks (``_check_shape``, ``_conv_output_shape``...), and their sandwich layers
import the provided fast layers, as real CS231n-derived code does.
"""
from __future__ import annotations

import ast
import importlib.machinery
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import (EditError, fresh, pass_in_front, reference_sources, student_files, write_tree,
               zip_tree)

PRIVATE_HELPERS = {"_shapes", "_check_shape", "_check_param_shape", "_check_ndim", "_check_affine_shapes",
                   "_conv_output_shape", "_pool_output_shape"}
INLINE_SHAPES = {
    "_conv_output_shape": ('H_out = 1 + (x.shape[2] + 2 * conv_param["pad"] - w.shape[2]) // conv_param["stride"]',
                           'W_out = 1 + (x.shape[3] + 2 * conv_param["pad"] - w.shape[3]) // conv_param["stride"]'),
    "_pool_output_shape": ('H_out = 1 + (x.shape[2] - pool_param["pool_height"]) // pool_param["stride"]',
                           'W_out = 1 + (x.shape[3] - pool_param["pool_width"]) // pool_param["stride"]'),
}
CONV_FUNCTIONS = ("conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
                  "spatial_batchnorm_forward", "spatial_batchnorm_backward", "spatial_groupnorm_forward",
                  "spatial_groupnorm_backward")
CONV_SANDWICHES = ("conv_relu_forward", "conv_relu_backward", "conv_bn_relu_forward", "conv_bn_relu_backward",
                   "conv_relu_pool_forward", "conv_relu_pool_backward")
NNDL_CREDIT = '''"""
This code was originally written for CS 231n at Stanford University
(cs231n.stanford.edu).  It has been modified in various areas for use in the
ECE 239AS class at UCLA.
"""
'''


# ----------------------------------------------------------------------------- source transformations
def strip_private_checks(text):
    """``layers.py`` as other courses have it: without the reference's private shape checks.

    The helper definitions, their import from the provided layer_checks.py and the statements that call them go;
    the two output-size computations are written inline, as students write them.
    """
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    drop, insert = set(), {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and {a.name for a in node.names} <= PRIVATE_HELPERS:
            drop.update(range(node.lineno, node.end_lineno + 1))
            continue
        if isinstance(node, ast.FunctionDef) and node.name in PRIVATE_HELPERS:
            drop.update(range(node.lineno, node.end_lineno + 1))
            continue
        if not isinstance(node, ast.FunctionDef):
            continue
        for stmt in node.body:
            called = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)} & PRIVATE_HELPERS
            if not called:
                continue
            drop.update(range(stmt.lineno, stmt.end_lineno + 1))
            shape = called & set(INLINE_SHAPES)
            if shape:
                indent = " " * stmt.col_offset
                insert[stmt.lineno] = "".join(f"{indent}{line}\n" for line in INLINE_SHAPES[shape.pop()])
            elif not isinstance(stmt, (ast.Expr, ast.If)):
                raise EditError(f"unexpected use of a private check in {node.name}, line {stmt.lineno}")
    out = []
    for number, line in enumerate(lines, start=1):
        if number in insert:
            out.append(insert[number])
        if number not in drop:
            out.append(line)
    text = re.sub(r"\n\n\n\n+", "\n\n\n", "".join(out))
    return re.sub(r"\n\nThe private `_\*_shape` helpers.*?(?=\n\"\"\")", "", text, count=1, flags=re.S)


def absolute_imports(text, package, rel):
    """Relative imports written as CS231n 2017-2019 did: ``from .layers import *`` -> ``from cs260.layers import *``."""
    base = [package] + list(Path(rel).parent.parts)

    def absolute(match):
        indent, dots, module = match.group(1), match.group(2), match.group(3)
        parts = base[: len(base) - (len(dots) - 1)] + ([module] if module else [])
        return f"{indent}from {'.'.join(parts)} import "
    return re.sub(r"^([ \t]*)from (\.+)([\w.]*) import ", absolute, text, flags=re.M)


def fast_sandwiches(text, module):
    """The sandwich layers on the provided fast layers (``from <module> import *``), as CS231n's layer_utils has it."""
    new, count = re.subn(r"# Until fast_layers.*?max_pool_backward_fast\n", f"from {module} import *\n", text,
                         flags=re.S)
    if count == 1:
        return new
    if "fast_layers import" in text:
        return text
    raise EditError("layer_utils.py: the conv sandwiches' imports were not found")


def _functions(text):
    """Module header (up to the first top-level def) and ``{name: source}`` of every top-level function."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    header = "".join(lines[: defs[0].lineno - 1]).rstrip() + "\n"
    return header, {n.name: "".join(lines[n.lineno - 1:n.end_lineno]) for n in defs}


def _module(header, functions):
    return header.rstrip() + "\n\n\n" + "\n\n".join(f.rstrip() + "\n" for f in functions)


def renamed(package, src=None):
    """The CS231n package renamed to ``package``, as another course's code: ``{relative path: text}``; ``src``
    (``{path in the package: text}``) replaces the reference's sources (a student's own solutions)."""
    files = {}
    for rel, text in (src or reference_sources()).items():
        if rel == "layers.py":
            text = strip_private_checks(text)
        if rel == "layer_utils.py":
            text = fast_sandwiches(text, ".fast_layers")
        files[f"{package}/{rel}"] = absolute_imports(text, package, rel) if rel.endswith(".py") else text
    return files


def nndl(provided="cs231n", src=None):
    """The nndl/ package; the provided files go into the sibling ``provided`` package (None: not submitted);
    ``src`` replaces the reference's sources as in :func:`renamed`."""
    src = src or reference_sources()
    lib = provided or "cs231n"
    _, layers = _functions(strip_private_checks(src["layers.py"]))
    basic = [text for name, text in layers.items() if name not in CONV_FUNCTIONS]
    conv = [layers[name] for name in CONV_FUNCTIONS]
    _, utils = _functions(fast_sandwiches(src["layer_utils.py"], ".fast_layers"))
    fc_utils = [text for name, text in utils.items() if name not in CONV_SANDWICHES]
    conv_utils = [utils[name] for name in CONV_SANDWICHES]
    files = {
        "nndl/__init__.py": "",
        "nndl/layers.py": _module("import numpy as np\nimport pdb\n\n" + NNDL_CREDIT, basic),
        "nndl/conv_layers.py": _module("import numpy as np\nfrom nndl.layers import *\nimport pdb\n\n" + NNDL_CREDIT,
                                       conv),
        "nndl/layer_utils.py": _module("from .layers import *\n\n" + NNDL_CREDIT, fc_utils),
        "nndl/conv_layer_utils.py": _module(f"from nndl.layers import *\nfrom nndl.conv_layers import *\n"
                                            f"from {lib}.fast_layers import *\n\n" + NNDL_CREDIT, conv_utils),
        "nndl/optim.py": nndl_optim(src["optim.py"]),
        "nndl/fc_net.py": absolute_imports(src["classifiers/fc_net.py"], "nndl", "classifiers/fc_net.py"),
        "nndl/cnn.py": src["classifiers/cnn.py"].replace(
            "from ..layers import *\nfrom ..layer_utils import *\n",
            f"from nndl.layers import *\nfrom nndl.conv_layers import *\nfrom {lib}.fast_layers import *\n"
            f"from nndl.layer_utils import *\nfrom nndl.conv_layer_utils import *\n\nimport pdb\n"),
    }
    if "from nndl.conv_layer_utils import *" not in files["nndl/cnn.py"]:
        raise EditError("classifiers/cnn.py: the imports were not found")
    if provided:
        written_by_students = student_files(src)
        for rel, text in src.items():
            if rel not in written_by_students and "/" not in rel and rel != "__init__.py":
                files[f"{provided}/{rel}"] = absolute_imports(text, "nndl", rel) if rel == "solver.py" else text
        files[f"{provided}/__init__.py"] = ""
        files[f"{provided}/setup.py"] = ("from distutils.core import setup\nfrom Cython.Build import cythonize\n"
                                         "import numpy\n\nsetup(ext_modules=cythonize('im2col_cython.pyx'),\n"
                                         "      include_dirs=[numpy.get_include()])\n")
    return files


def nndl_optim(text):
    """optim.py with nndl's names for the optimizer state: RMSProp's cache is ``config['a']``, Adam's first and
    second moments are ``config['v']`` and ``config['a']``."""
    for old, new in (('"cache"', '"a"'), ('"v"', '"a"'), ('"m"', '"v"')):
        if old not in text:
            raise EditError(f"optim.py: {old} not found")
        text = text.replace(old, new)
    return text


def notebook(title):
    """A minimal notebook file, as students upload next to their package."""
    return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": [f"# {title}"]}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


# ----------------------------------------------------------------------------- layouts
@dataclass(frozen=True)
class Layout:
    """One correct submission, how to write it and where the grader must find its functions."""

    name: str
    description: str
    write: Callable[[Path], Path]
    """Writes the submission into an empty folder and returns what to grade (the folder or a zip in it)."""
    where: dict
    """Function or class -> module (relative to the submission root) it must be found in."""
    profile: str
    """The course profile the grader must detect (or is configured with)."""
    config: dict = field(default_factory=dict)
    """Config keyword arguments a course would set (only the configured layout has any)."""


def cs231n_student():
    """The reference as a CS231n student's package: ``{path: text}`` with the sandwich layers on the provided
    fast layers (``from .fast_layers import *``), as CS231n's layer_utils.py has them. Bugs are applied to it."""
    files = {f"cs231n/{rel}": text for rel, text in reference_sources().items()}
    files["cs231n/layer_utils.py"] = fast_sandwiches(files["cs231n/layer_utils.py"], ".fast_layers")
    return files


def write_cs231n(dest):
    """The reference package exactly as it is, with the notebooks and the dataset script next to it."""
    files = {f"cs231n/{rel}": text for rel, text in reference_sources().items()}
    files.update({"cs231n/datasets/get_datasets.sh": "#!/bin/bash\n./get_cifar10.sh\n",
                  "BatchNormalization.ipynb": notebook("Batch Normalization"),
                  "ConvolutionalNetworks.ipynb": notebook("Convolutional Networks")})
    return write_tree(dest, files)


def write_cs231n_zip_pass(dest):
    """A student's cs231n/ zipped without a top folder; every solution keeps the starter's ``pass`` in front."""
    files = {rel: pass_in_front(text) if rel.endswith(".py") else text for rel, text in cs231n_student().items()}
    write_tree(dest / "src", files)
    return zip_tree(dest / "src", dest / "submission.zip", junk=True)


def write_cs231n_contents_zip(dest):
    """``cd cs231n && zip -r ../submission.zip .``: the package's files at the zip's top, no package folder."""
    files = {rel.split("/", 1)[1]: text for rel, text in cs231n_student().items()}
    files["datasets/get_datasets.sh"] = "#!/bin/bash\n./get_cifar10.sh\n"
    write_tree(dest / "src", files)
    return zip_tree(dest / "src", dest / "submission.zip")


def write_cs260_contents_zip(dest):
    """cs260/'s files, whose absolute imports (``from cs260.layers import *``) name their package, zipped from
    inside the package folder."""
    write_tree(dest / "src", {rel.split("/", 1)[1]: text for rel, text in renamed("cs260").items()})
    return zip_tree(dest / "src", dest / "hw2.zip")


def write_nndl_zip(dest):
    """nndl/ with the provided code in a sibling cs231n/, zipped under one top folder."""
    files = nndl("cs231n")
    files["CNN-Layers.ipynb"] = notebook("CNN layers")
    write_tree(dest / "src", files)
    return zip_tree(dest / "src", dest / "hw5.zip", top="hw5")


def write_nndl_canvas(dest):
    """nndl/ with the provided code in utils/, nested as a Canvas download: submission/<student>/..."""
    files = {f"submission/jane_doe_123456/{rel}": text for rel, text in nndl("utils").items()}
    files["submission/jane_doe_123456/CNN.ipynb"] = notebook("CNN")
    return write_tree(dest, files)


def write_nndl_bare(dest):
    """nndl/ alone: the student did not submit the provided cs231n/ package at all."""
    return write_tree(dest, nndl(None))


def write_cs260_edited(dest):
    """cs260/ whose provided files were edited or broken, with compiled files dropped into the package."""
    files = renamed("cs260")
    files["cs260/fast_layers.py"] = "raise ImportError('the student broke fast_layers.py')\n"
    files["cs260/gradient_check.py"] = ("import numpy as np\n\n\n"
                                        "def eval_numerical_gradient(f, x, verbose=True, h=1e-5):\n"
                                        "    return np.zeros_like(x)  # lies\n\n\n"
                                        "def eval_numerical_gradient_array(f, x, df, h=1e-5):\n"
                                        "    return np.zeros_like(x)  # lies\n")
    files["cs260/solver.py"] = files["cs260/solver.py"].replace("class Solver(object):", "class Solver(object)")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    files[f"cs260/im2col_cython{suffix}"] = b"\x7fELF not really a shared object"
    files[f"cs260/layers{suffix}"] = b"\x7fELF a compiled layers module that must never be loaded"
    files["cs260/__pycache__/layers.cpython-311.pyc"] = b"\x00\x00\x00\x00 stale bytecode"
    files["cs260/optim.pyc"] = b"\x00\x00\x00\x00 sourceless bytecode"
    files["ConvolutionalNetworks.ipynb"] = notebook("Convolutional Networks")
    return write_tree(dest, files)


def write_libs_missing(dest):
    """libs/ (the 2019 fork: FullyConnectedNet takes ``dropout``) without several provided files."""
    files = renamed("libs")
    files["libs/classifiers/fc_net.py"] = files["libs/classifiers/fc_net.py"].replace("dropout_keep_ratio", "dropout")
    for rel in ("fast_layers.py", "im2col.py", "im2col_cython.pyx", "solver.py"):
        del files[f"libs/{rel}"]
    files["FullyConnectedNets.ipynb"] = notebook("Fully-Connected Neural Nets")
    return write_tree(dest, files)


def without_class(text, name):
    """``text`` without the top-level class ``name`` (CS231n 2021+ moved TwoLayerNet to assignment 1)."""
    node = next(n for n in ast.parse(text).body if isinstance(n, ast.ClassDef) and n.name == name)
    lines = text.splitlines(keepends=True)
    return "".join(lines[: node.lineno - 1] + lines[node.end_lineno:])


def write_deeplearning_zip(dest):
    """deeplearning/ as a CS231n 2021+ submission: no TwoLayerNet, none of this project's layer_checks.py."""
    files = renamed("deeplearning")
    files["deeplearning/classifiers/fc_net.py"] = without_class(files["deeplearning/classifiers/fc_net.py"], "TwoLayerNet")
    del files["deeplearning/layer_checks.py"]
    write_tree(dest / "src", files)
    return zip_tree(dest / "src", dest / "assignment2.zip", top="assignment2")


PIN_MODULES = {  # reference file -> oddly named module of the configured layout
    "layers.py": "hw2/core/my_layers.py", "layer_utils.py": "hw2/core/combos.py", "optim.py": "hw2/train/rules.py",
    "classifiers/fc_net.py": "hw2/nets/dense.py", "classifiers/cnn.py": "hw2/nets/convnet.py",
}
DECOY = '''"""Scratch work: first attempts, kept for reference (not the submitted versions)."""
import numpy as np


def affine_forward(x, w, b):
    return x.dot(w) + b, (x, w, b)


def relu_backward(dout, cache):
    return dout


def adam(w, dw, config=None):
    return w - 1e-3 * dw, config
'''


def write_pinned(dest):
    """Functions in oddly named modules plus a scratch module redefining some of them: the course pins both."""
    src = reference_sources()
    files = {"hw2/__init__.py": "", "hw2/core/__init__.py": "", "hw2/nets/__init__.py": "", "hw2/train/__init__.py": "",
             "hw2/attempts.py": DECOY}
    dotted = {rel: path[:-3].replace("/", ".") for rel, path in PIN_MODULES.items()}
    for rel, text in src.items():
        target = PIN_MODULES.get(rel, f"hw2/{rel}")
        if rel == "classifiers/__init__.py" or rel == "__init__.py":
            continue
        if rel.endswith(".py"):
            text = absolute_imports(text, "hw2", rel)
            for old, new in dotted.items():
                text = text.replace(f"hw2.{old[:-3].replace('/', '.')} import", f"{new} import")
        files[target] = text
    return write_tree(dest, files)


PINS = {"affine_forward": "hw2.core.my_layers", "relu_backward": "hw2.core.my_layers", "adam": "hw2.train.rules"}

CS231N_WHERE = {
    "affine_forward": "cs231n.layers", "conv_forward_naive": "cs231n.layers",
    "spatial_groupnorm_backward": "cs231n.layers",
    "affine_relu_forward": "cs231n.layer_utils", "conv_relu_pool_backward": "cs231n.layer_utils",
    "FullyConnectedNet": "cs231n.classifiers.fc_net", "ThreeLayerConvNet": "cs231n.classifiers.cnn",
    "adam": "cs231n.optim", "Solver": "cs231n.solver",
}


def _where(package):
    return {name: module.replace("cs231n", package, 1) for name, module in CS231N_WHERE.items()}


def _nndl_where():
    return {
        "affine_forward": "nndl.layers", "batchnorm_backward": "nndl.layers", "conv_forward_naive": "nndl.conv_layers",
        "spatial_batchnorm_forward": "nndl.conv_layers", "max_pool_backward_naive": "nndl.conv_layers",
        "affine_relu_forward": "nndl.layer_utils", "conv_relu_pool_forward": "nndl.conv_layer_utils",
        "FullyConnectedNet": "nndl.fc_net", "TwoLayerNet": "nndl.fc_net", "ThreeLayerConvNet": "nndl.cnn",
        "sgd_momentum": "nndl.optim",
    }


LAYOUTS = [
    Layout("cs231n", "cs231n/ folder as CS231n ships it, notebooks next to it", write_cs231n,
           CS231N_WHERE, "project"),
    Layout("cs231n-zip-pass", "a student's cs231n/ (sandwiches on the fast layers) zipped without a top folder, with "
           "__MACOSX litter; the starter's `pass` is left in front of every solution", write_cs231n_zip_pass,
           CS231N_WHERE, "project"),
    Layout("cs231n-contents-zip", "a zip made inside cs231n/ (layers.py, classifiers/... at its top): staged as cs231n",
           write_cs231n_contents_zip, CS231N_WHERE, "project"),
    Layout("cs260-contents-zip", "a zip made inside cs260/ with absolute imports: staged as the cs260 they import",
           write_cs260_contents_zip, _where("cs260"), "project"),
    Layout("nndl-zip", "nndl/ split into conv_layers.py and conv_layer_utils.py, fc_net.py and cnn.py at the root, "
           "provided code in a sibling cs231n/, zipped under one top folder", write_nndl_zip,
           _nndl_where(), "nndl"),
    Layout("nndl-canvas", "nndl/ with provided code in utils/, nested as submission/<student>/ (Canvas download)",
           write_nndl_canvas, _nndl_where(), "nndl"),
    Layout("nndl-bare", "nndl/ alone: the provided cs231n/ package was not submitted", write_nndl_bare,
           _nndl_where(), "nndl"),
    Layout("cs260-edited", "cs260/ with absolute imports; fast_layers.py breaks on import, gradient_check.py lies, "
           "solver.py has a syntax error, compiled files are dropped into the package", write_cs260_edited,
           _where("cs260"), "project"),
    Layout("libs-missing", "libs/ (2019 fork, FullyConnectedNet(dropout=...)) without fast_layers.py, im2col.py, "
           "im2col_cython.pyx and solver.py", write_libs_missing,
           _where("libs"), "cs231n-2018"),
    Layout("deeplearning-zip", "deeplearning/ (CS231n 2021+: no TwoLayerNet) with absolute imports, zipped under "
           "one top folder", write_deeplearning_zip, _where("deeplearning"), "cs231n-2021"),
    Layout("pinned", "hw2/ with the layers in core/my_layers.py, models in nets/, rules in train/rules.py and an "
           "attempts.py redefining some functions: the course config names the package and pins those functions",
           write_pinned, {"affine_forward": "hw2.core.my_layers", "relu_backward": "hw2.core.my_layers",
                          "conv_forward_naive": "hw2.core.my_layers", "conv_bn_relu_forward": "hw2.core.combos",
                          "FullyConnectedNet": "hw2.nets.dense", "ThreeLayerConvNet": "hw2.nets.convnet",
                          "adam": "hw2.train.rules"},
           "project", config={"packages": ("hw2",), "functions": PINS}),
]
BY_NAME = {layout.name: layout for layout in LAYOUTS}


def build(layout: Layout, dest: Path) -> Path:
    """Write ``layout`` into the empty folder ``dest`` and return the path to grade."""
    return layout.write(fresh(dest))
