"""Batch-grading throughput: ``python -m benchmarks.batch [--n 50]``.

Measures, in one run on the same generated class (copies of the reference, every tenth with a planted bug):
1. unsandboxed: every submission graded one by one in this single process (no child, no limits);
2. ``autograder batch -j 1``: the sandboxed runner, one worker;
3. ``autograder batch -j 2``: two workers.
It prints submissions per minute and the ratios the issue sets targets for: the sandbox's cost over
unsandboxed grading (target <= 20 %) and the speed-up of -j 2 over -j 1 (target >= 1.7x). With ``--runs R``
the three modes run R times in turn (so that a burst of load from elsewhere on a shared machine tends to hit
all of them) and every figure is the median over the runs.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the baseline computes single-threaded, as the children do
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from autograder import paths  # noqa: E402
from autograder.cohort.batch import run_batch  # noqa: E402
from autograder.config import Config  # noqa: E402
from autograder.grading.pipeline import grade  # noqa: E402
from autograder.sandbox.inprocess import run_in_process  # noqa: E402

BUG = "\ndef relu_backward(dout, cache):\n    return dout * (cache >= 0)\n"


def make_class(folder: Path, n: int) -> Path:
    subs = folder / "subs"
    for i in range(n):
        target = subs / f"student{i:03d}"
        paths.copy_reference_package(target / "cs231n")
        if i % 10 == 9:
            with open(target / "cs231n" / "layers.py", "a") as handle:
                handle.write(BUG)
    return subs


def _time_modes(subs, out, config):
    """(seconds of each mode on the whole class: unsandboxed, -j 1, -j 2; the unsandboxed scores)."""
    entries = sorted(subs.iterdir())
    timings = {}
    t0 = time.perf_counter()
    scores = [grade(e, config=config, runner=run_in_process).score for e in entries]
    timings["unsandboxed"] = time.perf_counter() - t0
    for jobs in (1, 2):
        t0 = time.perf_counter()
        run_batch(subs, out / f"j{jobs}", jobs=jobs, config=config, progress=False)
        timings[jobs] = time.perf_counter() - t0
    return timings, scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="submissions in the class")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs of all three modes, one after the other; figures are medians over runs")
    parser.add_argument("--select", nargs="*", default=(), help="only these checks (shell patterns)")
    args = parser.parse_args(argv)
    # Credit isolation off: the unsandboxed baseline has no second child to rerun the planted bugs' models in.
    config = Config(select=tuple(args.select), isolate_dependencies=False)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        subs = make_class(Path(tmp), args.n)
        for run in range(args.runs):
            timings, scores = _time_modes(subs, Path(tmp) / f"out-{run}", config)
            runs.append(timings)
            if args.runs > 1:
                print(f"run {run + 1}: unsandboxed {timings['unsandboxed']:.1f} s, -j 1 {timings[1]:.1f} s, "
                      f"-j 2 {timings[2]:.1f} s", flush=True)
    median = lambda values: float(statistics.median(values))  # noqa: E731
    seconds = {mode: median([r[mode] for r in runs]) for mode in ("unsandboxed", 1, 2)}
    cost = median([r[1] / r["unsandboxed"] - 1 for r in runs])
    speedup = median([r[1] / r[2] for r in runs])
    vs_unsandboxed = median([r["unsandboxed"] / r[2] for r in runs])
    rate = lambda s: 60.0 * args.n / s  # noqa: E731
    print(f"class: {args.n} submissions ({sum(s > 0 for s in scores)} graded), checks: {args.select or 'all'}"
          f"{f'; medians of {args.runs} runs' if args.runs > 1 else ''}")
    print(f"{'mode':<32}{'seconds':>10}{'subs/min':>10}")
    print(f"{'unsandboxed, one process':<32}{seconds['unsandboxed']:>10.1f}{rate(seconds['unsandboxed']):>10.1f}")
    for jobs in (1, 2):
        print(f"{f'batch -j {jobs} (sandboxed)':<32}{seconds[jobs]:>10.1f}{rate(seconds[jobs]):>10.1f}")
    print(f"sandbox cost (-j 1 vs unsandboxed): {100 * cost:+.1f}%  (target <= +20%)")
    print(f"speed-up of -j 2 over -j 1: {speedup:.2f}x  (target >= 1.7x)")
    print(f"-j 2 vs unsandboxed one-by-one: {vs_unsandboxed:.2f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
