"""Run a staged submission in a child process and collect raw probe outputs, one case at a time.

The child is started fresh for each submission with resource limits, an empty scratch directory as its
working directory, a scrubbed environment and BLAS pinned to one thread. A case that exceeds its time limit,
or during which the child dies (``os._exit``, a segfault, the memory limit), fails alone: the child is
killed with everything it started and a new one continues with the next case.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..child import codec
from ..child.protocol import Manifest, Reply
from .limits import Limits  # noqa: F401 - re-exported: ``from autograder.sandbox.runner import Limits`` keeps working
from . import portable_child
from .spawn import Spawned, child_command, child_settings, install_child_code, peak_memory_of, scrubbed_env, spawn

BOOT_PRELUDE = ""
"""Python run in the child before its boot (empty; the tests simulate a platform there, e.g. without
``resource``)."""


class ChildFailure(Exception):
    """The child did not answer: it timed out, died, or broke the protocol."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class Child:
    """One child process speaking the framed protocol of :mod:`autograder.child.codec`."""

    def __init__(self, scratch, config, limits: Limits, sandbox=None):
        self.scratch, self.config, self.limits = Path(scratch), config, limits
        self.sandbox = sandbox
        self.proc = None
        self.manifest = None
        self.progress = None
        self.peak_memory = 0
        """Peak resident memory in bytes of the process that ran student code (0 until known; see :meth:`close`)."""
        self.cpu_seconds = 0.0
        """CPU seconds (user + system) of the child's processes (0 until known; see :meth:`close`): a child in its own
        PID namespace is never waited for by the grader, so the grader's ``RUSAGE_CHILDREN`` does not count it."""
        self.inherited_peak = 0
        """The grader's own peak when the child was started, which a forked child's ``ru_maxrss`` starts from."""
        self.channel = None
        """The portable child's :class:`~autograder.sandbox.portable_child.PipeChannel` (None: descriptors and select)."""
        self.req_w = self.rep_r = None
        self.ahead_bytes = 0
        """The largest request :meth:`send_ahead` queues (a quarter of the request pipe's capacity)."""

    def start(self, meanwhile=None, spawned: Spawned | None = None):
        """Start the child and load the submission; returns its manifest or raises :class:`ChildFailure`
        (also when the process cannot be started or its sandbox cannot be set up). ``meanwhile()`` is called once
        the child is started and its settings are sent, before waiting for its manifest: the grader's own work
        (the cases' inputs) then overlaps the child's start-up (Python, numpy, the submission's imports).
        ``spawned``: a process already started for this child (:func:`~autograder.sandbox.spawn.spawn`, with the
        settings of :func:`~autograder.sandbox.spawn.child_settings` for these limits), which it then adopts."""
        if portable_child.portable():
            return self._start_portable(meanwhile)
        if spawned is None:
            try:
                spawned = spawn(lambda r, w: self._command(self._settings(r, w)), self.scratch, self.sandbox)
            except (OSError, subprocess.SubprocessError) as exc:
                raise ChildFailure(f"the child process could not be started ({exc})") from None
        self.proc, self.req_w, self.rep_r = spawned.proc, spawned.req_w, spawned.rep_r
        self.inherited_peak = spawned.inherited_peak
        self.ahead_bytes = _widened(self.req_w) // 4  # a request queued ahead, and the one before it, fit whole
        _widened(self.rep_r)  # a reply of up to 1 MiB is written whole while the grader judges the last one
        return self._handshake(meanwhile)

    def _settings(self, request_fd, reply_fd):
        return child_settings(self.limits, request_fd, reply_fd)

    def _command(self, settings):
        return child_command(self.scratch, settings, BOOT_PRELUDE)

    def _start_portable(self, meanwhile=None):
        """Start the child the portable way (:mod:`autograder.sandbox.portable_child`): a new interpreter, nothing forked,
        the protocol on its stdin and stdout, deadlines kept by threads here."""
        command = self._command(self._settings(portable_child.STDIO, portable_child.STDIO))
        try:
            if self.sandbox is not None:
                command = self.sandbox.wrap(command, self.scratch)
            self.proc = subprocess.Popen(command, cwd=self.scratch, env=portable_child.child_env(
                scrubbed_env(self.scratch)), **portable_child.popen_options())
        except (OSError, subprocess.SubprocessError) as exc:
            raise ChildFailure(f"the child process could not be started ({exc})") from None
        self.channel = portable_child.PipeChannel(self.proc)
        return self._handshake(meanwhile)

    def _handshake(self, meanwhile=None):
        deadline = time.monotonic() + self.limits.startup_seconds
        try:
            self._send(self.config, deadline)
            if meanwhile is not None:
                meanwhile()  # the child's start-up time still counts from here: it was running meanwhile
            self.manifest = self._receive(deadline, "importing the submission")
        except ChildFailure:
            problem = self._setup_failure()
            if problem:
                raise ChildFailure(f"the sandbox could not be set up ({problem})") from None
            raise
        return self.manifest

    def _setup_failure(self):
        """Once the child has failed to start: why its sandbox could not be set up ('' if it was)."""
        if self.sandbox is None or self.proc is None:
            return ""
        self._kill()
        try:
            self._wait(5)
        except subprocess.TimeoutExpired:
            return ""
        return self.sandbox.setup_failure(self.scratch)

    def ask(self, request, seconds, meanwhile=None, *, sent=False, after_send=None):
        """Send one probe request and wait for its reply at most ``seconds``. Progress reports (which function
        the probe is about to call, and its outputs so far) are kept in ``self.progress``. ``meanwhile()``, the
        grader's own work, runs once the request is sent, while the child computes; the time it takes is added
        to the wait (the limit is on the child, which can only be late once the grader listens again).
        ``sent``: the request went ahead already (:meth:`send_ahead`); ``after_send()`` runs right after sending,
        before ``meanwhile`` (where the next request is sent ahead)."""
        deadline = time.monotonic() + seconds
        self.progress = None
        if not sent:
            self._send(request, deadline)
        if after_send is not None:
            after_send()
        if meanwhile is not None:
            began = time.monotonic()
            meanwhile()
            deadline += time.monotonic() - began
        while True:
            reply = self._receive(deadline, "this check")
            if not (isinstance(reply, dict) and reply.get("progress") is True):
                return reply
            if reply.get("id") == request.get("id"):
                self.progress = reply

    def send_ahead(self, request) -> bool:
        """Queue ``request`` behind the one the child is computing, so that it starts on it as soon as it has
        replied, without waiting for the grader: only when the request is small enough to fit in the pipe whole
        beside the one queued before it (:attr:`ahead_bytes`), so that the write never blocks. Returns whether it
        was sent; a request that was not is sent by :meth:`ask` as usual. A write the child's death interrupts is
        left to the reply of the case it is computing, which reports it."""
        if self.channel is not None or self.req_w is None:
            return False
        data = memoryview(codec.encode(request))
        if len(data) > self.ahead_bytes:
            return False
        try:
            written = os.write(self.req_w, data)
        except OSError:  # BlockingIOError (no room after all), or a child that is gone
            return False
        if written < len(data):  # the pipe had less room than it should: finish the message (the child reads it
            self._send_rest(data[written:], time.monotonic() + self.limits.check_seconds)  # once it has replied)
        return True

    def _send_rest(self, data, deadline):
        """Write ``data`` (a memoryview) to the request pipe by ``deadline``, as fast as the child reads it."""
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChildFailure("time limit exceeded (the process stopped reading its input)")
            _, writable, _ = select.select([], [self.req_w], [], remaining)
            if writable:
                try:
                    data = data[os.write(self.req_w, data):]
                except (BrokenPipeError, OSError):
                    raise ChildFailure(self._death_reason()) from None

    def _send(self, obj, deadline):
        data = memoryview(codec.encode(obj))
        if self.channel is not None:
            try:
                self.channel.write(bytes(data), deadline)
            except TimeoutError:
                raise ChildFailure("time limit exceeded (the process stopped reading its input)") from None
            except OSError:
                raise ChildFailure(self._death_reason()) from None
            return
        self._send_rest(data, deadline)

    def _receive(self, deadline, during):
        header = self._read(8, deadline, during)
        size = int.from_bytes(header, "little")
        if size > self.limits.reply_bytes:
            raise ChildFailure(f"the output was too large ({size} bytes; the limit is {self.limits.reply_bytes})")
        try:
            return codec.decode(self._read(size, deadline, during))
        except codec.ProtocolError as exc:
            raise ChildFailure(f"the process sent a malformed reply ({exc})") from None

    def _read(self, n, deadline, during):
        if self.channel is not None:
            try:
                data = self.channel.read(n, deadline)
            except TimeoutError:
                raise ChildFailure(f"time limit exceeded during {during}") from None
            if len(data) < n:
                raise ChildFailure(self._death_reason(during))
            return data
        buffer = bytearray(n)
        view, done = memoryview(buffer), 0
        while done < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChildFailure(f"time limit exceeded during {during}")
            readable, _, _ = select.select([self.rep_r], [], [], left)
            if not readable:
                continue
            got = codec.read_into(self.rep_r, view[done:])
            if not got:
                raise ChildFailure(self._death_reason(during))
            done += got
        return buffer

    def _death_reason(self, during="this check"):
        try:
            code = self._wait(2)
        except subprocess.TimeoutExpired:
            return f"the process closed its output during {during}"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            extra = {"SIGSEGV": " (a segmentation fault)", "SIGKILL": " (killed, often by the memory limit)",
                     "SIGXCPU": " (CPU time limit exceeded)"}.get(name, "")
            return f"the process was killed by {name}{extra} during {during}"
        return f"the process exited with code {code} during {during}"

    def _wait(self, seconds):
        """Reap the process (``Popen.wait``'s contract: its exit code, or ``TimeoutExpired``), keeping its peak
        memory from ``wait4``: for a child that died on its own, or was killed by the memory limit, the peak of
        the process running student code (the sandbox's ``unshare`` reports its waited-for child's). Linux starts a
        forked child's figure at the grader's own peak, so only a figure above that is kept: a child that died on
        its own below the grader's peak has its memory unmeasured rather than wrong."""
        if self.proc.returncode is not None:
            return self.proc.returncode
        if self.channel is not None or not hasattr(os, "wait4"):
            return self.proc.wait(timeout=seconds)
        deadline = time.monotonic() + seconds
        while True:
            try:
                pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere
                return self.proc.wait(timeout=seconds)
            if pid:
                self.cpu_seconds = max(self.cpu_seconds, usage.ru_utime + usage.ru_stime)
                if usage.ru_maxrss * 1024 > self.inherited_peak:
                    self.peak_memory = max(self.peak_memory, usage.ru_maxrss * 1024)  # KiB on Linux
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                return self.proc.returncode
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(self.proc.args, seconds)
            time.sleep(0.005)

    def _kill(self):
        """Kill the child with everything it started (its session), or the portable child alone."""
        try:
            if self.channel is not None:
                self.proc.kill()  # the portable child has no session of its own to kill
            else:
                os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self):
        """Kill the child and everything it started, and release the pipes; :attr:`peak_memory` is then the peak
        of the process that ran student code (read from ``/proc`` before the kill, or from ``wait4``)."""
        if self.proc is not None:
            if self.proc.returncode is None:
                self.peak_memory = max(self.peak_memory, peak_memory_of_tree(self.proc.pid))
                self.cpu_seconds = max(self.cpu_seconds, cpu_of_tree(self.proc.pid))
            self._kill()
            try:
                self._wait(5)
            except subprocess.TimeoutExpired:
                pass
            if self.sandbox is not None:
                self.sandbox.reap(self)
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        for fd in (getattr(self, "req_w", None), getattr(self, "rep_r", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.req_w = self.rep_r = None


def _widened(fd, size=1 << 20) -> int:
    """Ask for a ``size``-byte pipe behind ``fd`` (Linux ``F_SETPIPE_SZ``; 1 MiB is the default most an
    unprivileged process may ask for); returns the capacity it has (64 KiB, Linux's default, where unknown)."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
    except (ImportError, AttributeError, OSError):
        return 1 << 16


def peak_memory_of_tree(pid, descendants=True):
    """The largest peak resident memory (``VmHWM``, bytes) of ``pid`` and its descendants: the sandbox's wrappers
    (``unshare``, a shell) are tiny, so this is the process running student code; 0 when none can be read."""
    return max((peak_memory_of(current) for current in _tree(pid, descendants)), default=0)


def cpu_of_tree(pid):
    """CPU seconds (user + system) used so far by ``pid`` and its descendants (``/proc/<pid>/stat``; 0 when none can
    be read)."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError, AttributeError):
        return 0.0
    total = 0
    for current in _tree(pid):
        try:
            with open(f"/proc/{current}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, ValueError, IndexError):
            continue
    return total / tick


def _tree(pid, descendants=True):
    """``pid`` and, with ``descendants``, every process below it (each once; one that is gone has none)."""
    todo, seen = [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        yield current
        if descendants:
            todo.extend(_children(current))


def _children(pid):
    """The process ids whose parent is ``pid`` (``/proc/<pid>/task/*/children``, else a scan of ``/proc``)."""
    try:
        found = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", "rb") as handle:
                found.extend(int(p) for p in handle.read().split())
        return found
    except FileNotFoundError:  # a kernel without CONFIG_PROC_CHILDREN
        pass
    except (OSError, ValueError):
        return []
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    if int(handle.read().rsplit(b")", 1)[1].split()[1]) == pid:  # after the name: state, ppid
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


FOLLOWUPS = 4
"""Most requests of one case: a first one and its follow-ups (each follow-up asks for more than the last)."""


class Meanwhile:
    """The grader's own work done while a child computes (:meth:`Child.ask`), and the seconds it took."""

    def __init__(self, work):
        self.work, self.seconds = work, 0.0

    def __call__(self):
        began = time.monotonic()
        try:
            self.work()
        finally:
            self.seconds += time.monotonic() - began


def ask_case(ask, request, seconds, followup=None, meanwhile=None):
    """The :class:`Reply` a case ends with: ``ask(request, seconds)`` (a child's, or the in-process runner's), then
    while ``followup(request, reply)`` returns another request, that one, all within ``seconds`` in total.
    ``meanwhile`` (a :class:`Meanwhile`) is handed to the first ``ask``, and the time it takes is not counted."""
    deadline = time.monotonic() + seconds
    for _ in range(FOLLOWUPS):
        if meanwhile is None:
            raw = ask(request, deadline - time.monotonic())
        else:
            raw = ask(request, deadline - time.monotonic(), meanwhile)
            deadline += meanwhile.seconds
            meanwhile = None
        if not isinstance(raw, dict) or raw.get("id") != request["id"]:
            raise ChildFailure("the process sent a reply that does not belong to this check")
        reply = Reply.from_dict(raw)
        request = followup(request, reply) if followup is not None and reply.ok else None
        if request is None:
            break
    return reply


@dataclass
class RunOutcome:
    """What running all cases of one submission produced."""

    manifest: Manifest = field(default_factory=Manifest)
    """What the child found (empty when the submission could not be loaded)."""
    replies: dict = field(default_factory=dict)        # case id -> the child's Reply
    failures: dict = field(default_factory=dict)       # case id -> reason the child gave no reply
    progress: dict = field(default_factory=dict)       # case id -> the child's last progress report before a failure
    startup_error: str = ""
    timings: dict = field(default_factory=dict)
    """Case id -> seconds the grader waited for its reply (measured in the grader, for every case that ran)."""
    startup_seconds: float = 0.0
    """Seconds spent starting children and loading the submission in them (the first child and any restart)."""
    children: int = 0
    """How many children were started."""
    peak_memory: int = 0
    """The largest peak resident memory of the children, in bytes (0 where not measured)."""
    cpu_seconds: float = 0.0
    """CPU seconds (user + system) the children used (0 where not measured, e.g. on Windows)."""
    hung: dict = field(default_factory=dict)
    """Function -> id of the case in which it ran out of time (see :class:`autograder.grading.hangs.Hangs`)."""
    isolation: "RunOutcome | None" = None
    """The credit-isolation child's outcome for this submission, when it ran (its timings and memory)."""


def _asker(child, sent, last, send_next_ahead):
    """``child.ask`` for :func:`ask_case`, whose first request was ``sent`` ahead already, and after which, when it is
    the ``last`` of its case, the next case's request goes ahead (``send_next_ahead``)."""
    if not (sent or last):
        return child.ask
    first = [True]

    def ask(request, seconds, meanwhile=None):
        is_first, first[0] = first[0], False
        return child.ask(request, seconds, meanwhile, sent=sent and is_first,
                         after_send=send_next_ahead if is_first and last else None)
    return ask


def run_cases(scratch, config, plan, limits: Limits, sandbox=None, followup=None, *, hangs=None, meanwhile=None,
              answered=None, spawned: Spawned | None = None, final=None):
    """Run a submission's cases in a child, restarting the child after a case that kills it.

    ``plan(manifest)`` returns the list of ``(case id, request, seconds)`` to run once the child has said
    what it found (a :class:`~autograder.child.protocol.Manifest`, empty when the submission could not even be
    imported). ``hangs`` (an :class:`autograder.grading.hangs.Hangs`) remembers the functions that ran out of time, so that
    later cases that would call one of them are not run (or stop before calling it).
    ``followup(request, reply)`` may ask the same case again with another request once it has seen
    a successful reply (the numerical gradients a first reply could not spare, see :func:`ask_case`).
    ``meanwhile()`` is the grader's work done while the first child starts (:meth:`Child.start`).
    ``answered(case_id, outcome)`` is told of every case once it is settled (its reply or failure is in
    ``outcome``), where it can be while the child computes the next case: the grader judges it then. An exception
    it raises is ignored (the grader judges that case again afterwards).
    ``spawned``: the first child's process, already started in ``scratch`` with the child's code installed there
    (:mod:`autograder.grading.early_child`); later children are started here.
    ``final(case_id)``: whether the case's first request is its last (no ``followup`` can come of it); after such a
    request the next case's is sent ahead when it is small (:meth:`Child.send_ahead`), so that the child starts it
    as soon as it has replied, while the grader reads and judges the reply. Most cases take the child less time than
    the grader's work on each, which the child would otherwise wait for. A case sent ahead is run exactly as if sent
    after the reply: if the case before it fails, the child is replaced and it is planned again (``hangs``
    included); its time counts from the reply before it.
    """
    outcome = RunOutcome()
    if spawned is None:
        install_child_code(scratch)
    budget_end = time.monotonic() + limits.submission_seconds

    def start():
        nonlocal spawned
        began = time.monotonic() if spawned is None else spawned.began
        child = Child(scratch, config, limits, sandbox)
        outcome.children += 1
        try:
            first = meanwhile is not None and outcome.children == 1
            if spawned is not None:
                adopted, spawned = spawned, None
                return child, child.start(meanwhile if first else None, spawned=adopted)
            return child, (child.start(meanwhile) if first else child.start())
        except BaseException:  # a ChildFailure, or the grader's own work meanwhile failed: no child is left behind
            close(child)
            raise
        finally:
            outcome.startup_seconds += time.monotonic() - began

    def close(child):
        child.close()
        outcome.peak_memory = max(outcome.peak_memory, child.peak_memory)
        outcome.cpu_seconds += getattr(child, "cpu_seconds", 0.0)  # (a stand-in child of the tests may have none)

    try:
        child, manifest = start()
        outcome.manifest = Manifest.from_dict(manifest)
    except ChildFailure as exc:
        outcome.startup_error = exc.reason
        for case_id, _, _ in plan(outcome.manifest):
            outcome.failures[case_id] = f"the submission could not be loaded: {exc.reason}"
        return outcome
    pending = list(plan(outcome.manifest))
    settled = []  # cases settled whose `answered` waits for the next request to be sent
    answered_here = 0  # cases the current child has answered: a death after one may be the earlier case's doing
    ahead = []  # [(case id, the request sent ahead)]: the next case of `pending`, already queued in the child

    def send_next_ahead():
        """Right after the current case's last request is sent: the next case's request, if small, goes too."""
        if not pending or ahead:
            return
        case_id, request, _ = pending[0]
        if budget_end - time.monotonic() <= 0:
            return
        if hangs is not None:
            request, skipped = hangs.before(case_id, request)
            if skipped:
                return
        if child.send_ahead(request):
            ahead.append((case_id, request))

    def tell():
        while settled:
            try:
                answered(settled.pop(0), outcome)
            except Exception:  # noqa: BLE001 - the grader's early judging only; it judges the case again later
                pass

    def run_one(case_id, request, seconds, work):
        """Run one case (``work``: the grader's own meanwhile) in ``child``, started again if the last one died.
        Returns False when the case is to run once more, in a new child (it is not settled yet)."""
        nonlocal child, answered_here
        left = budget_end - time.monotonic()
        if left <= 0:
            outcome.failures[case_id] = f"the submission's total time limit of {limits.submission_seconds:g} s was exceeded"
            ahead.clear()  # no case is asked any more (the budget is spent), so no reply is read
            return True
        sent = bool(ahead) and ahead[0][0] == case_id
        if sent:
            request = ahead.pop()[1]  # the child is computing it already (hangs.before was asked when it was sent)
        elif hangs is not None:
            request, skipped = hangs.before(case_id, request)
            if skipped:
                outcome.failures[case_id] = skipped
                return True
        if child is None:
            try:
                child, _ = start()
            except ChildFailure as exc:
                outcome.failures[case_id] = f"the submission could not be reloaded: {exc.reason}"
                return True
            answered_here = 0
        began = time.monotonic()
        last = final is not None and final(case_id) and hasattr(child, "send_ahead")
        try:
            outcome.replies[case_id] = ask_case(_asker(child, sent, last, send_next_ahead), request,
                                                min(seconds, left), followup, work)
            outcome.failures.pop(case_id, None)
            outcome.progress.pop(case_id, None)
            answered_here += 1
            if hangs is not None:
                hangs.answered(case_id, outcome.replies[case_id])
        except ChildFailure as exc:
            ahead.clear()  # the next case, sent ahead to this child, is still next in `pending`: planned again
            reason = exc.reason
            timed_out = reason.startswith("time limit exceeded") and seconds <= left
            if timed_out:
                reason = f"time limit of {seconds:g} s exceeded"
            outcome.failures[case_id] = reason
            if getattr(child, "progress", None) is not None:
                outcome.progress[case_id] = child.progress
            if timed_out and hangs is not None:
                hangs.timed_out(case_id, request, outcome.progress.get(case_id))
            close(child)
            child = None
            if answered_here and not timed_out:
                # The child died after answering earlier cases: what killed it may have been set off by one of
                # them (a thread, a signal, a killed parent arriving late). The case runs once more in a fresh
                # child and is charged only if it dies there too.
                pending.insert(0, (case_id, request, seconds))
                return False
        finally:  # its follow-up requests included (ask_case), the grader's own work meanwhile not
            outcome.timings[case_id] = (outcome.timings.get(case_id, 0.0) + time.monotonic() - began
                                        - (work.seconds if work is not None else 0.0))
        return True

    try:
        while pending:
            case_id, request, seconds = pending.pop(0)
            done = True
            try:
                done = run_one(case_id, request, seconds, Meanwhile(tell) if settled else None)
            finally:
                if answered is not None and done:
                    settled.append(case_id)
        tell()
    finally:
        if child is not None:
            close(child)
        if hangs is not None:
            outcome.hung = dict(hangs.hung)
    return outcome
