"""Running the child where POSIX is missing (Windows): no fork, no ``resource``, no ``select`` on pipes.

On Linux and macOS the grader starts the child with its request and reply pipes passed as extra descriptors
(``pass_fds``), in a session of its own, with ``preexec_fn`` and ``select``-driven deadlines. Windows has none of
these, so there the child is started *portably*: a plain new interpreter (the spawn way: nothing is forked), its
protocol on its own stdin and stdout (which the child moves aside at once, pointing 0 and 1 at the null device
so that student output cannot reach the protocol), every deadline kept by threads in the parent, and a time
limit enforced by killing the child from the parent. The child sets whatever resource limits its platform has
(none without ``resource``).

``AUTOGRADER_PORTABLE_CHILD=1`` forces the portable way on Linux too, which is how the tests simulate Windows.
"""
from __future__ import annotations

import os
import subprocess
import threading
import time

FORCE_ENV = "AUTOGRADER_PORTABLE_CHILD"
STDIO = "stdio"
"""The child settings' ``request_fd``/``reply_fd`` when the protocol runs on the child's stdin and stdout."""


def portable() -> bool:
    """Whether children are started the portable way: not on POSIX, or forced by ``AUTOGRADER_PORTABLE_CHILD=1``."""
    return os.name != "posix" or os.environ.get(FORCE_ENV) == "1"


def sandbox_supported() -> bool:
    """Whether :mod:`autograder.sandbox.confinement` can wrap a child here (it needs ``sh``, ``env`` and POSIX users): not on
    Windows, where the child runs unwrapped with the parent's time limits."""
    return os.name == "posix"


def popen_options() -> dict:
    """``subprocess.Popen`` options of a portable child: pipes for the protocol, and on Windows a process group
    of its own (so a console Ctrl-C reaches the grader, not the child)."""
    options = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.DEVNULL, "bufsize": 0}
    if os.name == "nt":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    return options


def child_env(env: dict) -> dict:
    """A scrubbed child environment completed with what the platform's interpreter needs (Windows: ``SYSTEMROOT``
    and the grader's ``PATH``; a POSIX ``PATH`` means nothing there)."""
    if os.name != "nt":
        return env
    env = dict(env)
    for key in ("SYSTEMROOT", "SystemRoot", "WINDIR", "PATH", "PATHEXT", "TEMP", "TMP"):
        if key in os.environ:
            env[key] = os.environ[key]
    env["TMP"] = env["TEMP"] = env.get("TMPDIR", env.get("TEMP", ""))
    return env


class PipeChannel:
    """The parent's end of a portable child's protocol: deadline-bound reads and writes on its stdout and stdin,
    kept by two threads instead of ``select`` (which Windows cannot do on pipes)."""

    def __init__(self, proc):
        self.proc = proc
        self._buffer = bytearray()
        self._eof = False
        self._ready = threading.Condition()
        self._reader = threading.Thread(target=self._read_forever, name="autograder-child-reader", daemon=True)
        self._reader.start()

    def _read_forever(self):
        stream = self.proc.stdout
        while True:
            try:
                chunk = stream.read(1 << 16)  # unbuffered: returns what one read got
            except (OSError, ValueError):
                chunk = b""
            with self._ready:
                if chunk:
                    self._buffer += chunk
                else:
                    self._eof = True
                self._ready.notify_all()
            if not chunk:
                return

    def read(self, n, deadline) -> bytes:
        """``n`` bytes, or fewer when the child closed its output; :class:`TimeoutError` at ``deadline``."""
        with self._ready:
            while len(self._buffer) < n and not self._eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self._ready.wait(min(left, 1.0))
            data = bytes(self._buffer[:n])
            del self._buffer[:n]
            return data

    def write(self, data, deadline):
        """Write all of ``data`` to the child's stdin; :class:`TimeoutError` when it stops reading before
        ``deadline``, :class:`OSError` when it is gone."""
        failure = []

        def send():
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (OSError, ValueError) as exc:
                failure.append(exc)

        writer = threading.Thread(target=send, name="autograder-child-writer", daemon=True)
        writer.start()
        writer.join(max(0.0, deadline - time.monotonic()))
        if writer.is_alive():
            raise TimeoutError
        if failure:
            raise BrokenPipeError(str(failure[0]))

    def close(self):
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except (OSError, ValueError):
                pass
