"""Judges for values that no elementwise relative error can judge: gradients that are zero in exact arithmetic,
float32 values that cancel to almost nothing; and the provided affine shape check's (1, M) bias."""
import numpy as np
import pytest

from autograder.catalog.judges import Close, NearZero
from cs231n.layer_checks import _check_affine_shapes


def test_a_gradient_zero_in_exact_arithmetic_passes_as_rounding_noise_and_fails_when_real():
    judge = NearZero("grads.2", "dout", "db", like="b")
    dout = np.random.RandomState(0).randn(4, 3)
    inputs, expected = {"dout": dout}, {"grads": {"2": np.array([1e-16, -2e-16, 0.0])}}
    assert judge({"grads": {"2": np.array([3e-15, 0.0, -1e-15])}}, expected, inputs).passed
    wrong = judge({"grads": {"2": dout.sum(axis=0)}}, expected, inputs)
    assert not wrong.passed and "zero in exact arithmetic" in wrong.message
    shape = judge({"grads": {"2": np.zeros(4)}}, expected, inputs)
    assert not shape.passed and "has shape (4,), expected (3,) like b" in shape.message
    keepdims = judge({"grads": {"2": np.zeros((1, 3))}}, expected, inputs)
    assert keepdims.passed and keepdims.warning


def test_float32_reference_values_are_judged_as_whole_arrays():
    rng = np.random.RandomState(3)
    want = rng.randn(6, 5).astype(np.float32)
    want[2, 3] = 2e-4  # an element that cancelled: float32 keeps almost no relative precision of it
    got = want.copy()
    got[2, 3] = 4e-4
    got += (1e-6 * rng.randn(6, 5)).astype(np.float32)
    assert not Close("dw", 1e-4, "dw")({"dw": got}, {"dw": want}, {}).passed  # elementwise: 0.33
    assert Close("dw", 1e-4, "dw", metric="norm")({"dw": got}, {"dw": want}, {}).passed
    assert not Close("dw", 1e-4, "dw", metric="norm")({"dw": want.T.reshape(6, 5)}, {"dw": want}, {}).passed


@pytest.mark.parametrize("shape, ok", [((5,), True), ((1, 5), True), ((5, 1), False), ((6,), False)])
def test_the_provided_affine_check_accepts_a_keepdims_bias_only(shape, ok):
    x, w, b = np.zeros((2, 3)), np.zeros((3, 5)), np.zeros(shape)
    if ok:
        _check_affine_shapes(x, w, b, "affine_forward")
    else:
        with pytest.raises(ValueError, match=r"affine_forward: b has shape"):
            _check_affine_shapes(x, w, b, "affine_forward")
