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
from libc.stdlib cimport free, malloc
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


# ---------------------------------------------------------------------------------------------
# Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions in float32 (Lavin & Gray, 2016; points 0,
# +-1, +-2, infinity). The output is cut into 4x4 tiles; tile (i, j) of image n reads the 6x6
# input patch whose top-left corner is x[n, :, 4i - pad, 4j - pad] (zero outside x). With
# V = B^T d B for each input patch d, U = G g G^T for each filter g (fast_layers.py computes U,
# in float64) and M[xi] = U[xi]^T V[xi] for each of the 36 frequencies xi (matrix products done
# by numpy), every output tile is A^T m A. The kernels below do the transforms of a chunk of
# nb consecutive images starting at n0, laid out as (36, channels, nb * tiles) (contiguous along the tiles only): frequency
# xi = 6a + b, then the channel, then the tile (image-major, then row-major over tiles), so
# that every frequency's matrix is (channels, tiles) and the products are (F, C) @ (C, tiles).
# The backward pass uses the adjoints: Mbar = A dy A^T of each dout tile, dU = Mbar V^T,
# dV = U Mbar, dx = sum of B dV B^T over the patches (they overlap by 2 rows and columns).

cdef inline void _bt6(float d0, float d1, float d2, float d3, float d4, float d5,
                      float* r, Py_ssize_t s) noexcept nogil:
    """r[k * s] = (B^T d)[k]."""
    r[0] = <float>4 * d0 - <float>5 * d2 + d4
    r[s] = -<float>4 * (d1 + d2) + d3 + d4
    r[2 * s] = <float>4 * (d1 - d2) - d3 + d4
    r[3 * s] = <float>2 * (d3 - d1) - d2 + d4
    r[4 * s] = <float>2 * (d1 - d3) - d2 + d4
    r[5 * s] = <float>4 * d1 - <float>5 * d3 + d5


cdef inline void _b6(float v0, float v1, float v2, float v3, float v4, float v5,
                     float* r, Py_ssize_t s) noexcept nogil:
    """r[k * s] = (B v)[k], the adjoint of _bt6."""
    r[0] = <float>4 * v0
    r[s] = <float>4 * (v2 - v1) + <float>2 * (v4 - v3) + <float>4 * v5
    r[2 * s] = -<float>5 * v0 - <float>4 * (v1 + v2) - v3 - v4
    r[3 * s] = v1 - v2 + <float>2 * (v3 - v4) - <float>5 * v5
    r[4 * s] = v0 + v1 + v2 + v3 + v4
    r[5 * s] = v5


cdef inline void _at6(float m0, float m1, float m2, float m3, float m4, float m5,
                      float* r, Py_ssize_t s) noexcept nogil:
    """r[k * s] = (A^T m)[k], k < 4."""
    cdef float p12 = m1 + m2, d12 = m1 - m2, p34 = m3 + m4, d34 = m3 - m4
    r[0] = m0 + p12 + p34
    r[s] = d12 + <float>2 * d34
    r[2 * s] = p12 + <float>4 * p34
    r[3 * s] = d12 + <float>8 * d34 + m5


cdef inline void _a4(float y0, float y1, float y2, float y3, float* r, Py_ssize_t s) noexcept nogil:
    """r[k * s] = (A y)[k], k < 6, the adjoint of _at6."""
    cdef float e = y0 + y2, o = y1 + y3, e4 = y0 + <float>4 * y2, o4 = <float>2 * y1 + <float>8 * y3
    r[0] = y0
    r[s] = e + o
    r[2 * s] = e - o
    r[3 * s] = e4 + o4
    r[4 * s] = e4 - o4
    r[5 * s] = y3


cdef inline void _b6_add(float v0, float v1, float v2, float v3, float v4, float v5,
                         float* r, Py_ssize_t s) noexcept nogil:
    """r[k * s] += (B v)[k]."""
    r[0] += <float>4 * v0
    r[s] += <float>4 * (v2 - v1) + <float>2 * (v4 - v3) + <float>4 * v5
    r[2 * s] += -<float>5 * v0 - <float>4 * (v1 + v2) - v3 - v4
    r[3 * s] += v1 - v2 + <float>2 * (v3 - v4) - <float>5 * v5
    r[4 * s] += v0 + v1 + v2 + v3 + v4
    r[5 * s] += v5


cdef void _bt6_rows(const float* d0, const float* d1, const float* d2, const float* d3,
                    const float* d4, const float* d5, float* r, Py_ssize_t s,
                    Py_ssize_t length) noexcept nogil:
    """r[k * s + w] = (B^T d[:, w])[k] for w < length: _bt6 on whole rows, one output row at a
    time (simple loops, which the compiler vectorizes)."""
    cdef Py_ssize_t w
    cdef float* o = r
    for w in range(length):
        o[w] = <float>4 * d0[w] - <float>5 * d2[w] + d4[w]
    o = r + s
    for w in range(length):
        o[w] = -<float>4 * (d1[w] + d2[w]) + d3[w] + d4[w]
    o = r + 2 * s
    for w in range(length):
        o[w] = <float>4 * (d1[w] - d2[w]) - d3[w] + d4[w]
    o = r + 3 * s
    for w in range(length):
        o[w] = <float>2 * (d3[w] - d1[w]) - d2[w] + d4[w]
    o = r + 4 * s
    for w in range(length):
        o[w] = <float>2 * (d1[w] - d3[w]) - d2[w] + d4[w]
    o = r + 5 * s
    for w in range(length):
        o[w] = <float>4 * d1[w] - <float>5 * d3[w] + d5[w]


cdef void _b6_rows_add(const float* v0, const float* v1, const float* v2, const float* v3,
                       const float* v4, const float* v5, float* o0, float* o1, float* o2,
                       float* o3, float* o4, float* o5, Py_ssize_t length) noexcept nogil:
    """o_k[w] += (B v[:, w])[k] for w < length, one output at a time (o_k may overlap each
    other, not the v)."""
    cdef Py_ssize_t w
    for w in range(length):
        o0[w] += <float>4 * v0[w]
    for w in range(length):
        o1[w] += <float>4 * (v2[w] - v1[w]) + <float>2 * (v4[w] - v3[w]) + <float>4 * v5[w]
    for w in range(length):
        o2[w] += -<float>5 * v0[w] - <float>4 * (v1[w] + v2[w]) - v3[w] - v4[w]
    for w in range(length):
        o3[w] += v1[w] - v2[w] + <float>2 * (v3[w] - v4[w]) - <float>5 * v5[w]
    for w in range(length):
        o4[w] += v0[w] + v1[w] + v2[w] + v3[w] + v4[w]
    for w in range(length):
        o5[w] += v5[w]


def winograd_tiles(Py_ssize_t H, Py_ssize_t W, Py_ssize_t pad):
    """(tiles_h, tiles_w): how many 4x4 output tiles cover the (H + 2 pad - 2, W + 2 pad - 2) output."""
    return (H + 2 * pad - 2 + 3) // 4, (W + 2 * pad - 2 + 3) // 4


def winograd_input_transform(const float[:, :, :, ::1] x, float[:, :, :] V, Py_ssize_t n0,
                             Py_ssize_t pad):
    """V[6a + b, c, t] = (B^T d B)[a, b] for the input patch d of tile t of images n0, n0 + 1...
    (as many as V holds: V.shape[2] // tiles per image), channel c."""
    cdef Py_ssize_t C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t th = (H + 2 * pad + 1) // 4, tw = (W + 2 * pad + 1) // 4
    cdef Py_ssize_t nb = V.shape[2] // (th * tw), CT = V.strides[0] // sizeof(float)
    if V.strides[2] != sizeof(float):
        raise ValueError("V must be contiguous along its last axis")
    # The zero-padded plane is kept with each row split into its 4 phases, row[4j + q] at
    # q * J + j, so that the horizontal transform reads the 6 columns of consecutive tiles as 6
    # contiguous arrays.
    cdef Py_ssize_t J = tw + 1, L = 4 * J, Hp = 4 * th + 2, n, c, i, j, q, a, r, t, lo, hi
    cdef float* row
    cdef float* rows
    cdef float* tmp
    cdef float* v
    cdef const float* src
    rows = <float*> malloc((Hp + 6) * L * sizeof(float))
    if rows == NULL:
        raise MemoryError()
    tmp = rows + Hp * L
    with nogil:
        for n in range(nb):
            for c in range(C):
                memset(rows, 0, Hp * L * sizeof(float))
                for r in range(H):  # Hp >= H + 2 pad, 4 J >= W + 2 pad
                    src = &x[n0 + n, c, r, 0]
                    row = rows + (r + pad) * L
                    for q in range(4):  # w = 4j + q - pad for 0 <= w < W
                        lo = (pad - q + 3) // 4 if pad > q else 0
                        hi = (W + pad - q + 3) // 4
                        for j in range(lo, hi):
                            row[q * J + j] = src[4 * j + q - pad]
                t = n * th * tw
                for i in range(th):
                    # vertical transform, along whole rows
                    row = rows + 4 * i * L
                    _bt6_rows(row, row + L, row + 2 * L, row + 3 * L, row + 4 * L, row + 5 * L,
                              tmp, L, L)
                    # horizontal transform, all the tiles of the row at once
                    v = &V[0, c, t + i * tw]
                    for a in range(6):
                        row = tmp + a * L
                        _bt6_rows(row, row + J, row + 2 * J, row + 3 * J, row + 1, row + J + 1,
                                  v + 6 * a * CT, CT, tw)
    free(rows)


def winograd_output_transform(const float[:, :, :] M, const float[::1] b,
                              float[:, :, :, ::1] out, Py_ssize_t n0):
    """out[n0 + n, f] = A^T m A + b[f] for every tile, m[a, b] = M[6a + b, f, t] (the parts of
    the last tiles that fall outside out are dropped)."""
    cdef Py_ssize_t F = out.shape[1], Ho = out.shape[2], Wo = out.shape[3]
    cdef Py_ssize_t th = (Ho + 3) // 4, tw = (Wo + 3) // 4
    cdef Py_ssize_t nb = M.shape[2] // (th * tw), FT = M.strides[0] // sizeof(float)
    if M.strides[2] != sizeof(float):
        raise ValueError("M must be contiguous along its last axis")
    cdef Py_ssize_t n, f, i, j, a, r, s, t
    cdef float tmp[24]
    cdef float y[16]
    cdef const float* m
    cdef float* o
    cdef float bias
    with nogil:
        for n in range(nb):
            for f in range(F):
                bias = b[f]
                o = &out[n0 + n, f, 0, 0]
                for i in range(th):
                    for j in range(tw):
                        t = n * th * tw + i * tw + j
                        m = &M[0, f, t]
                        for a in range(6):
                            _at6(m[(6 * a) * FT], m[(6 * a + 1) * FT], m[(6 * a + 2) * FT],
                                 m[(6 * a + 3) * FT], m[(6 * a + 4) * FT], m[(6 * a + 5) * FT],
                                 tmp + a, 6)
                        for s in range(4):  # tmp[6s + a] = (m A)[a, s]
                            _at6(tmp[6 * s], tmp[6 * s + 1], tmp[6 * s + 2], tmp[6 * s + 3],
                                 tmp[6 * s + 4], tmp[6 * s + 5], y + s, 4)
                        for r in range(min(4, Ho - 4 * i)):
                            for s in range(min(4, Wo - 4 * j)):
                                o[(4 * i + r) * Wo + 4 * j + s] = y[4 * r + s] + bias


def winograd_dout_transform(const float[:, :, :, ::1] dout, float[:, :, :] Mbar, Py_ssize_t n0):
    """Mbar[6a + b, f, t] = (A dy A^T)[a, b] for the 4x4 tile t of dout[n0 + n, f] (zero beyond
    dout's edges): the adjoint of winograd_output_transform."""
    cdef Py_ssize_t F = dout.shape[1], Ho = dout.shape[2], Wo = dout.shape[3]
    cdef Py_ssize_t th = (Ho + 3) // 4, tw = (Wo + 3) // 4
    cdef Py_ssize_t nb = Mbar.shape[2] // (th * tw), FT = Mbar.strides[0] // sizeof(float)
    if Mbar.strides[2] != sizeof(float):
        raise ValueError("Mbar must be contiguous along its last axis")
    cdef Py_ssize_t n, f, i, j, r, s, t
    cdef float y[16]
    cdef float tmp[24]
    cdef const float* d
    cdef float* m
    with nogil:
        for n in range(nb):
            for f in range(F):
                d = &dout[n0 + n, f, 0, 0]
                for i in range(th):
                    for j in range(tw):
                        t = n * th * tw + i * tw + j
                        if 4 * i + 4 <= Ho and 4 * j + 4 <= Wo:
                            for r in range(4):
                                for s in range(4):
                                    y[4 * r + s] = d[(4 * i + r) * Wo + 4 * j + s]
                        else:
                            for r in range(4):
                                for s in range(4):
                                    y[4 * r + s] = d[(4 * i + r) * Wo + 4 * j + s] \
                                        if 4 * i + r < Ho and 4 * j + s < Wo else 0
                        for r in range(4):  # tmp[a, r] = (A y)[a, r] along columns
                            _a4(y[r], y[4 + r], y[8 + r], y[12 + r], tmp + r, 4)
                        m = &Mbar[0, f, t]
                        for r in range(6):
                            _a4(tmp[4 * r], tmp[4 * r + 1], tmp[4 * r + 2], tmp[4 * r + 3],
                                m + 6 * r * FT, FT)


def winograd_input_adjoint(const float[:, :, :] dV, float[:, :, :, ::1] dx, Py_ssize_t n0,
                           Py_ssize_t pad):
    """Overwrite dx[n0 + n, c] with the sum over tiles t of B dv B^T, dv[a, b] = dV[6a + b, c, t],
    added onto the tile's input patch (entries in the padding dropped): the adjoint of
    winograd_input_transform."""
    cdef Py_ssize_t C = dx.shape[1], H = dx.shape[2], W = dx.shape[3]
    cdef Py_ssize_t th = (H + 2 * pad + 1) // 4, tw = (W + 2 * pad + 1) // 4
    cdef Py_ssize_t nb = dV.shape[2] // (th * tw), CT = dV.strides[0] // sizeof(float)
    if dV.strides[2] != sizeof(float):
        raise ValueError("dV must be contiguous along its last axis")
    # The padded plane and the rows of the tile row being added are kept by phase, as in
    # winograd_input_transform, so that all loops run over contiguous arrays.
    cdef Py_ssize_t J = tw + 1, L = 4 * J, Hp = 4 * th + 2, n, c, i, j, q, a, r, t, lo, hi
    cdef float* padded
    cdef float* acc
    cdef float* row
    cdef float* dst
    cdef const float* v
    padded = <float*> malloc((Hp + 6) * L * sizeof(float))
    if padded == NULL:
        raise MemoryError()
    acc = padded + Hp * L
    with nogil:
        for n in range(nb):
            for c in range(C):
                memset(padded, 0, Hp * L * sizeof(float))
                for i in range(th):
                    # acc[a] = (dv B^T)[a] of every tile of the row, added up where they overlap
                    memset(acc, 0, 6 * L * sizeof(float))
                    v = &dV[0, c, n * th * tw + i * tw]
                    for a in range(6):
                        row = acc + a * L
                        _b6_rows_add(v + 6 * a * CT, v + (6 * a + 1) * CT, v + (6 * a + 2) * CT,
                                     v + (6 * a + 3) * CT, v + (6 * a + 4) * CT,
                                     v + (6 * a + 5) * CT, row, row + J, row + 2 * J,
                                     row + 3 * J, row + 1, row + J + 1, tw)
                    # then B acc, along whole rows
                    row = padded + 4 * i * L
                    _b6_rows_add(acc, acc + L, acc + 2 * L, acc + 3 * L, acc + 4 * L, acc + 5 * L,
                                 row, row + L, row + 2 * L, row + 3 * L, row + 4 * L, row + 5 * L, L)
                for r in range(H):  # Hp >= H + 2 pad, 4 J >= W + 2 pad
                    dst = &dx[n0 + n, c, r, 0]
                    row = padded + (r + pad) * L
                    for q in range(4):  # w = 4j + q - pad for 0 <= w < W
                        lo = (pad - q + 3) // 4 if pad > q else 0
                        hi = (W + pad - q + 3) // 4
                        for j in range(lo, hi):
                            dst[4 * j + q - pad] = row[q * J + j]
    free(padded)
