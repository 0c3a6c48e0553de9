"""Fast convolution and max-pooling layers, with the API of the naive layers in layers.py.

conv_forward_fast / conv_backward_fast and max_pool_forward_fast / max_pool_backward_fast pick
the fastest implementation available; the other functions are the individual methods:

- conv_*_im2col: turn the input into an im2col matrix (Cython kernel) and convolve with one
  matrix product per image; the matrix is kept in the cache for the backward pass.
- conv_*_strides: the same, with the im2col matrix built by numpy from a strided view.
- conv_*_fast: the im2col method on chunks of the mini-batch small enough to stay in the CPU
  cache; the backward pass rebuilds each chunk's matrix instead of keeping them all. float32
  convolutions with 3x3 filters and stride 1 (large enough, see WINOGRAD_MIN_MACS) use
  Winograd's F(4x4, 3x3) instead, which needs 2.25x fewer multiplications than im2col's GEMM
  but rounds a little more (relative error about 1e-6 instead of 1e-7 on float32); float64
  always takes the im2col path.
- max_pool_*_reshape: windows that tile the input (pool_height == pool_width == stride)
  are a reshape of it.
- max_pool_*_im2col: any windows, as the columns of an im2col matrix.
- max_pool_*_fast: a direct Cython kernel that records where each maximum was.

The Cython kernels live in im2col_cython.pyx and are compiled by `pip install -e .` (or
`pip install .`). Without them every function here still works, on pure numpy (im2col.py),
only slower, and importing this module warns once.

All functions accept float32 and float64 and compute in the common floating type of their
inputs; none modifies its inputs. Gradients of overlapping pooling windows add up; a window
routes its gradient to its first maximum, as max_pool_backward_naive does.
"""
import functools
import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .im2col import col2im_indices, im2col_indices
from .layer_checks import _conv_output_shape, _integral, _pool_output_shape

try:
    from .im2col_cython import (col2im_cython, im2col_cython, max_pool_backward_cython,
                                max_pool_forward_cython, winograd_dout_transform,
                                winograd_input_adjoint, winograd_input_transform,
                                winograd_output_transform)
    HAS_CYTHON = True
except ImportError:
    HAS_CYTHON = False
    warnings.warn(
        "cs231n.fast_layers: the Cython extension im2col_cython is not built, so the fast "
        "layers run on a slower pure-numpy fallback. Build it by running `pip install -e .` "
        "in the project's root directory.", RuntimeWarning, stacklevel=2)

__all__ = [
    "conv_forward_fast", "conv_backward_fast", "max_pool_forward_fast", "max_pool_backward_fast",
    "conv_forward_im2col", "conv_backward_im2col", "conv_forward_strides", "conv_backward_strides",
    "max_pool_forward_reshape", "max_pool_backward_reshape",
    "max_pool_forward_im2col", "max_pool_backward_im2col",
]

# conv_forward_fast and conv_backward_fast build the im2col matrix for about this many bytes'
# worth of images at a time, so that it is still in the CPU cache when the GEMM reads it.
CHUNK_BYTES = 4 * 2**20
# Below this many multiply-adds per image, numpy's BLAS multiplies each image's matrices on
# one core; conv_forward_fast then splits the mini-batch across THREADS threads instead.
SMALL_GEMM = 2**18
THREADS = min(os.cpu_count() or 1, 8)
# conv_*_fast convolve float32 inputs with 3x3 filters and stride 1 by Winograd's F(4x4, 3x3)
# (see _winograd_forward) when there are at least this many multiply-adds per image, so that
# its transforms pay off; below, and for every other case, they use im2col.
WINOGRAD_MIN_MACS = 2**20
# ... and transform about this many bytes' worth of images at a time.
WINOGRAD_CHUNK_BYTES = 2 * 2**20
# Winograd F(4x4, 3x3) (Lavin & Gray, 2016): the filter transform G, and the same transform
# transposed, for the backward pass (see im2col_cython.pyx for the other two, B^T and A^T).
_WINOGRAD_G = np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                        [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]])


def _float_dtype(*arrays):
    """The dtype to compute in: float32 if every input is float32 (or smaller), else float64."""
    dtype = np.result_type(*arrays, np.float32)
    return dtype if dtype == np.float32 else np.dtype(np.float64)


@functools.cache
def _thread_pool():
    """The worker threads of _split_batch, started on first use."""
    return ThreadPoolExecutor(max_workers=THREADS - 1, thread_name_prefix="fast_layers")


def _split_batch(fn, N, parts):
    """Call fn(s) for `parts` consecutive slices s of range(N), concurrently: the calling
    thread takes the first one. Only code that releases the GIL gains (numpy's matmul and
    the Cython kernels do)."""
    bounds = np.linspace(0, N, max(1, min(parts, N)) + 1).astype(int)
    slices = [slice(start, stop) for start, stop in zip(bounds[:-1], bounds[1:])]
    futures = [_thread_pool().submit(fn, s) for s in slices[1:]]
    fn(slices[0])
    for future in futures:
        future.result()


def _im2col(x, field_height, field_width, padding, stride):
    """The im2col matrix of x, of shape (N, C * field_height * field_width, H_out * W_out)."""
    if not HAS_CYTHON:
        return im2col_indices(x, field_height, field_width, padding, stride)
    N, C, H, W = x.shape
    H_out = (H + 2 * padding - field_height) // stride + 1
    W_out = (W + 2 * padding - field_width) // stride + 1
    cols = np.empty((N, C * field_height * field_width, H_out * W_out), dtype=x.dtype)
    im2col_cython(x, cols, field_height, field_width, padding, stride)
    return cols


def _col2im_into(cols, dx, field_height, field_width, padding, stride):
    """Overwrite dx, of shape (N, C, H, W), with col2im of cols, of shape
    (N, C * field_height * field_width, H_out * W_out)."""
    if HAS_CYTHON:
        col2im_cython(cols, dx, field_height, field_width, padding, stride)
    else:
        dx[...] = col2im_indices(cols, dx.shape, field_height, field_width, padding, stride)


def _im2col_chunks(x, w_shape, conv_param, chunk_bytes, use_cython):
    """Yield (n0, cols) for consecutive chunks x[n0:n0 + n] of the mini-batch, of about
    chunk_bytes of im2col matrix each (at least one image; the whole batch if chunk_bytes is
    None). cols, of shape (n, C * HH * WW + 1, H' * W'), is the chunk's im2col matrix with a
    last row of ones, CS231n's bias trick: [w | b] @ cols[n] = w @ im2col(x[n]) + b. All
    chunks share one buffer: use cols before asking for the next one."""
    N, C, H, W = x.shape
    _, _, HH, WW = w_shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    H_out = (H + 2 * pad - HH) // stride + 1
    W_out = (W + 2 * pad - WW) // stride + 1
    image_bytes = (C * HH * WW + 1) * H_out * W_out * x.itemsize
    chunks = 1 if chunk_bytes is None else max(1, -(-N * image_bytes // chunk_bytes))
    images = max(1, -(-N // chunks))  # the same number in every chunk but the last
    buffer = np.empty((min(N, images), C * HH * WW + 1, H_out * W_out), dtype=x.dtype)
    buffer[:, -1] = 1
    for n0 in range(0, max(N, 1), images):  # an empty batch is one empty chunk
        x_chunk = x[n0:n0 + images]
        cols = buffer[:len(x_chunk)]
        if use_cython:
            im2col_cython(x_chunk, cols, HH, WW, pad, stride)
        else:
            im2col_indices(x_chunk, HH, WW, pad, stride, out=cols)
        yield n0, cols


def _prepare_conv(x, w, b, conv_param, caller):
    """Validate the shapes, convert to the computing dtype (C-contiguous) and allocate out,
    of shape (N, F, H', W'). Returns x, w, b, out."""
    H_out, W_out = _conv_output_shape(np.shape(x), np.shape(w), conv_param, caller,
                                      b_shape=np.shape(b))
    dtype = _float_dtype(x, w, b)
    x, w, b = (np.ascontiguousarray(a, dtype=dtype) for a in (x, w, b))
    b = b.reshape(len(w))  # (F,), from any shape of F numbers the courses' fast layers accept: (1, F), (F, 1)...
    return x, w, b, np.empty((x.shape[0], w.shape[0], H_out, W_out), dtype=dtype)


def _convolve(x, w, b, conv_param, out, chunk_bytes, use_cython):
    """Write the convolution of x into out, chunk by chunk (see _im2col_chunks): out[n] is
    [w.reshape(F, -1) | b] @ cols[n]. Returns the last chunk's cols."""
    F = w.shape[0]
    w_and_b = np.concatenate([w.reshape(F, -1), b.reshape(F, 1)], axis=1)
    for n0, cols in _im2col_chunks(x, w.shape, conv_param, chunk_bytes, use_cython):
        out_chunk = out[n0:n0 + len(cols)].reshape(len(cols), F, cols.shape[2])
        np.matmul(w_and_b, cols, out=out_chunk)
    return cols


def _conv_backward(dout, x, w, conv_param, chunks):
    """Gradients of a convolution, given the (n0, cols) chunks of _im2col_chunks. Through the
    row of ones of cols, the product giving dw gives db as its last column."""
    dtype = _float_dtype(dout, x, w)
    dout = np.ascontiguousarray(dout, dtype=dtype)
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    w_cols = np.ascontiguousarray(w.reshape(F, -1).T, dtype=dtype)  # (C * HH * WW, F)
    dx = np.empty(x.shape, dtype=dtype)
    dw_and_db = np.zeros((F, w_cols.shape[0] + 1), dtype=dtype)
    for n0, cols in chunks:
        dout_chunk = dout[n0:n0 + len(cols)].reshape(len(cols), F, cols.shape[2])  # (n, F, H'*W')
        dw_and_db += np.matmul(dout_chunk, cols.transpose(0, 2, 1)).sum(axis=0)
        _col2im_into(np.matmul(w_cols, dout_chunk), dx[n0:n0 + len(cols)], HH, WW, pad, stride)
    return dx, dw_and_db[:, :-1].reshape(w.shape), dw_and_db[:, -1]


def _uses_winograd(x, w, conv_param):
    """Whether conv_*_fast take the Winograd path: float32 x and w (after _prepare_conv), 3x3
    filters, stride 1, the Cython kernels built and enough work per image."""
    F, C, HH, WW = w.shape
    H_out = x.shape[2] + 2 * conv_param["pad"] - 2
    W_out = x.shape[3] + 2 * conv_param["pad"] - 2
    return (HAS_CYTHON and x.dtype == np.float32 and w.dtype == np.float32 and HH == WW == 3
            and conv_param["stride"] == 1 and len(x) > 0
            and F * C * 9 * H_out * W_out >= WINOGRAD_MIN_MACS)


def _winograd_chunks(x_shape, F, pad):
    """(images per chunk, tiles per image) for the Winograd kernels."""
    N, C, H, W = x_shape
    tiles = ((H + 2 * pad + 1) // 4) * ((W + 2 * pad + 1) // 4)
    image_bytes = 36 * (C + F) * tiles * 4  # transformed input and output of one image
    return max(1, min(N, WINOGRAD_CHUNK_BYTES // image_bytes)), tiles


def _winograd_buffer(rows, tiles):
    """An uninitialised float32 array of shape (36, rows, tiles) whose 36 matrices lie 16 floats
    further apart than they would in a contiguous array: with a stride that is a multiple of
    4 KiB, the 36 values of one tile, read or written together by the transforms, would all
    compete for the same few lines of the CPU cache."""
    buffer = np.empty((36, rows * tiles + 16), dtype=np.float32)
    return buffer[:, :rows * tiles].reshape(36, rows, tiles)


def _winograd_forward(x, w, b, pad, out):
    """out = conv(x, w) + b by Winograd's F(4x4, 3x3), the batch split across THREADS threads
    (the products are too small for numpy's BLAS to split them): per chunk of images, the input transform
    V (36, C, tiles) in Cython, the 36 products U[xi]^T @ V[xi] by numpy's matmul and the
    output transform in Cython. The filter transform U is computed in float64 and rounded
    once; all else is float32, about 10x the rounding error of im2col (relative error about
    1e-6 of the output's magnitude)."""
    N, C, _, _ = x.shape
    F = w.shape[0]
    U_T = np.einsum("ak,fckl,bl->abfc", _WINOGRAD_G, w, _WINOGRAD_G).reshape(36, F, C)
    U_T = U_T.astype(np.float32)
    images, tiles = _winograd_chunks(x.shape, F, pad)

    def convolve(s):
        for n0 in range(s.start, s.stop, images):
            nb = min(images, s.stop - n0)
            if n0 == s.start or nb < images:
                V, M = _winograd_buffer(C, nb * tiles), _winograd_buffer(F, nb * tiles)
            winograd_input_transform(x, V, n0, pad)
            np.matmul(U_T, V, out=M)
            winograd_output_transform(M, b, out, n0)

    _split_batch(convolve, N, THREADS)


def _winograd_backward(dout, x, w, pad):
    """dx, dw, db of _winograd_forward, by its adjoint: per chunk, Mbar = A dout A^T and V
    again, dU += Mbar @ V^T and dV = U @ Mbar (numpy's matmul), dx = the adjoint input
    transform of dV; finally dw = G^T dU G in float64."""
    N, C, _, _ = x.shape
    F = w.shape[0]
    U = np.einsum("ak,fckl,bl->abcf", _WINOGRAD_G, w, _WINOGRAD_G).reshape(36, C, F)
    U = U.astype(np.float32)
    images, tiles = _winograd_chunks(x.shape, F, pad)
    dx = np.empty(x.shape, dtype=np.float32)
    dU_parts = {}  # by the first image of each thread's part, summed in order

    def differentiate(s):
        dU = np.zeros((36, F, C))
        dU_chunk = np.empty((36, F, C), dtype=np.float32)
        for n0 in range(s.start, s.stop, images):
            nb = min(images, s.stop - n0)
            if n0 == s.start or nb < images:
                V, dV = _winograd_buffer(C, nb * tiles), _winograd_buffer(C, nb * tiles)
                Mbar = _winograd_buffer(F, nb * tiles)
            winograd_input_transform(x, V, n0, pad)
            winograd_dout_transform(dout, Mbar, n0)
            dU += np.matmul(Mbar, V.transpose(0, 2, 1), out=dU_chunk)
            np.matmul(U, Mbar, out=dV)
            winograd_input_adjoint(dV, dx, n0, pad)
        dU_parts[s.start] = dU

    _split_batch(differentiate, N, THREADS)
    dU = sum(dU_parts[start] for start in sorted(dU_parts)).reshape(6, 6, F, C)
    dw = np.einsum("ak,abfc,bl->fckl", _WINOGRAD_G, dU, _WINOGRAD_G).astype(np.float32)
    db = dout.sum(axis=(0, 2, 3), dtype=np.float64).astype(np.float32)
    return dx, dw, db


def conv_forward_im2col(x, w, b, conv_param):
    """
    A fast implementation of the forward pass for a convolutional layer based on im2col.

    Inputs and outputs as in conv_forward_naive: x of shape (N, C, H, W), w of shape
    (F, C, HH, WW), b of shape (F,); returns out of shape (N, F, H', W') and a cache
    (x, w, b, conv_param, x_cols) with x_cols, of shape (N, C * HH * WW + 1, H' * W'), the
    im2col matrix of x and a last row of ones (for the bias).
    """
    conv_param = _integral(conv_param, ("stride", "pad"), "conv_forward_im2col")
    x, w, b, out = _prepare_conv(x, w, b, conv_param, "conv_forward_im2col")
    x_cols = _convolve(x, w, b, conv_param, out, None, HAS_CYTHON)
    return out, (x, w, b, conv_param, x_cols)


def conv_backward_im2col(dout, cache):
    """
    A fast implementation of the backward pass for a convolutional layer based on im2col.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W')
    - cache: (x, w, b, conv_param, x_cols) from conv_forward_im2col or conv_forward_strides

    Returns a tuple of dx of shape (N, C, H, W), dw of shape (F, C, HH, WW), db of shape (F,).
    """
    x, w, _, conv_param, x_cols = cache
    return _conv_backward(dout, x, w, conv_param, [(0, x_cols)])


def conv_forward_strides(x, w, b, conv_param):
    """
    conv_forward_im2col with the im2col matrix built by numpy, as a copy of a strided view
    of the padded input (no Cython needed). Same inputs, outputs and cache.
    """
    conv_param = _integral(conv_param, ("stride", "pad"), "conv_forward_strides")
    x, w, b, out = _prepare_conv(x, w, b, conv_param, "conv_forward_strides")
    x_cols = _convolve(x, w, b, conv_param, out, None, use_cython=False)
    return out, (x, w, b, conv_param, x_cols)


def conv_backward_strides(dout, cache):
    """The backward pass for conv_forward_strides; same as conv_backward_im2col."""
    return conv_backward_im2col(dout, cache)


def conv_forward_fast(x, w, b, conv_param):
    """
    A fast implementation of the forward pass for a convolutional layer.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - w: Filter weights, of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: A dictionary with the keys 'stride' and 'pad', as in conv_forward_naive

    Returns a tuple of:
    - out: Output data, of shape (N, F, H', W'), as in conv_forward_naive
    - cache: (x, w, b, conv_param); the backward pass rebuilds the im2col matrix chunk by
      chunk rather than keeping it, which saves its memory and, being cache-friendly, time.
    """
    conv_param = _integral(conv_param, ("stride", "pad"), "conv_forward_fast")
    x, w, b, out = _prepare_conv(x, w, b, conv_param, "conv_forward_fast")
    if _uses_winograd(x, w, conv_param):
        _winograd_forward(x, w, b, conv_param["pad"], out)
        return out, (x, w, b, conv_param)
    per_image_gemm = w.size * out.shape[2] * out.shape[3]  # multiply-adds

    def convolve(s):
        _convolve(x[s], w, b, conv_param, out[s], CHUNK_BYTES, HAS_CYTHON)

    _split_batch(convolve, len(x), THREADS if per_image_gemm < SMALL_GEMM else 1)
    return out, (x, w, b, conv_param)


def conv_backward_fast(dout, cache):
    """
    A fast implementation of the backward pass for a convolutional layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W')
    - cache: (x, w, b, conv_param) from conv_forward_fast

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    x, w, _, conv_param = cache
    x = np.ascontiguousarray(x, dtype=_float_dtype(dout, x, w))
    if _uses_winograd(x, w, conv_param) and np.shape(dout) == (len(x), len(w)) + (
            x.shape[2] + 2 * conv_param["pad"] - 2, x.shape[3] + 2 * conv_param["pad"] - 2):
        return _winograd_backward(np.ascontiguousarray(dout, dtype=np.float32), x,
                                  np.ascontiguousarray(w, dtype=np.float32), conv_param["pad"])
    chunks = _im2col_chunks(x, w.shape, conv_param, CHUNK_BYTES, HAS_CYTHON)
    return _conv_backward(dout, x, w, conv_param, chunks)


def max_pool_forward_reshape(x, pool_param):
    """
    A fast implementation of the forward pass for a max-pooling layer whose windows tile the
    input: pool_height == pool_width == stride, dividing H and W.

    Inputs and outputs as in max_pool_forward_naive: x of shape (N, C, H, W); returns out of
    shape (N, C, H', W') and a cache (x, x_reshaped, out).
    """
    H_out, W_out = _pool_output_shape(np.shape(x), pool_param, "max_pool_forward_reshape")
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if not ph == pw == stride:
        raise ValueError(
            f"max_pool_forward_reshape: needs windows that tile the input, pool_height == "
            f"pool_width == stride, got pool_height = {ph}, pool_width = {pw}, stride = {stride} "
            f"(x has shape {np.shape(x)})")
    N, C, _, _ = x.shape
    x_reshaped = x.reshape(N, C, H_out, ph, W_out, pw)
    # The maximum of the ph * pw strided views, one per position in the window: the same values as
    # x_reshaped.max(axis=(3, 5)) (NaN included) and many times faster than numpy's reduction over
    # two non-adjacent axes.
    out = x_reshaped[:, :, :, 0, :, 0].copy()
    for i in range(ph):
        for j in range(pw):
            if i or j:
                np.maximum(out, x_reshaped[:, :, :, i, :, j], out=out)
    return out, (x, x_reshaped, out)


def max_pool_backward_reshape(dout, cache):
    """
    The backward pass for max_pool_forward_reshape.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: (x, x_reshaped, out) from max_pool_forward_reshape

    Returns dx, of shape (N, C, H, W).
    """
    x, x_reshaped, out = cache
    N, C, H_out, ph, W_out, pw = x_reshaped.shape
    # Each window's first maximum, as a flat index into the window (N, C, H', W').
    windows = x_reshaped.transpose(0, 1, 2, 4, 3, 5).reshape(N, C, H_out, W_out, ph * pw)
    first_max = np.argmax(windows, axis=4)
    dx_windows = np.zeros(windows.shape, dtype=np.result_type(x, dout))
    np.put_along_axis(dx_windows, first_max[..., None], dout[..., None], axis=4)
    dx = dx_windows.reshape(N, C, H_out, W_out, ph, pw).transpose(0, 1, 2, 4, 3, 5)
    return dx.reshape(x.shape)


def max_pool_forward_im2col(x, pool_param):
    """
    A fast implementation of the forward pass for a max-pooling layer with any windows,
    based on im2col: every window is a column of the im2col matrix of an (H, W) plane.

    Inputs and outputs as in max_pool_forward_naive: x of shape (N, C, H, W); returns out of
    shape (N, C, H', W') and a cache (x, x_cols, x_cols_argmax, pool_param).
    """
    H_out, W_out = _pool_output_shape(np.shape(x), pool_param, "max_pool_forward_im2col")
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    planes = x.reshape(N * C, 1, H, W)
    x_cols = _im2col(np.ascontiguousarray(planes, dtype=_float_dtype(x)), ph, pw, 0, stride)
    x_cols_argmax = np.argmax(x_cols, axis=1)  # (N * C, H' * W')
    out = x_cols.max(axis=1).reshape(N, C, H_out, W_out)
    return out.astype(x.dtype, copy=False), (x, x_cols, x_cols_argmax, pool_param)


def max_pool_backward_im2col(dout, cache):
    """
    The backward pass for max_pool_forward_im2col.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: (x, x_cols, x_cols_argmax, pool_param) from max_pool_forward_im2col

    Returns dx, of shape (N, C, H, W).
    """
    x, x_cols, x_cols_argmax, pool_param = cache
    N, C, H, W = x.shape
    dcols = np.zeros(x_cols.shape, dtype=np.result_type(x_cols, dout))
    np.put_along_axis(dcols, x_cols_argmax[:, np.newaxis], np.reshape(dout, (N * C, 1, dcols.shape[2])),
                      axis=1)
    dx = np.empty((N * C, 1, H, W), dtype=dcols.dtype)
    _col2im_into(dcols, dx, pool_param["pool_height"], pool_param["pool_width"], 0,
                 pool_param["stride"])
    return dx.reshape(N, C, H, W)


def max_pool_forward_fast(x, pool_param):
    """
    A fast implementation of the forward pass for a max-pooling layer.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - pool_param: A dictionary with the keys 'pool_height', 'pool_width' and 'stride'

    Returns a tuple of:
    - out: Output data, of shape (N, C, H', W'), as in max_pool_forward_naive
    - cache: (method, method's cache) for max_pool_backward_fast
    """
    pool_param = _integral(pool_param, ("pool_height", "pool_width", "stride"), "max_pool_forward_fast")
    H_out, W_out = _pool_output_shape(np.shape(x), pool_param, "max_pool_forward_fast")
    if HAS_CYTHON:
        x_c = np.ascontiguousarray(x, dtype=_float_dtype(x))
        out = np.empty(x_c.shape[:2] + (H_out, W_out), dtype=x_c.dtype)
        argmax = np.empty(out.shape, dtype=np.intp)
        max_pool_forward_cython(x_c, out, argmax, pool_param["pool_height"],
                                pool_param["pool_width"], pool_param["stride"])
        return out.astype(x.dtype, copy=False), ("cython", (x, argmax))
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph == pw == stride:
        out, cache = max_pool_forward_reshape(x, pool_param)
        return out, ("reshape", cache)
    out, cache = max_pool_forward_im2col(x, pool_param)
    return out, ("im2col", cache)


def max_pool_backward_fast(dout, cache):
    """
    A fast implementation of the backward pass for a max-pooling layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: (method, method's cache) from max_pool_forward_fast

    Returns:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    """
    method, real_cache = cache
    if method == "reshape":
        return max_pool_backward_reshape(dout, real_cache)
    if method == "im2col":
        return max_pool_backward_im2col(dout, real_cache)
    x, argmax = real_cache
    dtype = _float_dtype(x, dout)
    dx = np.empty(np.shape(x), dtype=dtype)
    max_pool_backward_cython(np.ascontiguousarray(dout, dtype=dtype), argmax, dx)
    return dx
