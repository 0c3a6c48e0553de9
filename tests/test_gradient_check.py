"""cs231n.gradient_check: centred differences, input always restored, silent unless verbose."""
import random

import numpy as np
import pytest

from conftest import rel_error
from cs231n.gradient_check import (eval_numerical_gradient, eval_numerical_gradient_array,
                                   grad_check_sparse)


def _cube_sum(x):
    return np.sum(x**3)


class _FailOnCall:
    """A function that returns sum(x**2) until its n-th call, which raises."""

    def __init__(self, n):
        self.n, self.calls = n, 0

    def __call__(self, x):
        self.calls += 1
        if self.calls == self.n:
            raise RuntimeError("boom")
        return x**2


def test_eval_numerical_gradient_matches_analytic_gradient(rng_seed):
    x = np.random.randn(3, 4)
    grad = eval_numerical_gradient(_cube_sum, x)
    assert grad.shape == x.shape
    assert rel_error(grad, 3 * x**2) < 1e-8


def test_eval_numerical_gradient_uses_step_h():
    # For f(x) = x**3 the centred difference is 3x^2 + h^2 exactly: the step size is visible.
    x = np.array([0.5])
    grad = eval_numerical_gradient(_cube_sum, x, h=1e-2)
    assert grad[0] == pytest.approx(3 * 0.25 + 1e-4, rel=1e-9)


def test_eval_numerical_gradient_array_matches_analytic_gradient(rng_seed):
    x = np.random.randn(2, 3, 4)
    c = np.random.randn(2, 3, 4)
    df = np.random.randn(2, 3, 4)
    grad = eval_numerical_gradient_array(lambda x: c * x**2, x, df)
    assert rel_error(grad, 2 * c * x * df) < 1e-8


def test_eval_numerical_gradient_array_copes_with_f_returning_a_view_of_x(rng_seed):
    x = np.random.randn(4, 5)
    df = np.random.randn(4, 5)
    grad = eval_numerical_gradient_array(lambda x: x, x, df)
    assert rel_error(grad, df) < 1e-8


def test_inputs_are_left_bitwise_unchanged(rng_seed):
    x = np.random.randn(3, 5)
    x_before = x.copy()
    eval_numerical_gradient(_cube_sum, x)
    eval_numerical_gradient_array(lambda x: 2 * x, x, np.ones_like(x))
    grad_check_sparse(_cube_sum, x, 3 * x**2, num_checks=5, verbose=False)
    assert np.array_equal(x, x_before)


@pytest.mark.parametrize("fail_on_call", [1, 2, 3])
@pytest.mark.parametrize("check", ["scalar", "array", "sparse"])
def test_input_is_restored_when_f_raises(rng_seed, check, fail_on_call):
    x = np.random.randn(2, 3)
    x_before = x.copy()
    f = _FailOnCall(fail_on_call)
    with pytest.raises(RuntimeError, match="boom"):
        if check == "scalar":
            eval_numerical_gradient(lambda x: np.sum(f(x)), x)
        elif check == "array":
            eval_numerical_gradient_array(f, x, np.ones_like(x))
        else:
            grad_check_sparse(lambda x: np.sum(f(x)), x, 2 * x, verbose=False)
    assert np.array_equal(x, x_before)


def test_silent_by_default_and_verbose_prints_one_line_per_entry(capsys, rng_seed):
    x = np.random.randn(2, 3)
    eval_numerical_gradient(_cube_sum, x)
    eval_numerical_gradient_array(lambda x: x**2, x, np.ones_like(x))
    grad_check_sparse(_cube_sum, x, 3 * x**2, verbose=False)
    assert capsys.readouterr().out == ""

    eval_numerical_gradient(_cube_sum, x, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == x.size
    assert lines[0].startswith("(0, 0) ")


def test_grad_check_sparse_reports_relative_errors(capsys, rng_seed):
    x = np.random.randn(4, 5)
    random.seed(0)
    errors = grad_check_sparse(_cube_sum, x, 3 * x**2, num_checks=7)
    lines = capsys.readouterr().out.splitlines()
    assert len(errors) == 7 and max(errors) < 1e-7
    assert len(lines) == 7
    assert all(line.startswith("numerical: ") and ", relative error: " in line for line in lines)

    random.seed(0)
    wrong = grad_check_sparse(_cube_sum, x, 2 * x**2, num_checks=7, verbose=False)
    assert min(wrong) > 0.1


def test_grad_check_sparse_draws_entries_from_python_random_not_numpy(rng_seed):
    x = np.random.randn(6, 7)
    state = np.random.get_state()
    random.seed(1)
    first = grad_check_sparse(_cube_sum, x, 3 * x**2 + 1e-3, num_checks=5, verbose=False)
    random.seed(1)
    second = grad_check_sparse(_cube_sum, x, 3 * x**2 + 1e-3, num_checks=5, verbose=False)
    assert first == second
    assert np.array_equal(np.random.get_state()[1], state[1])


def test_grad_check_sparse_zero_gradients_give_zero_error():
    x = np.zeros((2, 2))
    assert grad_check_sparse(lambda x: 0.0, x, np.zeros_like(x), num_checks=3,
                             verbose=False) == [0.0, 0.0, 0.0]
