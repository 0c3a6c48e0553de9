"""Starting a child process: its command, environment and files, and the process itself (:func:`spawn`).

Kept apart from :mod:`autograder.sandbox.runner`, which speaks to the child, so that it imports nothing heavy
(no numpy): ``autograder grade`` starts the submission's child with it before the grader's own imports
(:mod:`autograder.grading.early_child`), and the child's Python and numpy load meanwhile.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import paths

CHILD_PACKAGE = "_agchild"


def scrubbed_env(scratch):
    """The environment of a child (or notebook runner) working in ``scratch``: no variable of the grader's but
    the few that keep numpy single-threaded and correct."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(scratch), "TMPDIR": str(scratch),
        "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1", "MPLBACKEND": "Agg",
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # correctness settings of this CPU's OpenBLAS
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def install_child_code(scratch):
    """Copy the self-contained child package into the scratch directory, with this interpreter's compiled modules
    when the installed grader has them (the child then starts without compiling its own code; ``copytree`` keeps
    the sources' times, by which Python checks that a compiled module is current)."""
    source = paths.package_dir() / "child"
    target = Path(scratch) / CHILD_PACKAGE
    shutil.copytree(source, target, ignore=_not_child_code, dirs_exist_ok=True)
    return target


def _not_child_code(folder, names):
    """What :func:`install_child_code` leaves out: compiled modules of another interpreter, anything but modules."""
    if Path(folder).name == "__pycache__":
        tag = f".{sys.implementation.cache_tag}.pyc"
        return [n for n in names if not n.endswith(tag)]
    return [n for n in names if not (n.endswith(".py") or n == "__pycache__")]


def die_with_parent():
    """Ask the kernel to kill this process when its parent dies (Linux ``PR_SET_PDEATHSIG``, which survives exec):
    a forked child before exec (with its whole sandbox), a batch worker; nothing outlives the grader."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG survives exec
    except (OSError, AttributeError):
        pass


def single_threaded():
    """preexec_fn is only safe without other threads (it can deadlock in a threaded parent)."""
    return threading.active_count() == 1


def peak_memory_of(pid) -> int:
    """The peak resident memory (``VmHWM``, bytes) of process ``pid``; 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return 0


def own_peak_memory():
    """This process's peak resident memory (bytes; 0 when unknown): a forked child's ``ru_maxrss`` starts from it."""
    return peak_memory_of(os.getpid())


def child_settings(limits, request_fd, reply_fd) -> dict:
    """The settings a child starts with (its one argument): the protocol's descriptors, the output cap and the
    resource limits it sets on itself before importing anything."""
    settings = {
        "request_fd": request_fd, "reply_fd": reply_fd, "output_cap": limits.output_cap,
        "limits": {k: v for k, v in asdict(limits).items()
                   if k in ("cpu_seconds", "memory_bytes", "file_bytes", "open_files", "processes")},
    }
    settings["limits"]["core_bytes"] = 0
    return settings


def child_command(scratch, settings, prelude=""):
    """The command line of a child whose package was installed in ``scratch`` (:func:`install_child_code`), with
    its ``settings`` (descriptors, limits) as its one argument; ``prelude`` is Python run before its boot."""
    bootstrap = (f"{prelude}import sys; sys.path.insert(0, {str(scratch)!r}); "
                 f"from {CHILD_PACKAGE}.boot import main; main()")
    return [sys.executable, "-I", "-c", bootstrap, json.dumps(settings)]


@dataclass
class Spawned:
    """A child process started by :func:`spawn`, not yet told what to load."""

    proc: subprocess.Popen
    """The process (the sandbox's outermost wrapper when there is one)."""
    req_w: int
    """The grader's end of the request pipe (non-blocking)."""
    rep_r: int
    """The grader's end of the reply pipe."""
    inherited_peak: int
    """The grader's own peak memory when the child was started (see :func:`own_peak_memory`)."""
    began: float
    """``time.monotonic()`` when it was started."""


def spawn(command, scratch, sandbox=None) -> Spawned:
    """Start a child in ``scratch``, wrapped in ``sandbox`` when given, with two pipes for the protocol:
    ``command(request_fd, reply_fd)`` returns its command line (:func:`child_command` of :func:`child_settings`
    with those descriptors). Raises ``OSError`` or ``subprocess.SubprocessError``
    when the process cannot be started (nothing is left open then)."""
    began = time.monotonic()
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    try:
        line = command(req_r, rep_w)
        if sandbox is not None:
            line = sandbox.wrap(line, scratch)
        inherited = own_peak_memory()
        proc = subprocess.Popen(
            line, cwd=scratch, env=scrubbed_env(scratch), pass_fds=(req_r, rep_w),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent if single_threaded() else None,
        )
    except BaseException:
        for fd in (req_w, rep_r):
            os.close(fd)
        raise
    finally:
        os.close(req_r)
        os.close(rep_w)
    os.set_blocking(req_w, False)
    return Spawned(proc, req_w, rep_r, inherited, began)
