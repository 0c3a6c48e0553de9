"""A batch of submissions whose functions never return: ``python -m benchmarks.hostile [--runs 3] [AUTOGRADER ...]``.

Times ``AUTOGRADER batch`` (each given executable, e.g. the grader of another virtual environment; default: the
``autograder`` on PATH) on one generated class: a correct submission and five whose ``relu_forward``,
``relu_backward``, ``affine_forward`` or ``affine_backward`` loops forever (or sleeps), graded on the checks of
tests/test_hostile.py (``relu_*``, ``affine_*``) with its limits (3 s per check) and ``-j 2``. Before issue 16 every
check that called a looping function waited out its time limit; now the first one does. With several executables
the runs take turns, so that load from elsewhere on a shared machine tends to hit all of them; every figure is
the median over the runs, and each run also reports the scores, which must not differ between graders.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SELECT = ("relu_*", "affine_*")
CHECK_SECONDS = 3
"""tests/test_hostile.py's time limit per check; ``--check-seconds`` changes it (the benchmark's own test uses 1 s,
since it tests that the figures are printed, not how long a limit takes)."""


def config(check_seconds=CHECK_SECONDS) -> str:
    """The class's course config: its checks and limits."""
    return (f"select = {json.dumps(list(SELECT))}\n\n[limits]\ncheck_seconds = {check_seconds:g}\n"
            f"startup_seconds = 5\nmemory_bytes = {1024**3}\n")


LOOP = "    while True:\n        pass\n"
SLEEP = "    import time\n    time.sleep(10**6)\n"
CLASS = {  # student -> code appended to the reference's layers.py
    "correct": "",
    "loop_relu_forward": "def relu_forward(x):\n" + LOOP,
    "sleep_relu_forward": "def relu_forward(x):\n" + SLEEP,
    "loop_relu_backward": "def relu_backward(dout, cache):\n" + LOOP,
    "loop_affine_forward": "def affine_forward(x, w, b):\n" + LOOP,
    "loop_affine_backward": "def affine_backward(dout, cache):\n" + LOOP,
}


def make_class(folder: Path, check_seconds=CHECK_SECONDS) -> Path:
    """The class's submissions under ``folder/subs`` (the reference with a function replaced), and its config."""
    from autograder import paths

    subs = folder / "subs"
    for name, code in CLASS.items():
        paths.copy_reference_package(subs / name / "cs231n")
        with open(subs / name / "cs231n" / "layers.py", "a", encoding="utf-8") as handle:
            handle.write("\n\n" + code)
    (folder / "course.toml").write_text(config(check_seconds))
    return subs


def _run_once(executable, folder: Path, out: Path) -> tuple:
    """Seconds of one ``batch`` of the class into a fresh ``out``, and each student's score."""
    shutil.rmtree(out, ignore_errors=True)
    command = [str(executable), "batch", str(folder / "subs"), "--out", str(out), "-j", "2",
               "--config", str(folder / "course.toml"), "--no-progress"]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=folder)  # no package of the cwd shadows it
    seconds = time.perf_counter() - started
    scores = {p.parent.name: json.loads(p.read_text())["score"] for p in sorted(out.glob("*/results.json"))}
    return seconds, scores


def measure(autograder_executable, runs=3, *, folder=None) -> dict:
    """Time ``autograder_executable batch`` on the class ``runs`` times: ``{"executable", "seconds" (per run),
    "median", "scores" (of the last run)}``. ``folder``: where the class is (made there when missing)."""
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        folder = Path(folder) if folder is not None else Path(tmp)
        if not (folder / "subs").exists():
            make_class(folder)
        results = [_run_once(autograder_executable, folder, Path(tmp) / "out") for _ in range(runs)]
    seconds = [round(s, 2) for s, _ in results]
    return {"executable": str(autograder_executable), "seconds": seconds, "median": statistics.median(seconds),
            "scores": results[-1][1]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("executables", nargs="*", help="autograder executables to time (default: autograder on PATH)")
    parser.add_argument("--runs", type=int, default=3, help="runs per executable, taking turns; medians reported")
    parser.add_argument("--check-seconds", type=float, default=CHECK_SECONDS,
                        help=f"the time limit per check (default {CHECK_SECONDS}, tests/test_hostile.py's)")
    args = parser.parse_args(argv)
    executables = args.executables or [shutil.which("autograder") or sys.exit("no autograder on PATH")]
    with tempfile.TemporaryDirectory(prefix="bench-hostile-class-") as tmp:
        folder = Path(tmp)
        make_class(folder, args.check_seconds)
        runs = {exe: [] for exe in executables}
        scores = {}
        for run in range(args.runs):
            for exe in executables:
                result = measure(exe, runs=1, folder=folder)
                runs[exe].append(result["seconds"][0])
                scores[exe] = result["scores"]
                print(f"run {run + 1}: {exe}: {result['seconds'][0]:.1f} s", flush=True)
    load = os.getloadavg()
    print(f"{len(CLASS)} submissions, checks {', '.join(SELECT)}, {args.check_seconds:g} s per check, -j 2; "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for exe in executables:
        print(f"{exe}: median {statistics.median(runs[exe]):.1f} s of {runs[exe]}; scores {scores[exe]}")
    if len({json.dumps(s, sort_keys=True) for s in scores.values()}) > 1:
        print("the graders gave different scores")
    return {exe: {"seconds": runs[exe], "median": statistics.median(runs[exe]), "scores": scores[exe]}
            for exe in executables}


if __name__ == "__main__":
    main()
