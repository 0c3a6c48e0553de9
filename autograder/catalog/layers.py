"""Affine, ReLU and the loss layers: the notebooks' cells and hidden checks on other inputs."""
import numpy as np

from .judges import Close, GradientClose, SameAsReference, Unchanged
from ..model import Case, Test
from .build import gradient_case, reference_case, value_case
from .inputs import labels, linspace, randn

AFFINE_OUT = [[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]]
RELU_OUT = [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.04545455, 0.13636364], [0.22727273, 0.31818182, 0.40909091, 0.5]]


def _affine_notebook(rng):
    x = linspace(-0.1, 0.5, (2, 4, 5, 6))
    w = linspace(-0.2, 0.3, (120, 3))
    b = linspace(-0.3, 0.1, (3,))
    return (x, w, b)


def _affine_args(n, shape, m, dtype="float64"):
    def make(rng):
        x, w = randn(rng, n, *shape, dtype=dtype), randn(rng, int(np.prod(shape)), m, dtype=dtype)
        return (x, w, randn(rng, m, dtype=dtype)), randn(rng, n, m, dtype=dtype)
    return make


def _relu_args(shape, dtype="float64"):
    def make(rng):
        return (randn(rng, *shape, dtype=dtype),), randn(rng, *shape, dtype=dtype)
    return make


def _loss_case(id, target, tol_grad, expected_loss, loss_tol, seed):
    def make_inputs(rng):
        x = 0.001 * rng.randn(50, 10)
        return {"target": target, "args": (x, labels(rng, 50, 10)), "numeric": (0,), "directions": (0,)}

    def loss_near(outputs, inputs):
        loss = float(outputs["loss"])
        ok = abs(loss - expected_loss) < loss_tol
        return ok, ("" if ok else f"loss is {loss:.6g}, expected about {expected_loss} on tiny random scores"), loss
    loss_near.evidence = lambda outputs, inputs: (  # for the diagnoses: the value, the target and the tolerance
        "loss", float(outputs["loss"]), expected_loss, loss_tol / (2 * expected_loss), "loss")

    from .judges import Predicate
    tests = (
        Test("notebook: loss on tiny scores", Predicate(loss_near, "loss"), 1.0, "value"),
        Test("notebook: gradient dx", GradientClose("dx", 0, tol_grad, "dx", dout=None, like="x",
                                                                 shortcut=SameAsReference()), 1.0, "gradient"),
        Test("notebook: does not modify x", Unchanged("args_after.0", "args.0", "x", function=target), 0.25,
             "side_effect", "Leave x as it was given: compute new arrays instead of writing into it."),
        Test("notebook: does not modify y", Unchanged("args_after.1", "args.1", "y", function=target), 0.25,
             "side_effect", "Read y; never write into it."),
    )
    return Case(id, target, "loss_gradient", make_inputs, tests, seed=seed, group="losses")


def _loss_reference(id, target, n, c, seed):
    def make_inputs(rng):
        return {"target": target, "args": (rng.randn(n, c), labels(rng, n, c)), "numeric": ()}
    tests = (Test(f"{n}x{c} scores: loss", Close("loss", 1e-7, "loss"), 1.0, "reference"),
             Test(f"{n}x{c} scores: dx", Close("dx", 1e-7, "dx", like="x"), 1.0, "reference"))
    return Case(id, target, "loss_gradient", make_inputs, tests, seed=seed, visibility="hidden", group="losses")


CASES = [
    value_case("affine_forward.notebook", "affine_forward", _affine_notebook, AFFINE_OUT, 1e-7,
               arg_names=("x", "w", "b"), hint="The shape rule: each example must become one row of D numbers before the product with w."),
    gradient_case("affine_backward.notebook", "affine_forward", "affine_backward",
                  _affine_args(10, (2, 3), 5), ("dx", "dw", "db"), 1e-8, arg_names=("x", "w", "b"), seed=231),
    value_case("relu_forward.notebook", "relu_forward", lambda rng: (linspace(-0.5, 0.5, (3, 4)),), RELU_OUT, 1e-6,
               arg_names=("x",), hint="ReLU works elementwise: the output has x's shape."),
    gradient_case("relu_backward.notebook", "relu_forward", "relu_backward", _relu_args((10, 10)), ("dx",), 1e-9,
                  arg_names=("x",), seed=231),
    _loss_case("svm_loss.notebook", "svm_loss", 1e-7, 9.0, 0.1, seed=231),
    _loss_case("softmax_loss.notebook", "softmax_loss", 1e-6, 2.3026, 0.01, seed=231),
    reference_case("affine_backward.hidden.batch1", "affine_forward", "affine_backward", _affine_args(1, (7,), 4),
                   ("dx", "dw", "db"), arg_names=("x", "w", "b"), title="batch of 1"),
    reference_case("affine_backward.hidden.4d", "affine_forward", "affine_backward", _affine_args(6, (3, 2, 5), 9),
                   ("dx", "dw", "db"), arg_names=("x", "w", "b"), title="4-D input"),
    reference_case("affine_backward.hidden.float32", "affine_forward", "affine_backward",
                   _affine_args(5, (4, 3), 6, "float32"), ("dx", "dw", "db"), arg_names=("x", "w", "b"),
                   title="float32", dtype="float32"),
    reference_case("relu_backward.hidden.3d", "relu_forward", "relu_backward", _relu_args((4, 5, 6)), ("dx",),
                   arg_names=("x",), title="3-D input"),
    reference_case("relu_backward.hidden.float32", "relu_forward", "relu_backward", _relu_args((7, 3), "float32"),
                   ("dx",), arg_names=("x",), title="float32", dtype="float32"),
    _loss_reference("svm_loss.hidden", "svm_loss", 13, 6, 0),
    _loss_reference("softmax_loss.hidden", "softmax_loss", 13, 6, 0),
]
