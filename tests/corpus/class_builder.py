"""A hand-made class for batch grading, generated deterministically from the corpora (nothing checked in).

Every student is a correct solution of their own: the reference with, for each function, one of the corpus's
correct variants (:mod:`corpus.variants`), chosen by a generator seeded with the student's name, so that two
students share only the code of the functions that have no variant and of those where they drew the same one. On top of that, each student differs as real classes do:

- layouts: ``cs231n/``, ``cs260/``, ``libs/``, ``nndl/`` (provided code in ``cs231n/`` or ``utils/``), zips made
  from outside the package folder (with or without a top folder) and from inside it;
- course years: nndl (UCLA), CS231n 2016 (``FullyConnectedNet(use_batchnorm=...)``, its 2016 notebook), CS231n
  2018 (``FullyConnectedNet(dropout=...)``), CS231n 2021+ (no TwoLayerNet), among a class of this project's
  assignment (:data:`OTHER_COURSE`: the students a batch must warn about);
- notebooks: the four course notebooks (:mod:`notebook_corpus.versions`, executed with the reference's real
  printed values), some missing (:data:`MISSING_NOTEBOOKS`), another course's notebook that is not counted;
- bugs from the bug corpus (:mod:`corpus.bugs`), the untouched template, a corrupt zip (:data:`BROKEN`);
- two copied pairs (:data:`COPIES`): a copy with renamed variables and its functions reordered (:func:`copied`).

``python -m corpus.class_builder DEST`` (from ``tests/``) writes it; :func:`build` is what tests call.
"""
from __future__ import annotations

import ast
import random
import re
import shutil
import sys
from pathlib import Path

from . import fresh, reference_sources, student_files, write_tree, zip_tree
from . import layouts
from .bugs import BUGS
from .variants import STUDENT_CODE, VARIANTS

NOTEBOOKS = ("FullyConnectedNets", "BatchNormalization", "Dropout", "ConvolutionalNetworks")
"""The course's notebooks (this project's assignment): the config of the class requires them."""
CONFIG_TOML = "[required]\nnotebooks = [" + ", ".join(f'"{stem}.ipynb"' for stem in NOTEBOOKS) + "]\n"
"""The course config of the class: the four notebooks are required."""

OTHER_COURSE = {"sol": "nndl", "tia": "cs231n-2017", "uma": "cs231n-2018", "vic": "cs231n-2021", "wes": "nndl"}
"""Student -> the course (profile) their code looks like; everyone else is this project's assignment."""
MISSING_NOTEBOOKS = {"ivy": ("BatchNormalization",), "jon": ("Dropout", "ConvolutionalNetworks")}
"""Students of the assignment who left out some of the required notebooks (they submitted the others)."""
COPIES = ({"kim", "leo"}, {"max", "nia"})
"""The copied pairs (student names as the batch names them): the second renamed and reordered the first's code."""
BROKEN = {"quin": "a corrupt zip"}
"""Submissions that cannot be graded at all."""
UNTOUCHED = {"pam": "the student template as handed out"}
"""Students who submitted the template untouched (every check fails; no similarity to anyone)."""
BUGGED = {"fay": "batchnorm_forward.ddof1", "gus": "conv_backward_naive.negative_pad_slice",
          "hal": "relu_backward.modifies_cache"}
"""Student -> the bug of the bug corpus planted in their (otherwise correct) code."""

RENAMES = {"out": "result", "dx": "grad_in", "dw": "grad_weights", "N": "num_rows", "mask": "keep", "cache": "memo"}
STUDENT = {f"cs231n/{rel}" for rel in student_files(reference_sources())}
"""The files of a cs231n/ package that students write."""


# ----------------------------------------------------------------------------- solutions
def reference_files():
    return {f"cs231n/{rel}": text for rel, text in reference_sources().items()}


def _usable(variant, allowed_files):
    return not variant.pending and (allowed_files is None or variant.file in allowed_files)


def independent(index):
    """The reference with the ``index``-th variant of every student function swapped in (where it has one):
    ``(files, functions replaced)``."""
    files, done = reference_files(), set()
    for function in [f for names in STUDENT_CODE.values() for f in names]:
        own = [v for v in VARIANTS if v.target == function]
        if index < len(own) and not own[index].functions & done:
            files = own[index].apply(files)
            done |= own[index].functions
    return files, done


def solution(student, files=None, keep=()):
    """A student's own correct solution: for every function of ``files`` (package-relative; None: every file), one
    of its corpus variants (the reference's code where it has none), drawn by a generator seeded with ``student``; ``keep`` stays the reference's
    (where a bug is planted). Returns ``{"cs231n/<file>": text}``."""
    rng = random.Random(f"class_builder:{student}")
    out, done = reference_files(), set(keep)
    for function in [f for names in STUDENT_CODE.values() for f in names]:
        own = [v for v in VARIANTS if v.target == function and _usable(v, files)]
        choice = rng.randrange(len(own)) if own else 0
        if choice < len(own) and not own[choice].functions & done:
            out = own[choice].apply(out)
            done |= own[choice].functions
    return out


def renamed_variables(text):
    """``text`` with the names of :data:`RENAMES` renamed (not as a quoted string: ``config["cache"]`` stays)."""
    for old, new in RENAMES.items():
        text = re.sub(rf"(?<![\"'])\b{old}\b(?![\"'])", new, text)
    return text


def reordered(text):
    """The module's top-level functions in reverse order (the header and classes stay first)."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if len(defs) < 2:
        return text
    starts = [min([n.lineno] + [d.lineno for d in n.decorator_list]) - 1 for n in defs]
    ends = starts[1:] + [len(lines)]
    blocks = ["".join(lines[s:e]).rstrip("\n") + "\n\n\n" for s, e in zip(starts, ends)]
    return "".join(lines[:starts[0]]) + "".join(reversed(blocks))


def copied(files):
    """A copy that renames variables and reorders the functions of every student file."""
    return {rel: reordered(renamed_variables(text)) if rel in STUDENT else text for rel, text in files.items()}


def bugged(files, bug_id):
    """``files`` with the bug corpus's bug ``bug_id`` applied to the function that has it."""
    bug = next(b for b in BUGS if b.id == bug_id)
    key = f"cs231n/{bug.file}"
    return {**files, key: bug.apply(files[key])}


def package_relative(files, package="cs231n"):
    return {rel[len(package) + 1:]: text for rel, text in files.items() if rel.startswith(package + "/")}


# ----------------------------------------------------------------------------- notebooks
def notebooks(stems=NOTEBOOKS, version="template"):
    """``{file name: text}`` of the course's notebooks, executed (the notebook corpus's clean notebooks)."""
    import nbformat

    from notebook_corpus.versions import clean

    reference = str(Path(__file__).resolve().parents[2] / "reference")  # the notebooks import it as ``cs231n``
    if reference not in sys.path:
        sys.path.insert(0, reference)
    return {f"{stem}.ipynb": nbformat.writes(clean(version, stem)) for stem in stems}


def _with_notebooks(files, student, prefix=""):
    missing = MISSING_NOTEBOOKS.get(student, ())
    return {**files, **{prefix + name: text for name, text in notebooks([s for s in NOTEBOOKS if s not in missing]).items()}}


# ----------------------------------------------------------------------------- the class
def _cs231n_folder(dest, student, files):
    write_tree(dest / student, _with_notebooks(files, student))


def _zip(dest, name, files, top=None, junk=False):
    scratch = dest.parent / f".{dest.name}-{name}"
    write_tree(fresh(scratch), files)
    zip_tree(scratch, dest / name, top=top, junk=junk)
    shutil.rmtree(scratch)


def _fc_2016(text):
    old = "        normalization=None,\n"
    if text.count(old) != 1:
        raise ValueError("classifiers/fc_net.py: FullyConnectedNet's normalization parameter not found")
    return text.replace(old, old + "        use_batchnorm=False,\n")


def build(dest: Path) -> Path:
    """Write the class into the empty folder ``dest`` (emptied first) and return it."""
    dest = fresh(dest)
    for student in ("ada", "ivy", "jon", "kim", "max"):
        _cs231n_folder(dest, student, solution(student))
    _cs231n_folder(dest, "leo", copied(solution("kim")))
    _zip(dest, "nia.zip", _with_notebooks(copied(solution("max")), "nia"), top="assignment2")
    for student, bug_id in BUGGED.items():
        bug = next(b for b in BUGS if b.id == bug_id)
        files = bugged(solution(student, keep={bug.target}), bug_id)
        if student == "gus":  # a zip with a top folder
            _zip(dest, "gus.zip", _with_notebooks(files, student), top="hw2")
        else:
            _cs231n_folder(dest, student, files)
    # zips made from outside the package folder (cs231n/ at the top, macOS litter) and from inside it
    _zip(dest, "ben.zip", _with_notebooks(solution("ben"), "ben"), junk=True)
    _zip(dest, "cora.zip", _with_notebooks(package_relative(solution("cora")), "cora"))
    # the same assignment in the forks' package names (their imports rewritten)
    forks = None
    write_tree(dest / "dan", _with_notebooks(layouts.renamed("cs260", package_relative(solution("dan", forks))), "dan"))
    _zip(dest, "eve.zip", _with_notebooks(layouts.renamed("libs", package_relative(solution("eve", forks))), "eve"),
         top="eve_hw2")
    # did nothing: the untouched template
    from autograder.editions.template import render

    write_tree(dest / "pam", {rel: text for rel, text in render().items()
                              if rel.startswith("cs231n/") and rel.endswith(".py")})
    (dest / "quin.zip").write_bytes(b"PK\x03\x04 not really a zip")
    # other courses and years
    no_conv = None
    sol = layouts.nndl("cs231n", package_relative(solution("sol", files=no_conv, keep=set(layouts.CONV_FUNCTIONS))))
    sol.update(notebooks(("Batch-Normalization",), version="nndl"))
    write_tree(dest / "sol", sol)
    wes = layouts.nndl("utils", package_relative(solution("wes", files=no_conv, keep=set(layouts.CONV_FUNCTIONS))))
    write_tree(dest / "wes", {f"submission/wes_123/{rel}": text for rel, text in wes.items()})
    tia = solution("tia", keep={"FullyConnectedNet"})
    tia["cs231n/classifiers/fc_net.py"] = _fc_2016(tia["cs231n/classifiers/fc_net.py"])
    tia.update(notebooks(("BatchNormalization",), version="cs231n-2016"))
    write_tree(dest / "tia", tia)
    uma = layouts.renamed("libs", package_relative(solution("uma", forks)))
    uma["libs/classifiers/fc_net.py"] = uma["libs/classifiers/fc_net.py"].replace("dropout_keep_ratio", "dropout")
    write_tree(dest / "uma", _with_notebooks(uma, "uma"))
    vic = layouts.renamed("deeplearning", package_relative(solution("vic", forks)))
    vic["deeplearning/classifiers/fc_net.py"] = layouts.without_class(vic["deeplearning/classifiers/fc_net.py"],
                                                                      "TwoLayerNet")
    del vic["deeplearning/layer_checks.py"]
    _zip(dest, "vic.zip", vic, top="assignment2")
    return dest


if __name__ == "__main__":
    target = build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("class"))
    print(f"wrote {target}: {len(list(target.iterdir()))} submissions")
