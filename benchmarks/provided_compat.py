"""Run a course family's own provided fast layers and the grader's trusted copies on the same inputs; report
where they differ.

The trusted copies (``provided/fast_layers.py``) replace whatever a submission holds, so they must accept at least
every input form the course's own ``fast_layers.py`` accepts, and compute the same. Given fetched mirrors of the
families' public starters (bare git directories, e.g. from the search tool's ``fetch``), this script exports each
family's ``fast_layers.py``, ``im2col.py`` and ``im2col_cython.pyx`` into a scratch folder (nothing is kept, nothing
enters the repository), builds its Cython kernels, and runs both on every input form of :data:`CONV_FORMS` and
:data:`POOL_FORMS` in a separate process per family (their packages are all called ``cs231n``, ``utils``...).

    python benchmarks/provided_compat.py [--mirrors /work/.mirror] [FAMILY ...]

Each line: the family, the form, what the course's code did (``ok`` or the exception) and what the trusted copy
did, each with its error against a plain float64 loop implementation (:class:`Reference`: the largest difference of
out / dx / dw / db relative to the largest value). ``PROBLEM`` marks a form the course accepts that the trusted
copy rejects or computes worse (the exit status is 1 if there is one). The accepted forms it
finds are the data of ``tests/test_provided_families.py``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FAMILIES = {
    # family: (repository, commit, folder of the provided files, package name its imports use)
    "cs231n-2016": ("flashcp/winter1516_assignment", "820480461514a5a74f31be2efc5e5fb2ee436516",
                    "assignment2/cs231n", "cs231n"),
    "cs231n-2017": ("153079019shariq/cs231_spring2017", "4f7670f916345c47b82dd0fc3f26fb37631c57c0",
                    "assignment2/cs231n", "cs231n"),
    "cs231n-2020": ("6217Steve99/CS231n-2020", "dad21c78328d366ffba9395cb45b9a4cdb76c78a",
                    "assignment2/cs231n", "cs231n"),
    "cs231n-2021+": ("0suh/cs231n_2021", "9b19719dee0b4e039974a2b68af43c111efad67e", "assignment2/cs231n", "cs231n"),
    "cs231n-2025 (CS280 fork)": ("daxuanzi515/cs231n-2025", "117d0d49baf67edc5341cb50bb1dea6a4474b38e",
                                 "CS280-Spring25-Assignment2/Homework2_PartB/cs231n", "cs231n"),
    "nndl": ("PVK-01/CNN_based_NN_from_scratch", "e496902bb7e9a04b9a6fdda83e89137e90da2da5", "utils", "utils"),
    "cs182": ("cs182sp22/cs182_hw1_student", "532214bea27322b1201656ded21fe73de15f34c6", "deeplearning",
              "deeplearning"),
}
FILES = ("fast_layers.py", "im2col.py", "im2col_cython.pyx")
ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- the input forms
def _conv_base(np, rng, size=8):
    x = rng.standard_normal((2, 3, size, size))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    return {"x": x, "w": w, "b": b, "conv_param": {"stride": 1, "pad": 1}}


def conv_forms(np):
    """Form name -> conv inputs (x, w, b, conv_param and a dout maker)."""
    rng = np.random.default_rng(0)
    base = _conv_base(np, rng)
    forms = {"b (F,)": base}
    for shape in ((1, 4), (4, 1), (1, 4, 1, 1)):
        forms[f"b {shape}"] = {**base, "b": base["b"].reshape(shape)}
    forms["b list"] = {**base, "b": list(base["b"])}
    forms["pad 1.0 (float)"] = {**base, "conv_param": {"stride": 1, "pad": 1.0}}
    odd = _conv_base(np, np.random.default_rng(1), size=9)
    forms["stride 2"] = {**odd, "conv_param": {"stride": 2, "pad": 1}}
    forms["stride 2.0 (float)"] = {**odd, "conv_param": {"stride": 2.0, "pad": 1}}
    forms["pad, stride np.int64"] = {**base, "conv_param": {"stride": np.int64(1), "pad": np.int64(1)}}
    forms["float32"] = {k: (v.astype(np.float32) if hasattr(v, "astype") else v) for k, v in base.items()}
    forms["x float32, w float64"] = {**base, "x": base["x"].astype(np.float32)}
    forms["x int64"] = {**base, "x": np.round(base["x"] * 10).astype(np.int64)}
    forms["x non-contiguous"] = {**base, "x": np.asfortranarray(base["x"])}
    forms["x strided view"] = {**base, "x": np.repeat(base["x"], 2, axis=3)[..., ::2]}
    forms["w non-contiguous"] = {**base, "w": base["w"].transpose(0, 1, 3, 2).copy().transpose(0, 1, 3, 2)}
    forms["dout non-contiguous"] = {**base, "dout_fortran": True}
    return forms


def pool_forms(np):
    """Form name -> pool inputs (x, pool_param)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 8, 8))
    base = {"x": x, "pool_param": {"pool_height": 2, "pool_width": 2, "stride": 2}}
    return {
        "2x2 stride 2": base,
        "float32": {**base, "x": x.astype(np.float32)},
        "x non-contiguous": {**base, "x": np.asfortranarray(x)},
        "3x3 stride 1 (overlapping)": {"x": x[:, :, :7, :7], "pool_param": {"pool_height": 3, "pool_width": 3,
                                                                              "stride": 1}},
        "pool params float": {**base, "pool_param": {"pool_height": 2.0, "pool_width": 2.0, "stride": 2.0}},
        "pool params np.int64": {**base, "pool_param": {k: np.int64(v) for k, v in base["pool_param"].items()}},
    }


# ----------------------------------------------------------------------------- running one implementation
def _outcome(fn):
    try:
        return "ok", fn()
    except Exception as exc:  # noqa: BLE001 - the course's code may raise anything
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:90] if str(exc).strip() else ''}", None


def run_conv(np, module, form):
    def go():
        out, cache = module.conv_forward_fast(form["x"], form["w"], form["b"], dict(form["conv_param"]))
        dout = np.random.default_rng(3).standard_normal(np.shape(out))
        if form.get("dout_fortran"):
            dout = np.asfortranarray(dout)
        dx, dw, db = module.conv_backward_fast(dout, cache)
        return [np.asarray(a, dtype=np.float64) for a in (out, dx, dw, db)]
    return _outcome(go)


def run_pool(np, module, form):
    def go():
        out, cache = module.max_pool_forward_fast(form["x"], dict(form["pool_param"]))
        dx = module.max_pool_backward_fast(np.random.default_rng(4).standard_normal(np.shape(out)), cache)
        return [np.asarray(a, dtype=np.float64) for a in (out, dx)]
    return _outcome(go)


class Reference:
    """A plain float64 convolution and max pooling (loops over output positions), to tell who is right when the
    course's code and the trusted copy differ. Same call forms as the fast layers; caches are the inputs."""

    def __init__(self, np):
        self.np = np

    def conv_forward_fast(self, x, w, b, conv_param):
        np = self.np
        x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64).reshape(len(w))
        s, p = int(conv_param["stride"]), int(conv_param["pad"])
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        F, _, HH, WW = w.shape
        out = np.zeros((len(x), F, (xp.shape[2] - HH) // s + 1, (xp.shape[3] - WW) // s + 1))
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                out[:, :, i, j] = np.tensordot(xp[:, :, i * s:i * s + HH, j * s:j * s + WW], w,
                                                 ([1, 2, 3], [1, 2, 3])) + b
        return out, (xp, w, s, p)

    def conv_backward_fast(self, dout, cache):
        np = self.np
        xp, w, s, p = cache
        F, _, HH, WW = w.shape
        dxp, dw = np.zeros_like(xp), np.zeros_like(w)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                window = (slice(None), slice(None), slice(i * s, i * s + HH), slice(j * s, j * s + WW))
                dw += np.tensordot(dout[:, :, i, j], xp[window], (0, 0))
                dxp[window] += np.tensordot(dout[:, :, i, j], w, (1, 0))
        return dxp[:, :, p:xp.shape[2] - p, p:xp.shape[3] - p], dw, dout.sum(axis=(0, 2, 3))

    def max_pool_forward_fast(self, x, pool_param):
        np = self.np
        x = np.asarray(x, dtype=np.float64)
        ph, pw, s = (int(pool_param[k]) for k in ("pool_height", "pool_width", "stride"))
        out = np.zeros(x.shape[:2] + ((x.shape[2] - ph) // s + 1, (x.shape[3] - pw) // s + 1))
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
        return out, (x, ph, pw, s)

    def max_pool_backward_fast(self, dout, cache):
        np = self.np
        x, ph, pw, s = cache
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                window = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(x.shape[0], x.shape[1], -1)
                first = window.argmax(axis=2)  # the first maximum takes the gradient
                n, c = np.indices(first.shape)
                dx[n, c, i * s + first // pw, j * s + first % pw] += dout[:, :, i, j]
        return dx


def _error(np, got, expected):
    """Largest |got - expected| relative to the largest |expected|, over all outputs; a string if shapes differ."""
    if [np.shape(a) for a in got] != [np.shape(a) for a in expected]:
        return "shapes " + str([np.shape(a) for a in got])
    return max(float(np.max(np.abs(a - b)) / max(1e-12, float(np.max(np.abs(b))))) if np.size(b) else 0.0
               for a, b in zip(got, expected))


def compare(course, trusted):
    """Rows (kind, form, course's outcome, trusted outcome, course's error, trusted error) for every form; the
    errors are against :class:`Reference` (float64), '' where that implementation did not run."""
    import numpy as np

    reference = Reference(np)
    rows = []
    for kind, forms, run in (("conv", conv_forms(np), run_conv), ("pool", pool_forms(np), run_pool)):
        for name, form in forms.items():
            theirs, ours = run(np, course, form), run(np, trusted, form)
            truth = run(np, reference, {**form, "b": np.ravel(form.get("b", 0))} if kind == "conv" else form)[1]
            errors = [_error(np, outcome[1], truth) if outcome[0] == "ok" and truth is not None else ""
                      for outcome in (theirs, ours)]
            rows.append((kind, name, theirs[0], ours[0], *errors))
    return rows


def problem(course_outcome, trusted_outcome, course_error, trusted_error):
    """A form the course accepts that the trusted copy rejects, or computes worse (float32 rounding allowed)."""
    if course_outcome != "ok":
        return False
    if trusted_outcome != "ok" or isinstance(trusted_error, str):
        return True
    return trusted_error > max(1e-5, 10 * (course_error if isinstance(course_error, float) else 0.0))


# ----------------------------------------------------------------------------- staging
def _build(folder):
    """Compile the course's im2col_cython.pyx in place (once per distinct source: kept in a cache folder under the
    system's temporary folder); '' or why it could not."""
    import hashlib

    source = (folder / "im2col_cython.pyx").read_bytes()
    cache = Path(tempfile.gettempdir()) / "provided_compat_builds" / hashlib.sha1(source).hexdigest()
    built = sorted(cache.glob("im2col_cython*.so"))
    if built:
        shutil.copy(built[0], folder / built[0].name)
        return ""
    code = ("import numpy, sys\nfrom setuptools import setup, Extension\nfrom Cython.Build import cythonize\n"
            "setup(ext_modules=cythonize([Extension('im2col_cython', ['im2col_cython.pyx'], "
            "include_dirs=[numpy.get_include()])], language_level=2, quiet=True), "
            "script_args=['build_ext', '--inplace', '-q'])\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or ["failed"])[-1][:200]
    cache.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("im2col_cython*.so"):
        shutil.copy(path, cache / path.name)
    return ""


def stage_course(mirror, commit, folder, package, scratch):
    """Export the family's provided files as the package ``package`` under ``scratch``; returns the build note."""
    target = scratch / package
    target.mkdir(parents=True)
    (target / "__init__.py").write_text("")
    for name in FILES:
        shown = subprocess.run(["git", "-C", str(mirror), "show", f"{commit}:{folder}/{name}"],
                               capture_output=True)
        if shown.returncode == 0:
            (target / name).write_bytes(shown.stdout)
    return _build(target) if (target / "im2col_cython.pyx").exists() else "no im2col_cython.pyx"


def stage_trusted(scratch):
    """The grader's trusted provided files as the package ``trusted_provided`` under ``scratch``."""
    target = scratch / "trusted_provided"
    target.mkdir(parents=True)
    (target / "__init__.py").write_text("")
    for path in (ROOT / "provided").iterdir():
        if path.suffix in (".py", ".so") and path.name != "__init__.py":
            shutil.copy(path, target / path.name)


def one_family(family, mirrors):
    """Run in a child process: stage, import both, compare; prints one JSON document."""
    repo, commit, folder, package = FAMILIES[family]
    mirror = Path(mirrors) / repo.replace("/", "+") / "repo"
    if not mirror.exists():
        print(json.dumps({"family": family, "error": f"no mirror at {mirror} (fetch github:{repo})"}))
        return
    scratch = Path(tempfile.mkdtemp(prefix="provided_compat_"))
    try:
        build = stage_course(mirror, commit, folder, package, scratch)
        stage_trusted(scratch)
        sys.path.insert(0, str(scratch))
        with open(os.devnull, "w") as quiet:  # the course's import prints when its Cython is missing
            saved, sys.stdout = sys.stdout, quiet
            try:
                course = importlib.import_module(f"{package}.fast_layers")
            finally:
                sys.stdout = saved
        trusted = importlib.import_module("trusted_provided.fast_layers")
        print(json.dumps({"family": family, "source": f"{repo}@{commit}:{folder}", "build": build,
                          "rows": compare(course, trusted)}))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*", help=f"default: all of {', '.join(FAMILIES)}")
    parser.add_argument("--mirrors", default="/work/.mirror", help="folder of the fetched mirrors (owner+name/repo)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        one_family(args.one, args.mirrors)
        return 0
    problems = 0
    for family in args.families or FAMILIES:
        done = subprocess.run([sys.executable, __file__, "--one", family, "--mirrors", args.mirrors],
                              capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if not lines:
            print(f"{family}: failed: {(done.stderr.strip().splitlines() or ['no output'])[-1]}")
            problems += 1
            continue
        data = json.loads(lines[-1])
        if "error" in data:
            print(f"{family}: {data['error']}")
            continue
        print(f"== {family}  ({data['source']}; Cython: {data['build'] or 'built'})")
        for kind, form, theirs, ours, course_error, trusted_error in data["rows"]:
            bad = problem(theirs, ours, course_error, trusted_error)
            problems += bad
            shown = [f"{e:.1e}" if isinstance(e, float) else "-" for e in (course_error, trusted_error)]
            print(f"  {'PROBLEM ' if bad else ''}{kind} {form:27s} course: {theirs[:58]:58s} {shown[0]:>8s}   "
                  f"trusted: {ours[:40]:40s} {shown[1]:>8s}")
    print(f"{problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
