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
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import paths
from .runner import Limits

UNSHARE = ["unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount",
           "--mount-proc"]
MARKER = "AUTOGRADER_SANDBOX_TOKEN"
PIDS_CGROUP = Path("/sys/fs/cgroup/pids")


def scratch_root() -> Path:
    """Parent of every scratch folder; hidden from each child except for its own folder."""
    root = Path(tempfile.gettempdir()) / f"autograder-scratch-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def new_scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="s-", dir=scratch_root()))


@lru_cache(maxsize=1)
def namespaces_available() -> str:
    """'' when user, network, pid and mount namespaces work here; otherwise the reason they do not."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "the unshare and mount commands (util-linux) are not installed"
    try:
        probe = subprocess.run(UNSHARE + ["sh", "-c", "mount --make-rprivate / && mount -o remount,bind,ro /"],
                               capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed to start ({exc})"
    if probe.returncode != 0:
        text = probe.stderr.decode(errors="replace").strip().splitlines()
        return f"unprivileged user namespaces are not available ({text[-1] if text else probe.returncode})"
    return ""


def default_hidden() -> list:
    """What no child may see: the reference (where installed), the fixtures, the grader's own code and all
    scratch folders; a path inside another one of them (``autograder/_fixtures`` in an installed package) goes
    with it."""
    hidden = [paths.reference_dir(missing_ok=True), paths.fixtures_dir(), Path(__file__).resolve().parent,
              scratch_root()]
    hidden = [p.resolve() for p in hidden if p is not None and p.exists()]
    return [p for p in hidden if not any(other in p.parents for other in hidden)]


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
    _groups: dict = field(default_factory=dict)

    def describe(self) -> str:
        if self.mode == "namespaces":
            return ("sandbox: Linux namespaces (no network, own process tree, read-only filesystem without the "
                    "fixtures, reference or results) plus resource limits")
        return f"sandbox: resource limits only, because {self.reason}"

    def wrap(self, command, scratch):
        """The command line that starts ``command`` inside this sandbox, with ``scratch`` writable."""
        token = uuid.uuid4().hex
        env_prefix = ["env", f"{MARKER}={token}"]
        group = self._make_group(token)
        self._groups[str(scratch)] = (token, group)
        if self.mode != "namespaces":
            return self._join_group(group, env_prefix + list(command))
        script = _setup_script(Path(scratch), [Path(p) for p in self.hidden],
                               _tree_bytes(scratch) + self.limits.disk_bytes)
        return self._join_group(group, env_prefix + UNSHARE + ["sh", "-c", script, "sandbox"] + list(command))

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


def _setup_script(scratch: Path, hidden: list, tmpfs_bytes: int) -> str:
    """The shell script that runs as root of the new namespaces before the child: hides paths, replaces the
    scratch folder by a size-capped private copy, makes everything else read-only, then execs the child."""
    q = shlex.quote
    lines = ["set -e", "mount --make-rprivate /", "mount -t tmpfs -o size=64m tmpfs /dev/shm",
             "mkdir /dev/shm/.scratch", f"mount -t tmpfs -o size={int(tmpfs_bytes)},mode=700 tmpfs /dev/shm/.scratch",
             f"cp -a {q(str(scratch))}/. /dev/shm/.scratch/"]  # before the scratch root is hidden below
    moved = False
    for path in sorted(hidden, key=lambda p: len(p.parts)):
        if path.is_dir():
            lines.append(f"mount -t tmpfs -o size=64k,mode=755 tmpfs {q(str(path))}")
            if scratch.is_relative_to(path) and not moved:
                lines.append(f"mkdir -p {q(str(scratch))}")
                lines.append(f"mount --move /dev/shm/.scratch {q(str(scratch))}")
                moved = True
            lines.append(f"mount -o remount,ro {q(str(path))}")
        elif path.exists():
            lines.append(f"mount --bind /dev/null {q(str(path))}")
    if not moved:
        lines.append(f"mount --move /dev/shm/.scratch {q(str(scratch))}")
    # Every other mount read-only: /, and also /dev and the cgroup tree, which `remount /` leaves writable.
    # Device files still work on a read-only mount. /proc is the namespace's own.
    lines += [
        "mount -o remount,bind,ro /",
        "awk '{print $2}' /proc/self/mounts | while read -r m; do",
        f'  case "$m" in /|/proc|/proc/*|/dev/shm|{q(str(scratch))}) ;; '
        '*) mount -o remount,bind,ro "$m" 2>/dev/null || true ;; esac',
        "done",
        f"cd {q(str(scratch))}",  # the child's working directory is now the private copy
        'exec "$@"',
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


def make_sandbox(kind="auto", hidden=(), limits: Limits | None = None) -> Sandbox:
    """``auto`` uses namespaces where they work; ``namespaces`` requires them; ``limits`` never uses them."""
    limits = limits or Limits()
    hidden = tuple(dict.fromkeys(str(Path(p).resolve()) for p in [*default_hidden(), *hidden]))
    remove_stale_groups()
    if kind == "limits":
        return Sandbox("limits", "the configuration asks for resource limits only", hidden, limits)
    reason = namespaces_available()
    if reason and kind == "namespaces":
        raise RuntimeError(f"namespaces were required but {reason}")
    return Sandbox("limits" if reason else "namespaces", reason, hidden, limits)
