"""Fixtures: the reference's outputs on every case's inputs, written reproducibly bit for bit.

``public.npz`` holds what the public cases need (the notebooks' checks: shipped to students with the
template), ``hidden.npz`` what the hidden cases need (never shipped). ``manifest.json`` records the seeds,
the numpy version and the SHA-256 of each file. The archives are written with fixed timestamps and sorted
members, so the same reference, seed and numpy produce identical bytes.
"""
from __future__ import annotations

import copy
import hashlib
import io
import json
import math
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import atomic, paths
from . import all_cases, wanted_names
from .judges import lookup
from ..sandbox.inprocess import run_in_process
from ..profiles import PREFERRED
from ..sandbox.submission import Layout, stage
from .fixture_names import DEFAULT_HIDDEN_SEED, FixtureError  # noqa: F401 - re-exported: the names callers use

FORMAT = 1
FILES = {"public": "public.npz", "hidden": "hidden.npz"}


def case_seed(case, hidden_seed):
    """Public cases use their catalog seed; hidden ones a seed derived from the course's secret seed."""
    if case.visibility == "public":
        return case.seed
    return (zlib.crc32(f"{hidden_seed}:{case.id}".encode()) + case.seed) % (2**31)


_INPUTS = {}


def cached_inputs(case, hidden_seed):
    """A case's inputs as made once per process (a batch worker grades many submissions on the same inputs): shared,
    their arrays read-only (the grader only sends and reads them; a probe run in this process gets a copy), so a
    grading copies none of them; :func:`make_inputs` returns a writable copy."""
    key = (case.id, case.make_inputs, hidden_seed)
    if key not in _INPUTS:
        _INPUTS[key] = _read_only(case.make_inputs(np.random.RandomState(case_seed(case, hidden_seed))))
    return _INPUTS[key]


def _read_only(value, depth=0):
    """``value`` with every array in it (in lists, tuples and dicts) made read-only."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif isinstance(value, (list, tuple)) and depth < 20:
        for item in value:
            _read_only(item, depth + 1)
    elif isinstance(value, dict) and depth < 20:
        for item in value.values():
            _read_only(item, depth + 1)
    return value


def make_inputs(case, hidden_seed):
    """The probe's inputs for a case: a pure function of the case and the seed (a fresh copy of
    :func:`cached_inputs`)."""
    return copy.deepcopy(cached_inputs(case, hidden_seed))


def expected_paths(case):
    return [p for test in case.tests for p in test.judge.expected_paths()]


def optional_paths(case):
    """Expected values a case can do without: those that let the grader skip a model's numerical gradients
    (:class:`~autograder.catalog.judges.SameAsReference`). They are answers of a kind (the reference's gradients), so
    they go in the hidden fixtures, also for public cases: students' checkers compute the numerics."""
    return list(dict.fromkeys(p for test in case.tests if hasattr(test.judge, "optional_paths")
                              for p in test.judge.optional_paths()))


def compute(hidden_seed=DEFAULT_HIDDEN_SEED):
    """Run every case on the reference; return ``{"public": {key: array}, "hidden": {...}}``."""
    cases = [c for c in all_cases() if expected_paths(c) or optional_paths(c)]  # only cases compared with the reference
    ref = paths.reference_dir()
    with tempfile.TemporaryDirectory(prefix="autograder-fixtures-") as scratch:
        stage_dir, packages = stage(Layout(ref.parent, (ref.name,)), Path(scratch))
        config = {"root": str(stage_dir), "packages": packages, "prefix": "_reference_fixture",
                  "wanted": wanted_names(cases), "preferred": PREFERRED}
        plan_inputs = {c.id: make_inputs(c, hidden_seed) for c in cases}
        plan = [(c.id, {"id": c.id, "probe": c.probe, "inputs": plan_inputs[c.id],
                        "seed": case_seed(c, hidden_seed)}, c.timeout) for c in cases]
        outcome = run_in_process(config, lambda manifest: plan)
    arrays = {"public": {}, "hidden": {}}
    for case in cases:
        reply = outcome.replies[case.id]
        if not reply.ok:
            raise FixtureError(f"the reference failed on {case.id}: {reply.type or ''} {reply.error}")
        kept = expected_paths(case)
        for path in kept:
            arrays[case.visibility][f"{case.id}:{path}"] = np.asarray(lookup(reply.outputs, path))
        for test in case.tests:
            if hasattr(test.judge, "reference_values"):
                for path, value in test.judge.reference_values(reply.outputs, plan_inputs[case.id]).items():
                    if path not in kept:  # already kept (public cases: in public.npz)
                        arrays["hidden"][f"{case.id}:{path}"] = np.asarray(value)
    return arrays


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            member = io.BytesIO()
            np.lib.format.write_array(member, np.array(arrays[key], order="C"), allow_pickle=False)
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def render(hidden_seed=DEFAULT_HIDDEN_SEED):
    """File name -> bytes of a complete fixture set."""
    arrays = compute(hidden_seed)
    files = {FILES[v]: _npz_bytes(arrays[v]) for v in FILES}
    manifest = {
        "format": FORMAT, "generator": "autograder fixtures build", "numpy": np.__version__,
        "hidden_seed": hidden_seed,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        "keys": {v: sorted(arrays[v]) for v in FILES},
    }
    files["manifest.json"] = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    return files


def build(out_dir=None, hidden_seed=DEFAULT_HIDDEN_SEED):
    """Write the fixtures (each file atomically); returns the folder."""
    out_dir = Path(out_dir) if out_dir else paths.fixtures_dir()
    for name, data in render(hidden_seed).items():
        atomic.write_bytes(out_dir / name, data)
    return out_dir


ROUNDING_RTOL = {"float64": 1e-12, "float32": 1e-6}
"""How far a regenerated value may move when the fixtures were built on another CPU or BLAS: a few units in the
last place of float64 (BLAS kernels and numpy's SIMD loops sum in a different order on each CPU). Every
expected value is compared by the grader at 1e-7 or looser, so this cannot change a verdict."""


@dataclass(frozen=True)
class CheckResult:
    """What regenerating the fixtures found."""

    problems: list
    """Real differences: missing files or keys, other shapes or dtypes, values beyond rounding."""
    bitwise: bool
    """Whether every file is byte for byte what the reference produces here."""
    max_rounding: float = 0.0
    """The largest relative difference accepted as rounding (0 when bitwise)."""


def check(fixture_dir=None):
    """Regenerate and compare; returns a list of differences (empty when equal). See :func:`check_result`."""
    return check_result(fixture_dir).problems


def check_result(fixture_dir=None) -> CheckResult:
    """Regenerate the fixtures and compare them with the stored ones.

    On the machine that built them the files must be identical byte for byte. Elsewhere a BLAS kernel or a
    SIMD loop may round differently in the last bits, so when the bytes differ every array is compared: the
    same keys, shapes and dtypes, and values within :data:`ROUNDING_RTOL` of the array's largest magnitude (or of 1, for arrays of
    rounding noise such as the gradient of a bias followed by batchnorm).
    """
    fixture_dir = Path(fixture_dir) if fixture_dir else paths.fixtures_dir()
    manifest = json.loads((fixture_dir / "manifest.json").read_text())
    fresh = render(manifest.get("hidden_seed", DEFAULT_HIDDEN_SEED))
    problems, bitwise, worst = [], True, 0.0
    if manifest.get("numpy") != np.__version__:
        problems.append(f"the fixtures were built with numpy {manifest.get('numpy')}, this is numpy {np.__version__}")
    fresh_manifest = json.loads(fresh["manifest.json"])
    for key in ("format", "hidden_seed", "keys"):
        if manifest.get(key) != fresh_manifest.get(key):
            problems.append(f"manifest.json's {key!r} differs from what the reference produces now")
    for name in FILES.values():
        path = fixture_dir / name
        if not path.exists():
            problems.append(f"{name} is missing")
            continue
        stored = path.read_bytes()
        if stored == fresh[name]:
            continue
        bitwise = False
        difference, rounding = _array_difference(stored, fresh[name])
        worst = max(worst, rounding)
        if difference:
            problems.append(f"{name} differs from what the reference produces now: {difference}")
    return CheckResult(problems, bitwise and not problems, worst)


def _array_difference(stored: bytes, fresh: bytes):
    """('', largest relative rounding) when two archives hold the same arrays up to rounding; else a reason."""
    with np.load(io.BytesIO(stored), allow_pickle=False) as a, np.load(io.BytesIO(fresh), allow_pickle=False) as b:
        if sorted(a.files) != sorted(b.files):
            return f"keys {sorted(set(a.files) ^ set(b.files))[:3]} are in only one of them", 0.0
        worst = 0.0
        for key in sorted(a.files):
            x, y = a[key], b[key]
            if x.shape != y.shape or x.dtype != y.dtype:
                return f"{key} is {y.dtype}{y.shape} now, stored {x.dtype}{x.shape}", worst
            if x.dtype.kind != "f":
                if not np.array_equal(x, y):
                    return f"{key} has other values", worst
                continue
            if not np.array_equal(np.isnan(x), np.isnan(y)):
                return f"{key} has NaN in other places", worst
            scale = float(np.nanmax(np.abs(x))) if x.size and not np.all(np.isnan(x)) else 0.0
            diff = float(np.nanmax(np.abs(x.astype(np.float64) - y))) if x.size and scale else 0.0
            relative = diff / max(scale, 1.0)  # a gradient that is zero up to noise has no scale of its own
            tol = ROUNDING_RTOL.get(x.dtype.name, 0.0)
            if relative > tol:
                return f"{key} moved by {diff:.3g} (more than rounding)", worst
            worst = max(worst, relative)
        return "", worst


@dataclass
class Store:
    """Loaded fixtures: expected arrays by key and the hidden seed."""

    arrays: dict
    hidden_seed: int
    has_hidden: bool

    def expected_for(self, case):
        """Expected values of one case as a nested dict addressable by the judges' paths."""
        tree = {}
        for path in expected_paths(case):
            key = f"{case.id}:{path}"
            if key not in self.arrays:
                raise FixtureError(f"the fixtures have no value for {key}; run `autograder fixtures build`")
            _insert(tree, path.split("."), self.arrays[key])
        for path in optional_paths(case):
            if f"{case.id}:{path}" in self.arrays:
                _insert(tree, path.split("."), self.arrays[f"{case.id}:{path}"])
        return tree

    def has_optional(self, case):
        """Whether the fixtures hold every optional expected value of ``case`` (see :func:`optional_paths`)."""
        paths = optional_paths(case)
        return bool(paths) and all(f"{case.id}:{path}" in self.arrays for path in paths)


_HEADER = re.compile(rb"\{'descr': '([<>|][a-z]\d+)', 'fortran_order': False, 'shape': \(((?:\d+, ?)*\d*)\), \}")
"""The header :func:`_npz_bytes` writes for every array (a plain dtype, C order), read without ``ast``."""


def _npz_arrays(data: bytes) -> dict:
    """Key -> array of an archive written by :func:`_npz_bytes`, as ``np.load`` reads it but about 3x faster (its
    hundreds of small arrays each cost ``np.load`` a header parsed by ``ast``); an array whose header is not the one
    :func:`_npz_bytes` writes is read by numpy itself."""
    arrays = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            raw = archive.read(info)
            key = info.filename[:-len(".npy")] if info.filename.endswith(".npy") else info.filename
            size = int.from_bytes(raw[8:10], "little") if raw[:8] == b"\x93NUMPY\x01\x00" else None
            match = _HEADER.fullmatch(raw[10:10 + size].rstrip(b" \n")) if size is not None else None
            if match is None:
                arrays[key] = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
                continue
            shape = tuple(int(n) for n in match.group(2).split(b",") if n.strip())
            dtype = np.dtype(match.group(1).decode())
            arrays[key] = np.frombuffer(raw, dtype, count=math.prod(shape), offset=10 + size).reshape(shape)
    return arrays


def _insert(tree, parts, value):
    for part in parts[:-1]:
        tree = tree.setdefault(part, {})
    tree[parts[-1]] = value


_LOADED = {}


def load(fixture_dir=None, include_hidden=True) -> Store:
    """Read the fixtures, verifying each file against the manifest's hash (once per process while the files stay
    as they are: a batch worker grades many submissions with them; the arrays are read-only)."""
    fixture_dir = Path(fixture_dir) if fixture_dir else paths.fixtures_dir()
    manifest_path = fixture_dir / "manifest.json"
    if not manifest_path.exists():
        raise FixtureError(f"no fixtures in {fixture_dir}; run `autograder fixtures build`")
    stamp = tuple((name, st.st_mtime_ns, st.st_size, st.st_ino) for name in ("manifest.json", *FILES.values())
                  if (path := fixture_dir / name).exists() for st in (path.stat(),))
    key = (str(fixture_dir.resolve()), include_hidden, stamp)
    store = _LOADED.get(key)
    if store is None:  # (two threads may both read them: the students' pytest grades in two at once)
        store = _read(fixture_dir, manifest_path, include_hidden)
        _LOADED.clear()
        _LOADED[key] = store
    return store


def _read(fixture_dir, manifest_path, include_hidden):
    manifest = json.loads(manifest_path.read_text())
    arrays, has_hidden = {}, False
    for visibility, name in FILES.items():
        path = fixture_dir / name
        if visibility == "hidden" and (not include_hidden or not path.exists()):
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != manifest["files"].get(name):
            raise FixtureError(f"{name} does not match the manifest's hash; rebuild with `autograder fixtures build`")
        arrays.update(_npz_arrays(data))
        has_hidden = has_hidden or visibility == "hidden"
    for array in arrays.values():
        array.setflags(write=False)
    return Store(arrays, manifest.get("hidden_seed", DEFAULT_HIDDEN_SEED), has_hidden)
