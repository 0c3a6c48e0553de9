"""Where the suite's CPU time goes, per test and per file: a pytest plugin for measuring, not loaded by default.

``CPU_TIMES_DIR=DIR PYTHONPATH=tests pytest -n 2 -p cpu_times`` writes, for every test (setup, call and teardown),
the CPU time (user + system) of the test process and of the child processes it waited for, and the wall time, to
``DIR/<worker>.tsv``; ``python tests/cpu_times.py DIR`` prints the sums per file and the costliest tests. A helper
process that outlives a test (a forkserver, a kernel) is counted in the test during which it is waited for.

A fourth column is the whole machine's busy CPU time over the test (``/proc/stat``): it also counts what the first
two miss, the sandboxed children that run in their own PID namespaces and are never waited for, but it counts
everything else running too, so it means something only for a serial run (``-p no:xdist``) on a quiet machine.
"""
import os
import resource
import sys
import time
from pathlib import Path

import pytest


def _machine():
    """Busy CPU seconds of the whole machine since boot (Linux), or 0.0 where /proc/stat is missing."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(v) for v in handle.readline().split()[1:9]]
    except OSError:
        return 0.0
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _cpu():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cpu, wall, machine = _cpu(), time.perf_counter(), _machine()
    yield
    folder = os.environ.get("CPU_TIMES_DIR")
    if folder:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with open(Path(folder) / f"{worker}.tsv", "a", encoding="utf-8") as handle:
            handle.write(f"{item.nodeid}\t{_cpu() - cpu:.2f}\t{time.perf_counter() - wall:.2f}\t"
                         f"{_machine() - machine:.2f}\n")


def summary(folder, top=25, machine_wide=False):
    """The report: per file (CPU, wall, machine CPU, tests), costliest first, then the ``top`` costliest tests; by the
    machine's CPU time with ``machine_wide`` (``--machine``), else by the processes' own."""
    rows = []  # (nodeid, worker, CPU, wall, machine CPU); files written before the machine column have 0.0 there
    for path in sorted(Path(folder).glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            nodeid, *times = line.split("\t")
            rows.append((nodeid, path.stem, *map(float, times), *[0.0] * (3 - len(times))))
    by = 4 if machine_wide else 2  # the column a row is ranked by
    files = {}  # file -> [CPU, wall, machine CPU, tests]
    for nodeid, _, cpu, wall, machine in rows:
        total = files.setdefault(nodeid.split("::")[0], [0.0, 0.0, 0.0, 0])
        for i, value in enumerate((cpu, wall, machine, 1)):
            total[i] += value
    lines = [f"{len(rows)} tests: CPU {sum(r[2] for r in rows):.0f} s, wall (summed over workers) "
             f"{sum(r[3] for r in rows):.0f} s, machine CPU {sum(r[4] for r in rows):.0f} s", "",
             "| CPU s | wall s | machine CPU s | tests | file |", "|---:|---:|---:|---:|---|"]
    lines += [f"| {cpu:.1f} | {wall:.1f} | {machine:.1f} | {n} | `{name}` |"
              for name, (cpu, wall, machine, n) in sorted(files.items(), key=lambda kv: -kv[1][by - 2])]
    lines += ["", "| CPU s | wall s | machine CPU s | worker | test |", "|---:|---:|---:|---|---|"]
    lines += [f"| {cpu:.1f} | {wall:.1f} | {machine:.1f} | {worker} | `{nodeid}` |"
              for nodeid, worker, cpu, wall, machine in sorted(rows, key=lambda r: -r[by])[:top]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(sys.argv[1], top=int(os.environ.get("CPU_TIMES_TOP", 25)), machine_wide="--machine" in sys.argv))
