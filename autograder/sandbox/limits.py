"""The resource limits of the processes that run student code (children, notebook runners), read from the course
config's ``[limits]`` table; apart from the process runner, so the config and the sandbox need not import it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Limits for one submission's child process; every value can be set in the course config."""

    check_seconds: float = 10.0
    """Wall-clock seconds a single case may take (a case may ask for more, e.g. training)."""
    submission_seconds: float = 300.0
    """Wall-clock seconds for all of a submission's cases together."""
    startup_seconds: float = 30.0
    """Wall-clock seconds to import the submission."""
    cpu_seconds: int = 600
    """CPU seconds (RLIMIT_CPU) of one child process."""
    memory_bytes: int = 2 * 1024**3
    """Address space (RLIMIT_AS) of the child: 2 GiB by default."""
    file_bytes: int = 64 * 1024**2
    """Largest file the child may write (RLIMIT_FSIZE)."""
    open_files: int = 256
    """Open file descriptors (RLIMIT_NOFILE)."""
    processes: int = 256
    """Processes of the child's user (RLIMIT_NPROC; not enforced for root outside a user namespace)."""
    disk_bytes: int = 256 * 1024**2
    """Bytes of files the child may write (with namespaces: its scratch folder is a private tmpfs of the
    submission's size plus this; without them only ``file_bytes`` bounds each file)."""
    output_cap: int = 65536
    """Characters of the student's printed output kept per child; the rest is dropped."""
    reply_bytes: int = 256 * 1024**2
    """Largest reply the grader accepts from the child."""
