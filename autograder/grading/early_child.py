"""Start the submission's child before the grader's own imports (``autograder grade``).

A grade begins with two start-ups one after the other: the grader imports numpy, the catalog and the fixtures, and
only then starts the child, which imports numpy and the submission in turn. :func:`early_child` stages the
submission and starts its sandboxed child first, with nothing heavier than the standard library imported (this
module and those it imports never load numpy), so that the two start-ups overlap; :func:`~autograder.grading.pipeline.grade`
then adopts that child (``early=``) instead of starting one. The child waits for its settings on its pipe, so it
loads nothing of the submission before the grader has decided what to ask.

Nothing here decides anything: when any step fails (a submission that cannot be opened, a sandbox that cannot be
made, a process that cannot start), :func:`early_child` gives None and the pipeline does the same steps itself,
reporting what went wrong as it always does.
"""
from __future__ import annotations

import os
import shutil
import signal
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from ..sandbox import portable_child
from ..sandbox.confinement import make_sandbox, new_scratch
from ..sandbox.spawn import Spawned, child_command, child_settings, install_child_code, spawn
from ..sandbox.submission import OpenedSubmission, open_submission


def sandbox_hidden(hidden=(), fixture_dir=None) -> list:
    """The paths a grading's child must not see besides the sandbox's defaults: ``hidden`` (the results folder)
    and a fixture folder given on the command line."""
    return [*hidden, *([fixture_dir] if fixture_dir else [])]


@dataclass
class EarlyChild:
    """A submission staged in its scratch folder with its child already started (see :func:`early_child`)."""

    scratch: Path
    """The grading's scratch folder: the staged submission and the child's code (removed when the grading ends)."""
    opened: OpenedSubmission
    """The submission, opened and staged in ``scratch``."""
    sandbox: object
    """The sandbox the child was started in (the grading's other children use it too)."""
    spawned: Spawned | None
    """The child's process until the grading takes it (:meth:`take`)."""

    def take(self) -> Spawned | None:
        """The started child, handed over once: from then on the grading's runner owns (and stops) it."""
        spawned, self.spawned = self.spawned, None
        return spawned

    def close(self):
        """Stop the child if nobody took it, and remove what its sandbox and scratch folder left."""
        spawned = self.take()
        if spawned is not None:
            try:
                os.killpg(spawned.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            spawned.proc.wait()
            for fd in (spawned.req_w, spawned.rep_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
        _discard(self.scratch, self.sandbox)


def _discard(scratch, sandbox):
    """Remove a scratch folder and what the sandbox keeps for a child started in it (its pids cgroup, its status
    file; :meth:`~autograder.sandbox.confinement.Sandbox.reap`, which reads only the ``scratch`` of the child)."""
    if sandbox is not None:
        sandbox.reap(SimpleNamespace(scratch=scratch))
    shutil.rmtree(scratch, ignore_errors=True)


def _start(submission, config, hidden, fixture_dir):
    if portable_child.portable() or not portable_child.sandbox_supported():
        return None
    scratch = sandbox = None
    try:
        sandbox = make_sandbox(config.sandbox, hidden=sandbox_hidden(hidden, fixture_dir), limits=config.limits)
        scratch = new_scratch()
        opened = open_submission(submission, scratch, config.packages)
        install_child_code(scratch)
        spawned = spawn(lambda r, w: child_command(scratch, child_settings(config.limits, r, w)), scratch, sandbox)
    except Exception:  # noqa: BLE001 - the pipeline does these steps again and reports what fails
        if scratch is not None:
            _discard(scratch, sandbox)
        return None
    return EarlyChild(Path(scratch), opened, sandbox, spawned)


@contextmanager
def early_child(submission, config, *, hidden=(), fixture_dir=None):
    """``with early_child(...) as early:`` a submission staged and its child started (an :class:`EarlyChild`), or
    None where it cannot be done here (then the pipeline does it). Pass ``early`` to
    :func:`~autograder.grading.pipeline.grade` with the same ``config``, ``hidden`` and ``fixture_dir``; on leaving,
    a child not taken is stopped and the scratch folder removed."""
    early = _start(submission, config, hidden, fixture_dir)
    try:
        yield early
    finally:
        if early is not None:
            early.close()
