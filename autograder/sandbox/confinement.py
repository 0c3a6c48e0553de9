"""Isolation of the child process beyond resource limits, where Linux allows it without privileges.

With unprivileged user namespaces (``unshare`` from util-linux) the child gets: no network (an empty network
namespace), its own process tree (it is PID 1 there: it cannot see or signal the grader), a read-only view of
the filesystem in which the hidden fixtures, the reference solutions, the grader's package, the results and
the other submissions' scratch folders do not exist (every inherited mount, ``/dev`` and the cgroup tree
included, is read-only), a private ``/dev/shm``, and only a private copy of its own scratch folder writable: a
tmpfs the size of that folder plus ``Limits.disk_bytes``, so that writing many files cannot fill the grader's
disk, and whose contents vanish with the child. Where a pids cgroup is writable, the number of processes is
capped there too (RLIMIT_NPROC does not bind root). Where namespaces are not available the child runs with the resource limits alone, every process
it left behind is found by a marker in its environment and killed, and the report says so.
"""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .. import paths
from .error_cause import cause
from .limits import Limits

UNSHARE = ["unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount",
           "--mount-proc"]
MARKER = "AUTOGRADER_SANDBOX_TOKEN"
# The last step before the child's program: tell the status file the sandbox is set up, then drop it as stderr.
READY = 'echo ready >&2 && exec 2>/dev/null && exec "$@"'
PIDS_CGROUP = Path("/sys/fs/cgroup/pids")


def scratch_root() -> Path:
    """Parent of every scratch folder; hidden from each child except for its own folder."""
    owner = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")  # Windows: no uid
    root = Path(tempfile.gettempdir()) / f"autograder-scratch-{owner}"
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def new_scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="s-", dir=scratch_root()))


@lru_cache(maxsize=4)
def namespaces_available(user=()) -> str:
    """'' when user, network, pid and mount namespaces work here (for ``user``, a ``(uid, gid)`` the child runs
    as, when given); otherwise the reason they do not."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "the unshare and mount commands (util-linux) are not installed"
    try:
        script = "mount --make-rprivate / && mount -o remount,bind,ro /"
        probe = subprocess.run(as_user(user, UNSHARE + ["sh", "-c", script]), capture_output=True, timeout=60, cwd="/")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed to start ({exc})"
    if probe.returncode != 0:
        text = probe.stderr.decode(errors="replace")
        if "Traceback (most recent call last):" in text or "Fatal Python error" in text:  # not unshare's refusal
            return f"the grader's Python failed as the child's user ({cause(text)})"
        return f"unprivileged user namespaces are not available ({cause(text.strip().splitlines()[-1]) if text.strip() else probe.returncode})"
    return ""


# Run as root, become (uid, gid) for good, then exec the command: no supplementary groups, no capabilities,
# no way back through setuid programs (no_new_privs), and killed with the grader (the change of user clears
# the parent-death signal, so it is set again).
_BECOME_USER = (
    "import ctypes, os, sys\n"
    "uid, gid = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.setgroups([]); os.setresgid(gid, gid, gid); os.setresuid(uid, uid, uid)\n"
    "libc = ctypes.CDLL(None)\n"
    "libc.prctl(38, 1, 0, 0, 0)\n"  # PR_SET_NO_NEW_PRIVS
    "libc.prctl(1, 9, 0, 0, 0)\n"  # PR_SET_PDEATHSIG, SIGKILL
    "os.execvp(sys.argv[3], sys.argv[3:])\n"
)


def as_user(user, command):
    """``command`` run as ``user`` (a ``(uid, gid)``; the grader must be root), or unchanged when it is empty."""
    if not user:
        return list(command)
    return [sys.executable, "-I", "-c", _BECOME_USER, str(user[0]), str(user[1]), *command]


def reachable(path, user) -> bool:
    """Whether ``user`` (uid, gid, no supplementary groups) can look ``path`` up: it exists and every folder
    above it lets that user through."""
    uid, gid = user
    path = Path(path)
    if not path.exists():
        return False
    for folder in reversed(path.parents):
        info = folder.stat()
        bit = stat.S_IXUSR if info.st_uid == uid else stat.S_IXGRP if info.st_gid == gid else stat.S_IXOTH
        if not info.st_mode & bit:
            return False
    return True


def _hand_over(scratch, user):
    """Give the child's user its scratch folder (and a way through the scratch root, but not a listing of it).

    Only once, while the folder holds nothing but what the grader put there: a child restarted after a crash
    finds it already its own, and the grader never walks a tree that student code could be changing under it
    (swapping a folder for a symbolic link to make root chown something else)."""
    os.chmod(scratch_root(), 0o711)
    if os.lstat(scratch).st_uid == user[0]:
        return
    for root, dirs, files in os.walk(scratch):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), user[0], user[1])
    os.lchown(scratch, user[0], user[1])  # last: the folder's owner says the hand-over is complete


def default_hidden() -> list:
    """What no child may see: the reference (where installed), the fixtures, the grader's own code and all
    scratch folders; a path inside another one of them (``autograder/_fixtures`` in an installed package) goes
    with it."""
    hidden = [paths.reference_dir(missing_ok=True), paths.fixtures_dir(), paths.package_dir(),
              scratch_root()]
    return outermost(p.resolve() for p in hidden if p is not None and p.exists())


@dataclass
class Sandbox:
    """How children are isolated; built once by :func:`make_sandbox` and shared by all children."""

    mode: str
    """``namespaces`` or ``limits``."""
    reason: str = ""
    """Why namespaces are not used (empty when they are)."""
    hidden: tuple = ()
    """Paths that do not exist inside the namespace."""
    limits: Limits = field(default_factory=Limits)
    """The children's limits: ``processes`` caps the pids cgroup, ``disk_bytes`` the private scratch tmpfs."""
    unshare: tuple = tuple(UNSHARE)
    """The ``unshare`` command line that makes the namespaces (see :data:`UNSHARE`)."""
    user: tuple = ()
    """``(uid, gid)`` the child runs as (the grader must be root; see :func:`as_user`); empty: the grader's."""
    _groups: dict = field(default_factory=dict)

    def describe(self) -> str:
        who = f"; student code runs as uid {self.user[0]}" if self.user else ""
        if self.mode == "namespaces":
            return ("sandbox: Linux namespaces (no network, own process tree, read-only filesystem without the "
                    f"fixtures, reference or results) plus resource limits{who}")
        return f"sandbox: resource limits only, because {self.reason}{who}"

    def wrap(self, command, scratch):
        """The command line that starts ``command`` inside this sandbox, with ``scratch`` writable.

        Everything before the child's own program (joining the pids cgroup, ``unshare``, the namespace's setup
        script) writes its errors to a status file next to the scratch folder, and ``ready`` once the child is
        about to start: :meth:`setup_failure` tells a sandbox that could not be set up from a child that died.
        """
        token = uuid.uuid4().hex
        env_prefix = ["env", f"{MARKER}={token}"]
        group = self._make_group(token)
        status = _status_file(scratch)
        status.unlink(missing_ok=True)
        self._groups[str(scratch)] = (token, group)
        if self.user:
            _hand_over(scratch, self.user)
        if self.mode != "namespaces":
            inner = env_prefix + ["sh", "-c", READY, "ready"] + list(command)
        else:
            script = _setup_script(Path(scratch), [Path(p) for p in self.hidden],
                                   _tree_bytes(scratch) + self.limits.disk_bytes)
            inner = env_prefix + list(self.unshare) + ["sh", "-c", script, "sandbox"] + list(command)
        return ["sh", "-c", 'exec 2>>"$0" && exec "$@"', str(status)] + self._join_group(group, as_user(self.user, inner))

    def setup_failure(self, scratch) -> str:
        """Why the sandbox of the child in ``scratch`` could not be set up ('' when it was, or is not known).

        Only meaningful once that child has ended: its setup never said ``ready``."""
        try:
            text = _status_file(scratch).read_text(errors="replace")
        except FileNotFoundError:
            return "the sandbox's setup did not start"
        except OSError as exc:
            return f"the sandbox's status could not be read ({exc.strerror or exc})"
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if "ready" in lines:
            return ""
        return cause(text) or "the sandbox's setup ended without a message"  # the error's cause, not line 1

    def _join_group(self, group, command):
        if group is None:
            return command
        return ["sh", "-c", f'echo $$ > {shlex.quote(str(group / "cgroup.procs"))} && exec "$@"', "join"] + command

    def _make_group(self, token):
        if not (PIDS_CGROUP / "cgroup.procs").exists() or not os.access(PIDS_CGROUP, os.W_OK):
            return None
        group = PIDS_CGROUP / "autograder" / token
        try:
            group.mkdir(parents=True)
            (group / "pids.max").write_text(str(self.limits.processes))
        except OSError:
            return None
        return group

    def reap(self, child):
        """Kill every process the child left behind (found by cgroup or by the marker), then clean up."""
        token, group = self._groups.pop(str(child.scratch), (None, None))
        _status_file(child.scratch).unlink(missing_ok=True)
        if token is None:
            return
        for _ in range(3):
            pids = _pids_in_group(group) | _pids_with_marker(token)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        _remove_group(group)


def _status_file(scratch) -> Path:
    """Where the setup of the child in ``scratch`` writes its errors: beside the scratch folder, so hidden too."""
    scratch = Path(scratch)
    return scratch.parent / f".{scratch.name}.sandbox"


def outermost(paths) -> list:
    """The paths that are not inside another of them, shortest first: hiding a folder hides all it holds."""
    result = []
    for path in sorted({Path(p) for p in paths}, key=lambda p: (len(p.parts), str(p))):
        if not any(path.is_relative_to(outer) for outer in result):
            result.append(path)
    return result


def _setup_script(scratch: Path, hidden: list, tmpfs_bytes: int) -> str:
    """The shell script that runs as root of the new namespaces before the child: hides paths, replaces the
    scratch folder by a size-capped private copy, makes everything else read-only, then execs the child.

    Only the outermost hidden paths are mounted over (one inside another is hidden with it), and a path
    that does not exist inside the namespace has nothing to hide; any other failing step ends the script
    (``set -e``) with its error in the status file, and no child starts.

    It also works for a grader that is not root outside (or a child run as another user): moves do not
    update mount's utab (``-n``; /run/mount is not writable then), and tmpfs mounts are made read-only per
    mount point (``remount,bind,ro``), since remounting their superblock is refused there."""
    q = shlex.quote
    lines = ["set -e", "mount --make-rprivate /", "mount -t tmpfs -o size=64m tmpfs /dev/shm",
             "mkdir /dev/shm/.scratch", f"mount -t tmpfs -o size={int(tmpfs_bytes)},mode=700 tmpfs /dev/shm/.scratch",
             f"cp -a {q(str(scratch))}/. /dev/shm/.scratch/"]  # before the scratch root is hidden below
    moved = False
    for path in outermost(hidden):
        p = q(str(path))
        if path.is_dir():
            lines.append(f"if [ -d {p} ]; then")
            lines.append(f"  mount -t tmpfs -o size=64k,mode=755 tmpfs {p}")
            if scratch.is_relative_to(path) and not moved:
                lines.append(f"  mkdir -p {q(str(scratch))}")
                lines.append(f"  mount -n --move /dev/shm/.scratch {q(str(scratch))}")
                moved = True
            lines.append(f"  mount -n -o remount,bind,ro {p}")
            lines.append("fi")
        elif path.exists() or path.is_symlink():
            lines.append(f"if [ -e {p} ]; then mount --bind /dev/null {p}; fi")
    if not moved:
        lines.append(f"mount -n --move /dev/shm/.scratch {q(str(scratch))}")
    # Every other mount read-only: /, and also /dev and the cgroup tree, which `remount /` leaves writable.
    # Device files still work on a read-only mount. /proc is the namespace's own.
    lines += [
        "mount -o remount,bind,ro /",
        "awk '{print $2}' /proc/self/mounts | while read -r m; do",
        f'  case "$m" in /|/proc|/proc/*|/dev/shm|{q(str(scratch))}) ;; '
        '*) mount -o remount,bind,ro "$m" 2>/dev/null || true ;; esac',
        "done",
        f"cd {q(str(scratch))}",  # the child's working directory is now the private copy
        READY,
    ]
    return "\n".join(lines)


def _tree_bytes(folder) -> int:
    """Bytes of the files under a folder the grader itself filled (trusted, so a plain walk)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _remove_group(group, attempts=50):
    """A cgroup can be removed once its last process has been reaped; wait a little for that."""
    if group is None:
        return
    for _ in range(attempts):
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


def remove_stale_groups(min_age=600):
    """Remove empty cgroups left by a grader that was killed (no process, untouched for ``min_age`` s)."""
    parent = PIDS_CGROUP / "autograder"
    if not parent.is_dir():
        return
    for group in parent.iterdir():
        try:
            stale = group.is_dir() and time.time() - group.stat().st_mtime > min_age
        except OSError:
            continue
        if stale and not _pids_in_group(group):
            _remove_group(group, attempts=1)


def _pids_in_group(group):
    if group is None:
        return set()
    try:
        return {int(p) for p in (group / "cgroup.procs").read_text().split()}
    except OSError:
        return set()


def _pids_with_marker(token):
    needle = f"{MARKER}={token}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                found.add(int(entry.name))
        except OSError:
            continue
    return found


def make_sandbox(kind="auto", hidden=(), limits: Limits | None = None, user=()) -> Sandbox:
    """``auto`` uses namespaces where they work; ``namespaces`` requires them; ``limits`` never uses them.

    ``user`` (``(uid, gid)``, the grader being root) runs the children as that user; then a hidden path that
    user cannot even look up needs no hiding (and could not be mounted over by it).
    """
    limits = limits or Limits()
    user = tuple(user)
    hidden = tuple(dict.fromkeys(str(Path(p).resolve()) for p in [*default_hidden(), *hidden]))
    if user:
        hidden = tuple(p for p in hidden if reachable(p, user))
    remove_stale_groups()
    if kind == "limits":
        return Sandbox("limits", "the configuration asks for resource limits only", hidden, limits,
                       unshare=tuple(UNSHARE), user=user)
    reason = namespaces_available(user)
    if reason and kind == "namespaces":
        raise RuntimeError(f"namespaces were required but {reason}")
    return Sandbox("limits" if reason else "namespaces", reason, hidden, limits, unshare=tuple(UNSHARE), user=user)
