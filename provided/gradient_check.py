"""Numerical gradients by centred differences, for checking analytic backward passes.

Every function perturbs its input ``x`` in place, one entry at a time, and always restores it,
even when ``f`` raises.
"""
from random import randrange

import numpy as np


def _evaluate_around(f, x, ix, h):
    """
    Evaluate f at x with x[ix] moved to x[ix] + h and to x[ix] - h, then restore x[ix].

    Inputs:
    - f: Function of one argument, called with x itself (not a copy)
    - x: Array at which to evaluate f; modified during the call and restored before it returns
    - ix: Index (tuple) of the entry of x to perturb
    - h: Step size

    Returns a tuple of:
    - fxph: Copy of f(x + h * e_ix)
    - fxmh: Copy of f(x - h * e_ix)
    """
    oldval = x[ix]
    try:
        x[ix] = oldval + h
        fxph = np.copy(f(x))
        x[ix] = oldval - h
        fxmh = np.copy(f(x))
    finally:
        x[ix] = oldval
    return fxph, fxmh


def eval_numerical_gradient(f, x, verbose=False, h=1e-5):
    """
    A naive implementation of the numerical gradient of f at x.

    Inputs:
    - f: Function that takes a single array argument and returns a scalar
    - x: Point at which to evaluate the gradient, of any shape
    - verbose: If True, print each index and its gradient entry
    - h: Step size of the centred difference

    Returns:
    - grad: Numerical gradient of f at x, of the same shape as x
    """
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        fxph, fxmh = _evaluate_around(f, x, ix, h)
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """
    Numerical gradient of sum(f(x) * df) at x, for a function f that returns an array.

    Inputs:
    - f: Function that takes a single array argument and returns an array
    - x: Point at which to evaluate the gradient, of any shape
    - df: Upstream gradient, of the same shape as f(x)
    - h: Step size of the centred difference

    Returns:
    - grad: Numerical gradient, of the same shape as x
    """
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        pos, neg = _evaluate_around(f, x, ix, h)
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, verbose=True):
    """
    Sample a few random entries of x and compare the numerical and analytic gradients there.

    The entries are drawn with Python's ``random`` module, as in CS231n (so numpy's global
    random state is left untouched; seed ``random`` for reproducible entries).

    Inputs:
    - f: Function that takes a single array argument and returns a scalar
    - x: Point at which to check the gradient, of any shape
    - analytic_grad: Analytic gradient of f at x, of the same shape as x
    - num_checks: Number of random entries to check
    - h: Step size of the centred difference
    - verbose: If True, print the numerical and analytic values and their relative error

    Returns:
    - rel_errors: List of num_checks relative errors |n - a| / (|n| + |a|) (0 where both are 0)
    """
    rel_errors = []
    for _ in range(num_checks):
        ix = tuple(randrange(m) for m in x.shape)
        fxph, fxmh = _evaluate_around(f, x, ix, h)
        grad_numerical = float((fxph - fxmh) / (2 * h))
        grad_analytic = float(analytic_grad[ix])
        denominator = abs(grad_numerical) + abs(grad_analytic)
        rel_error = abs(grad_numerical - grad_analytic) / denominator if denominator > 0 else 0.0
        rel_errors.append(rel_error)
        if verbose:
            print("numerical: %f analytic: %f, relative error: %e"
                  % (grad_numerical, grad_analytic, rel_error))
    return rel_errors
