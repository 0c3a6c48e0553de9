"""Benchmark cs231n/fast_layers.py against the naive layers, its numpy fallback and PyTorch (CPU).

    python -m benchmarks.fast_layers             # one run
    python -m benchmarks.fast_layers --runs 3    # three runs; every cell is the median over runs

The numbers in benchmarks/RESULTS.md come from

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.fast_layers --runs 3

Everything is timed in one process so that all implementations see the same machine: a time
is the median of --rounds rounds of --repeats calls, the implementations taking turns round by
round (so that a burst of load from elsewhere tends to hit them all), every turn after at least
0.3 s and two calls of warm-up (which also outlast the threads left spinning by the turn
before: OpenBLAS's spin for about 0.1 s after a call). Two shapes: (A) the notebooks' cells,
conv x (100, 3, 31, 31), w (25, 3, 3, 3), stride 2, pad 1 and 2x2 max pool, stride 2, on
(100, 3, 32, 32); (B) a VGG-like layer, conv x (64, 64, 32, 32), w (64, 64, 3, 3), stride 1,
pad 1 and the same pool on (64, 64, 32, 32); each in float64 and float32. PyTorch runs
torch.nn.functional.conv2d / max_pool2d on inputs with requires_grad=True (so its forward
keeps what its backward needs, as our caches do) and its backward is
torch.autograd.grad(out, inputs, dout); install it with `pip install .[torch]`.
Achieved GFLOP/s are compared with a numpy GEMM of the convolution's size (F x C*HH*WW times
C*HH*WW x N*H'*W') timed in the same run. The naive layers are slow on shape B: they are
timed on its first images only, with fewer repeats, and scaled to the whole batch.
"""
import argparse
import contextlib
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
from cs231n import fast_layers  # noqa: E402
from cs231n.layers import (conv_backward_naive, conv_forward_naive,  # noqa: E402
                           max_pool_backward_naive, max_pool_forward_naive)

try:
    import torch
    import torch.nn.functional as torch_F
except ImportError:
    torch = None

SHAPES = {
    "A": {"x": (100, 3, 31, 31), "w": (25, 3, 3, 3), "conv_param": {"stride": 2, "pad": 1},
          "pool_x": (100, 3, 32, 32), "naive_images": 100},
    "B": {"x": (64, 64, 32, 32), "w": (64, 64, 3, 3), "conv_param": {"stride": 1, "pad": 1},
          "pool_x": (64, 64, 32, 32), "naive_images": 8},
}
POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}
DTYPES = {"float64": np.float64, "float32": np.float32}
OPS = ("conv forward", "conv backward", "pool forward", "pool backward")
IMPLS = ("naive", "fast", "numpy", "torch")
WARMUP_SECONDS = 0.3
# fast / torch ratio each op should stay within, by dtype
TARGETS = {("float64", "conv"): 1.0, ("float32", "conv"): 2.0,
           ("float64", "pool"): 1.5, ("float32", "pool"): 1.5}


def timed_calls(fn, repeats, warmup=2):
    """Wall-clock seconds of repeats calls of fn(), after warming up: at least `warmup` calls
    and at least WARMUP_SECONDS of calls, long enough for the threads left spinning by the
    implementation measured before (OpenBLAS's spin for about 0.1 s after a call) to have gone
    to sleep, and for fn's own threads and caches to be warm."""
    start = time.perf_counter()
    calls = 0
    while calls < warmup or time.perf_counter() - start < WARMUP_SECONDS:
        fn()
        calls += 1
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def median_times(fns, repeats, rounds):
    """{name: median seconds of fn()} over `rounds` rounds, in each of which every fn in turn
    is warmed up and timed `repeats` times: a burst of load from elsewhere on the machine
    then tends to hit all implementations rather than one."""
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            times[name] += timed_calls(fn, repeats)
    return {name: float(np.median(t)) for name, t in times.items()}


@contextlib.contextmanager
def numpy_fallback():
    """Run fast_layers as if the Cython extension were not built."""
    saved, fast_layers.HAS_CYTHON = fast_layers.HAS_CYTHON, False
    try:
        yield
    finally:
        fast_layers.HAS_CYTHON = saved


def layer_calls(forward, backward, inputs, dout, fallback=False):
    """(forward call, backward call) of a numpy layer pair, optionally on the numpy fallback."""
    def in_mode(fn):
        def call():
            with numpy_fallback() if fallback else contextlib.nullcontext():
                return fn()
        return call

    _, cache = in_mode(lambda: forward(*inputs))()
    return in_mode(lambda: forward(*inputs)), in_mode(lambda: backward(dout, cache))


def torch_calls(op, arrays, params, dout):
    """(forward call, backward call) of torch op(*tensors, **params); backward by autograd."""
    tensors = [torch.from_numpy(a).requires_grad_() for a in arrays]
    out = op(*tensors, **params)
    grad = torch.from_numpy(dout)
    return (lambda: op(*tensors, **params),
            lambda: torch.autograd.grad(out, tensors, grad, retain_graph=True))


def time_naive(forward, backward, x, others, params, dout, images, repeats):
    """Naive layer times on the first `images` images, scaled to the whole batch."""
    calls = layer_calls(forward, backward, (x[:images], *others, params), dout[:images])
    return [float(np.median(timed_calls(call, repeats, warmup=1))) * len(x) / images
            for call in calls]


def peak_extra_memory(fn):
    """Peak bytes allocated (numpy reports to tracemalloc) while fn() runs, output included."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def measure(shape, dtype, repeats, rounds, naive_repeats):
    """Times of every implementation of every op on one shape and dtype, plus GEMM and memory."""
    spec = SHAPES[shape]
    rng = np.random.default_rng(231)
    x, w = (rng.standard_normal(spec[k]).astype(dtype) for k in ("x", "w"))
    b = rng.standard_normal(spec["w"][0]).astype(dtype)
    conv_param = spec["conv_param"]
    conv_out, _ = fast_layers.conv_forward_fast(x, w, b, conv_param)
    conv_dout = rng.standard_normal(conv_out.shape).astype(dtype)
    pool_x = rng.standard_normal(spec["pool_x"]).astype(dtype)
    pool_out, _ = fast_layers.max_pool_forward_fast(pool_x, POOL_PARAM)
    pool_dout = rng.standard_normal(pool_out.shape).astype(dtype)

    conv = (fast_layers.conv_forward_fast, fast_layers.conv_backward_fast,
            (x, w, b, conv_param), conv_dout)
    pool = (fast_layers.max_pool_forward_fast, fast_layers.max_pool_backward_fast,
            (pool_x, POOL_PARAM), pool_dout)
    times = {}
    for kind, (forward, backward, inputs, dout) in (("conv", conv), ("pool", pool)):
        calls = {"fast": layer_calls(forward, backward, inputs, dout),
                 "numpy": layer_calls(forward, backward, inputs, dout, fallback=True)}
        if torch is not None and kind == "conv":
            calls["torch"] = torch_calls(torch_F.conv2d, (x, w, b), {
                "stride": conv_param["stride"], "padding": conv_param["pad"]}, conv_dout)
        elif torch is not None:
            calls["torch"] = torch_calls(torch_F.max_pool2d, (pool_x,), {
                "kernel_size": 2, "stride": 2}, pool_dout)
        if kind == "conv":
            naive = time_naive(conv_forward_naive, conv_backward_naive, x, (w, b), conv_param,
                               conv_dout, spec["naive_images"], naive_repeats)
        else:
            naive = time_naive(max_pool_forward_naive, max_pool_backward_naive, pool_x, (),
                               POOL_PARAM, pool_dout, spec["naive_images"], naive_repeats)
        for i, direction in enumerate(("forward", "backward")):
            op = f"{kind} {direction}"
            measured = median_times({impl: c[i] for impl, c in calls.items()}, repeats, rounds)
            times.update({(op, impl): measured.get(impl, float("nan")) for impl in IMPLS})
            times[(op, "naive")] = naive[i]

    F, C, HH, WW = w.shape
    K, columns = C * HH * WW, conv_out.size // F
    A = rng.standard_normal((F, K)).astype(dtype)
    B = rng.standard_normal((K, columns)).astype(dtype)
    times[("gemm", "numpy")] = median_times({"gemm": lambda: A @ B}, repeats, 1)["gemm"]
    del A, B
    memory = peak_extra_memory(lambda: fast_layers.conv_forward_fast(x, w, b, conv_param))
    return {"times": times, "flops": 2 * F * K * columns, "memory": memory,
            "im2col_bytes": K * columns * x.itemsize}


def fmt_time(seconds):
    """'1.23 ms', '2.5 s' or '-' for a time that was not measured."""
    if np.isnan(seconds):
        return "-"
    return f"{seconds:.3g} s" if seconds >= 1 else f"{seconds * 1e3:.3g} ms"


def report(shape, dtype_name, runs):
    """Print one shape and dtype; every cell (time or ratio) is the median over the runs.
    Returns the rows of the summary: (op, fast time, torch time, fast/torch, naive/fast)."""
    spec = SHAPES[shape]

    def cell(key):
        return float(np.median([r["times"][key] for r in runs]))

    def ratio(op, num, den):
        return float(np.median([r["times"][(op, num)] / r["times"][(op, den)] for r in runs]))

    p = spec["conv_param"]
    print(f"\n== shape {shape}, {dtype_name}: conv x {spec['x']} * w {spec['w']}, stride {p['stride']}, "
          f"pad {p['pad']}; max pool 2x2, stride 2, on x {spec['pool_x']}")
    if spec["naive_images"] < spec["x"][0]:
        print(f"   naive: timed on the first {spec['naive_images']} of {spec['x'][0]} images, "
              f"times {spec['x'][0] // spec['naive_images']} (conv and pool alike)")
    flops, gemm = runs[0]["flops"], cell(("gemm", "numpy"))
    print(f"   {'':14}{'naive':>10}{'fast':>10}{'numpy':>10}{'torch':>10}{'fast/torch':>12}"
          f"{'naive/fast':>12}   GFLOP/s fast, torch (GEMM {flops / gemm / 1e9:.0f})")
    rows = []
    for op in OPS:
        t = {impl: cell((op, impl)) for impl in IMPLS}
        vs_torch, vs_naive = ratio(op, "fast", "torch"), ratio(op, "naive", "fast")
        line = f"   {op:14}" + "".join(f"{fmt_time(t[i]):>10}" for i in IMPLS)
        line += f"{vs_torch:12.2f}{vs_naive:11.0f}x"
        if op.startswith("conv"):
            op_flops = flops * (2 if op.endswith("backward") else 1)  # backward: dx and dw
            line += f"   {op_flops / t['fast'] / 1e9:7.1f}, {op_flops / t['torch'] / 1e9:.1f}"
        print(line)
        rows.append((op, t["fast"], t["torch"], vs_torch, vs_naive))
    F, C, HH, WW = spec["w"]
    K = C * HH * WW
    print(f"   numpy GEMM ({F} x {K}) @ ({K} x {flops // (2 * F * K)}) in the same run: "
          f"{fmt_time(gemm)} = {flops / gemm / 1e9:.1f} GFLOP/s")
    memory = float(np.median([r["memory"] for r in runs]))
    im2col = runs[0]["im2col_bytes"]
    print(f"   conv_forward_fast peak extra memory (tracemalloc): {memory / 2**20:.1f} MiB = "
          f"{memory / im2col:.2f}x the whole im2col matrix ({im2col / 2**20:.1f} MiB)")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1,
                        help="whole-benchmark runs; every cell is the median over them (default 1)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed calls per implementation and round (default 5)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds in which fast, numpy and torch take turns (default 3)")
    parser.add_argument("--naive-repeats", type=int, default=3, help="timed calls of the naive layers")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--dtypes", nargs="+", default=list(DTYPES), choices=list(DTYPES))
    args = parser.parse_args(argv)

    env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"Cython extension {'built' if fast_layers.HAS_CYTHON else 'MISSING'}, "
          f"{env or 'no OPENBLAS_* / OMP_* / MKL_* variables set'}")
    if torch is None:
        print("torch is not installed: its column is skipped (pip install .[torch] installs it)")
    else:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{args.runs} run(s); a time is the median of {args.rounds} rounds x {args.repeats} calls "
          f"({args.naive_repeats} calls for naive), fast, numpy and torch taking turns, each turn "
          f"after at least {WARMUP_SECONDS} s and 2 calls of warm-up. fast: conv_*_fast / "
          f"max_pool_*_fast; numpy: the same functions on the pure-numpy fallback; torch: "
          f"torch.nn.functional on the CPU, backward by autograd")

    cases = [(s, d) for s in args.shapes for d in args.dtypes]
    runs = {case: [] for case in cases}
    for _ in range(args.runs):
        for shape, dtype_name in cases:
            runs[(shape, dtype_name)].append(
                measure(shape, DTYPES[dtype_name], args.repeats, args.rounds, args.naive_repeats))
    summary = [(shape, dtype_name, *row) for shape, dtype_name in cases
               for row in report(shape, dtype_name, runs[(shape, dtype_name)])]

    print("\n| shape | dtype | op | fast | torch | fast/torch | target | naive/fast |")
    print("|---|---|---|---:|---:|---:|---|---:|")
    for shape, dtype_name, op, t_fast, t_torch, vs_torch, vs_naive in summary:
        target = TARGETS[(dtype_name, op.split()[0])]
        verdict = "-" if np.isnan(vs_torch) else ("ok" if vs_torch <= target else "**missed**")
        print(f"| {shape} | {dtype_name} | {op} | {fmt_time(t_fast)} | {fmt_time(t_torch)} | "
              f"{vs_torch:.2f} | <= {target} {verdict} | {vs_naive:.0f}x |")


if __name__ == "__main__":
    main()
