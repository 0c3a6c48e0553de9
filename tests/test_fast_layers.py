"""Tests for cs231n.fast_layers: every method equals the naive layers, in float64 and float32,
with the Cython extension and on the numpy fallback; validation, purity, memory, the build."""
import copy
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from conftest import REFERENCE, rel_error
import cs231n.fast_layers as fl
from cs231n.layers import (conv_backward_naive, conv_forward_naive, max_pool_backward_naive,
                           max_pool_forward_naive)

CONV_METHODS = {
    "fast": (fl.conv_forward_fast, fl.conv_backward_fast),
    "im2col": (fl.conv_forward_im2col, fl.conv_backward_im2col),
    "strides": (fl.conv_forward_strides, fl.conv_backward_strides),
}
POOL_METHODS = {
    "fast": (fl.max_pool_forward_fast, fl.max_pool_backward_fast),
    "im2col": (fl.max_pool_forward_im2col, fl.max_pool_backward_im2col),
    "reshape": (fl.max_pool_forward_reshape, fl.max_pool_backward_reshape),
}
TOLERANCE = {np.float64: 1e-9, np.float32: 1e-5}


@pytest.fixture(params=["cython", "numpy"])
def backend(request, monkeypatch):
    """Run a test with the Cython kernels and again on the pure-numpy fallback."""
    if request.param == "numpy":
        monkeypatch.setattr(fl, "HAS_CYTHON", False)
    return request.param


def random_data(rng, dtype, *shapes):
    """Arrays of the given shapes. float64: standard normal. float32: uniform in [0.5, 1.5],
    so that sums of products never cancel and the notebooks' element-wise relative error
    measures float32 rounding (about 1e-7) instead of cancellation near zero."""
    if dtype == np.float64:
        return [rng.standard_normal(shape) for shape in shapes]
    return [rng.uniform(0.5, 1.5, size=shape).astype(dtype) for shape in shapes]


def conv_case(stride, pad, HH, WW, H_out, W_out, N=2, C=3, F=4):
    """Shapes of x and w for a convolution with the given output size."""
    H = stride * (H_out - 1) + HH - 2 * pad
    W = stride * (W_out - 1) + WW - 2 * pad
    return (N, C, H, W), (F, C, HH, WW)


# filter (HH, WW) and output (H_out, W_out): square, non-square input, non-square filter
CONV_GEOMETRIES = {"square": (3, 3, 4, 4), "wide_input": (3, 3, 3, 5), "tall_filter": (5, 2, 3, 4)}


def check_conv(method, dtype, x_shape, w_shape, conv_param, seed=0):
    """Compare a conv method with the naive layer; returns nothing, asserts everything."""
    rng = np.random.default_rng(seed)
    x, w, b = random_data(rng, dtype, x_shape, w_shape, w_shape[:1])
    out, cache = conv_forward_naive(x, w, b, conv_param)
    (dout,) = random_data(rng, dtype, out.shape)
    grads = conv_backward_naive(dout, cache)

    forward, backward = CONV_METHODS[method]
    inputs = copy.deepcopy((x, w, b, conv_param, dout))
    out_fast, cache_fast = forward(x, w, b, conv_param)
    grads_fast = backward(dout, cache_fast)
    assert out_fast.shape == out.shape and out_fast.dtype == dtype
    assert rel_error(out, out_fast) < TOLERANCE[dtype]
    for name, g, g_fast in zip(("dx", "dw", "db"), grads, grads_fast):
        assert g_fast.shape == g.shape and g_fast.dtype == dtype, name
        assert rel_error(g, g_fast) < TOLERANCE[dtype], name
    for g_fast, g_again in zip(grads_fast, backward(dout, cache_fast)):  # the cache is intact
        np.testing.assert_array_equal(g_fast, g_again)
    for before, after in zip(inputs, (x, w, b, conv_param, dout)):
        if isinstance(before, dict):
            assert before == after
        else:
            np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("geometry", CONV_GEOMETRIES)
@pytest.mark.parametrize("pad", [0, 1, 2])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("method", CONV_METHODS)
def test_conv_matches_naive(method, stride, pad, geometry, dtype, backend):
    HH, WW, H_out, W_out = CONV_GEOMETRIES[geometry]
    x_shape, w_shape = conv_case(stride, pad, HH, WW, H_out, W_out)
    check_conv(method, dtype, x_shape, w_shape, {"stride": stride, "pad": pad})


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", CONV_METHODS)
def test_conv_batch_of_one_and_filter_as_large_as_input(method, dtype, backend):
    check_conv(method, dtype, (1, 2, 5, 5), (3, 2, 5, 5), {"stride": 1, "pad": 0})
    check_conv(method, dtype, (1, 3, 6, 4), (2, 3, 2, 2), {"stride": 2, "pad": 1})


@pytest.mark.parametrize("threads", [1, 3])
def test_conv_fast_in_several_chunks_and_threads(monkeypatch, backend, threads):
    """Chunks smaller than the batch, the batch split unevenly across threads (or not split):
    every image is convolved exactly once."""
    monkeypatch.setattr(fl, "CHUNK_BYTES", 1)
    monkeypatch.setattr(fl, "THREADS", threads)
    check_conv("fast", np.float64, (5, 3, 7, 6), (4, 3, 3, 2), {"stride": 1, "pad": 1})
    image_bytes = (4 * 3 * 2) * (6 * 6) * 4  # im2col matrix of one image: C*HH*WW x H'*W' floats
    monkeypatch.setattr(fl, "CHUNK_BYTES", 2 * image_bytes)
    check_conv("fast", np.float32, (7, 4, 6, 5), (2, 4, 3, 2), {"stride": 1, "pad": 1})


def test_conv_notebook_shapes():
    """The notebooks' fast-layer cell: x (100, 3, 31, 31), w (25, 3, 3, 3), stride 2, pad 1."""
    np.random.seed(231)
    x = np.random.randn(100, 3, 31, 31)
    w = np.random.randn(25, 3, 3, 3)
    b = np.random.randn(25,)
    dout = np.random.randn(100, 25, 16, 16)
    conv_param = {"stride": 2, "pad": 1}
    out_naive, cache_naive = conv_forward_naive(x, w, b, conv_param)
    out_fast, cache_fast = fl.conv_forward_fast(x, w, b, conv_param)
    assert rel_error(out_naive, out_fast) < 1e-9
    grads_naive = conv_backward_naive(dout, cache_naive)
    for g, g_fast in zip(grads_naive, fl.conv_backward_fast(dout, cache_fast)):
        assert rel_error(g, g_fast) < 1e-9


def test_conv_mixed_and_non_contiguous_inputs():
    """float32 data with float64 weights computes in float64, as the naive layer does; a
    non-contiguous view as input is fine."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 6, 7)).astype(np.float32).transpose(0, 1, 3, 2)
    w, b = rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    conv_param = {"stride": 1, "pad": 1}
    out, _ = conv_forward_naive(x, w, b, conv_param)
    out_fast, _ = fl.conv_forward_fast(x, w, b, conv_param)
    assert out_fast.dtype == np.float64
    assert rel_error(out, out_fast) < 1e-9


# Winograd F(4x4, 3x3), which conv_*_fast use for float32 3x3 stride-1 convolutions: x shape,
# w shape, pad. Outputs that are and are not multiples of the 4x4 tiles, odd and non-square
# sizes, pad 0, 1, 2 and 3, a batch of one, a single output pixel, many channels.
WINOGRAD_CASES = {
    "square_pad_1": ((2, 3, 8, 8), (4, 3, 3, 3), 1),
    "odd_sizes_pad_0": ((3, 5, 9, 11), (6, 5, 3, 3), 0),
    "non_square_pad_2": ((2, 4, 7, 6), (3, 4, 3, 3), 2),
    "pad_3": ((2, 3, 5, 6), (4, 3, 3, 3), 3),
    "batch_of_one": ((1, 16, 13, 10), (8, 16, 3, 3), 1),
    "one_output_pixel": ((2, 2, 3, 3), (5, 2, 3, 3), 0),
    "many_channels": ((2, 64, 12, 12), (64, 64, 3, 3), 1),
}


@pytest.fixture
def winograd_calls(monkeypatch):
    """Let conv_*_fast take the Winograd path however small the convolution, and record the
    calls of its forward and backward functions."""
    monkeypatch.setattr(fl, "WINOGRAD_MIN_MACS", 0)
    calls = []
    for name in ("_winograd_forward", "_winograd_backward"):
        def spy(*args, _original=getattr(fl, name), _name=name):
            calls.append(_name.split("_")[-1])
            return _original(*args)
        monkeypatch.setattr(fl, name, spy)
    return calls


@pytest.mark.parametrize("case", WINOGRAD_CASES)
def test_conv_fast_winograd_matches_naive(case, winograd_calls, backend):
    """float32 3x3 stride-1 convolutions go through Winograd (when the Cython kernels are
    built) and agree with the naive layer within the float32 tolerance, gradients included."""
    x_shape, w_shape, pad = WINOGRAD_CASES[case]
    check_conv("fast", np.float32, x_shape, w_shape, {"stride": 1, "pad": pad})
    expected = ["forward", "backward", "backward"] if backend == "cython" else []
    assert winograd_calls == expected


@pytest.mark.parametrize("threads", [1, 3])
def test_conv_fast_winograd_in_several_chunks_and_threads(monkeypatch, winograd_calls, threads):
    """One image per chunk, then chunks of two images with a shorter last one, the batch split
    unevenly across threads: every image is convolved exactly once, dw sums them all."""
    monkeypatch.setattr(fl, "THREADS", threads)
    monkeypatch.setattr(fl, "WINOGRAD_CHUNK_BYTES", 1)
    check_conv("fast", np.float32, (5, 3, 10, 9), (4, 3, 3, 3), {"stride": 1, "pad": 1})
    image_bytes = 36 * (3 + 4) * 3 * 3 * 4  # V and M of one image: 3 x 3 tiles
    monkeypatch.setattr(fl, "WINOGRAD_CHUNK_BYTES", 2 * image_bytes)
    check_conv("fast", np.float32, (5, 3, 10, 9), (4, 3, 3, 3), {"stride": 1, "pad": 1})
    assert winograd_calls == ["forward", "backward", "backward"] * 2


def test_conv_fast_winograd_only_for_float32_3x3_stride_1(winograd_calls):
    """float64 keeps its exact im2col path (tolerance 1e-9), and so do float32 convolutions
    with other strides or filter sizes, and a float32 layer given a float64 dout."""
    check_conv("fast", np.float64, (2, 3, 8, 8), (4, 3, 3, 3), {"stride": 1, "pad": 1})
    check_conv("fast", np.float32, (2, 3, 9, 9), (4, 3, 3, 3), {"stride": 2, "pad": 1})
    check_conv("fast", np.float32, (2, 3, 8, 8), (4, 3, 5, 5), {"stride": 1, "pad": 2})
    check_conv("fast", np.float32, (2, 3, 8, 7), (4, 3, 3, 2), {"stride": 1, "pad": 1})
    assert winograd_calls == []
    rng = np.random.default_rng(2)
    x, w, b = random_data(rng, np.float32, (2, 3, 8, 8), (4, 3, 3, 3), (4,))
    out, cache = fl.conv_forward_fast(x, w, b, {"stride": 1, "pad": 1})
    dx, dw, db = fl.conv_backward_fast(out.astype(np.float64), cache)
    assert winograd_calls == ["forward"] and dx.dtype == dw.dtype == db.dtype == np.float64


def test_conv_fast_winograd_threshold():
    """With the default threshold, the benchmark's shape B in float32 takes the Winograd path;
    the notebooks' small convolutions and float64 do not."""
    x, w = np.zeros((64, 64, 32, 32), np.float32), np.zeros((64, 64, 3, 3), np.float32)
    assert fl._uses_winograd(x, w, {"stride": 1, "pad": 1}) == fl.HAS_CYTHON
    assert not fl._uses_winograd(x.astype(np.float64), w.astype(np.float64), {"stride": 1, "pad": 1})
    small_x, small_w = np.zeros((100, 3, 32, 32), np.float32), np.zeros((25, 3, 3, 3), np.float32)
    assert not fl._uses_winograd(small_x, small_w, {"stride": 1, "pad": 1})


# pool_height, pool_width, stride and (H_out, W_out): tiling, overlapping (stride < window),
# with gaps (stride > window), non-square windows
POOL_GEOMETRIES = {
    "tiling_2x2": (2, 2, 2, 4, 3),
    "overlapping_3x3_stride_2": (3, 3, 2, 3, 4),
    "overlapping_3x2_stride_1": (3, 2, 1, 4, 5),
    "gaps_2x2_stride_3": (2, 2, 3, 3, 3),
    "tiling_3x3": (3, 3, 3, 2, 2),
}


def check_pool(method, dtype, x_shape, pool_param, seed=0):
    """Compare a max-pool method with the naive layer."""
    rng = np.random.default_rng(seed)
    (x,) = random_data(rng, dtype, x_shape)
    out, cache = max_pool_forward_naive(x, pool_param)
    (dout,) = random_data(rng, dtype, out.shape)
    dx = max_pool_backward_naive(dout, cache)

    forward, backward = POOL_METHODS[method]
    inputs = copy.deepcopy((x, pool_param, dout))
    out_fast, cache_fast = forward(x, pool_param)
    dx_fast = backward(dout, cache_fast)
    assert out_fast.shape == out.shape and out_fast.dtype == dtype
    assert dx_fast.shape == dx.shape and dx_fast.dtype == dtype
    assert rel_error(out, out_fast) == 0.0
    assert rel_error(dx, dx_fast) < TOLERANCE[dtype]
    np.testing.assert_array_equal(backward(dout, cache_fast), dx_fast)  # the cache is intact
    np.testing.assert_array_equal(inputs[0], x)
    assert inputs[1] == pool_param
    np.testing.assert_array_equal(inputs[2], dout)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method, geometry", [
    (method, geometry) for method in POOL_METHODS for geometry, (ph, pw, stride, _, _)
    in POOL_GEOMETRIES.items() if method != "reshape" or ph == pw == stride])  # reshape: tiling only
def test_max_pool_matches_naive(method, geometry, dtype, backend):
    ph, pw, stride, H_out, W_out = POOL_GEOMETRIES[geometry]
    x_shape = (2, 3, stride * (H_out - 1) + ph, stride * (W_out - 1) + pw)
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    check_pool(method, dtype, x_shape, pool_param)
    check_pool(method, dtype, (1,) + x_shape[1:], pool_param, seed=1)


@pytest.mark.parametrize("method", POOL_METHODS)
def test_max_pool_ties_go_to_the_first_maximum(method, backend):
    """After a ReLU whole windows are 0: like the naive layer, route dout to the first one."""
    x = np.zeros((1, 2, 4, 4))
    x[0, 1, 1, 1] = x[0, 1, 0, 1] = 1.0
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    dout = np.arange(1.0, 9.0).reshape(1, 2, 2, 2)
    forward, backward = POOL_METHODS[method]
    dx = backward(dout, forward(x, pool_param)[1])
    _, cache = max_pool_forward_naive(x, pool_param)
    np.testing.assert_array_equal(dx, max_pool_backward_naive(dout, cache))


@pytest.mark.parametrize("method", POOL_METHODS)
def test_max_pool_propagates_nan_like_naive(method, backend):
    """A NaN wins its window (np.max), and the window's gradient goes to the first NaN."""
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = x[0, 1, 3, 3] = np.nan
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    dout = np.arange(1.0, 9.0).reshape(1, 2, 2, 2)
    out, cache = max_pool_forward_naive(x, pool_param)
    forward, backward = POOL_METHODS[method]
    out_fast, cache_fast = forward(x, pool_param)
    np.testing.assert_array_equal(out_fast, out)
    np.testing.assert_array_equal(backward(dout, cache_fast), max_pool_backward_naive(dout, cache))


def test_max_pool_notebook_shapes():
    """The notebooks' cell: x (100, 3, 32, 32), 2x2 pooling with stride 2; difference 0.0."""
    np.random.seed(231)
    x = np.random.randn(100, 3, 32, 32)
    dout = np.random.randn(100, 3, 16, 16)
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out_naive, cache_naive = max_pool_forward_naive(x, pool_param)
    out_fast, cache_fast = fl.max_pool_forward_fast(x, pool_param)
    assert rel_error(out_naive, out_fast) == 0.0
    assert rel_error(max_pool_backward_naive(dout, cache_naive),
                     fl.max_pool_backward_fast(dout, cache_fast)) == 0.0


BAD_CONV = {
    "stride_does_not_divide": ((2, 3, 8, 8), (4, 3, 3, 3), (4,), {"stride": 2, "pad": 1}),
    "zero_stride": ((2, 3, 8, 8), (4, 3, 3, 3), (4,), {"stride": 0, "pad": 1}),
    "negative_pad": ((2, 3, 8, 8), (4, 3, 3, 3), (4,), {"stride": 1, "pad": -1}),
    "channel_mismatch": ((2, 3, 8, 8), (4, 2, 3, 3), (4,), {"stride": 1, "pad": 1}),
    "filter_too_large": ((2, 3, 4, 4), (4, 3, 7, 7), (4,), {"stride": 1, "pad": 1}),
    "bias_shape": ((2, 3, 8, 8), (4, 3, 3, 3), (5,), {"stride": 1, "pad": 1}),
    "x_not_4d": ((3, 8, 8), (4, 3, 3, 3), (4,), {"stride": 1, "pad": 1}),
}


@pytest.mark.parametrize("case", BAD_CONV)
@pytest.mark.parametrize("method", CONV_METHODS)
def test_conv_bad_parameters_raise_like_naive(method, case):
    x_shape, w_shape, b_shape, conv_param = BAD_CONV[case]
    x, w, b = np.zeros(x_shape), np.zeros(w_shape), np.zeros(b_shape)
    with pytest.raises(ValueError) as naive:
        conv_forward_naive(x, w, b, conv_param)
    forward = CONV_METHODS[method][0]
    with pytest.raises(ValueError) as fast:
        forward(x, w, b, conv_param)
    assert str(fast.value) == str(naive.value).replace("conv_forward_naive", forward.__name__)


BAD_POOL = {
    "stride_does_not_divide": ((2, 3, 7, 7), {"pool_height": 2, "pool_width": 2, "stride": 2}),
    "window_too_large": ((2, 3, 4, 4), {"pool_height": 5, "pool_width": 2, "stride": 1}),
    "zero_stride": ((2, 3, 4, 4), {"pool_height": 2, "pool_width": 2, "stride": 0}),
    "x_not_4d": ((3, 4, 4), {"pool_height": 2, "pool_width": 2, "stride": 2}),
}


@pytest.mark.parametrize("case", BAD_POOL)
@pytest.mark.parametrize("method", POOL_METHODS)
def test_max_pool_bad_parameters_raise_like_naive(method, case):
    x_shape, pool_param = BAD_POOL[case]
    with pytest.raises(ValueError) as naive:
        max_pool_forward_naive(np.zeros(x_shape), pool_param)
    forward = POOL_METHODS[method][0]
    with pytest.raises(ValueError) as fast:
        forward(np.zeros(x_shape), pool_param)
    assert str(fast.value) == str(naive.value).replace("max_pool_forward_naive", forward.__name__)


def test_max_pool_reshape_rejects_windows_that_do_not_tile():
    pool_param = {"pool_height": 3, "pool_width": 3, "stride": 2}
    with pytest.raises(ValueError, match="max_pool_forward_reshape: .*pool_height = 3, pool_width = 3, stride = 2"):
        fl.max_pool_forward_reshape(np.zeros((1, 1, 7, 7)), pool_param)


def test_cython_extension_is_built():
    """`pip install -e .` compiles im2col_cython.pyx; without it the fast layers are slow."""
    assert fl.HAS_CYTHON


def test_missing_extension_warns_once_and_falls_back():
    """Hide the extension: importing fast_layers warns once, naming the build command, and the
    layers still work."""
    code = f"""
import sys, warnings
sys.path.insert(0, {str(REFERENCE)!r})
sys.modules["cs231n.im2col_cython"] = None  # makes `from .im2col_cython import ...` fail
import numpy as np
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import cs231n.fast_layers as fl
    import cs231n.fast_layers
    out, cache = fl.conv_forward_fast(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.zeros(1),
                                      {{"stride": 1, "pad": 0}})
    dx, dw, db = fl.conv_backward_fast(np.ones_like(out), cache)
    out, cache = fl.max_pool_forward_fast(np.arange(16.0).reshape(1, 1, 4, 4),
                                          {{"pool_height": 2, "pool_width": 2, "stride": 2}})
assert not fl.HAS_CYTHON
assert out.ravel().tolist() == [5.0, 7.0, 13.0, 15.0], out
assert dx.ravel().tolist() == [1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0], dx
print(len(caught), caught[0].category.__name__, caught[0].message)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, category, message = result.stdout.split(" ", 2)
    assert (count, category) == ("1", "RuntimeWarning")
    assert "pip install -e ." in message and "numpy" in message


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_forward_fast_peak_memory_shape_b(dtype):
    """On the benchmark's shape B the extra memory conv_forward_fast allocates (output and
    cache included) is at most 1.5x the im2col matrix a whole-batch im2col would need."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 64, 32, 32)).astype(dtype)
    w = rng.standard_normal((64, 64, 3, 3)).astype(dtype)
    b = rng.standard_normal(64).astype(dtype)
    im2col_bytes = 64 * 3 * 3 * 64 * 32 * 32 * x.itemsize
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        out, cache = fl.conv_forward_fast(x, w, b, {"stride": 1, "pad": 1})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - before <= 1.5 * im2col_bytes
    assert peak - before >= out.nbytes  # tracemalloc does see numpy's allocations
