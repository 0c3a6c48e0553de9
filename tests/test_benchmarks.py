"""The benchmark commands run end to end and print every figure their issues ask for.

They run here with the fewest repeats, so that only their working (not their numbers) is tested;
the numbers in benchmarks/RESULTS.md and the README come from full runs.
"""
import math
import os
import re
import subprocess
import sys

import pytest

from conftest import QUICK_BUILD, ROOT

pytestmark = pytest.mark.slow


def _run(module, *args, timeout=600, env=None):
    result = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout, env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_fast_layers_benchmark_prints_times_ratios_gflops_and_memory():
    out = _run("benchmarks.fast_layers", "--shapes", "A", "--dtypes", "float32", "--repeats", "1",
               "--rounds", "1", "--naive-repeats", "1")
    assert "Cython extension built" in out
    rows = re.findall(r"^\| A \| float32 \| (conv|pool) (forward|backward) \| (.+?) \| (.+?) \| (\S+) \| "
                      r"<= (\S+) (\S+) \| (\d+)x \|$", out, re.M)
    assert len(rows) == 4, out
    torch_installed = "torch is not installed" not in out
    for kind, direction, fast, torch_time, ratio, target, verdict, vs_naive in rows:
        assert re.fullmatch(r"[\d.]+ m?s", fast), fast
        if torch_installed:
            assert math.isfinite(float(ratio)) and verdict in ("ok", "**missed**")
        else:
            assert torch_time == "-" and ratio == "nan" and verdict == "-"
        assert int(vs_naive) >= 1  # the fast layers are faster than the naive ones
    gemm = re.search(r"numpy GEMM \(25 x 27\) @ \(27 x 25600\) in the same run: .* = ([\d.]+) GFLOP/s", out)
    assert gemm and float(gemm.group(1)) > 0, out
    memory = re.search(r"peak extra memory \(tracemalloc\): [\d.]+ MiB = ([\d.]+)x", out)
    assert memory and float(memory.group(1)) > 0, out  # the target (shape B) is tested in test_fast_layers


def test_batch_benchmark_prints_throughput_and_both_ratios():
    out = _run("benchmarks.batch", "--n", "2", "--select", "relu_forward*")
    assert re.search(r"class: 2 submissions \(2 graded\)", out), out
    for mode in ("unsandboxed, one process", "batch -j 1 (sandboxed)", "batch -j 2 (sandboxed)"):
        assert re.search(re.escape(mode) + r"\s+[\d.]+\s+[\d.]+$", out, re.M), out
    assert re.search(r"sandbox cost \(-j 1 vs unsandboxed\): [+-][\d.]+%", out), out
    assert re.search(r"speed-up of -j 2 over -j 1: [\d.]+x", out), out


def test_hostile_benchmark_times_a_batch_of_looping_submissions():
    import ast
    from pathlib import Path

    out = _run("benchmarks.hostile", "--runs", "1", "--check-seconds", "1",
               str(Path(sys.executable).parent / "autograder"))
    assert re.search(r"^run 1: .*autograder: [\d.]+ s$", out, re.M), out
    assert re.search(r"6 submissions, checks relu_\*, affine_\*, 1 s per check, -j 2; load average", out), out
    scores = re.search(r"median ([\d.]+) s of .*; scores (\{.*\})$", out, re.M)
    assert scores, out
    scores = ast.literal_eval(scores.group(2))
    assert set(scores) == {"correct", "loop_relu_forward", "sleep_relu_forward", "loop_relu_backward",
                           "loop_affine_forward", "loop_affine_backward"}
    assert all(score < scores["correct"] for name, score in scores.items() if name != "correct")


def test_grading_benchmark_compares_with_the_baseline_in_one_run():
    """Builds (once, cached) a baseline grader from a commit and times both on one submission and a class of two.

    The baseline here is this checkout's own commit, built as the benchmark builds any (``git archive``, a virtual
    environment, ``pip install``) with the kernels compiled at -O0 (conftest.QUICK_BUILD): what is tested is the
    benchmark's working, not the speed of an old grader, which its full runs measure (benchmarks/RESULTS.md). The
    default baseline's setup.py compiles at -O3 whatever CFLAGS say: about 25 s more on a fresh machine."""
    out = _run("benchmarks.grading", "--runs", "1", "--n", "2", "--current", "installed", "--baseline", "HEAD",
               timeout=1200, env=QUICK_BUILD)
    assert re.search(r"autograder grade \(reference, sandboxed\), s\s+[\d.]+\s+[\d.]+\s+[\d.]+  <= 2.0 s", out), out
    assert re.search(r"batch of 2, -j 2, submissions/min\s+[\d.]+\s+[\d.]+\s+[\d.]+  >= 60", out), out
    assert "same results (every check's name, status and score) from both graders: yes" in out, out
    assert "at full marks: 2 of 2" in out, out


def test_public_corpus_compares_two_runs_and_reads_a_snapshot_with_a_work_tree(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.public_corpus import compare_table, mirror_of

    row = {"repo": "a/b", "folder": "assignment2", "family": "cs231n", "year": "2019", "max_score": 100.0}
    before = [dict(row, score=80.0, unassigned_lost=10.0)]
    after = [dict(row, score=95.0, unassigned_lost=0.0),
             dict(row, repo="c/d", folder=".", score=50.0, unassigned_lost=0.0)]
    table = compare_table(before, after)
    assert "| a/b assignment2 | cs231n 2019 | 80.0 / 100.0, 10.0 (10.0 %) | 95.0 / 100.0, 0.0 (0.0 %) |" in table
    assert "| c/d | cs231n 2019 | not graded |" in table
    assert "before: 1 submissions, 1 charged for unassigned work, 10.0 points (10.0 % of the maximum)" in table
    assert "after: 2 submissions, 0 charged for unassigned work, 0.0 points" in table
    (tmp_path / "a+b" / "repo").mkdir(parents=True)
    assert mirror_of("a/b", tmp_path) == tmp_path / "a+b" / "repo"
    (tmp_path / "a+b" / "repo" / ".git").mkdir()
    assert mirror_of("a/b", tmp_path) == tmp_path / "a+b" / "repo" / ".git"
