"""Run probes in the grader's own process: for building fixtures from the trusted reference, and as the
unsandboxed baseline that the sandbox's cost is measured against. Never use it for student code."""
from __future__ import annotations

import copy
import itertools
import time

import numpy as np

from ..child import codec
from ..child.loader import Submission, describe
from ..child.boot import describe_failure
from ..child.probes import PROBES, Partial, ProbeError
from ..child.protocol import Manifest, Reply
from .runner import RunOutcome, ask_case

_COUNTER = itertools.count()


def run_in_process(config, plan, followup=None):
    """Same contract as :func:`autograder.sandbox.runner.run_cases`, without a child process or limits."""
    outcome = RunOutcome()
    began = time.monotonic()
    sub = Submission(config["root"], config["packages"], f"{config['prefix']}_{next(_COUNTER)}").load()
    try:
        api, where = sub.find(config["wanted"], config.get("pinned"), config.get("preferred", ()))
        outcome.manifest = Manifest({n: [where[n], describe(obj)] for n, obj in api.items()},
                                    sub.import_errors, sub.broken_defines)
        outcome.startup_seconds = time.monotonic() - began  # loading the submission in this process
        for case_id, request, _ in plan(outcome.manifest):
            began = time.monotonic()
            outcome.replies[case_id] = ask_case(lambda req, _: _run(req, api).to_dict(), request, float("inf"),
                                                followup)
            outcome.timings[case_id] = time.monotonic() - began
    finally:
        sub.unload()
    return outcome


def _run(request, api):
    state = np.random.get_state()
    try:
        np.random.seed(request["seed"])
        outputs = PROBES[request["probe"]](api, **copy.deepcopy(request["inputs"]))
        return Reply(request["id"], True, codec.roundtrip(outputs))  # the same types a child's reply has
    except Exception as exc:  # noqa: BLE001 - reported like the child reports it
        partial = function = None
        if isinstance(exc, Partial) and exc.__cause__ is not None:
            partial, function = codec.roundtrip(exc.outputs), exc.function
            exc = exc.__cause__
        return Reply.failure(request["id"], describe_failure(exc, request.get("root"), ProbeError), partial, function)
    finally:
        np.random.set_state(state)
