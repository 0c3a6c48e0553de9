"""Grading speed against a baseline, measured in one run: ``python -m benchmarks.grading [--runs 3] [--n 50]``.

Measures (issue 16, items 2 and 4), each for the installed grader AND for the grader at ``--baseline`` (default
18baeb3, before issue 16's speed work), the two taking turns within each run; every figure is the median of
``--runs`` runs:
The current grader is ``--current`` (default HEAD) built the same way, so that both run from installed, byte-compiled
packages; ``--current installed`` measures this environment's grader instead.
(a) ``autograder grade SUBMISSION``, sandboxed, on a copy of the complete reference as it was at the baseline, which
    both graders grade in full (wall time of the command; its
    CPU time, the grader's and the waited-for children's, and the sandboxed child's as its results.json reports it:
    that child runs in its own PID namespace and is never waited for, so the first figure misses it);
(b) ``autograder batch SUBMISSIONS -j 2`` on a class of ``--n`` complete submissions (copies of the reference and
    of the correct variants of ``tests/corpus/variants``, every one expected to keep full marks), as submissions
    per minute.
The baseline is built by this script once, into a cached virtual environment (``--cache``, by default in the
temporary folder): ``git archive <baseline>`` of this checkout, installed without its dependencies, which it shares
with the current environment. It also checks that both graders give every submission the same results (name,
status and score of every check both have; checks added since the baseline are counted).
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "18baeb3"


def baseline_python(commit: str, cache: Path) -> Path:
    """The Python of a virtual environment holding the grader at ``commit`` (built once, then reused)."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", commit], check=True,
                            capture_output=True, text=True).stdout.strip()
    env_dir = cache / f"baseline-{commit}"
    python = env_dir / "bin" / "python"
    if (env_dir / "ready").exists():
        return python
    shutil.rmtree(env_dir, ignore_errors=True)
    source = env_dir / "source"
    source.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    # The dependencies (numpy, click, Cython to build the kernels, pip and setuptools themselves) are the current
    # environment's: a path line in a .pth file (the current site-packages' own .pth files, such as an editable
    # install's, are not read).
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "_current_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    print(f"building the baseline grader ({commit}) in {env_dir} ...", flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(source)],
                   check=True, cwd=env_dir)
    (env_dir / "ready").write_text(commit + "\n")
    return python


def make_class(folder: Path, n: int) -> Path:
    """``n`` complete submissions: copies of the reference and of the correct variants' groups, in turn."""
    sys.path.insert(0, str(ROOT / "tests"))
    from corpus import fresh, layouts, write_tree
    from corpus.variants import VARIANTS, groups

    subs = folder / "class"
    kinds = [(), *groups(VARIANTS)]
    for i in range(n):
        target = subs / f"student{i:03d}"
        files = layouts.cs231n_student()
        for variant in kinds[i % len(kinds)]:
            files = variant.apply(files)
        # as students' layers.py files are: graded the same by a grader whose provided files predate a helper
        files["cs231n/layers.py"] = layouts.strip_private_checks(files["cs231n/layers.py"])
        write_tree(fresh(target), files)
    return subs


def _submission_of(commit: str, folder: Path) -> Path:
    """The complete reference at ``commit`` as a submission (its package and provided files), which both graders grade
    in full: the current reference's layers.py may import a provided helper that an older grader does not supply."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit, "reference/cs231n", "provided"],
                             check=True, capture_output=True).stdout
    source = folder / "source"
    source.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    package = folder / "submission" / "cs231n"
    shutil.copytree(source / "reference" / "cs231n", package)
    for provided in (source / "provided").iterdir():
        if provided.suffix in (".py", ".pyx"):
            shutil.copyfile(provided, package / provided.name)
    return package.parent


def _command(python: Path, *args):
    """``autograder ARGS`` as users run it: the console script installed next to ``python`` (each grader's own entry
    point), or its ``main`` where an environment has no script."""
    script = Path(python).parent / "autograder"
    if script.exists():
        return [str(script), *args]
    return [str(python), "-c", "from autograder.cli import main; main()", *args]


def _cpu_of_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command, cwd, cpu=None):
    """Wall seconds of ``command``; its CPU seconds (user + system, its waited-for children included) are
    appended to ``cpu`` when given: on a machine loaded by others the wall time varies, the CPU time less."""
    cpu_before = _cpu_of_children()
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    if cpu is not None:
        cpu.append(_cpu_of_children() - cpu_before)
    return seconds


def _child_cpu(out: Path):
    """CPU seconds of a grade's sandboxed children, as its results.json's instructor data reports them (the child
    runs in its own PID namespace and is never waited for, so ``RUSAGE_CHILDREN`` misses it); None when the grader
    does not report them (graders before the report had it)."""
    timings = json.loads((out / "results.json").read_text()).get("extra_data", {}).get("timings", {})
    found = [t["cpu"] for t in (timings, timings.get("isolation") or {}) if "cpu" in t]
    return sum(found) if found else None


def _results(out: Path) -> dict:
    """Student -> {check name: (status, score)} of every check in its results.json."""
    found = {}
    for path in sorted(out.glob("*/results.json")):
        tests = json.loads(path.read_text())["tests"]
        found[path.parent.name] = {t["name"]: (t.get("status", ""), t["score"]) for t in tests}
    return found


def _compare(baseline: dict, current: dict):
    """Whether both graders gave every student the same status and score on every check they both have, and
    how many checks only the current grader has (checks added since the baseline, e.g. issue 21's)."""
    same = baseline.keys() == current.keys()
    added = set()
    for student in current:
        old, new = baseline.get(student, {}), current[student]
        differ = sorted(name for name in old.keys() & new.keys() if old[name] != new[name])
        gone = sorted(old.keys() - new.keys())
        for name in differ[:5]:
            print(f"  differs: {student} {name}: baseline {old[name]}, current {new[name]}")
        for name in gone[:5]:
            print(f"  only in the baseline: {student} {name}")
        same = same and not differ and not gone
        added |= new.keys() - old.keys()
    return same, len(added)


def _full_marks(out: Path) -> int:
    """How many students of a batch's results folder scored full marks."""
    totals = [json.loads(p.read_text()) for p in out.glob("*/results.json")]
    return sum(t["max_score"] > 0 and t["score"] == t["max_score"] for t in totals)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs (the graders take turns); figures are medians")
    parser.add_argument("--n", type=int, default=50, help="submissions in the batch")
    parser.add_argument("--jobs", type=int, default=2, help="batch workers")
    parser.add_argument("--baseline", default=BASELINE, help="the commit the current grader is compared with")
    parser.add_argument("--current", default="HEAD",
                        help="the commit measured, built like the baseline (an installed wheel has its bytecode "
                             "compiled, a checkout where PYTHONDONTWRITEBYTECODE is set has none), or 'installed': "
                             "this environment's grader as it is")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "autograder-benchmarks",
                        help="where the baseline's virtual environment is kept")
    parser.add_argument("--skip-batch", action="store_true", help="time `autograder grade` only")
    args = parser.parse_args(argv)
    current = Path(sys.executable) if args.current == "installed" else baseline_python(args.current, args.cache)
    graders = {"baseline": baseline_python(args.baseline, args.cache), "current": current}
    load_before = os.getloadavg()
    times = {name: {"grade": [], "batch": [], "cpu": [], "child_cpu": []} for name in graders}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        single = _submission_of(args.baseline, tmp / "reference")
        subs = make_class(tmp, args.n)
        for run in range(args.runs):
            for name, python in graders.items():
                times[name]["grade"].append(_timed(_command(python, "grade", str(single), "--out",
                                                            str(tmp / f"one-{name}")), tmp, times[name]["cpu"]))
                times[name]["child_cpu"].append(_child_cpu(tmp / f"one-{name}"))
            if not args.skip_batch:
                for name, python in graders.items():
                    out = tmp / f"batch-{name}-{run}"
                    times[name]["batch"].append(_timed(_command(python, "batch", str(subs), "--out", str(out), "-j",
                                                                str(args.jobs), "--no-progress"), tmp))
            print(f"run {run + 1}: " + "; ".join(
                f"{name}: grade {t['grade'][-1]:.2f} s" + (f", batch {t['batch'][-1]:.1f} s" if t["batch"] else "")
                for name, t in times.items()), flush=True)
        same = None
        if not args.skip_batch:
            results = {name: _results(tmp / f"batch-{name}-0") for name in graders}
            same, added = _compare(results["baseline"], results["current"])
            same = same and len(results["current"]) == args.n
            full = _full_marks(tmp / "batch-current-0")
    load_after = os.getloadavg()
    median = lambda values: float(statistics.median(values))  # noqa: E731
    print(f"medians of {args.runs} run(s); baseline {args.baseline}; current {args.current}; load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after; {os.cpu_count()} CPUs")
    print(f"{'':<44}{'baseline':>12}{'current':>12}{'ratio':>8}  target")
    grade_b, grade_c = median(times["baseline"]["grade"]), median(times["current"]["grade"])
    print(f"{'autograder grade (reference, sandboxed), s':<44}{grade_b:>12.2f}{grade_c:>12.2f}"
          f"{grade_c / grade_b:>8.2f}  <= 2.0 s {'ok' if grade_c <= 2.0 else '**missed**'}")
    cpu_b, cpu_c = median(times["baseline"]["cpu"]), median(times["current"]["cpu"])
    print(f"{'  its CPU time (user + system, children), s':<44}{cpu_b:>12.2f}{cpu_c:>12.2f}{cpu_c / cpu_b:>8.2f}")
    child = {name: [c for c in t["child_cpu"] if c is not None] for name, t in times.items()}
    shown = {name: f"{median(c):.2f}" if c else "n/a" for name, c in child.items()}
    print(f"{'  + the sandboxed child CPU, s (results.json)':<44}{shown['baseline']:>12}{shown['current']:>12}")
    if not args.skip_batch:
        rate = {name: 60.0 * args.n / median(t["batch"]) for name, t in times.items()}
        print(f"{f'batch of {args.n}, -j {args.jobs}, submissions/min':<44}{rate['baseline']:>12.1f}"
              f"{rate['current']:>12.1f}{rate['current'] / rate['baseline']:>8.2f}  >= 60 "
              f"{'ok' if rate['current'] >= 60 else '**missed**'}")
        print(f"same results (every check's name, status and score) from both graders: {'yes' if same else 'NO'}"
              f"{f' on the checks both have ({added} only in the current one)' if added else ''}; "
              f"at full marks: {full} of {args.n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
