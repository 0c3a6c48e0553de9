"""Gradescope: the autograder bundle (``autograder gradescope build``) and what runs inside it (``... run``).

Gradescope unpacks the uploaded zip into ``/autograder/source``, runs ``setup.sh`` there once as root when it
builds the image, and then, for every submission, puts the student's files in ``/autograder/submission``,
runs ``/autograder/run_autograder`` as root and reads ``/autograder/results/results.json``.

The bundle holds ``setup.sh`` (a Python virtual environment in ``/autograder/venv`` with the bundled wheel of
this package and its dependencies, and an unprivileged user for student code), ``run_autograder``, the course
config (``course.toml``) and the course's fixtures, hidden ones included. At run time the grader, as root,
makes ``/autograder/source`` and the installed package (reference solution and demo fixtures) readable by
root only, and runs every child as that user, inside the namespace sandbox where the container allows it
(resource limits alone otherwise): student code can neither read the fixtures nor write the results.
``results.json`` is written atomically, and also when grading fails. setup.sh's last step is the self-test
(:mod:`autograder.editions.gradescope_selftest`, :mod:`autograder.editions.gradescope_try`): the bundle's known-good and known-bad submissions graded as run_autograder
grades, which fails the image build with the cause in one line unless their scores are right.

``AUTOGRADER_GRADESCOPE_ROOT`` replaces ``/autograder`` (tests lay out a temporary root like Gradescope's);
``AUTOGRADER_GRADESCOPE_USER`` names the user for student code (default ``autograder-student``).
"""
from __future__ import annotations

import io
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from .. import atomic, paths

ROOT_ENV = "AUTOGRADER_GRADESCOPE_ROOT"
USER_ENV = "AUTOGRADER_GRADESCOPE_USER"
DEFAULT_USER = "autograder-student"
CONFIG_NAME = "course.toml"
DISTRIBUTION = "cs231n-autograder"
FIXTURES_NAME = "fixtures"
# What of a source checkout goes into the wheel (setup.py maps reference/ and fixtures/ into the package).
SOURCE_PARTS = ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in", "LICENSE",
                "autograder", "reference", "provided", "fixtures")


class GradescopeError(Exception):
    """The bundle cannot be built, or the autograder inside Gradescope is set up wrongly."""


def gradescope_root() -> Path:
    """``/autograder``, or ``$AUTOGRADER_GRADESCOPE_ROOT``."""
    return Path(os.environ.get(ROOT_ENV) or "/autograder")


# ----------------------------------------------------------------------------------------------- the bundle

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (the network is available then).
# It installs Python {python} (from the distribution, or the deadsnakes PPA on Ubuntu releases without it),
# a virtual environment in $ROOT/venv with the bundled autograder wheel and its dependencies, and the
# unprivileged user that runs student code; then it checks the bundle. Made by `autograder gradescope build`.
set -euo pipefail
ROOT="${{{root_env}:-/autograder}}"
export {root_env}="$ROOT"
STUDENT="${{{user_env}:-{user}}}"
PYTHON="${{AUTOGRADER_SETUP_PYTHON:-python{python}}}"

if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    if ! apt-get install -y python{python} python{python}-venv; then
        apt-get install -y software-properties-common
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update
        apt-get install -y python{python} python{python}-venv
    fi
    PYTHON=python{python}
fi
"$PYTHON" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --no-cache-dir "$ROOT/source/{wheel}"
if ! id -u "$STUDENT" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$STUDENT"
fi
# Last, the image proves itself: a known-good and a known-bad submission (bundled in selftest/) graded exactly as
# run_autograder grades, as the student user; a wrong score stops the image build with its cause in one line.
"$ROOT/venv/bin/autograder" gradescope check --self-test
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this as root for every submission: grade $ROOT/submission with the bundled config and
# fixtures, and write $ROOT/results/results.json. Made by `autograder gradescope build`.
ROOT="${{{root_env}:-/autograder}}"
export {root_env}="$ROOT"
cd "$ROOT" || exit 1
"$ROOT/venv/bin/autograder" gradescope run
status=$?
if [ "$status" -ne 0 ]; then
    # The grader could not even write its results: leave Gradescope a valid results.json all the same.
    mkdir -p "$ROOT/results"
    tmp="$ROOT/results/.results.json.$$"
    printf '{{"score": 0, "output": "The autograder itself failed (exit code %s); your submission was not graded. Please tell the course staff.", "tests": [], "extra_data": {{"error": "autograder exit code %s"}}}}\n' "$status" "$status" > "$tmp"
    chmod 644 "$tmp" && mv -f "$tmp" "$ROOT/results/results.json"
fi
exit 0
"""


def _source_checkout() -> Path | None:
    checkout = paths._CHECKOUT
    if not (checkout / "pyproject.toml").is_file() or not (checkout / "reference").is_dir():
        return None
    return checkout


def build_wheel(out_dir) -> Path:
    """A wheel of this package: built from the current source (the working tree, uncommitted changes included) in
    a source checkout, else repacked from the installed package (``pip install .`` or a wheel install)."""
    from .wheel_writer import WheelError, installed_wheel

    checkout = _source_checkout()
    if checkout is None:
        try:
            return installed_wheel(DISTRIBUTION, out_dir)
        except WheelError as exc:
            raise GradescopeError(f"there is no source checkout to build the wheel from and {exc}: pass --wheel "
                                  "PATH (a wheel of this package: pip wheel --no-deps -w dist CHECKOUT)") from None
    with tempfile.TemporaryDirectory(prefix="autograder-wheel-") as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for part in SOURCE_PARTS:
            path = checkout / part
            if path.is_dir():
                shutil.copytree(path, source / part, ignore=shutil.ignore_patterns(
                    "__pycache__", "*.pyc", "*.so", "*.c", "build", "*.egg-info"))
            elif path.is_file():
                shutil.copy2(path, source / part)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                               "-w", str(Path(tmp) / "dist"), str(source)], capture_output=True, text=True)
        wheels = sorted((Path(tmp) / "dist").glob("*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
            raise GradescopeError(f"building the wheel failed (pip wheel exit code {done.returncode}):\n{tail}")
        target = Path(out_dir) / wheels[0].name
        shutil.copy2(wheels[0], target)
    return target


def wheel_python(wheel: Path) -> str:
    """The Python version a wheel needs (``cp311`` -> ``3.11``), from its file name."""
    parts = wheel.name[:-len(".whl")].split("-")
    tag = parts[-3] if len(parts) >= 5 else ""
    if not (tag.startswith("cp") and tag[2:].isdigit() and len(tag) >= 4):
        raise GradescopeError(f"{wheel.name} is not a CPython wheel of this package (expected a tag like cp311)")
    return f"{tag[2]}.{tag[3:]}"


def build(*, out, config_path=None, fixture_dir=None, wheel=None) -> Path:
    """Write Gradescope's autograder zip to ``out``: setup.sh, run_autograder, the config, the fixtures and a
    wheel of this package (``wheel``, or one built from the current source). Returns ``out``."""
    from ..catalog import fixtures as fixture_store
    from ..config import ConfigError, load_config
    from .gradescope_selftest import SELFTEST_DIR, selftest_files

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise GradescopeError(str(exc)) from None
    fixture_dir = Path(fixture_dir) if fixture_dir else paths.fixtures_dir()
    try:
        store = fixture_store.load(fixture_dir, include_hidden=True)
    except fixture_store.FixtureError as exc:
        raise GradescopeError(f"--fixtures {fixture_dir}: {exc}") from None
    if config.include_hidden and not store.has_hidden:
        raise GradescopeError(f"--fixtures {fixture_dir} has no hidden fixtures (hidden.npz), but the config grades "
                              "hidden checks: build them with `autograder fixtures build --out DIR --hidden-seed N`")
    with tempfile.TemporaryDirectory(prefix="autograder-bundle-") as tmp:
        if wheel is None:
            wheel = build_wheel(tmp)
        wheel = Path(wheel)
        if not wheel.is_file() or wheel.suffix != ".whl":
            raise GradescopeError(f"--wheel {wheel} is not a wheel file")
        python = wheel_python(wheel)
        names = {"root_env": ROOT_ENV, "user_env": USER_ENV, "user": DEFAULT_USER, "python": python,
                 "wheel": wheel.name}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            _add(bundle, "setup.sh", SETUP_SH.format(**names).encode(), executable=True)
            _add(bundle, "run_autograder", RUN_AUTOGRADER.format(**names).encode(), executable=True)
            text = Path(config_path).read_bytes() if config_path else b"# course configuration: the defaults\n"
            _add(bundle, CONFIG_NAME, text)
            for path in sorted(p for p in fixture_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                _add(bundle, f"{FIXTURES_NAME}/{path.relative_to(fixture_dir).as_posix()}", path.read_bytes())
            for name, data in selftest_files(config).items():
                _add(bundle, f"{SELFTEST_DIR}/{name}", data)
            _add(bundle, wheel.name, wheel.read_bytes())
        atomic.write_bytes(out, buffer.getvalue())
    return Path(out)


def _add(bundle, name, data, executable=False):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    bundle.writestr(info, data)


# ----------------------------------------------------------------------------------------- inside Gradescope

def student_user(name=None) -> tuple:
    """``(uid, gid)`` of the user that runs student code; a clear error when it does not exist or is root."""
    name = name or os.environ.get(USER_ENV) or DEFAULT_USER
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise GradescopeError(f"the user {name!r} for student code does not exist (setup.sh creates it; "
                              f"or set {USER_ENV})") from None
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise GradescopeError(f"the user {name!r} for student code is root or in group root; use an unprivileged user")
    return entry.pw_uid, entry.pw_gid


def python_problem(user) -> str:
    """Why the user ``(uid, gid)`` cannot run this Python and import what a child imports ('' when it can): an
    interpreter or standard library under a folder that user cannot enter (root's home) fails every submission.
    The probe starts Python the way the sandbox does (through ``env``, after the change of user)."""
    import sysconfig

    from ..sandbox.error_cause import cause
    from ..sandbox.confinement import as_user, reachable

    fix = ("install a Python that every user may read (not under root's home) and run setup.sh again with "
           "AUTOGRADER_SETUP_PYTHON=/path/to/python3.X")
    for what, path in (("interpreter", os.path.realpath(sys.executable)),
                       ("standard library", sysconfig.get_paths()["stdlib"])):
        if not reachable(path, user):
            return (f"the student user (uid {user[0]}) cannot reach this Python's {what} {path} (a folder above it "
                    f"is closed to that user): {fix}")
    probe = subprocess.run(as_user(user, ["env", sys.executable, "-I", "-c",
                                          "import encodings, warnings, ctypes, json, numpy"]),
                           capture_output=True, text=True, timeout=120, cwd="/")
    if probe.returncode == 0:
        return ""
    return (f"the student user (uid {user[0]}) cannot run this Python {sys.executable}: "
            f"{cause(probe.stderr) or f'exit code {probe.returncode}'}; {fix}")


def _installed_package_dirs() -> list:
    """The installed grader (with the reference solution and the demo fixtures inside): root only."""
    package = paths.package_dir()
    if (paths._CHECKOUT / "reference").is_dir():
        return []  # a source checkout: nothing installed to lock (its files are the developer's)
    return [package]


def lock_down(root: Path):
    """As root: the bundle and the installed grader readable by root only, the results folder writable by root
    only, the root folder itself passable (the virtual environment's Python is under it)."""
    os.chmod(root, 0o755)
    source = root / "source"
    if source.is_dir():
        os.chmod(source, 0o700)
    results = root / "results"
    results.mkdir(exist_ok=True)
    os.chown(results, 0, 0)
    os.chmod(results, 0o755)
    for folder in _installed_package_dirs():
        os.chmod(folder, 0o700)


def check(*, root=None, user=None) -> list:
    """What setup.sh runs: the config and fixtures load, the user exists, the compiled layers import, and the
    bundle is locked down. Returns what it checked (lines to print); raises :class:`GradescopeError`."""
    from ..catalog import fixtures as fixture_store
    from ..config import ConfigError, load_config
    from ..sandbox.confinement import make_sandbox

    root = Path(root) if root else gradescope_root()
    source = root / "source"
    try:
        config = load_config(source / CONFIG_NAME)
        store = fixture_store.load(source / FIXTURES_NAME, include_hidden=config.include_hidden)
    except (ConfigError, fixture_store.FixtureError) as exc:
        raise GradescopeError(f"the bundle in {source} is broken: {exc}") from None
    lines = [f"config {source / CONFIG_NAME}: loaded", f"fixtures {source / FIXTURES_NAME}: hidden "
             f"{'included' if store.has_hidden else 'absent'}"]
    ext = sorted(paths.provided_dir().glob("im2col_cython*.so"))
    probe = subprocess.run([sys.executable, "-c", f"import importlib.util as u, sys; s = u.spec_from_file_location("
                            f"'im2col_cython', {str(ext[0]) if ext else ''!r}); u.module_from_spec(s)"],
                           capture_output=True, text=True) if ext else None
    if probe is None or probe.returncode != 0:
        detail = f" ({probe.stderr.strip()[-300:]})" if probe else ""
        raise GradescopeError("the compiled fast layers (im2col_cython) do not load here: build the wheel with this "
                              f"image's Python and pass it with --wheel{detail}")
    lines.append(f"fast layers {ext[0].name}: load")
    if os.geteuid() == 0:
        uid, gid = student_user(user)
        problem = python_problem((uid, gid))
        if problem:
            raise GradescopeError(problem)
        lock_down(root)
        sandbox = make_sandbox(config.sandbox, hidden=[source, root / "results"], limits=config.limits, user=(uid, gid))
        lines += [f"student code runs as uid {uid}", sandbox.describe()]
    else:
        lines.append("not root: student code would run as the grader's own user")
    return lines


def run(*, root=None, user=None) -> dict:
    """Grade ``ROOT/submission`` into ``ROOT/results/results.json`` (atomically, also when grading fails).

    Runs as root on Gradescope; the children run as the unprivileged ``user``. Returns the results written.
    """
    root = Path(root) if root else gradescope_root()
    results_path = root / "results" / "results.json"
    started = time.monotonic()
    try:
        data, table = _grade(root, user)
    except Exception as exc:  # noqa: BLE001 - whatever happens, Gradescope gets a valid results.json
        reason = str(exc) if isinstance(exc, GradescopeError) else f"internal error {type(exc).__name__}: {exc}"
        print(traceback.format_exc(), file=sys.stderr)
        data = {"score": 0.0, "max_score": 0.0, "execution_time": round(time.monotonic() - started, 3),
                "output": f"The submission could not be graded: {reason}\nPlease tell the course staff.",
                "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden",
                "tests": [], "extra_data": {"error": reason}}
        table = data["output"]
    results_path.parent.mkdir(parents=True, exist_ok=True)
    from ..grading.report import write_results_json

    write_results_json(results_path, data)
    print(table)
    return data


def submission_source(folder: Path) -> Path:
    """What to grade in Gradescope's submission folder: the folder, or the one .zip that is all it holds."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX"]
    if len(entries) == 1 and entries[0].is_file() and entries[0].suffix.lower() == ".zip":
        return entries[0]
    return folder


def _grade(root: Path, user):
    from ..config import load_config
    from ..grading.pipeline import grade
    from ..grading.report import results_json, summary_table
    from ..sandbox.confinement import make_sandbox

    source, submission = root / "source", root / "submission"
    config = load_config(source / CONFIG_NAME)
    child_user = ()
    if os.geteuid() == 0:
        child_user = student_user(user)
        lock_down(root)
    if not submission.is_dir():
        raise GradescopeError(f"there is no submission folder {submission}")
    sandbox = make_sandbox(config.sandbox, hidden=[source, root / "results", submission], limits=config.limits,
                           user=child_user)
    report = grade(submission_source(submission), config=config, fixture_dir=source / FIXTURES_NAME,
                   sandbox=sandbox)
    if not child_user:
        report.notes.append("the grader is not root, so student code ran as the grader's own user")
    return results_json(report, config.hidden_visibility), summary_table(report)
