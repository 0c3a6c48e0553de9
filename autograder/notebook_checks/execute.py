"""Re-execute a submitted notebook headless, in the same sandbox as the batch grader's child.

For each notebook a fresh scratch folder gets: a copy of the staged submission (the student's package with the
trusted provided files, plus the shipped digits next to every ``data_utils.py``), a copy of the notebook's
folder without the student's package folders (so ``import cs231n`` finds the staged copy), the rewritten
notebook, a Python kernelspec for this interpreter, an IPython startup file (:mod:`.kernel.startup`) and the
runner (:mod:`.kernel.runner`). The runner is started through ``Sandbox.wrap`` with the scratch folder as its
only writable place; it runs nbclient and the kernel (a grandchild in the same namespaces and limits) and
reports each cell on a pipe. The grader enforces the notebook's wall-clock limit and kills everything after.

Rewriting before execution (cell indices never change):

* the starter's own data files (the kitten and puppy photos) are put where the notebook reads them, from the
  trusted provided files (:mod:`.starter_data`);
* environment lines are replaced by ``pass``: shell escapes (``!pip ...``), ``%cd``, Google Colab / Drive
  mounting and any line naming ``/content/`` (the notebooks' Colab setup); a cell that is a ``%%bash``,
  ``%%sh``, ``%%script`` or ``%%system`` cell, or that matches a ``skip_cells`` pattern, is not run;
* quick rule (``quick = true``): ``CS231N_QUICK=1`` is set (the course's notebooks shorten their own
  training), every ``Solver`` trains at most ``quick_epochs`` epochs (patched in the kernel), and the
  literals ``num_epochs = N`` and ``num_iters = N`` in the cells are lowered to ``quick_epochs`` and
  ``quick_iters``.
"""
from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from .. import paths
from ..sandbox.limits import Limits
from ..sandbox.spawn import die_with_parent, install_child_code, scrubbed_env, single_threaded
from ..sandbox.confinement import new_scratch
from ..sandbox.submission import KNOWN_PACKAGES
from . import starter_data

KERNEL_FILES = Path(__file__).resolve().parent / "kernel"
MAX_EVENT_BYTES = 64 * 1024**2
MAX_COPY_BYTES = 50 * 1024**2
"""Notebook-folder files larger than this are not copied (datasets, checkpoints)."""
_ENV_LINE = re.compile(r"^\s*(?:!|%cd\b|%%?bash\b|%env\b|%pip\b|%conda\b)|google\.colab|drive\.mount\(|/content/")
_SHELL_CELL = re.compile(r"^\s*%%(?:bash|sh|script|system)\b")
_QUICK_EPOCHS = re.compile(r"\b(num_epochs\s*=\s*)(\d+)\b")
_QUICK_ITERS = re.compile(r"\b(num_iters\s*=\s*)(\d+)\b")


@dataclass
class CellRun:
    """What re-executing one code cell did."""

    index: int
    status: str
    """``ok``, ``error``, ``timeout`` (interrupted at the cell limit), ``killed`` (the notebook's time limit,
    the kernel died or never stopped), ``skipped`` (environment cell) or ``not_run``."""
    outputs: list = field(default_factory=list)
    """Text outputs as nbformat-like dicts (``output_type``, ``name``, ``text``/``data``, ``ename``...)."""
    ename: str = ""
    evalue: str = ""
    seconds: float = 0.0
    execution_count: int | None = None


@dataclass
class NotebookRun:
    """The re-execution of one notebook."""

    cells: dict = field(default_factory=dict)
    """Cell index -> :class:`CellRun` for every code cell."""
    problem: str = ""
    """Why the run ended early (kernel died, time limit, runner failure); empty when it ran to the end."""
    seconds: float = 0.0
    rewritten: list = field(default_factory=list)
    """Indices of cells whose source was rewritten (environment lines, quick literals)."""


def prepare(nb, settings, skip_patterns=()):
    """Rewrite a notebook (an nbformat NotebookNode, copied) for re-execution.

    Returns ``(notebook, skipped cell indices, rewritten cell indices)``.
    """
    import copy

    nb = copy.deepcopy(nb)
    skipped, rewritten = [], []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if _SHELL_CELL.match(source) or any(re.search(p, source) for p in skip_patterns):
            skipped.append(index)
            continue
        lines = [_blank(line) if _ENV_LINE.search(line) else line for line in source.split("\n")]
        new = "\n".join(lines)
        if settings.quick:
            new = _QUICK_EPOCHS.sub(lambda m: m.group(1) + str(min(int(m.group(2)), settings.quick_epochs)), new)
            new = _QUICK_ITERS.sub(lambda m: m.group(1) + str(min(int(m.group(2)), settings.quick_iters)), new)
        if new != source:
            rewritten.append(index)
        cell.source = new
        cell.outputs, cell.execution_count = [], None
    return nb, skipped, rewritten


def _blank(line):
    indent = line[: len(line) - len(line.lstrip())]
    return f"{indent}pass  # [autograder] environment line not run: {line.strip()[:60]}"


def run_notebook(notebook_path, nb, *, stage_dir, packages, settings, sandbox=None,
                 limits: Limits | None = None, version_id=None) -> NotebookRun:
    """Re-execute ``nb`` (read from ``notebook_path``) against the staged package; never raises. ``version_id`` (the
    recognised notebook version) says where its starter's data files go (:mod:`.starter_data`)."""
    limits = limits or Limits()
    started = time.monotonic()
    scratch = new_scratch()
    run = NotebookRun()
    try:
        prepared, skipped, run.rewritten = prepare(nb, settings, settings.skip_cells)
        for index, cell in enumerate(prepared.cells):
            if cell.get("cell_type") == "code" and cell.source.strip():
                run.cells[index] = CellRun(index, "skipped" if index in skipped else "not_run")
        command, env, event_r, event_w = _setup(scratch, notebook_path, prepared, skipped, stage_dir, packages,
                                                settings, limits, version_id)
        try:
            command = sandbox.wrap(command, scratch) if sandbox is not None else command
        except BaseException:
            os.close(event_r)
            os.close(event_w)
            raise
        _drive(run, command, env, scratch, event_r, event_w, settings, sandbox)
    except Exception as exc:  # noqa: BLE001 - a broken run is reported, never raised into the grading
        run.problem = run.problem or f"the notebook could not be re-executed ({type(exc).__name__}: {exc})"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    run.seconds = time.monotonic() - started
    return run


def _setup(scratch, notebook_path, prepared, skipped, stage_dir, packages, settings, limits, version_id=None):
    """Fill the scratch folder; returns the runner command, its environment and the event pipe."""
    import nbformat

    scratch = Path(scratch)
    pkg = scratch / "pkg"
    shutil.copytree(stage_dir, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    digits = paths.fixtures_dir() / "datasets" / "digits.npz"
    for data_utils in pkg.rglob("data_utils.py"):
        if digits.is_file():
            (data_utils.parent / "datasets").mkdir(exist_ok=True)
            shutil.copyfile(digits, data_utils.parent / "datasets" / "digits.npz")
    work = scratch / "work"
    _copy_folder(Path(notebook_path).parent, work, set(packages) | set(KNOWN_PACKAGES))
    starter_data.supply(work, [c.source for c in prepared.cells if c.get("cell_type") == "code"], version_id,
                        packages[0])
    notebook_file = work / Path(notebook_path).name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a student's notebook may miss cell ids (MissingIDFieldWarning)
        nbformat.write(prepared, str(notebook_file))
    kernels = scratch / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (autograder)", "language": "python", "metadata": {"debugger": False}}))
    profile = scratch / "ipython" / "profile_default"
    (profile / "startup").mkdir(parents=True)
    shutil.copyfile(KERNEL_FILES / "startup.py", profile / "startup" / "00-autograder.py")
    (profile / "ipython_kernel_config.py").write_text("c.HistoryManager.enabled = False\n")
    _copy_font_cache(scratch / "mpl")
    (scratch / "ipc").mkdir()
    shutil.copyfile(KERNEL_FILES / "runner.py", scratch / "runner.py")
    install_child_code(scratch)  # the runner reuses the child's resource limits
    kernel_env = {
        "PYTHONPATH": str(pkg), "IPYTHONDIR": str(scratch / "ipython"), "JUPYTER_PATH": str(scratch / "jupyter"),
        "JUPYTER_CONFIG_DIR": str(scratch / "jupyter-config"), "JUPYTER_DATA_DIR": str(scratch / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"), "MPLCONFIGDIR": str(scratch / "mpl"),
        "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    if settings.quick:
        kernel_env.update({"CS231N_QUICK": "1", "AUTOGRADER_QUICK_EPOCHS": str(settings.quick_epochs)})
    event_r, event_w = os.pipe()
    runner_settings = {
        "notebook": str(notebook_file), "cwd": str(work), "event_fd": event_w, "ipc": str(scratch / "ipc" / "k"),
        "skip": skipped, "cell_seconds": settings.cell_seconds, "startup_seconds": settings.startup_seconds,
        "interrupt_seconds": settings.interrupt_seconds,
        "output_cap": settings.output_cap, "kernel_env": kernel_env,
        "limits": {"memory_bytes": settings.memory_bytes, "cpu_seconds": int(settings.notebook_seconds) + 60,
                   "file_bytes": limits.file_bytes,
                   "open_files": max(limits.open_files, 1024),  # ZeroMQ sockets and the kernel's files
                   "processes": limits.processes, "core_bytes": 0},
    }
    command = [sys.executable, "-I", str(scratch / "runner.py"), json.dumps(runner_settings)]
    return command, scrubbed_env(scratch), event_r, event_w


def _copy_folder(source, target, package_names):
    """The notebook's folder without the student's packages, hidden folders and large files."""
    target.mkdir(parents=True, exist_ok=True)
    source = Path(source)
    total = 0
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_symlink() or any(p.startswith(".") or p in ("__pycache__", "__MACOSX") for p in rel.parts):
            continue
        if rel.parts[0] in package_names:
            continue
        if path.is_dir():
            continue
        size = path.stat().st_size
        if size > MAX_COPY_BYTES or total + size > 4 * MAX_COPY_BYTES or path.suffix in (".so", ".pyd", ".pyc"):
            continue
        total += size
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / rel)


def _copy_font_cache(folder):
    """Matplotlib's font list from the grader's cache, so each kernel does not rebuild it (seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import matplotlib

        for cache in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
            shutil.copyfile(cache, folder / cache.name)
    except Exception:  # noqa: BLE001 - only a speed-up
        pass


def _drive(run, command, env, scratch, event_r, event_w, settings, sandbox):
    """Start the runner, read its events until it ends or the notebook's time limit, then kill everything."""
    deadline = time.monotonic() + settings.notebook_seconds
    try:
        proc = subprocess.Popen(command, cwd=scratch, env=env, pass_fds=(event_w,), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=die_with_parent if single_threaded() else None)
    except BaseException:
        os.close(event_r)
        raise
    finally:
        os.close(event_w)
    current, ended = None, False
    try:
        for event in _events(event_r, deadline):
            kind = event.get("event")
            index = event.get("index")
            if kind == "start" and index in run.cells:
                current = index
            elif kind == "cell" and index in run.cells:
                run.cells[index] = _cell_run(index, event)
                current = None
            elif kind == "dead":
                run.problem = "the kernel died (killed by the memory limit, a crash or os._exit)"
                _kill_current(run, current, "the kernel died while running this cell")
            elif kind == "stuck":
                run.problem = ("a cell did not stop when the kernel was interrupted at the cell time limit, "
                               "so the rest of the notebook was not run")
            elif kind == "fatal":
                run.problem = f"the notebook runner failed: {str(event.get('error', ''))[:300]}"
            elif kind == "end":
                ended = True
        if not ended and not run.problem:
            if time.monotonic() >= deadline:
                run.problem = f"the notebook's time limit of {settings.notebook_seconds:g} s was exceeded"
                _kill_current(run, current, f"running when the notebook's time limit of "
                                            f"{settings.notebook_seconds:g} s was reached")
            else:
                run.problem = "the notebook runner stopped without finishing (killed by a limit or by the notebook)"
                _kill_current(run, current, "the runner stopped while this cell ran")
    finally:
        os.close(event_r)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if sandbox is not None:
            setup = "" if ended else sandbox.setup_failure(scratch)
            if setup:
                run.problem = f"the sandbox could not be set up ({setup})"
            sandbox.reap(SimpleNamespace(scratch=Path(scratch)))


def _kill_current(run, current, message):
    if current is not None and current in run.cells:
        run.cells[current] = CellRun(current, "killed", evalue=message)


def _cell_run(index, event):
    status = event.get("status") if event.get("status") in ("ok", "error", "timeout") else "error"
    outputs = []
    for item in event.get("outputs") or []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "stream":
            outputs.append({"output_type": "stream", "name": str(item.get("name", "stdout")),
                            "text": str(item.get("text", ""))})
        elif kind in ("execute_result", "display_data"):
            outputs.append({"output_type": kind, "data": {"text/plain": str(item.get("text", ""))}})
        elif kind == "error":
            outputs.append({"output_type": "error", "ename": str(item.get("ename", "")),
                            "evalue": str(item.get("evalue", ""))})
    seconds, count = event.get("seconds"), event.get("execution_count")
    return CellRun(index, status, outputs, str(event.get("ename", "")), str(event.get("evalue", "")),
                   float(seconds) if isinstance(seconds, (int, float)) else 0.0,
                   count if isinstance(count, int) and not isinstance(count, bool) else None)


def executed_notebook(nb, run: NotebookRun):
    """A copy of ``nb`` with the re-executed text outputs and execution counts (unexecuted cells cleared)."""
    import copy

    import nbformat

    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        cell_run = run.cells.get(index)
        ran = cell_run is not None and cell_run.status not in ("skipped", "not_run")
        cell.execution_count = cell_run.execution_count if ran else None
        cell.outputs = [nbformat.from_dict(o) for o in cell_run.outputs] if ran else []
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.execution_count = cell.execution_count
                output.setdefault("metadata", {})
            elif output.output_type == "display_data":
                output.setdefault("metadata", {})
            elif output.output_type == "error":
                output.setdefault("traceback", [])
    return nb


def _events(fd, deadline):
    """JSON-line events from the runner until EOF or the deadline; malformed lines are skipped."""
    buffer, total = b"", 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        readable, _, _ = select.select([fd], [], [], min(left, 1.0))
        if not readable:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        total += len(chunk)
        if total > MAX_EVENT_BYTES:
            return
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                yield event
