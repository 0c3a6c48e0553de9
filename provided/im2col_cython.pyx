# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Cython kernels behind cs231n/fast_layers.py: im2col, col2im and max pooling.

Every kernel writes into arrays its caller allocates (so a caller can reuse one buffer for many
mini-batch chunks), works for float32 and float64 (fused type ``floating``; all array arguments
of one call share the dtype) and releases the GIL. Shapes are the caller's responsibility:
fast_layers.py validates them before calling. The kernels are serial on purpose: the matrix
products between them already use every core (numpy's BLAS), and OpenMP threads alternating
with BLAS threads made a chunked convolution many times slower on a busy 2-core machine.

The im2col matrix has shape (N, C * HH * WW, H_out * W_out): for image n, row (c, kh, kw),
column (ho, wo) holds the input pixel x[n, c, ho * stride + kh - pad, wo * stride + kw - pad]
(zero in the padding), so that the convolution of image n is the matrix product
w.reshape(F, -1) @ cols[n], of shape (F, H_out * W_out): out[n] without any transposition.
A buffer may have more rows per image (fast_layers.py keeps a row of ones there, for the
bias): the kernels only touch the first C * HH * WW.
"""
from cython cimport floating
from libc.string cimport memcpy, memset


cdef inline Py_ssize_t _first_inside(Py_ssize_t k, Py_ssize_t pad, Py_ssize_t stride) noexcept nogil:
    """Smallest output index o >= 0 with o * stride + k - pad >= 0."""
    if k >= pad:
        return 0
    return (pad - k + stride - 1) // stride


cdef inline Py_ssize_t _end_inside(Py_ssize_t k, Py_ssize_t pad, Py_ssize_t stride,
                                   Py_ssize_t size, Py_ssize_t out_size) noexcept nogil:
    """One past the largest output index o < out_size with o * stride + k - pad < size."""
    cdef Py_ssize_t span = size + pad - k
    if span <= 0:
        return 0
    return min(out_size, (span - 1) // stride + 1)


cdef void _im2col_plane(const floating* x, floating* cols,
                        Py_ssize_t H, Py_ssize_t W, Py_ssize_t HH, Py_ssize_t WW,
                        Py_ssize_t H_out, Py_ssize_t W_out,
                        Py_ssize_t pad, Py_ssize_t stride) noexcept nogil:
    """Write the HH * WW consecutive im2col rows, each H_out * W_out long, of one (H, W) plane."""
    cdef Py_ssize_t kh, kw, ho, wo, h, lo, hi
    cdef floating* dst = cols
    cdef const floating* src
    for kh in range(HH):
        for kw in range(WW):
            lo = _first_inside(kw, pad, stride)
            hi = max(lo, _end_inside(kw, pad, stride, W, W_out))
            for ho in range(H_out):
                h = ho * stride + kh - pad
                if h < 0 or h >= H:
                    for wo in range(W_out):
                        dst[wo] = 0
                else:
                    for wo in range(lo):
                        dst[wo] = 0
                    src = x + h * W + lo * stride + kw - pad
                    if stride == 1:
                        for wo in range(hi - lo):
                            dst[lo + wo] = src[wo]
                    elif stride == 2:
                        for wo in range(hi - lo):
                            dst[lo + wo] = src[2 * wo]
                    else:
                        for wo in range(hi - lo):
                            dst[lo + wo] = src[wo * stride]
                    for wo in range(hi, W_out):
                        dst[wo] = 0
                dst += W_out


cdef void _col2im_plane(const floating* cols, floating* dx,
                        Py_ssize_t H, Py_ssize_t W, Py_ssize_t HH, Py_ssize_t WW,
                        Py_ssize_t H_out, Py_ssize_t W_out,
                        Py_ssize_t pad, Py_ssize_t stride) noexcept nogil:
    """Overwrite one (H, W) plane of dx with the sum of its HH * WW im2col rows (the adjoint of
    _im2col_plane: entries that fell into the padding are dropped)."""
    cdef Py_ssize_t kh, kw, ho, wo, h, lo, hi
    cdef const floating* src = cols
    cdef floating* dst
    memset(dx, 0, H * W * sizeof(floating))
    for kh in range(HH):
        for kw in range(WW):
            lo = _first_inside(kw, pad, stride)
            hi = _end_inside(kw, pad, stride, W, W_out)
            for ho in range(H_out):
                h = ho * stride + kh - pad
                if 0 <= h < H:
                    dst = dx + h * W + lo * stride + kw - pad
                    if stride == 1:
                        for wo in range(hi - lo):
                            dst[wo] += src[lo + wo]
                    else:
                        for wo in range(hi - lo):
                            dst[wo * stride] += src[lo + wo]
                src += W_out


def im2col_cython(const floating[:, :, :, ::1] x, floating[:, :, ::1] cols,
                  Py_ssize_t field_height, Py_ssize_t field_width, Py_ssize_t padding,
                  Py_ssize_t stride):
    """Fill cols with the im2col matrix of x.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - cols: Output buffer, of shape (N, K, H_out * W_out) with K >= C * field_height *
      field_width: its first C * field_height * field_width rows per image are written
    - field_height, field_width: Filter size
    - padding: Zero-padding on each side of H and W
    - stride: Step between neighbouring receptive fields
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t H_out = (H + 2 * padding - field_height) // stride + 1
    cdef Py_ssize_t W_out = (W + 2 * padding - field_width) // stride + 1
    cdef Py_ssize_t n, c
    with nogil:
        for n in range(N):
            for c in range(C):
                _im2col_plane(&x[n, c, 0, 0], &cols[n, c * field_height * field_width, 0],
                              H, W, field_height, field_width, H_out, W_out, padding, stride)


def col2im_cython(const floating[:, :, ::1] cols, floating[:, :, :, ::1] dx,
                  Py_ssize_t field_height, Py_ssize_t field_width, Py_ssize_t padding,
                  Py_ssize_t stride):
    """Overwrite dx with the adjoint of im2col applied to cols (overlapping fields add up).

    Inputs:
    - cols: Gradient with respect to the im2col matrix, of shape (N, K, H_out * W_out) with
      K >= C * field_height * field_width (further rows are ignored)
    - dx: Output buffer, of shape (N, C, H, W)
    - field_height, field_width, padding, stride: As for im2col_cython
    """
    cdef Py_ssize_t N = dx.shape[0], C = dx.shape[1], H = dx.shape[2], W = dx.shape[3]
    cdef Py_ssize_t H_out = (H + 2 * padding - field_height) // stride + 1
    cdef Py_ssize_t W_out = (W + 2 * padding - field_width) // stride + 1
    cdef Py_ssize_t n, c
    with nogil:
        for n in range(N):
            for c in range(C):
                _col2im_plane(&cols[n, c * field_height * field_width, 0], &dx[n, c, 0, 0],
                              H, W, field_height, field_width, H_out, W_out, padding, stride)


cdef void _max_pool_plane(const floating* x, floating* out, Py_ssize_t* argmax,
                          Py_ssize_t W, Py_ssize_t H_out, Py_ssize_t W_out,
                          Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t stride) noexcept nogil:
    """Max-pool one plane; argmax gets the flat index h * W + w of each window's first maximum.
    A window with a NaN gives NaN at its first NaN, as np.max and np.argmax do; that case is
    flagged and redone apart, so that the common one stays free of unpredictable branches."""
    cdef Py_ssize_t ho, wo, i, j, start, at, best
    cdef floating m, v
    cdef bint has_nan
    for ho in range(H_out):
        for wo in range(W_out):
            start = ho * stride * W + wo * stride
            m = x[start]
            best = start
            has_nan = False
            for i in range(ph):
                for j in range(pw):
                    at = start + i * W + j
                    v = x[at]
                    has_nan |= v != v
                    best = at if v > m else best
                    m = v if v > m else m
            if has_nan:
                best = _first_nan(x, start, W, ph, pw)
                m = x[best]
            out[ho * W_out + wo] = m
            argmax[ho * W_out + wo] = best


cdef Py_ssize_t _first_nan(const floating* x, Py_ssize_t start, Py_ssize_t W,
                           Py_ssize_t ph, Py_ssize_t pw) noexcept nogil:
    """Flat index of the first NaN in the ph x pw window at x[start] (one must be there)."""
    cdef Py_ssize_t i, j
    for i in range(ph):
        for j in range(pw):
            if x[start + i * W + j] != x[start + i * W + j]:
                return start + i * W + j
    return start


def max_pool_forward_cython(const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out,
                            Py_ssize_t[:, :, :, ::1] argmax, Py_ssize_t pool_height,
                            Py_ssize_t pool_width, Py_ssize_t stride):
    """Fill out with the max-pooled x and argmax with where each maximum was.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - out: Output buffer, of shape (N, C, H_out, W_out)
    - argmax: Output buffer (np.intp), of shape (N, C, H_out, W_out): flat index h * W + w
      of the maximum within its (H, W) plane
    - pool_height, pool_width, stride: The pooling parameters
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], W = x.shape[3]
    cdef Py_ssize_t H_out = out.shape[2], W_out = out.shape[3], n, c
    with nogil:
        for n in range(N):
            for c in range(C):
                _max_pool_plane(&x[n, c, 0, 0], &out[n, c, 0, 0], &argmax[n, c, 0, 0],
                                W, H_out, W_out, pool_height, pool_width, stride)


def max_pool_backward_cython(const floating[:, :, :, ::1] dout,
                             const Py_ssize_t[:, :, :, ::1] argmax, floating[:, :, :, ::1] dx):
    """Overwrite dx with dout routed back to the maxima (overlapping windows add up).

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H_out, W_out)
    - argmax: The argmax filled by max_pool_forward_cython, of shape (N, C, H_out, W_out)
    - dx: Output buffer, of shape (N, C, H, W)
    """
    cdef Py_ssize_t N = dx.shape[0], C = dx.shape[1], HW = dx.shape[2] * dx.shape[3]
    cdef Py_ssize_t P = dout.shape[2] * dout.shape[3], n, c, p
    cdef floating* dst
    cdef const floating* src
    cdef const Py_ssize_t* idx
    with nogil:
        for n in range(N):
            for c in range(C):
                dst = &dx[n, c, 0, 0]
                src = &dout[n, c, 0, 0]
                idx = &argmax[n, c, 0, 0]
                memset(dst, 0, HW * sizeof(floating))
                for p in range(P):
                    dst[idx[p]] += src[p]
