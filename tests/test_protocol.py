"""The typed child protocol: Manifest and Reply read back what the child sends, and nothing it forges."""
import numpy as np

from autograder.child import codec
from autograder.child.boot import describe_failure, run
from autograder.child.probes import ProbeError
from autograder.child.protocol import Manifest, Reply


def test_replies_of_the_child_read_back_as_they_were_sent():
    def fine(api, x):
        return {"out": x * 2}

    def broken(api, x):
        raise ValueError("x has the wrong shape")

    probes = {"fine": fine, "broken": broken}
    ok = run({"id": "a", "probe": "fine", "seed": 0, "inputs": {"x": np.ones(2)}}, {}, probes, ProbeError, np)
    failed = run({"id": "b", "probe": "broken", "seed": 0, "inputs": {"x": 1}}, {}, probes, ProbeError, np)
    for wire in (ok, failed):
        decoded = codec.decode(codec.encode(wire)[8:])
        reply = Reply.from_dict(decoded)
        assert set(reply.to_dict()) == set(wire)
    assert Reply.from_dict(ok).ok and np.array_equal(Reply.from_dict(ok).outputs["out"], [2, 2])
    reply = Reply.from_dict(failed)
    assert (reply.ok, reply.kind, reply.type, reply.error) == (False, "exception", "ValueError",
                                                                "x has the wrong shape")
    assert not reply.stopped_part_way
    form = Reply.failure("c", describe_failure(ProbeError("returned None"), None, ProbeError), {"out": 1}, "f")
    assert form.to_dict() == {"id": "c", "ok": False, "kind": "form", "error": "returned None",
                              "partial": {"out": 1}, "function": "f"}
    assert form.stopped_part_way


def test_forged_or_broken_messages_are_not_trusted():
    assert Reply.from_dict({"id": "x", "ok": 1, "outputs": {}}).ok is False  # only True itself is a success
    assert Reply.from_dict("not a dict") == Reply(None, False)
    assert Manifest.from_dict({"found": ["a"], "import_errors": None}) == Manifest()
    manifest = Manifest({"relu_forward": ["cs231n.layers", "function"]}, {"m": "SyntaxError"}, {"m": ["f"]})
    assert Manifest.from_dict(manifest.to_dict()) == manifest
