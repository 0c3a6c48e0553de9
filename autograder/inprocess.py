"""Run probes in the grader's own process: for building fixtures from the trusted reference, and as the
unsandboxed baseline that the sandbox's cost is measured against. Never use it for student code."""
from __future__ import annotations

import itertools

import numpy as np

from .child import codec
from .child.loader import Submission, describe
from .child.boot import describe_failure
from .child.probes import PROBES, Partial, ProbeError
from .runner import RunOutcome

_COUNTER = itertools.count()


def run_in_process(config, plan):
    """Same contract as :func:`autograder.runner.run_cases`, without a child process or limits."""
    outcome = RunOutcome()
    sub = Submission(config["root"], config["packages"], f"{config['prefix']}_{next(_COUNTER)}").load()
    try:
        api, where = sub.find(config["wanted"], config.get("pinned"), config.get("preferred", ()))
        outcome.manifest = {"found": {n: [where[n], describe(obj)] for n, obj in api.items()},
                            "import_errors": sub.import_errors, "broken_defines": sub.broken_defines}
        for case_id, request, _ in plan(outcome.manifest):
            outcome.replies[case_id] = _run(request, api)
    finally:
        sub.unload()
    return outcome


def _run(request, api):
    state = np.random.get_state()
    try:
        np.random.seed(request["seed"])
        outputs = PROBES[request["probe"]](api, **request["inputs"])
        outputs = codec.roundtrip(outputs)  # the same types a child's reply has
        return {"id": request["id"], "ok": True, "outputs": outputs}
    except Exception as exc:  # noqa: BLE001 - reported like the child reports it
        extra = {}
        if isinstance(exc, Partial) and exc.__cause__ is not None:
            extra = {"partial": codec.roundtrip(exc.outputs), "function": exc.function}
            exc = exc.__cause__
        return {"id": request["id"], "ok": False, **describe_failure(exc, request.get("root"), ProbeError), **extra}
    finally:
        np.random.set_state(state)
