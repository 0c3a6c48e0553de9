# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Cython kernels behind cs231n/fast_layers.py: im2col, col2im and max pooling.

Every kernel writes into arrays its caller allocates (so a caller can reuse one buffer for many
mini-batch chunks), works for float32 and float64 (fused type ``floating``; all array arguments
of one call share the dtype) and releases the GIL. Shapes are the caller's responsibility:
fast_layers.py validates them before calling. The kernels are serial on purpose: the matrix
products that follow them already use every core (numpy's BLAS), and OpenMP threads alternating
with BLAS threads made a chunked convolution many times slower on a busy 2-core machine.

The im2col matrix has shape (C * HH * WW, N, H_out * W_out): row (c, kh, kw) holds, for every
image n and output position (ho, wo), the input pixel x[n, c, ho * stride + kh - pad,
wo * stride + kw - pad] (zero in the padding). Reshaped to (C * HH * WW, N * H_out * W_out)
it is the right-hand side of one GEMM: w.reshape(F, -1) @ cols has shape (F, N, H_out * W_out).
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


cdef void _im2col_plane(const floating* x, floating* cols, Py_ssize_t row_step,
                        Py_ssize_t H, Py_ssize_t W, Py_ssize_t HH, Py_ssize_t WW,
                        Py_ssize_t H_out, Py_ssize_t W_out,
                        Py_ssize_t pad, Py_ssize_t stride) noexcept nogil:
    """Write the HH * WW im2col rows of one (H, W) plane; consecutive rows are row_step apart."""
    cdef Py_ssize_t kh, kw, ho, wo, h, lo, hi
    cdef floating* dst
    cdef const floating* src
    for kh in range(HH):
        for kw in range(WW):
            lo = _first_inside(kw, pad, stride)
            hi = _end_inside(kw, pad, stride, W, W_out)
            for ho in range(H_out):
                dst = cols + (kh * WW + kw) * row_step + ho * W_out
                h = ho * stride + kh - pad
                if h < 0 or h >= H or hi <= lo:
                    memset(dst, 0, W_out * sizeof(floating))
                    continue
                memset(dst, 0, lo * sizeof(floating))
                memset(dst + hi, 0, (W_out - hi) * sizeof(floating))
                src = x + h * W + lo * stride + kw - pad
                if stride == 1:
                    memcpy(dst + lo, src, (hi - lo) * sizeof(floating))
                else:
                    for wo in range(hi - lo):
                        dst[lo + wo] = src[wo * stride]


cdef void _col2im_plane(const floating* cols, floating* dx, Py_ssize_t row_step,
                        Py_ssize_t H, Py_ssize_t W, Py_ssize_t HH, Py_ssize_t WW,
                        Py_ssize_t H_out, Py_ssize_t W_out,
                        Py_ssize_t pad, Py_ssize_t stride) noexcept nogil:
    """Overwrite one (H, W) plane of dx with the sum of its HH * WW im2col rows (the adjoint of
    _im2col_plane: entries that fell into the padding are dropped)."""
    cdef Py_ssize_t kh, kw, ho, wo, h, lo, hi
    cdef const floating* src
    cdef floating* dst
    memset(dx, 0, H * W * sizeof(floating))
    for kh in range(HH):
        for kw in range(WW):
            lo = _first_inside(kw, pad, stride)
            hi = _end_inside(kw, pad, stride, W, W_out)
            for ho in range(H_out):
                h = ho * stride + kh - pad
                if h < 0 or h >= H:
                    continue
                src = cols + (kh * WW + kw) * row_step + ho * W_out + lo
                dst = dx + h * W + lo * stride + kw - pad
                if stride == 1:
                    for wo in range(hi - lo):
                        dst[wo] += src[wo]
                else:
                    for wo in range(hi - lo):
                        dst[wo * stride] += src[wo]


def im2col_cython(const floating[:, :, :, ::1] x, floating[:, :, ::1] cols,
                  Py_ssize_t field_height, Py_ssize_t field_width, Py_ssize_t padding,
                  Py_ssize_t stride):
    """Fill cols with the im2col matrix of x.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - cols: Output buffer, of shape (C * field_height * field_width, N, H_out * W_out)
    - field_height, field_width: Filter size
    - padding: Zero-padding on each side of H and W
    - stride: Step between neighbouring receptive fields
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t H_out = (H + 2 * padding - field_height) // stride + 1
    cdef Py_ssize_t W_out = (W + 2 * padding - field_width) // stride + 1
    cdef Py_ssize_t row_step = N * H_out * W_out, n, c
    with nogil:
        for n in range(N):
            for c in range(C):
                _im2col_plane(&x[n, c, 0, 0], &cols[c * field_height * field_width, n, 0],
                              row_step, H, W, field_height, field_width, H_out, W_out,
                              padding, stride)


def col2im_cython(const floating[:, :, ::1] cols, floating[:, :, :, ::1] dx,
                  Py_ssize_t field_height, Py_ssize_t field_width, Py_ssize_t padding,
                  Py_ssize_t stride):
    """Overwrite dx with the adjoint of im2col applied to cols (overlapping fields add up).

    Inputs:
    - cols: Gradient with respect to the im2col matrix, of shape
      (C * field_height * field_width, N, H_out * W_out)
    - dx: Output buffer, of shape (N, C, H, W)
    - field_height, field_width, padding, stride: As for im2col_cython
    """
    cdef Py_ssize_t N = dx.shape[0], C = dx.shape[1], H = dx.shape[2], W = dx.shape[3]
    cdef Py_ssize_t H_out = (H + 2 * padding - field_height) // stride + 1
    cdef Py_ssize_t W_out = (W + 2 * padding - field_width) // stride + 1
    cdef Py_ssize_t row_step = N * H_out * W_out, n, c
    with nogil:
        for n in range(N):
            for c in range(C):
                _col2im_plane(&cols[c * field_height * field_width, n, 0], &dx[n, c, 0, 0],
                              row_step, H, W, field_height, field_width, H_out, W_out,
                              padding, stride)


cdef void _max_pool_plane(const floating* x, floating* out, Py_ssize_t* argmax,
                          Py_ssize_t W, Py_ssize_t H_out, Py_ssize_t W_out,
                          Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t stride) noexcept nogil:
    """Max-pool one plane; argmax gets the flat index h * W + w of each window's first maximum
    (a NaN counts as the maximum, as in np.max)."""
    cdef Py_ssize_t ho, wo, i, j, start, best
    cdef floating m, v
    for ho in range(H_out):
        for wo in range(W_out):
            start = ho * stride * W + wo * stride
            best = start
            m = x[start]
            for i in range(ph):
                for j in range(pw):
                    v = x[start + i * W + j]
                    if v > m or (v != v and m == m):
                        m = v
                        best = start + i * W + j
            out[ho * W_out + wo] = m
            argmax[ho * W_out + wo] = best


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
