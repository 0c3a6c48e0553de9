"""Entry point of the child process: ``python -I -m _agchild.boot '<json settings>'``.

Order matters: resource limits are set first, before numpy or any student code is imported; then the
submission is loaded and a manifest of what was found is sent; then probes run one request at a time.
Student output goes nowhere: file descriptors 1 and 2 are /dev/null (the parent arranges that) and
``sys.stdout``/``sys.stderr`` are replaced by sinks that keep only a capped prefix.
"""
import json
import os
import signal
import sys

try:
    import resource
except ImportError:  # Windows: no resource limits in the child; the parent enforces the time limits
    resource = None

_LIMITS = {} if resource is None else {
    "cpu_seconds": resource.RLIMIT_CPU,
    "memory_bytes": resource.RLIMIT_AS,
    "file_bytes": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
    "processes": resource.RLIMIT_NPROC,
    "core_bytes": resource.RLIMIT_CORE,
}


def apply_limits(limits):
    """Lower the hard and soft limits; a limit the platform refuses is skipped, not fatal."""
    for key, value in limits.items():
        if value is None or key not in _LIMITS:
            continue
        try:
            resource.setrlimit(_LIMITS[key], (int(value), int(value)))
        except (ValueError, OSError):
            pass
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the file limit fails instead of killing


def stdio_channel():
    """The protocol on this process's own stdin and stdout (a portable child, see autograder.sandbox.portable_child):
    moved to new descriptors at once, 0 and 1 then pointing at the null device, so student output (print, C
    code writing to fd 1) can never reach the protocol. Returns ``(request_fd, reply_fd)``."""
    request_fd, reply_fd = os.dup(0), os.dup(1)
    try:
        import msvcrt  # Windows: no newline translation on the protocol

        for fd in (request_fd, reply_fd):
            msvcrt.setmode(fd, os.O_BINARY)
    except ImportError:
        pass
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    return request_fd, reply_fd


PROVIDED = set()
"""File names of the trusted provided modules staged in the submission (``fast_layers.py``...): an exception they
raise is reported at the student's line that called them."""


class _CappedSink:
    """A text stream that keeps the first ``cap`` characters and drops the rest."""

    def __init__(self, cap):
        self.cap, self.kept = cap, []
        self.size = 0

    def write(self, text):
        if self.size < self.cap:
            self.kept.append(str(text)[: self.cap - self.size])
        self.size += len(text) if isinstance(text, str) else 0
        return len(text) if isinstance(text, str) else 0

    def flush(self):
        pass

    def isatty(self):
        return False


def main():
    settings = json.loads(sys.argv[1])
    apply_limits(settings.get("limits", {}))
    request_fd, reply_fd = settings["request_fd"], settings["reply_fd"]
    if request_fd == "stdio":
        request_fd, reply_fd = stdio_channel()
    sys.stdout = sys.stderr = _CappedSink(settings.get("output_cap", 1 << 16))

    import numpy as np  # noqa: F401 - after the limits on purpose

    from . import codec
    from .loader import Submission, describe
    from .probes import PROBES, ProbeError, halt_before, on_progress
    from .protocol import Manifest

    config = codec.read_message(request_fd)
    PROVIDED.update(config.get("provided", ()))
    from .numpy_compat import install, used
    install(np, [config["root"]])  # numpy constructs numpy removed, served before any student code is imported
    trusted = None
    if config.get("trusted"):  # credit isolation: the trusted layers are imported before any student code
        from .trusted import TrustedLayers
        trusted = TrustedLayers(config["trusted"]["package"], config["trusted"].get("dropout_means", "keep"),
                                config["trusted"].get("graded"))
    sub = Submission(config["root"], config["packages"], config["prefix"]).load()
    api, where = sub.find(config["wanted"], config.get("pinned"), config.get("preferred", ()))
    codec.write_message(reply_fd, Manifest(
        found={name: [where[name], describe(obj)] for name, obj in api.items()},
        import_errors=sub.import_errors,
        broken_defines=sub.broken_defines,
        numpy_compat=used(),
    ).to_dict())
    current = {}

    def progress(function, outputs):  # what a probe got before calling the next function (see probes.calling)
        try:
            data = codec.encode({"id": current.get("id"), "progress": True, "function": function, "partial": outputs})
        except Exception:  # noqa: BLE001 - outputs that cannot be sent: no progress report
            return
        _write_all(reply_fd, data)

    on_progress(progress)
    while True:
        try:
            request = codec.read_message(request_fd)
        except EOFError:
            break
        if request.get("stop"):
            break
        current["id"] = request["id"]
        halt_before(request.get("halt"))
        if trusted is not None and "keep" in request:
            with trusted.swapped(list(sub.modules.values()), api, request["keep"]) as trusted_api:
                reply = run(request, trusted_api, PROBES, ProbeError, np)
        else:
            reply = run(request, api, PROBES, ProbeError, np)
        if used():
            reply["numpy_compat"] = used()
        _write_all(reply_fd, _encoded(codec, reply, request["id"]))
    os._exit(0)


def _encoded(codec, reply, request_id):
    """The reply's bytes; outputs that cannot be sent (e.g. a recursive structure) become a form error."""
    try:
        return codec.encode(reply)
    except Exception as exc:  # noqa: BLE001
        if "partial" in reply:  # the failure itself can still be reported
            return _encoded(codec, {k: v for k, v in reply.items() if k not in ("partial", "function")}, request_id)
        return codec.encode({"id": request_id, "ok": False, "kind": "form",
                             "error": f"the outputs could not be sent back ({type(exc).__name__})"})


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def run(request, api, probes, probe_error, np):
    """Run one probe and describe its outcome as a :class:`~.protocol.Reply`'s wire dict; never raises.

    A probe that stopped part-way (:class:`~.probes.Partial`) is described by the exception that stopped it,
    plus ``partial`` (the outputs so far) and ``function`` (the student's function that failed).
    """
    from .probes import Halted, Partial
    from .protocol import Reply

    try:
        np.random.seed(request["seed"])
        outputs = probes[request["probe"]](api, **request["inputs"])
        return Reply(request["id"], True, outputs).to_dict()
    except BaseException as exc:  # noqa: BLE001 - SystemExit and friends are the student's failure
        partial = function = None
        if isinstance(exc, Partial) and exc.__cause__ is not None:
            partial, function = exc.outputs, exc.function
            exc = exc.__cause__
        description = describe_failure(exc, request.get("root"), probe_error)
        if isinstance(exc, Halted):  # stopped before a function that timed out earlier: not checked
            description = {"kind": "halted", "error": str(exc)[:300]}
        return Reply.failure(request["id"], description, partial, function).to_dict()


def describe_failure(exc, root, probe_error):
    """``kind`` (``form``: the code returned something of the wrong form; ``exception``), the exception's type,
    its first line and where in the submission (under ``root``) it was raised."""
    import traceback
    from pathlib import Path

    if isinstance(exc, probe_error):
        return {"kind": "form", "error": str(exc)}
    root = Path(root or "/nonexistent")
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(str(root)) and Path(frame.filename).name not in PROVIDED:
            where = f"{Path(frame.filename).name}, line {frame.lineno}, in {frame.name}"
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return {"kind": "exception", "type": type(exc).__name__, "error": text, "where": where}


if __name__ == "__main__":
    main()
