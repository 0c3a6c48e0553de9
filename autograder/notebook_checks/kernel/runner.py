"""Runs one notebook headless, inside the sandbox: ``python -I runner.py '<json settings>'``.

This file is copied into the notebook's scratch folder, beside the self-contained child package whose resource
limits it reuses, and runs as the sandboxed child (standard library, that package, nbformat and nbclient only;
it never sees the grader). It lowers its resource limits first (the kernel, a
grandchild, inherits them), makes itself non-dumpable so that the kernel cannot read or write its memory or
open its file descriptors, starts an IPython kernel over Unix sockets (the sandbox has no network, not even
loopback), executes the code cells one by one with a per-cell timeout, and reports every cell on the event
pipe as one JSON line: ``ready``, then ``start`` and ``cell`` per cell, then ``end`` (or ``dead``, ``stuck``,
``fatal``). Only text outputs are kept, capped per cell; images are dropped.
"""
import ctypes
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the grader's child package is copied beside
from _agchild.boot import apply_limits as apply_resource_limits  # noqa: E402 - after the path is set


def apply_limits(limits):
    """The child's resource limits, then no ptrace and no /proc/<pid>/fd access from the kernel."""
    apply_resource_limits(limits)
    try:
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    except (OSError, AttributeError):
        pass


class Events:
    """JSON lines on the event pipe; a line is never split by another."""

    def __init__(self, fd):
        self.fd = fd

    def send(self, **event):
        data = memoryview((json.dumps(event) + "\n").encode("utf-8"))
        while data:
            data = data[os.write(self.fd, data):]


def _text(value):
    return "".join(value) if isinstance(value, list) else (value if isinstance(value, str) else "")


def text_outputs(outputs, cap):
    """A cell's outputs as ``[{"type", "name", "text"}]``, text only, at most ``cap`` characters in all."""
    kept, used = [], 0
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            item = {"type": "stream", "name": output.get("name", "stdout"), "text": _text(output.get("text"))}
        elif kind in ("execute_result", "display_data"):
            item = {"type": kind, "text": _text(output.get("data", {}).get("text/plain"))}
        elif kind == "error":
            item = {"type": "error", "ename": str(output.get("ename", "")),
                    "evalue": str(output.get("evalue", ""))[:2000]}
        else:
            continue
        if "text" in item:
            item["text"] = item["text"][: max(0, cap - used)]
            used += len(item["text"])
        kept.append(item)
        if used >= cap:
            kept.append({"type": "stream", "name": "stdout", "text": "\n[output truncated by the grader]\n"})
            break
    return kept


def make_client(nb, settings):
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    cap = settings["output_cap"]

    class CappedClient(NotebookClient):
        """Keeps text only and stops storing a cell's outputs past the cap, so a flood cannot exhaust memory."""

        def output(self, outs, msg, display_id, cell_index):
            out = super().output(outs, msg, display_id, cell_index)
            if out is not None and "data" in out:
                out["data"] = {k: v for k, v in out["data"].items() if k == "text/plain"}
                out["metadata"] = {}
            size = sum(len(_text(o.get("text"))) + len(_text(o.get("data", {}).get("text/plain"))) for o in outs)
            if size > 2 * cap and outs:
                del outs[-1]
            return out

    km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=settings["ipc"])
    return CappedClient(
        nb, km=km, timeout=settings["cell_seconds"], interrupt_on_timeout=True, allow_errors=True,
        startup_timeout=settings["startup_seconds"], iopub_timeout=min(5, settings["interrupt_seconds"]),
        record_timing=False,
        error_on_timeout={"ename": "CellTimeoutError", "evalue": f"the cell ran longer than "
                          f"{settings['cell_seconds']:g} s and was interrupted", "traceback": []},
        resources={"metadata": {"path": settings["cwd"]}},
    )


def run(settings, events):
    import nbformat
    from nbclient.exceptions import DeadKernelError
    from nbclient.util import run_sync

    nb = nbformat.read(settings["notebook"], as_version=4)
    client = make_client(nb, settings)
    replies = {}
    client.on_cell_executed = lambda cell, cell_index, execute_reply: replies.__setitem__(cell_index, execute_reply)
    skip = set(settings.get("skip", []))
    started = time.monotonic()
    with client.setup_kernel():
        events.send(event="ready", seconds=round(time.monotonic() - started, 3))
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip() or index in skip:
                continue
            events.send(event="start", index=index)
            began = time.monotonic()
            try:
                client.execute_cell(cell, index, store_history=True)
            except DeadKernelError as exc:
                events.send(event="dead", index=index, error=str(exc)[:500])
                return
            content = (replies.pop(index, None) or {}).get("content", {})
            status = content.get("status", "ok")
            if content.get("ename") == "CellTimeoutError":
                status = "timeout"
            events.send(event="cell", index=index, status=status, execution_count=cell.get("execution_count"),
                        ename=str(content.get("ename", ""))[:200], evalue=str(content.get("evalue", ""))[:2000],
                        seconds=round(time.monotonic() - began, 3),
                        outputs=text_outputs(cell.outputs, settings["output_cap"]))
            if status == "timeout" and not _stopped(client, run_sync, settings["interrupt_seconds"]):
                events.send(event="stuck", index=index)
                return
    events.send(event="end", seconds=round(time.monotonic() - started, 3))


def _stopped(client, run_sync, grace):
    """After an interrupt: whether the kernel answered the timed-out request (it stopped running the cell)."""
    from queue import Empty

    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            msg = run_sync(client.kc.shell_channel.get_msg)(timeout=max(0.1, deadline - time.monotonic()))
        except Empty:
            return False
        if msg.get("msg_type") == "execute_reply":
            return True
    return False


def main():
    settings = json.loads(sys.argv[1])
    apply_limits(settings.get("limits", {}))
    os.environ.update(settings.get("kernel_env", {}))
    events = Events(settings["event_fd"])
    try:
        run(settings, events)
    except BaseException as exc:  # noqa: BLE001 - report anything, then exit
        events.send(event="fatal", error=f"{type(exc).__name__}: {str(exc)[:500]}")
    os._exit(0)


if __name__ == "__main__":
    main()
