"""Where the suite's CPU time goes, per test and per file: a pytest plugin for measuring, not loaded by default.

``CPU_TIMES_DIR=DIR PYTHONPATH=tests pytest -n 2 -p cpu_times`` writes, for every test (setup, call and teardown),
the CPU time (user + system) of the test process and of the child processes it waited for, and the wall time, to
``DIR/<worker>.tsv``; ``python tests/cpu_times.py DIR`` prints the sums per file and the costliest tests. A helper
process that outlives a test (a forkserver, a kernel) is counted in the test during which it is waited for.
"""
import os
import resource
import sys
import time
from pathlib import Path

import pytest


def _cpu():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cpu, wall = _cpu(), time.perf_counter()
    yield
    folder = os.environ.get("CPU_TIMES_DIR")
    if folder:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with open(Path(folder) / f"{worker}.tsv", "a", encoding="utf-8") as handle:
            handle.write(f"{item.nodeid}\t{_cpu() - cpu:.2f}\t{time.perf_counter() - wall:.2f}\n")


def summary(folder, top=25):
    """The report: per file (CPU, wall, tests), costliest first, then the ``top`` costliest tests."""
    rows = []
    for path in sorted(Path(folder).glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            nodeid, cpu, wall = line.rsplit("\t", 2)
            rows.append((nodeid, float(cpu), float(wall), path.stem))
    files = {}
    for nodeid, cpu, wall, _ in rows:
        total = files.setdefault(nodeid.split("::")[0], [0.0, 0.0, 0])
        total[0], total[1], total[2] = total[0] + cpu, total[1] + wall, total[2] + 1
    lines = [f"{len(rows)} tests: CPU {sum(r[1] for r in rows):.0f} s, wall (summed over workers) "
             f"{sum(r[2] for r in rows):.0f} s", "", "| CPU s | wall s | tests | file |", "|---:|---:|---:|---|"]
    lines += [f"| {cpu:.1f} | {wall:.1f} | {n} | `{name}` |"
              for name, (cpu, wall, n) in sorted(files.items(), key=lambda kv: -kv[1][0])]
    lines += ["", "| CPU s | wall s | worker | test |", "|---:|---:|---|---|"]
    lines += [f"| {cpu:.1f} | {wall:.1f} | {worker} | `{nodeid}` |"
              for nodeid, cpu, wall, worker in sorted(rows, key=lambda r: -r[1])[:top]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(sys.argv[1]))
