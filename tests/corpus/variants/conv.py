"""Variants of the naive convolution and max-pooling layers."""
from . import Variant

VARIANTS = [
    # ------------------------------------------------------------------ conv_forward_naive
    Variant("conv_forward_naive.four_loops", '''
def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), "constant")
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache
''', "four nested loops into np.zeros(...): float64 whatever the input dtype"),
    Variant("conv_forward_naive.sliding_window_tensordot", '''
def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, C, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, (HH, WW), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]  # (N, C, H_out, W_out, HH, WW)
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))  # (N, H_out, W_out, F)
    out = out.transpose(0, 3, 1, 2) + b.reshape(1, -1, 1, 1)
    cache = (x, w, b, conv_param)
    return out, cache
''', "sliding_window_view and one tensordot, no Python loop"),
    Variant("conv_forward_naive.im2col", '''
def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    S, P = conv_param["stride"], conv_param["pad"]
    Ho, Wo = (H + 2 * P - HH) // S + 1, (W + 2 * P - WW) // S + 1
    xp = np.zeros((N, C, H + 2 * P, W + 2 * P), dtype=x.dtype)
    xp[:, :, P:P + H, P:P + W] = x
    # column n * Ho * Wo + i * Wo + j holds the receptive field of output (n, i, j)
    cols = np.empty((C * HH * WW, N * Ho * Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            cols[:, i * Wo + j::Ho * Wo] = xp[:, :, i * S:i * S + HH, j * S:j * S + WW].reshape(N, -1).T
    out = w.reshape(F, -1) @ cols + b.reshape(-1, 1)
    out = out.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3)
    cache = (x, w, b, conv_param)
    return out, cache
''', "an im2col matrix built by hand and one matrix product"),
    Variant("conv_forward_naive.einsum_per_position", '''
def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    H_out = int(1 + (H + 2 * pad - HH) / stride)
    W_out = int(1 + (W + 2 * pad - WW) / stride)
    x_pad = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], mode="constant", constant_values=0)
    out = np.empty((N, F, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            window = x_pad[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", window, w) + b
    cache = (x, w, b, conv_param)
    return out, cache
''', "one einsum per output position, sizes with int(... / stride)"),
    # ------------------------------------------------------------------ conv_backward_naive
    Variant("conv_backward_naive.four_loops", '''
def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            db[f] += np.sum(dout[n, f])
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db
''', "four nested loops, dx cut out of the padded gradient with pad:pad + H"),
    Variant("conv_backward_naive.sliding_window_einsum", '''
def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = dout.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    dw = np.einsum("nfij,ncijkl->fckl", dout, windows)
    db = dout.sum(axis=(0, 2, 3))
    dx_pad = np.zeros_like(x_pad)
    for k in range(HH):
        for l in range(WW):
            dx_pad[:, :, k:k + stride * H_out:stride, l:l + stride * W_out:stride] += np.einsum(
                "nfij,fc->ncij", dout, w[:, :, k, l])
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db
''', "dw as one einsum over sliding windows; dx by looping over the filter's offsets"),
    Variant("conv_backward_naive.col2im", '''
def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2], dout.shape[3]
    xp = np.pad(x, [(0, 0), (0, 0), (P, P), (P, P)])
    dout_rows = dout.transpose(1, 0, 2, 3).reshape(F, -1)  # column n * Ho * Wo + i * Wo + j
    cols = np.empty((C * HH * WW, N * Ho * Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            cols[:, i * Wo + j::Ho * Wo] = xp[:, :, i * S:i * S + HH, j * S:j * S + WW].reshape(N, -1).T
    dw = (dout_rows @ cols.T).reshape(w.shape)
    db = dout_rows.sum(axis=1)
    dcols = w.reshape(F, -1).T @ dout_rows
    dxp = np.zeros_like(xp)
    for i in range(Ho):
        for j in range(Wo):
            dxp[:, :, i * S:i * S + HH, j * S:j * S + WW] += dcols[:, i * Wo + j::Ho * Wo].T.reshape(N, C, HH, WW)
    dx = dxp[:, :, P:P + H, P:P + W]
    return dx, dw, db
''', "im2col for dw, col2im (scatter-add of the columns) for dx"),
    # ------------------------------------------------------------------ max_pool_forward_naive
    Variant("max_pool_forward_naive.four_loops", '''
def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    H_out = 1 + (H - ph) // s
    W_out = 1 + (W - pw) // s
    out = np.zeros((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, c, i, j] = np.max(x[n, c, i * s:i * s + ph, j * s:j * s + pw])
    cache = (x, pool_param)
    return out, cache
''', "four nested loops into np.zeros(...): float64 whatever the input dtype"),
    Variant("max_pool_forward_naive.sliding_window", '''
def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    windows = np.lib.stride_tricks.sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]
    out = windows.max(axis=(4, 5))
    cache = (x, pool_param)
    return out, cache
''', "the maximum of every strided sliding window, no loop"),
    Variant("max_pool_forward_naive.reshaped_windows", '''
def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    HH, WW, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    H_out, W_out = (H - HH) // stride + 1, (W - WW) // stride + 1
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = window.reshape(N, C, -1).max(axis=2)
    cache = (x, pool_param)
    return out, cache
''', "two loops over output positions, each window flattened, into a buffer of x's dtype"),
    Variant("max_pool_forward_naive.as_strided", '''
def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    sn, sc, sh, sw = x.strides
    view = np.lib.stride_tricks.as_strided(x, shape=(N, C, Ho, Wo, ph, pw),
                                           strides=(sn, sc, s * sh, s * sw, sh, sw), writeable=False)
    out = np.amax(view, axis=(-2, -1))
    cache = (x, pool_param)
    return out, cache
''', "a read-only as_strided view of the windows"),
    # ------------------------------------------------------------------ max_pool_backward_naive
    Variant("max_pool_backward_naive.mask_loops", '''
def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    mask = window == np.max(window)
                    dx[n, c, i * s:i * s + ph, j * s:j * s + pw] += mask * dout[n, c, i, j]
    return dx
''', "four loops; each window's gradient through the mask window == max (added up where windows overlap)"),
    Variant("max_pool_backward_naive.unravel_index", '''
def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    N, C, H_out, W_out = dout.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(x.shape, dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    r, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * s + r, j * s + q] += dout[n, c, i, j]
    return dx
''', "four loops; np.unravel_index of each window's argmax"),
    Variant("max_pool_backward_naive.keepdims_mask", '''
def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    HH, WW, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for i in range(H_out):
        for j in range(W_out):
            rows, cols = slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW)
            window = x[:, :, rows, cols]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, rows, cols] += mask * dout[:, :, i, j][:, :, None, None]
    return dx
''', "two loops; a keepdims max mask for the whole batch at once"),
    Variant("max_pool_backward_naive.add_at", '''
def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, Ho, Wo = dout.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]
    r, q = np.divmod(windows.reshape(N, C, Ho, Wo, -1).argmax(axis=-1), pw)
    n, c, i, j = np.indices((N, C, Ho, Wo))
    dx = np.zeros_like(x)
    np.add.at(dx, (n, c, i * s + r, j * s + q), dout)
    return dx
''', "argmax of every sliding window, scattered with np.add.at (no loop)"),
]
