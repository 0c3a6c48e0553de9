"""The wire format between grader and child: round trips, and nothing unsafe is ever decoded."""
import json

import numpy as np
import pytest

from autograder.child import codec


def roundtrip(obj):
    return codec.roundtrip(obj)


def body(document, blob=b""):
    """A message body made by hand: JSON length, JSON, raw bytes."""
    data = json.dumps(document).encode()
    return len(data).to_bytes(8, "little") + data + blob


def test_round_trip_keeps_types_shapes_and_dtypes():
    obj = {"out": np.arange(6, dtype=np.float32).reshape(2, 3), "grads": (np.ones(2), None, 3, 2.5, "x"),
           "flags": [True, False], "scalar": np.float64(1.5), "nan": float("nan")}
    back = roundtrip(obj)
    assert back["out"].dtype == np.float32 and back["out"].shape == (2, 3)
    np.testing.assert_array_equal(back["out"], obj["out"])
    assert isinstance(back["grads"], tuple) and back["grads"][1:] == (None, 3, 2.5, "x")
    assert back["flags"] == [True, False]
    assert back["scalar"].shape == () and float(back["scalar"]) == 1.5
    assert np.isnan(back["nan"])


def test_unknown_objects_become_opaque_descriptions():
    class Cache:
        pass

    back = roundtrip({"cache": Cache(), "objects": np.array([object()], dtype=object)})
    assert isinstance(back["cache"], codec.Opaque) and back["cache"].type_name == "Cache"
    assert isinstance(back["objects"], codec.Opaque)


def test_arrays_travel_as_raw_bytes_after_the_json():
    arrays = [np.arange(5, dtype=np.int16), np.ones((0, 3)), np.array(2.5), np.array([1 + 2j], np.complex64),
              np.array([True, False]), np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.arange(8.0)[::3]]
    message = codec.encode(arrays)
    assert int.from_bytes(message[:8], "little") == len(message) - 8
    assert b"__nd__" in message and sum(a.nbytes for a in arrays) < len(message) < 1000
    for back, original in zip(roundtrip(arrays), arrays):
        assert back.dtype == original.dtype and back.shape == original.shape and back.flags.writeable
        np.testing.assert_array_equal(back, original)


def test_decoded_arrays_do_not_share_memory_with_the_message():
    message = bytearray(codec.encode([np.zeros(4), np.zeros(4)])[8:])
    first, second = codec.decode(message)
    first[0] = 1.0
    assert second[0] == 0.0 and codec.decode(message)[0][0] == 0.0


@pytest.mark.parametrize("payload, blob", [
    ({"__nd__": ["|O", [1], 0]}, b"\0" * 8),                   # object dtype: could unpickle
    ({"__nd__": ["<f8", [2], 0]}, b"\0" * 8),                  # fewer bytes than the shape needs
    ({"__nd__": ["<f8", [1], 8]}, b"\0" * 8),                  # offset past the end
    ({"__nd__": ["<f8", [1], -8]}, b"\0" * 16),                # negative offset
    ({"__nd__": ["<f8", [1], "0"]}, b"\0" * 8),                # offset of the old base64 form
    ({"__nd__": ["<f8", [-1], 0]}, b""),
    ({"__nd__": ["<f8", [True], 0]}, b"\0" * 8),
    ({"__nd__": ["<f8", [2**39, 2**39], 0]}, b"\0" * 8),       # an absurd size
    ({"__float__": "__import__('os')"}, b""),
    ({"__dict__": [[["a"], 1]]}, b""),                          # unhashable key
    ({"__mystery__": 1}, b""),
])
def test_malformed_or_dangerous_messages_are_rejected(payload, blob):
    with pytest.raises(codec.ProtocolError):
        codec.decode(body(payload, blob))


@pytest.mark.parametrize("message", [b"", b"\x01", b"\xff" * 8 + b"{}", (3).to_bytes(8, "little") + b"\x80no"])
def test_garbage_is_a_protocol_error(message):
    with pytest.raises(codec.ProtocolError):
        codec.decode(message)
