"""A safe wire format between the grader and the child: JSON with typed numpy arrays.

Never pickle: the parent must be able to decode whatever a hostile child sends without running code.
A message is framed by an 8-byte length; its body is an 8-byte length, a JSON document, then the raw bytes of
every array in it. In the JSON an array is ``{"__nd__": [dtype, shape, offset]}``: a whitelisted dtype, its
shape and where its bytes start after the JSON (raw bytes, not base64: the grader moves about 80 MB of arrays
per submission). Tuples keep their type; any other object is replaced by a description of it.
"""
import json
import math
import os
import struct

import numpy as np

_DTYPES = {
    np.dtype(t).str
    for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
        np.float16, np.float32, np.float64, np.complex64, np.complex128,
    )
}
_HEADER = struct.Struct("<Q")
MAX_DEPTH = 20


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


class _Blob:
    """The raw bytes that follow a message's JSON: array data, appended in order."""

    def __init__(self):
        self.parts, self.size = [], 0

    def add(self, data):
        offset = self.size
        self.parts.append(data)
        self.size += len(data)
        return offset


def to_wire(obj, blob, depth=0):
    """Turn an object into JSON-able data, appending array bytes to ``blob`` (a :class:`_Blob`); unknown
    objects become ``{"__object__": type name}``."""
    if depth > MAX_DEPTH:
        return {"__object__": "nested too deeply"}
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)) and type(obj) in (int, float):
        return _float_to_wire(obj) if isinstance(obj, float) else obj
    if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
        arr = np.asarray(obj)
        if arr.dtype.str not in _DTYPES:
            return {"__object__": f"numpy array of dtype {arr.dtype}", "shape": list(arr.shape)}
        data = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
        return {"__nd__": [arr.dtype.str, list(arr.shape), blob.add(data)]}
    if isinstance(obj, tuple):
        return {"__tuple__": [to_wire(v, blob, depth + 1) for v in obj]}
    if isinstance(obj, list):
        return [to_wire(v, blob, depth + 1) for v in obj]
    if isinstance(obj, dict):
        return {"__dict__": [[to_wire(k, blob, depth + 1), to_wire(v, blob, depth + 1)] for k, v in obj.items()]}
    return {"__object__": type(obj).__name__}


def _float_to_wire(x):
    return x if math.isfinite(x) else {"__float__": repr(x)}


def from_wire(data, blob, depth=0):
    """Inverse of :func:`to_wire` (``blob``: the bytes after the JSON), validating everything it reads."""
    if depth > MAX_DEPTH + 2:
        raise ProtocolError("message nested too deeply")
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return [from_wire(v, blob, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) == 0:
        raise ProtocolError(f"unexpected value {type(data).__name__}")
    if "__nd__" in data:
        return _array_from_wire(data["__nd__"], blob)
    if "__tuple__" in data:
        return tuple(from_wire(v, blob, depth + 1) for v in _as_list(data["__tuple__"]))
    if "__dict__" in data:
        items = _as_list(data["__dict__"])
        out = {}
        for item in items:
            if not isinstance(item, list) or len(item) != 2:
                raise ProtocolError("malformed dict item")
            key = from_wire(item[0], blob, depth + 1)
            if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                raise ProtocolError("unhashable dict key")
            out[key] = from_wire(item[1], blob, depth + 1)
        return out
    if "__float__" in data:
        text = data["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise ProtocolError("malformed float")
        return float(text)
    if "__object__" in data:
        return Opaque(str(data["__object__"])[:200], data.get("shape"))
    raise ProtocolError("unknown tagged value")


def _as_list(value):
    if not isinstance(value, list):
        raise ProtocolError("expected a list")
    return value


def _array_from_wire(spec, blob):
    if not isinstance(spec, list) or len(spec) != 3:
        raise ProtocolError("malformed array")
    dtype, shape, offset = spec
    if dtype not in _DTYPES or not isinstance(shape, list) or type(offset) is not int:
        raise ProtocolError("array with a forbidden dtype or malformed shape")
    if not all(type(n) is int and 0 <= n < 2**40 for n in shape) or len(shape) > 32:
        raise ProtocolError("array with a malformed shape")
    dt = np.dtype(dtype)
    count = math.prod(shape)
    if not 0 <= offset <= len(blob) - dt.itemsize * count:
        raise ProtocolError("array size does not match its shape")
    return np.frombuffer(blob, dtype=dt, count=count, offset=offset).reshape(shape).copy()


class Opaque:
    """Stands for a value the child could not send (a custom object): only its type name is known."""

    def __init__(self, type_name, shape=None):
        self.type_name = type_name
        self.shape = tuple(shape) if isinstance(shape, list) else None

    def __repr__(self):
        return f"<{self.type_name}>"

    def __eq__(self, other):
        return isinstance(other, Opaque) and other.type_name == self.type_name

    __hash__ = None


def encode(obj):
    """Serialize ``obj`` into one framed message: length, JSON length, JSON, array bytes."""
    blob = _Blob()
    document = json.dumps(to_wire(obj, blob), separators=(",", ":")).encode("utf-8")
    size = _HEADER.size + len(document) + blob.size
    return b"".join([_HEADER.pack(size), _HEADER.pack(len(document)), document, *blob.parts])


def decode(payload):
    """Decode a message body (without its length header)."""
    payload = memoryview(payload)
    if len(payload) < _HEADER.size:
        raise ProtocolError("undecodable message: too short")
    (size,) = _HEADER.unpack(payload[:_HEADER.size])
    if size > len(payload) - _HEADER.size:
        raise ProtocolError("undecodable message: its JSON is longer than the message")
    try:
        document = json.loads(bytes(payload[_HEADER.size:_HEADER.size + size]).decode("utf-8"))
        return from_wire(document, payload[_HEADER.size + size:])
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise ProtocolError(f"undecodable message: {exc}") from None


def roundtrip(obj):
    """What ``obj`` becomes once sent through the wire (the types a child's reply has)."""
    return decode(encode(obj)[_HEADER.size:])


def write_message(fd, obj):
    """Write one framed message to a file descriptor."""
    data = memoryview(encode(obj))
    while data:
        n = os.write(fd, data)
        data = data[n:]


def read_exact(fd, n):
    """Read exactly n bytes (blocking) or raise EOFError."""
    if not hasattr(os, "readv"):  # Windows
        chunks, remaining = [], n
        while remaining:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                raise EOFError("the other side closed the channel")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    buffer = bytearray(n)
    view, done = memoryview(buffer), 0
    while done < n:
        got = read_into(fd, view[done:])
        if not got:
            raise EOFError("the other side closed the channel")
        done += got
    return buffer


def read_into(fd, view):
    """Read what is there (at most ``len(view)`` bytes, blocking until some are) into ``view``: the number read, 0 at
    the end. One copy, where ``os.read`` and a join of its chunks make two of a message's arrays."""
    return os.readv(fd, [view[:1 << 24]])


def read_message(fd, max_bytes=1 << 30):
    """Blocking read of one framed message."""
    (size,) = _HEADER.unpack(read_exact(fd, _HEADER.size))
    if size > max_bytes:
        raise ProtocolError(f"message of {size} bytes exceeds the limit of {max_bytes}")
    return decode(read_exact(fd, size))
