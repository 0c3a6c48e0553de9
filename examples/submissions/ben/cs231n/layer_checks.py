"""Shape checks shared by the layers (layers.py) and the fast layers (fast_layers.py).

Provided code, not student code: each helper turns a bad shape or parameter into a ValueError that names
the parameter and the shapes, e.g. "conv_forward_naive: (H + 2*pad - HH) = 3 is not divisible by stride = 2
(x has shape (2, 3, 5, 5), w has shape (3, 3, 2, 2))". It is its own module so that the provided
fast_layers.py never depends on a student's layers.py.
"""
import numpy as np


def _shapes(**arrays):
    """Describe the shapes of named arrays for an error message, e.g. "(x has shape (2, 3))"."""
    return "(" + ", ".join(f"{name} has shape {tuple(np.shape(a))}" for name, a in arrays.items()) + ")"


def _check_shape(caller, name, array, expected, **context):
    """Raise ValueError unless `array` has shape `expected`; `context` arrays go in the message."""
    if np.shape(array) != tuple(expected):
        raise ValueError(
            f"{caller}: {name} has shape {tuple(np.shape(array))}, expected {tuple(expected)} "
            f"{_shapes(**context)}")


def _check_param_shape(caller, name, array, expected, **context):
    """Like :func:`_check_shape` for a scale or shift parameter (gamma, beta): also accept its numbers with leading
    axes of one ((1, D) for (D,)), which broadcast the same way, as a model that keeps its parameters 2-D has them."""
    shape, expected = tuple(np.shape(array)), tuple(expected)
    if shape[len(shape) - len(expected):] == expected and all(n == 1 for n in shape[:len(shape) - len(expected)]):
        return
    _check_shape(caller, name, array, expected, **context)


def _check_ndim(caller, name, array, ndim, layout):
    """Raise ValueError unless `array` has `ndim` dimensions, described by `layout` e.g. "(N, D)"."""
    if np.ndim(array) != ndim:
        raise ValueError(
            f"{caller}: {name} must be {ndim}-D {layout}, got shape {tuple(np.shape(array))}")


def _check_affine_shapes(x, w, b, caller):
    """Check that x of shape (N, d_1, ..., d_k), w of shape (D, M) and b of shape (M,) (or (1, M)) fit together."""
    _check_ndim(caller, "w", w, 2, "(D, M)")
    D = int(np.prod(np.shape(x)[1:]))
    if D != np.shape(w)[0]:
        raise ValueError(
            f"{caller}: x has D = prod(x.shape[1:]) = {D} features per example but w has "
            f"{np.shape(w)[0]} rows {_shapes(x=x, w=w, b=b)}")
    M = np.shape(w)[1]
    if np.shape(b)[-1:] == (M,) and all(n == 1 for n in np.shape(b)[:-1]):
        return  # (M,), or (1, M) as a keepdims gradient makes it during training: both add a row to each example
    _check_shape(caller, "b", b, (M,), x=x, w=w)


def _conv_output_shape(x_shape, w_shape, conv_param, caller, b_shape=None):
    """Check the shapes of a convolution and return its output size.

    Inputs:
    - x_shape: Shape of the input, (N, C, H, W)
    - w_shape: Shape of the filter weights, (F, C, HH, WW)
    - conv_param: Dictionary with the keys 'stride' and 'pad'
    - caller: Name of the public function, used in error messages
    - b_shape: Optional shape of the biases, checked to hold F numbers: (F,), or (1, F), (F, 1), (1, F, 1, 1)...,
      which the courses' own fast layers accept (they add b.reshape(-1, 1))

    Returns a tuple (H_out, W_out) with
      H_out = 1 + (H + 2 * pad - HH) / stride
      W_out = 1 + (W + 2 * pad - WW) / stride

    Raises ValueError naming the offending parameter and the shapes.
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    x_shape, w_shape = tuple(x_shape), tuple(w_shape)
    shapes = f"(x has shape {x_shape}, w has shape {w_shape})"
    if len(x_shape) != 4:
        raise ValueError(f"{caller}: x must be 4-D (N, C, H, W) {shapes}")
    if len(w_shape) != 4:
        raise ValueError(f"{caller}: w must be 4-D (F, C, HH, WW) {shapes}")
    if stride < 1 or pad < 0:
        raise ValueError(
            f"{caller}: need stride >= 1 and pad >= 0, got stride = {stride}, pad = {pad} {shapes}")
    _, C, H, W = x_shape
    F, C_w, HH, WW = w_shape
    if C_w != C:
        raise ValueError(f"{caller}: w has {C_w} channels but x has {C} channels {shapes}")
    if b_shape is not None and int(np.prod(b_shape)) != F:
        raise ValueError(
            f"{caller}: b has shape {tuple(b_shape)}, expected (F,) = ({F},) {shapes}")
    out = []
    for size, fsize, dim, fdim in ((H, HH, "H", "HH"), (W, WW, "W", "WW")):
        span = size + 2 * pad - fsize
        if span < 0:
            raise ValueError(
                f"{caller}: filter {fdim} = {fsize} is larger than the padded input "
                f"{dim} + 2*pad = {size + 2 * pad} {shapes}")
        if span % stride != 0:
            raise ValueError(
                f"{caller}: ({dim} + 2*pad - {fdim}) = {span} is not divisible by "
                f"stride = {stride} {shapes}")
        out.append(1 + span // stride)
    return tuple(out)


def _pool_output_shape(x_shape, pool_param, caller):
    """Check the shapes of a max-pooling layer and return its output size.

    Inputs:
    - x_shape: Shape of the input, (N, C, H, W)
    - pool_param: Dictionary with the keys 'pool_height', 'pool_width' and 'stride'
    - caller: Name of the public function, used in error messages

    Returns a tuple (H_out, W_out) with
      H_out = 1 + (H - pool_height) / stride
      W_out = 1 + (W - pool_width) / stride

    Raises ValueError naming the offending parameter and the shapes.
    """
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    x_shape = tuple(x_shape)
    params = f"(x has shape {x_shape}, pool_height = {ph}, pool_width = {pw}, stride = {stride})"
    if len(x_shape) != 4:
        raise ValueError(f"{caller}: x must be 4-D (N, C, H, W) {params}")
    if stride < 1 or ph < 1 or pw < 1:
        raise ValueError(f"{caller}: stride, pool_height and pool_width must be >= 1 {params}")
    _, _, H, W = x_shape
    out = []
    for size, psize, dim, pname in ((H, ph, "H", "pool_height"), (W, pw, "W", "pool_width")):
        if psize > size:
            raise ValueError(
                f"{caller}: {pname} = {psize} is larger than the input {dim} = {size} {params}")
        if (size - psize) % stride != 0:
            raise ValueError(
                f"{caller}: ({dim} - {pname}) = {size - psize} is not divisible by "
                f"stride = {stride} {params}")
        out.append(1 + (size - psize) // stride)
    return tuple(out)


def _integral(params, keys, caller):
    """A copy of a conv_param or pool_param dict whose integral float entries are ints.

    Provided code of some courses computes them with true division, e.g. nndl's cnn.py passes
    pad = (filter_size - 1) / 2 = 3.0; a value that is not a whole number raises ValueError.
    """
    out = dict(params)
    for key in keys:
        value = out.get(key)
        if isinstance(value, (float, np.floating)):
            if not float(value).is_integer():
                raise ValueError(f"{caller}: {key} = {value} is not a whole number")
            out[key] = int(value)
    return out
