"""The Gradescope bundle on this machine: the image's self-test, and the one-command local try.

Self-test (``autograder gradescope check --self-test``, setup.sh's last step): the bundle holds, in ``selftest/``,
a known-good submission (the reference solution in a student's layout), a known-bad one (the same with one
function deliberately broken) and what to expect of them. Each is graded exactly as Gradescope will grade a
student: put into ``ROOT/submission`` as a zip, then ``run_autograder`` (as root, children as the student
user), and its ``results.json`` read back. The good one must get every code check (notebook checks aside), the
bad one must fail every check of the broken function and only those; anything else stops the image build with
the cause in one line. A submission or results already in the root are put back afterwards.

Try (``autograder gradescope try BUNDLE.zip SUBMISSION``): lays out a root as Gradescope does (``source/`` the
unpacked bundle, ``run_autograder`` copied next to it, ``submission/``, ``results/``), runs ``setup.sh`` there once
per bundle (the root's name carries the bundle's hash, and a marker says setup succeeded), then grades the
submission with ``run_autograder`` and prints the results. The root is ``$TMPDIR/autograder-gradescope-<hash>``
(or ``--root``; ``--root /autograder`` in a container run as root is Gradescope's own layout).
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from .gradescope_selftest import BAD, EXPECTED, GOOD, SELFTEST_DIR

SETUP_MARKER = ".autograder-try-setup.json"


# ------------------------------------------------------------------------------------- grading in a root

def grade_in_root(root: Path, submission: Path, env=None) -> dict:
    """Put ``submission`` (a folder, a .zip, a lone notebook) into ``root/submission`` as Gradescope hands it over,
    run ``run_autograder`` as Gradescope does, and return the results.json it wrote."""
    from .gradescope import GradescopeError, ROOT_ENV

    root, submission = Path(root), Path(submission)
    target = root / "submission"
    shutil.rmtree(target, ignore_errors=True)
    if submission.is_dir():
        shutil.copytree(submission, target, symlinks=True)
    elif submission.is_file():
        target.mkdir(parents=True)
        shutil.copyfile(submission, target / submission.name)
    else:
        raise GradescopeError(f"{submission} does not exist; pass a submission folder, a .zip or a notebook")
    results = root / "results" / "results.json"
    results.unlink(missing_ok=True)
    script = root / "run_autograder"
    if not script.is_file():
        script = root / "source" / "run_autograder"
    done = subprocess.run(["bash", str(script)], cwd="/", capture_output=True, text=True,
                          env=dict(env or os.environ, **{ROOT_ENV: str(root)}), timeout=3600)
    try:
        return json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        from ..sandbox.error_cause import cause

        raise GradescopeError(f"run_autograder left no valid results.json ({exc}; exit code {done.returncode}: "
                              f"{cause(done.stderr) or 'no output'})") from None


def _code_tests(data):
    return [t for t in data.get("tests", []) if (list(t.get("tags") or []) + ["", ""])[1] != "notebook"]


def _why(data, tests):
    """The first reason in a results.json: its error, else the first failed check's output."""
    error = (data.get("extra_data") or {}).get("error")
    if error:
        return str(error)
    failed = [t for t in tests if t.get("status") != "passed"]
    if failed:
        first = failed[0]
        return f"{first.get('name')}: {str(first.get('output', '')).strip().splitlines()[0] if first.get('output') else 'failed'}"
    return "no check was run"


def verdict(kind, data, broken) -> str:
    """'' when the known-``kind`` ("good"/"bad") submission's results are what they must be; else why not."""
    tests = _code_tests(data)
    score = sum(t.get("score", 0) for t in tests)
    total = sum(t.get("max_score", 0) for t in tests)
    if not tests:
        return f"the known-{kind} submission got no check at all: {_why(data, tests)}"
    if kind == "good":
        failed = [t for t in tests if t.get("status") != "passed"]
        if failed:
            return (f"the known-good submission scored {score:g}/{total:g} ({len(failed)} of {len(tests)} checks "
                    f"failed): {_why(data, failed)}")
        return ""
    of_broken = [t for t in tests if (t.get("tags") or [""])[0] == broken]
    wrong = [t for t in of_broken if t.get("status") == "passed"]
    # a check of another function that needs the broken one says so ("not checked: relu_forward is ..."): fine
    others = [t for t in tests if t not in of_broken and t.get("status") != "passed"
              and broken not in str(t.get("output", ""))]
    if not of_broken:
        return f"the known-bad submission got no check of {broken}, the function it breaks"
    if wrong:
        return f"the known-bad submission's broken {broken} passed {len(wrong)} check(s), e.g. {wrong[0].get('name')}"
    if others:
        return (f"the known-bad submission, which breaks only {broken}, also failed {len(others)} other check(s): "
                f"{_why(data, others)}")
    return ""


def self_test(root: Path, env=None) -> list:
    """Grade the bundle's known-good and known-bad submissions in ``root`` as run_autograder will; returns the lines
    to print, or raises :class:`~autograder.editions.gradescope.GradescopeError` with the cause in one line."""
    from .gradescope import GradescopeError

    root = Path(root)
    folder = root / "source" / SELFTEST_DIR
    try:
        expected = json.loads((folder / EXPECTED).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GradescopeError(f"the bundle has no self-test ({folder / EXPECTED}: {exc}); build it again with "
                              "`autograder gradescope build`") from None
    saved = _set_aside(root)
    lines = []
    try:
        with tempfile.TemporaryDirectory(prefix="autograder-selftest-") as tmp:
            for kind, name in (("good", GOOD), ("bad", BAD)):
                submission = Path(tmp) / f"selftest-{kind}.zip"
                shutil.copyfile(folder / name, submission)
                data = grade_in_root(root, submission, env)
                problem = verdict(kind, data, expected["broken"])
                if problem:
                    raise GradescopeError(f"self-test failed: {problem}")
                tests = _code_tests(data)
                lines.append(f"self-test: the known-{kind} submission scored "
                             f"{sum(t['score'] for t in tests):g}/{sum(t['max_score'] for t in tests):g}"
                             + (f" (every check of {expected['broken']} failed; every other passed or needed it)" if kind == "bad" else ""))
    finally:
        _put_back(root, saved)
    return lines


def _set_aside(root):
    saved = {}
    for rel in ("submission", "results/results.json"):
        path = root / rel
        if path.exists():
            aside = path.with_name(f".{path.name}.before-selftest")
            shutil.rmtree(aside, ignore_errors=True)
            path.rename(aside)
            saved[path] = aside
    return saved


def _put_back(root, saved):
    shutil.rmtree(root / "submission", ignore_errors=True)
    (root / "results" / "results.json").unlink(missing_ok=True)
    for path, aside in saved.items():
        aside.rename(path)
    if not (root / "submission").exists():
        (root / "submission").mkdir()


# ------------------------------------------------------------------------------------------------ try

def default_root(bundle: Path) -> Path:
    """``$TMPDIR/autograder-gradescope-<first 16 hex digits of the bundle's sha256>``."""
    digest = hashlib.sha256(Path(bundle).read_bytes()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"autograder-gradescope-{digest}"


def try_bundle(bundle, submission, *, root=None, python=None, user=None, echo=print) -> dict:
    """Set ``root`` up from ``bundle`` (once: setup.sh runs again only for another bundle or after a failed setup),
    grade ``submission`` there with run_autograder, and return its results.json."""
    from .gradescope import DEFAULT_USER, GradescopeError, ROOT_ENV, USER_ENV

    bundle = Path(bundle)
    if not zipfile.is_zipfile(bundle):
        raise GradescopeError(f"{bundle} is not a bundle zip; make one with `autograder gradescope build`")
    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()
    root = Path(root) if root else default_root(bundle)
    env = dict(os.environ, **{ROOT_ENV: str(root)})
    env.pop("VIRTUAL_ENV", None)
    if user or os.geteuid() != 0:  # not root: children run as this user, who must exist for setup.sh
        env[USER_ENV] = user or pwd.getpwuid(os.geteuid()).pw_name
    if python:
        env["AUTOGRADER_SETUP_PYTHON"] = str(python)
    _check_passable(root, env.get(USER_ENV) or DEFAULT_USER)
    marker = root / SETUP_MARKER
    try:
        state = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    same = state.get("bundle_sha256") == digest
    if same and state.get("setup") == "done":
        echo(f"root {root}: set up already for this bundle (sha256 {digest[:16]}), setup.sh not run again")
    else:
        _lay_out(root, bundle, keep_venv=same)  # after a failed setup of this bundle, its venv is still good
        marker.write_text(json.dumps({"bundle_sha256": digest, "setup": "started"}) + "\n")
        echo(f"root {root}: running setup.sh (once for this bundle; its log is {root / 'setup.log'})")
        with open(root / "setup.log", "w") as log:
            done = subprocess.run(["bash", "setup.sh"], cwd=root / "source", env=env, stdout=log,
                                  stderr=subprocess.STDOUT, timeout=3600)
        if done.returncode != 0:
            from ..sandbox.error_cause import cause

            tail = (root / "setup.log").read_text(errors="replace").strip().splitlines()
            last = next((line for line in reversed(tail) if line.startswith("Error: ")), "")
            raise GradescopeError(f"setup.sh failed (exit code {done.returncode}): "
                                  f"{last[len('Error: '):] if last else cause(chr(10).join(tail[-40:]))}; "
                                  f"see {root / 'setup.log'}")
        marker.write_text(json.dumps({"bundle_sha256": digest, "setup": "done"}) + "\n")
    return grade_in_root(root, Path(submission), env)


def _check_passable(root: Path, user_name):
    """As root, the student user must be able to reach the root (its virtual environment runs student code)."""
    from .gradescope import GradescopeError
    from ..sandbox.confinement import reachable

    if os.geteuid() != 0:
        return
    try:
        entry = pwd.getpwnam(user_name)
    except KeyError:
        return  # setup.sh creates it; its check then tests the way through
    root.mkdir(parents=True, exist_ok=True)
    if not reachable(root, (entry.pw_uid, entry.pw_gid)):  # the folders above it (the root itself is made 755)
        raise GradescopeError(f"--root {root} is under a folder the student user {user_name} cannot enter; "
                              "choose a root it can reach (under /tmp, say)")


def _lay_out(root: Path, bundle: Path, keep_venv=False):
    """A fresh Gradescope root: ``source/`` the unpacked bundle, ``run_autograder`` beside it (``keep_venv``: the
    virtual environment already made from this bundle stays)."""
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    for stale in ("source", "submission", "results") + (() if keep_venv else ("venv",)):
        shutil.rmtree(root / stale, ignore_errors=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        if not (root / "source" / script).is_file():
            from .gradescope import GradescopeError

            raise GradescopeError(f"{bundle} has no {script}: it is not a bundle of `autograder gradescope build`")
        (root / "source" / script).chmod(0o755)
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()


def describe(data) -> str:
    """The results as a student and the staff see them: the score, the output, every check that did not pass."""
    lines = [f"score {data.get('score', 0):g} / {data.get('max_score', 0):g}"]
    lines += [f"  {line}" for line in str(data.get("output", "")).splitlines()]
    tests = data.get("tests", [])
    failed = [t for t in tests if t.get("status") != "passed"]
    lines.append(f"{len(tests) - len(failed)} of {len(tests)} checks passed" + (":" if failed else ""))
    for test in failed:
        first = str(test.get("output", "")).strip().splitlines()
        lines.append(f"  FAIL {test.get('name')} ({test.get('score', 0):g}/{test.get('max_score', 0):g})"
                     + (f": {first[0]}" if first else ""))
    return "\n".join(lines)
