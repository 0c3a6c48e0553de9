"""One corpus notebook per course notebook of every notebook version (:data:`~autograder.notebook_checks.rules.
VERSIONS`), written by the project from each version's cell structure, with real printed values.

How a version's notebook is made: its test cells are the course's own (template) test cells of the same rule id,
executed once in this process against the reference package (``cs231n`` on ``sys.path``), with the training
cells replaced by short real trainings on a few of the shipped digits that still print the Solver's lines. Each
version then rewrites what differs, in the source *and* in the printed text, never in the numbers: the package it
imports, the constructor's keywords (``use_batchnorm=True``, ``dropout=``), the print labels (2016's ``mean:``,
CS182's ``dx relative error:``, nndl's ``a error``), the header of a cell, and its Colab setup cell.

Planted problems (:func:`planted`) on every clean notebook: a test cell re-run out of order, a test cell whose
run raised, a test cell never run, a hand-edited printed value and a deleted test cell.
"""
from __future__ import annotations

import copy
import functools
import os
import re

import nbformat

from autograder.notebook_checks.rules import VERSIONS_BY_ID
from autograder.notebook_checks.rules.template import VERSION as TEMPLATE

from . import notebook, run_in_process

_MAGIC = re.compile(r"^\s*[%!].*$", re.M)

TRAINING = {
    "two_layer_net_solver": '''\
small = get_digits_data(num_training=300, num_validation=100, num_test=100)
np.random.seed(0)
model = TwoLayerNet(hidden_dim=50, weight_scale=1e-3)
solver = Solver(model, small, update_rule="sgd", optim_config={"learning_rate": 3e-3},
                num_epochs=4, batch_size=100, print_every=100)
solver.train()''',
    "overfit_three_layer": '''\
small = get_digits_data(num_training=50, num_validation=100, num_test=0)
np.random.seed(231)
model = FullyConnectedNet([100, 100], weight_scale=3e-2, dtype=np.float64)
solver = Solver(model, small, print_every=10, num_epochs=20, batch_size=25, update_rule="sgd",
                optim_config={"learning_rate": 1e-3})
solver.train()''',
    "overfit_five_layer": '''\
small = get_digits_data(num_training=50, num_validation=100, num_test=0)
np.random.seed(231)
model = FullyConnectedNet([100, 100, 100, 100], weight_scale=5e-2, dtype=np.float64)
solver = Solver(model, small, print_every=10, num_epochs=20, batch_size=25, update_rule="adam",
                optim_config={"learning_rate": 1e-3})
solver.train()''',
    "best_model": '''\
small = get_digits_data(num_training=300, num_validation=100, num_test=100)
np.random.seed(0)
best_model = TwoLayerNet(hidden_dim=50, weight_scale=1e-3)
Solver(best_model, small, update_rule="sgd", optim_config={"learning_rate": 3e-3}, num_epochs=4,
       batch_size=100, verbose=False).train()
y_test_pred = np.argmax(best_model.loss(small["X_test"]), axis=1)
y_val_pred = np.argmax(best_model.loss(small["X_val"]), axis=1)
print("Validation set accuracy: ", (y_val_pred == small["y_val"]).mean())
print("Test set accuracy: ", (y_test_pred == small["y_test"]).mean())''',
    "cnn_one_epoch": '''\
small = get_digits_data(num_training=300, num_validation=100, num_test=0)
np.random.seed(231)
model = ThreeLayerConvNet(num_filters=8, filter_size=3, hidden_dim=50, weight_scale=1e-2, reg=1e-3)
solver = Solver(model, small, num_epochs=1, batch_size=50, update_rule="adam",
                optim_config={"learning_rate": 1e-3}, verbose=True, print_every=20)
solver.train()''',
}
"""Short real trainings that replace the course's training cells when the corpus is executed (their shown
source stays the course's cell)."""


def _executable(source):
    return _MAGIC.sub("pass", source)


@functools.lru_cache(maxsize=None)
def template_run(stem):
    """The course's notebook ``stem``: its two setup cells and its test cells, executed top to bottom here.

    Returns ``[(rule ids, shown source, executed cell)]`` (rule ids empty for the setup cells)."""
    from autograder.editions import notebook_sources

    text = notebook_sources.render(lambda source, *_: source)[f"{stem}.ipynb"]
    cells = [c for c in nbformat.reads(text, as_version=4).cells if c.cell_type == "code"]
    rules = TEMPLATE.rules(stem)
    kept = []
    for position, cell in enumerate(cells):
        ids = tuple(rule.id for rule in rules if rule.matches(cell.source))
        if position < 2 or ids:
            kept.append((ids, cell.source))
    executed = [TRAINING.get(ids[0], cell) if len(ids) == 1 else cell for ids, cell in kept]
    nb = notebook([_executable(source) for source in executed])
    previous = os.environ.get("CS231N_QUICK")
    os.environ["CS231N_QUICK"] = "1"
    try:
        run_in_process(nb, {"__name__": "__corpus__"})
    finally:
        if previous is None:
            os.environ.pop("CS231N_QUICK", None)
        else:
            os.environ["CS231N_QUICK"] = previous
    code = [c for c in nb.cells if c.cell_type == "code"]
    return [(ids, source, cell) for (ids, source), cell in zip(kept, code)]


# What each version changes, as (pattern, replacement) on both the source and the printed text of a test cell.
_DROPOUT_KEYWORD = ((r"dropout_keep_ratio", "dropout"),)
_DROP_PROBABILITY = ((r"dropout_keep_ratio", "dropout"), (r"\[1, 0\.75, 0\.5\]", "[0, 0.25, 0.5]"),
                     (r"dropout =  1\n", "dropout =  0\n"), (r"dropout =  0\.75\n", "dropout =  0.25\n"))
"""2016-2017 (and nndl, CS182): ``dropout`` is the probability of dropping a unit, so the keep ratios 1, 0.75
and 0.5 of the course's cell are the drop probabilities 0, 0.25 and 0.5."""
_BATCHNORM_2016 = ((r"normalization\s*=\s*[\"']batchnorm[\"']", "use_batchnorm=True"),)
_MEAN_STD_2016 = ((r"(\(gamma=1, beta=0\)[\"']?\)?\n(?:.*\n)*?\s*(?:print\()?[\"']?\s*)means:", r"\1mean:"),
                  (r"(\(gamma=1, beta=0\)[\"']?\)?\n(?:.*\n)*?\s*(?:print\()?[\"']?\s*)stds:", r"\1std:"))
_AFFINE_RELU_2016 = ((r"Testing affine_relu_forward and affine_relu_backward:", "Testing affine_relu_forward:"),)
_RELATIVE = ((r"Testing (?:conv|max_pool)_backward_naive function:?\n?", ""),
             (r"\b(dx|dw|db) error:", r"\1 relative error:"))
_NNDL_ADAM = ((r"expected_m\b", "expected_a"), (r"config\[\"m\"\]", "config[\"a\"]"), (r"\bm error:", "a error:"))

EDITS = {
    "cs231n-2021": {"dropout_net_gradients": ()},
    "cs231n-2018": {"dropout_net_gradients": _DROPOUT_KEYWORD},
    "cs231n-2016": {"dropout_net_gradients": _DROP_PROBABILITY, "batchnorm_net_gradients": _BATCHNORM_2016,
                    "batchnorm_forward": _MEAN_STD_2016, "affine_relu": _AFFINE_RELU_2016},
    "libs": {"dropout_net_gradients": _DROPOUT_KEYWORD},
    "nndl": {"dropout_net_gradients": _DROPOUT_KEYWORD, "batchnorm_net_gradients": _BATCHNORM_2016,
             "batchnorm_forward": _MEAN_STD_2016, "adam": _NNDL_ADAM},
    "cs182": {"dropout_net_gradients": _DROPOUT_KEYWORD, "batchnorm_net_gradients": _BATCHNORM_2016,
              "batchnorm_forward": _MEAN_STD_2016, "conv_backward_naive": _RELATIVE,
              "max_pool_backward_naive": _RELATIVE},
}
"""Per version and rule id, what its test cell says differently from the course's own."""
SOURCE_STEM = {"Optimization": "FullyConnectedNets", "Batch-Normalization": "BatchNormalization",
               "CNN-Layers": "ConvolutionalNetworks", "CNN-BatchNorm": "ConvolutionalNetworks",
               "CNN": "ConvolutionalNetworks", "bn_drop": ("BatchNormalization", "Dropout"),
               "cnn": "ConvolutionalNetworks"}
"""The course notebook(s) whose test cells another course's notebook takes."""
COLAB = ("from google.colab import drive\ndrive.mount('/content/drive')\nFOLDERNAME = 'cs231n/assignments/"
         "assignment2/'")


def _edit(text, edits):
    for pattern, replacement in edits:
        text = re.sub(pattern, replacement, text)
    return text


def _setup(version, stem):
    """The version's setup and data cells as shown: its package, CIFAR-10 loading, no offline digits."""
    imports = ["import numpy as np", "import matplotlib.pyplot as plt"]
    for module in ("classifiers.fc_net", "classifiers.cnn", "layers", "layer_utils", "fast_layers",
                   "gradient_check", "solver", "data_utils"):
        package = version.package
        if version.id == "nndl" and module in ("gradient_check", "solver", "data_utils", "fast_layers"):
            package = "cs231n"
        names = {"gradient_check": "eval_numerical_gradient, eval_numerical_gradient_array",
                 "solver": "Solver", "data_utils": "get_CIFAR10_data"}.get(module, "*")
        imports.append(f"from {package}.{module} import {names}")
    rel_error = ("\n\ndef rel_error(x, y):\n    \"\"\" returns relative error \"\"\"\n"
                 "    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))")
    load = "data = get_CIFAR10_data()\nfor k, v in list(data.items()):\n    print(('%s: ' % k, v.shape))"
    return "\n".join(imports) + rel_error, load


def clean(version_id, stem):
    """The version's notebook ``stem``, run top to bottom (the printed values are the reference's)."""
    version = VERSIONS_BY_ID[version_id]
    sources = SOURCE_STEM.get(stem, stem) if version.id in ("nndl", "cs182") else stem
    runs = [run for name in ((sources,) if isinstance(sources, str) else sources) for run in template_run(name)]
    edits = EDITS.get(version.id, {})
    wanted = [rule.id for rule in version.rules(stem)]
    cells = []
    if version.id != "template":
        setup, load = _setup(version, stem)
        cells += [(COLAB, None)] if version.id in ("cs231n-2021", "cs260") else []
        cells += [(setup, runs[0][2]), (load, runs[1][2])]
    else:
        cells += [(source, cell) for ids, source, cell in runs[:2]]
    for ids, source, cell in runs:
        if not ids or not any(i in wanted for i in ids):
            continue
        cell = copy.deepcopy(cell)
        change = [e for i in ids for e in edits.get(i, ())]
        for output in cell.outputs:
            if output.get("output_type") == "stream":
                output["text"] = _edit(output["text"], change)
        if version.id != "template":
            source = source.replace("from cs231n.", f"from {version.package}.")
        cells.append((_edit(source, change), cell))
    nb = notebook([source for source, _ in cells])
    for count, (cell, (_, run)) in enumerate(zip([c for c in nb.cells if c.cell_type == "code"], cells), start=1):
        cell.execution_count = count
        cell.outputs = copy.deepcopy(run.outputs) if run is not None else []
    return nb


def versions():
    """Every ``(version id, notebook stem)`` of the corpus."""
    return [(v.id, stem) for v in VERSIONS_BY_ID.values() for stem, _ in v.notebooks]


def test_cells(nb, version_id, stem):
    """``[(rule, code cell position)]`` of the version's test cells in ``nb``."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    found = []
    for rule in VERSIONS_BY_ID[version_id].rules(stem):
        positions = [i for i, c in enumerate(code) if rule.matches(c.source)]
        if positions:
            found.append((rule, positions[-1]))
    return found


def planted(version_id, stem, nb):
    """``(rule, {name: (notebook, expected failing check titles as regular expressions)})`` planted in a clean
    notebook, on the test cell of ``rule`` (the middle one): each must be caught."""
    code = lambda n: [c for c in n.cells if c.cell_type == "code"]  # noqa: E731
    cells = test_cells(nb, version_id, stem)
    rule, position = cells[len(cells) // 2]
    first = rf"^{re.escape(rule.title)} "
    plants = {}

    late = copy.deepcopy(nb)
    code(late)[0].execution_count = len(code(late)) + 5  # the setup cell re-run after the others
    plants["out of order"] = (late, [r"^cells executed in order"])

    raised = copy.deepcopy(nb)
    target = code(raised)[position]
    target.outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="shapes (4,5) and (6,3) not aligned",
                                             traceback=["ValueError: shapes (4,5) and (6,3) not aligned"])]
    plants["error output"] = (raised, [r"^no error outputs$", first])

    never = copy.deepcopy(nb)
    target = code(never)[position]
    target.execution_count, target.outputs = None, []
    plants["cell never run"] = (never, [r"^every code cell executed$", first])

    edited = copy.deepcopy(nb)
    target = code(edited)[position]
    value = rule.values[0]
    for output in target.outputs:
        if output.get("output_type") == "stream":
            output["text"] = _spoil(output["text"], value)
    plants["hand-edited value"] = (edited, [rf"^{re.escape(rule.title)} {re.escape(value.name)} "])

    deleted = copy.deepcopy(nb)
    index = deleted.cells.index(code(deleted)[position])
    del deleted.cells[index]
    plants["test cell deleted"] = (deleted, [first])
    return rule, plants


def _spoil(text, value):
    """Every printed number of ``value`` replaced by one outside its threshold (a hand edit)."""
    pattern = value.regex()
    bad = "[ 7.5 7.5 7.5]" if value.array else ("1e+30" if value.judge.check(-4.2, ()) else "-4.2")
    lines, spoiled = text.split("\n"), False
    for i, line in enumerate(lines):
        match = pattern.search(line)
        if match:
            start, end = match.span("a" if value.array else "v")
            lines[i] = line[:start] + bad + ("" if value.array else line[end:])
            spoiled = True
    if not spoiled:
        raise ValueError(f"no {value.name} printed")
    return "\n".join(lines)
