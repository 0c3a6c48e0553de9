"""Pure-numpy im2col and col2im: the fallback for the Cython kernels in im2col_cython.pyx.

The im2col matrix has shape (N, C * field_height * field_width, H_out * W_out): for image n,
row (c, kh, kw), column (ho, wo) holds x[n, c, ho * stride + kh - padding, wo * stride + kw - padding]
(zero in the padding). With w of shape (F, C, field_height, field_width),
w.reshape(F, -1) @ cols is the convolution, of shape (N, F, H_out * W_out).
The functions keep the names of CS231n's im2col.py, whose versions used fancy indexing.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided


def _output_size(x_shape, field_height, field_width, padding, stride):
    """(H_out, W_out) of a field_height x field_width window sliding over the padded input."""
    _, _, H, W = x_shape
    return ((H + 2 * padding - field_height) // stride + 1,
            (W + 2 * padding - field_width) // stride + 1)


def im2col_indices(x, field_height, field_width, padding=1, stride=1, out=None):
    """Build the im2col matrix of x with a strided view of the padded input (one copy).

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - field_height, field_width: Window size
    - padding: Zero-padding on each side of H and W
    - stride: Step between neighbouring windows
    - out: Optional C-contiguous array of shape (N, K, H_out * W_out), K >= C * field_height *
      field_width, to write the matrix into (its first rows; the others are left as they are)

    Returns:
    - cols: Array of shape (N, C * field_height * field_width, H_out * W_out), or out
    """
    N, C, _, _ = x.shape
    H_out, W_out = _output_size(x.shape, field_height, field_width, padding, stride)
    p = padding
    x_padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p > 0 else np.asarray(x)
    sN, sC, sH, sW = x_padded.strides
    windows = as_strided(
        x_padded,
        shape=(N, C, field_height, field_width, H_out, W_out),
        strides=(sN, sC, sH, sW, stride * sH, stride * sW),
        writeable=False,
    )
    K = C * field_height * field_width
    if out is None:
        return windows.reshape(N, K, H_out * W_out)
    out[:, :K].reshape(windows.shape)[...] = windows  # splitting axes: a view of out
    return out


def col2im_indices(cols, x_shape, field_height=3, field_width=3, padding=1, stride=1):
    """The adjoint of im2col_indices: sum every column entry back into its input pixel.

    Inputs:
    - cols: Array of shape (N, C * field_height * field_width, H_out * W_out)
    - x_shape: Shape (N, C, H, W) of the input that im2col_indices was given
    - field_height, field_width, padding, stride: As for im2col_indices

    Returns:
    - x: Array of shape (N, C, H, W); entries that fell into the padding are dropped
    """
    N, C, H, W = x_shape
    H_out, W_out = _output_size(x_shape, field_height, field_width, padding, stride)
    p = padding
    cols6 = cols.reshape(N, C, field_height, field_width, H_out, W_out)
    x_padded = np.zeros((N, C, H + 2 * p, W + 2 * p), dtype=cols.dtype)
    for kh in range(field_height):
        for kw in range(field_width):
            rows = slice(kh, kh + stride * H_out, stride)
            columns = slice(kw, kw + stride * W_out, stride)
            x_padded[:, :, rows, columns] += cols6[:, :, kh, kw]
    return x_padded[:, :, p:p + H, p:p + W] if p > 0 else x_padded
