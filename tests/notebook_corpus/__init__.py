"""Corpus of submitted notebooks for the notebook checks, generated at test time with nbformat.

The base notebook (:data:`CELLS`) is a short CS231n ``layers`` notebook whose test cells are the notebooks'
own; :func:`executed` runs it in this process against the reference package (``cs231n`` on ``sys.path``), the
way a student's kernel would, so its printed values are real. Every other entry is what real submissions look
like: never run, re-run out of order, with error outputs, with hand-edited printed values, with a cell that
loops forever, truncated JSON, and the structure of seed 002 (a cs260 notebook re-run out of order, with a
cell never executed and a fast-layer difference of 1.0 printed). :mod:`.versions` writes the notebooks of every
course notebook version the same way.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import io
import json
import traceback

import nbformat

SETUP = '''\
# As usual, a bit of setup
import numpy as np
from cs231n.layers import *
from cs231n.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array


def rel_error(x, y):
    """ returns relative error """
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))'''

AFFINE_FORWARD = '''\
# Test the affine_forward function
num_inputs = 2
input_shape = (4, 5, 6)
output_dim = 3
input_size = num_inputs * np.prod(input_shape)
weight_size = output_dim * np.prod(input_shape)
x = np.linspace(-0.1, 0.5, num=input_size).reshape(num_inputs, *input_shape)
w = np.linspace(-0.2, 0.3, num=weight_size).reshape(np.prod(input_shape), output_dim)
b = np.linspace(-0.3, 0.1, num=output_dim)
out, _ = affine_forward(x, w, b)
correct_out = np.array([[ 1.49834967,  1.70660132,  1.91485297],
                        [ 3.25553199,  3.5141327,   3.77273342]])
# Compare your output with ours. The error should be around 1e-9.
print('Testing affine_forward function:')
print('difference: ', rel_error(out, correct_out))'''

AFFINE_BACKWARD = '''\
# Test the affine_backward function
np.random.seed(231)
x = np.random.randn(10, 2, 3)
w = np.random.randn(6, 5)
b = np.random.randn(5)
dout = np.random.randn(10, 5)
dx_num = eval_numerical_gradient_array(lambda x: affine_forward(x, w, b)[0], x, dout)
dw_num = eval_numerical_gradient_array(lambda w: affine_forward(x, w, b)[0], w, dout)
db_num = eval_numerical_gradient_array(lambda b: affine_forward(x, w, b)[0], b, dout)
_, cache = affine_forward(x, w, b)
dx, dw, db = affine_backward(dout, cache)
# The error should be around 1e-10
print('Testing affine_backward function:')
print('dx error: ', rel_error(dx_num, dx))
print('dw error: ', rel_error(dw_num, dw))
print('db error: ', rel_error(db_num, db))'''

RELU_FORWARD = '''\
# Test the relu_forward function
x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
out, _ = relu_forward(x)
correct_out = np.array([[ 0.,          0.,          0.,          0.,        ],
                        [ 0.,          0.,          0.04545455,  0.13636364,],
                        [ 0.22727273,  0.31818182,  0.40909091,  0.5,       ]])
# Compare your output with ours. The error should be around 5e-8
print('Testing relu_forward function:')
print('difference: ', rel_error(out, correct_out))'''

LOSSES = '''\
np.random.seed(231)
num_classes, num_inputs = 10, 50
x = 0.001 * np.random.randn(num_inputs, num_classes)
y = np.random.randint(num_classes, size=num_inputs)
dx_num = eval_numerical_gradient(lambda x: svm_loss(x, y)[0], x, verbose=False)
loss, dx = svm_loss(x, y)
# Test svm_loss function. Loss should be around 9 and dx error should be 1e-9
print('Testing svm_loss:')
print('loss: ', loss)
print('dx error: ', rel_error(dx_num, dx))
dx_num = eval_numerical_gradient(lambda x: softmax_loss(x, y)[0], x, verbose=False)
loss, dx = softmax_loss(x, y)
# Test softmax_loss function. Loss should be 2.3 and dx error should be 1e-8
print('\\nTesting softmax_loss:')
print('loss: ', loss)
print('dx error: ', rel_error(dx_num, dx))'''

TRAINING = '''\
from cs231n.classifiers.fc_net import TwoLayerNet
from cs231n.data_utils import get_digits_data
from cs231n.solver import Solver

np.random.seed(0)
data = get_digits_data(num_training=300, num_validation=100, num_test=100)
model = TwoLayerNet(hidden_dim=50, weight_scale=1e-3)
solver = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 3e-3},
                num_epochs=4, batch_size=100, print_every=100)
solver.train()'''

CELLS = (SETUP, AFFINE_FORWARD, AFFINE_BACKWARD, RELU_FORWARD, LOSSES, TRAINING)
"""The base notebook's code cells (a markdown cell precedes each test cell)."""
TEST_CELLS = {"affine_forward": 1, "affine_backward": 2, "relu_forward": 3, "losses": 4, "training": 5}
"""Position of each test cell among the code cells (0-based)."""


def notebook(sources=CELLS):
    """An unexecuted notebook: a markdown cell before every code cell after the first."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    for number, source in enumerate(sources):
        if number:
            nb.cells.append(nbformat.v4.new_markdown_cell(f"## Step {number}"))
        nb.cells.append(nbformat.v4.new_code_cell(source))
    return nb


def code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def run_in_process(nb, namespace=None):
    """Execute the code cells top to bottom in this process, recording stdout and exceptions as outputs."""
    namespace = {} if namespace is None else namespace
    for count, cell in enumerate(code(nb), start=1):
        stdout = io.StringIO()
        cell.execution_count, cell.outputs = count, []
        try:
            with contextlib.redirect_stdout(stdout):
                exec(compile(cell.source, f"<cell {count}>", "exec"), namespace)  # noqa: S102 - the corpus itself
            error = None
        except Exception as exc:  # noqa: BLE001 - recorded as the error output, as Jupyter does
            error = exc
        if stdout.getvalue():
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=stdout.getvalue()))
        if error is not None:
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename=type(error).__name__, evalue=str(error),
                traceback=traceback.format_exception_only(type(error), error)))
    return nb


@functools.lru_cache(maxsize=1)
def _executed():
    return run_in_process(notebook())


def executed():
    """The base notebook run top to bottom against the reference: in order, no errors, real values."""
    return copy.deepcopy(_executed())


def never_run():
    """Submitted without running anything (the template as handed out)."""
    return notebook()


def out_of_order():
    """The affine_backward cell re-run at the end (count 9 above counts 4, 5, 6)."""
    nb = executed()
    code(nb)[TEST_CELLS["affine_backward"]].execution_count = 9
    return nb


def one_cell_not_run():
    """The training cell never executed (one in five real notebooks has such a cell)."""
    nb = executed()
    cell = code(nb)[TEST_CELLS["training"]]
    cell.execution_count, cell.outputs = None, []
    return nb


def with_error():
    """The relu_forward cell raised (the student's relu_forward was broken when the notebook was run)."""
    nb = executed()
    cell = code(nb)[TEST_CELLS["relu_forward"]]
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Testing relu_forward function:\n"),
                    nbformat.v4.new_output("error", ename="TypeError", evalue="'NoneType' object is not subscriptable",
                                           traceback=["TypeError: 'NoneType' object is not subscriptable"])]
    return nb


def edit_output(nb, position, old, new):
    """Replace printed text in a code cell's stdout (a hand edit)."""
    cell = code(nb)[position]
    for output in cell.outputs:
        if output.output_type == "stream" and old in output.text:
            output.text = output.text.replace(old, new)
            return nb
    raise ValueError(f"{old!r} is not printed by code cell {position + 1}")


def printed_line(nb, position, label):
    """The printed line of a code cell that starts with ``label``."""
    for output in code(nb)[position].outputs:
        for line in output.get("text", "").splitlines():
            if line.strip().startswith(label):
                return line
    raise ValueError(f"code cell {position + 1} prints no {label!r} line")


def hand_edited():
    """affine_forward's difference edited from ~1e-9 to 1.2e-15: still within the threshold, so only
    re-execution can tell; relu_forward's difference edited to a value outside it."""
    nb = executed()
    line = printed_line(nb, TEST_CELLS["affine_forward"], "difference")
    nb = edit_output(nb, TEST_CELLS["affine_forward"], line, "difference:  1.2e-15")
    line = printed_line(nb, TEST_CELLS["relu_forward"], "difference")
    return edit_output(nb, TEST_CELLS["relu_forward"], line, "difference:  0.0042")


LOOPS = (
    "import time\nprint('setup done')",
    "while True:\n    pass",
    "print('after the loop')",
    "while True:\n    try:\n        time.sleep(0.1)\n    except KeyboardInterrupt:\n        pass",
    "print('never reached')",
)


def loops_forever():
    """A cell that loops forever (interrupted by the student: KeyboardInterrupt), then a cell that ignores
    interrupts and was still running ([*]) when the notebook was saved, then a cell after it."""
    nb = notebook(LOOPS)
    cells = code(nb)
    for count, cell in enumerate(cells[:3], start=1):
        cell.execution_count = count
    cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="setup done\n")]
    cells[1].outputs = [nbformat.v4.new_output("error", ename="KeyboardInterrupt", evalue="",
                                               traceback=["KeyboardInterrupt: "])]
    cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="after the loop\n")]
    return nb


def seed_002():
    """The structure of seed 002 (cs260 ConvolutionalNetworks, 2022): a Colab setup cell, counts 5, 7, 17,
    33-37 then 8-11 (re-run out of order), the fast-layer cell printing ``dw difference: 1.0``, and the
    filter-visualisation cell never executed (``[ ]``)."""
    cells = [
        (5, "from google.colab import drive\ndrive.mount('/content/drive')\nFOLDERNAME = 'cs260/hw_5'",
         "Drive already mounted at /content/drive\n"),
        (7, "import numpy as np\nfrom cs260.layers import *\nfrom cs260.fast_layers import *", ""),
        (17, "data = get_CIFAR10_data()\nfor k, v in list(data.items()):\n    print(f\"{k}: {v.shape}\")",
         "X_train: (49000, 3, 32, 32)\ny_train: (49000,)\n"),
        (34, "out, _ = conv_forward_naive(x, w, b, conv_param)\nprint('Testing conv_forward_naive')\n"
             "print('difference: ', rel_error(out, correct_out))",
         "Testing conv_forward_naive\ndifference:  2.2121476417505994e-08\n"),
        (36, "out, _ = max_pool_forward_naive(x, pool_param)\n"
             "print('Testing max_pool_forward_naive function:')\nprint('difference: ', rel_error(out, correct_out))",
         "Testing max_pool_forward_naive function:\ndifference:  4.1666665157267834e-08\n"),
        (37, "%cd /content/drive/My\\ Drive/$FOLDERNAME/cs260/\n!python setup.py build_ext --inplace",
         "running build_ext\n"),
        (8, "np.random.seed(260)\nout_naive, cache_naive = conv_forward_naive(x, w, b, conv_param)\n"
            "out_fast, cache_fast = conv_forward_fast(x, w, b, conv_param)\nprint('Testing conv_forward_fast:')\n"
            "print('Difference: ', rel_error(out_naive, out_fast))\nprint('\\nTesting conv_backward_fast:')\n"
            "print('dx difference: ', rel_error(dx_naive, dx_fast))\n"
            "print('dw difference: ', rel_error(dw_naive, dw_fast))\n"
            "print('db difference: ', rel_error(db_naive, db_fast))",
         "Testing conv_forward_fast:\nNaive: 16.609110s\nFast: 0.020297s\nSpeedup: 818.292037x\n"
         "Difference:  1.679462625588412e-11\n\nTesting conv_backward_fast:\nNaive: 0.337749s\nFast: 0.012112s\n"
         "Speedup: 27.886280x\ndx difference:  1.385448899834027e-11\ndw difference:  1.0\n"
         "db difference:  9.102117060584485e-16\n"),
        (18, "model = ThreeLayerConvNet()\nloss, grads = model.loss(X, y)\n"
             "print ('Initial loss (no regularization): ', loss)\nmodel.reg = 0.5\nloss, grads = model.loss(X, y)\n"
             "print ('Initial loss (with regularization): ', loss)",
         "Initial loss (no regularization):  2.30258443722709\nInitial loss (with regularization):  "
         "2.5091526634453136\n"),
        (None, "from cs260.vis_utils import visualize_grid\n"
               "grid = visualize_grid(model.params['W1'].transpose(0, 2, 3, 1))",
         ""),
    ]
    nb = notebook([source for _, source, _ in cells])
    for cell, (count, _, text) in zip(code(nb), cells):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)] if text else []
    return nb


def dumps(nb):
    return nbformat.writes(nb)


def truncated(nb):
    """The notebook's JSON cut off in the middle (an interrupted upload or save)."""
    text = dumps(nb)
    return text[: len(text) // 2]


def schema_invalid(nb):
    """Valid JSON with an nbformat schema error: a code cell without ``outputs``."""
    data = json.loads(dumps(nb))
    for cell in data["cells"]:
        if cell["cell_type"] == "code":
            del cell["outputs"]
            break
    return json.dumps(data)
