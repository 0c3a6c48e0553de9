"""The wire format between grader and child: round trips, and nothing unsafe is ever decoded."""
import json

import numpy as np
import pytest

from autograder.child import codec


def roundtrip(obj):
    return codec.decode(codec.encode(obj)[8:])


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


@pytest.mark.parametrize("payload", [
    {"__nd__": ["|O", [1], "AA=="]},                          # object dtype: could unpickle
    {"__nd__": ["<f8", [2], "AAAAAAAAAAA="]},                 # size does not match the shape
    {"__nd__": ["<f8", [-1], ""]},
    {"__float__": "__import__('os')"},
    {"__dict__": [[["a"], 1]]},                               # unhashable key
    {"__mystery__": 1},
])
def test_malformed_or_dangerous_messages_are_rejected(payload):
    with pytest.raises(codec.ProtocolError):
        codec.decode(json.dumps(payload).encode())


def test_garbage_is_a_protocol_error():
    with pytest.raises(codec.ProtocolError):
        codec.decode(b"\x80not json")
