"""What credit isolation costs per submission: ``python -m benchmarks.isolation [--runs 3]``.

Grades the reference, and the reference with one of two layer bugs (softmax_loss's gradient without 1/N;
affine_backward's dw transposed), with ``isolate_dependencies`` off, on and (for the reference) ``"always"``;
the modes take turns within each run, and every figure is the median over the runs.
"""
import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from autograder import paths
from autograder.config import Config
from autograder.grading.pipeline import grade

BUGS = {
    "softmax_1_over_N": ("    dx[np.arange(N), y] -= 1\n    dx /= N\n", "    dx[np.arange(N), y] -= 1\n"),
    "transposed_dw": ("dw = x.reshape(x.shape[0], -1).T.dot(dout)", "dw = dout.T.dot(x.reshape(x.shape[0], -1))"),
}
MODES = {"off": False, "on": True, "always": "always"}


def make_submissions(folder: Path) -> dict:
    subs = {"reference": paths.reference_dir().parent}
    for name, (old, new) in BUGS.items():
        target = folder / name / "cs231n"
        shutil.copytree(paths.reference_dir(), target, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c"))
        layers = target / "layers.py"
        text = layers.read_text()
        if text.count(old) != 1:
            raise SystemExit(f"{name}: the line to edit is not in layers.py exactly once")
        layers.write_text(text.replace(old, new))
        subs[name] = folder / name
    return subs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    plan = [("reference", "off"), ("reference", "on"), ("reference", "always")]
    plan += [(bug, mode) for bug in BUGS for mode in ("off", "on")]
    times, scores = {key: [] for key in plan}, {}
    with tempfile.TemporaryDirectory(prefix="bench-isolation-") as tmp:
        subs = make_submissions(Path(tmp))
        for run in range(args.runs):
            for sub, mode in plan:
                started = time.perf_counter()
                report = grade(subs[sub], config=Config(isolate_dependencies=MODES[mode]))
                times[(sub, mode)].append(time.perf_counter() - started)
                scores[(sub, mode)] = f"{report.score:g}/{report.max_score:g}"
                print(f"run {run + 1}: {sub}, isolation {mode}: {times[(sub, mode)][-1]:.1f} s, "
                      f"{scores[(sub, mode)]}", flush=True)
    median = {key: statistics.median(values) for key, values in times.items()}
    for sub, mode in plan:
        base = median[(sub, "off")]
        print(f"{sub:18} {mode:7} median {median[(sub, mode)]:6.1f} s  ({median[(sub, mode)] / base - 1:+.0%} over "
              f"off)  score {scores[(sub, mode)]}")


if __name__ == "__main__":
    main()
