"""The Gradescope bundle: what it holds, and run_autograder in a temporary root laid out like Gradescope's.

The end-to-end tests do what Gradescope does: unpack the zip into ROOT/source, run setup.sh there as root
(a virtual environment with the bundled wheel and its dependencies), copy run_autograder to ROOT, put a
submission in ROOT/submission and run it. They need root, as on Gradescope, to test the privilege drop.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from autograder import gradescope
from autograder.gradescope import GradescopeError, build, wheel_python
from autograder.sandbox import reachable

from conftest import ROOT

ALICE = ROOT / "examples" / "submissions" / "alice"
NOBODY = "nobody"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """The bundle built from the current source, with a config and the project's fixtures."""
    folder = tmp_path_factory.mktemp("bundle")
    config = folder / "course.toml"
    config.write_text('hidden_visibility = "after_due_date"\n[limits]\ncheck_seconds = 20\n')
    return build(out=folder / "autograder.zip", config_path=config, fixture_dir=ROOT / "fixtures"), config


@pytest.mark.slow
def test_the_bundle_holds_the_scripts_config_fixtures_and_a_wheel_of_the_current_source(bundle):
    path, config = bundle
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        fixture_files = {p.relative_to(ROOT / "fixtures").as_posix() for p in (ROOT / "fixtures").rglob("*")
                         if p.is_file() and "__pycache__" not in p.parts}
        assert {f"fixtures/{name}" for name in fixture_files} <= names
        for name in fixture_files:
            assert archive.read(f"fixtures/{name}") == (ROOT / "fixtures" / name).read_bytes()
        assert archive.read("course.toml") == config.read_bytes()
        for script in ("setup.sh", "run_autograder"):
            info = archive.getinfo(script)
            assert (info.external_attr >> 16) & 0o111, f"{script} is not executable"
            assert archive.read(script).startswith(b"#!/usr/bin/env bash\n")
        wheels = [n for n in names if n.endswith(".whl")]
        assert len(wheels) == 1 and names == {"setup.sh", "run_autograder", "course.toml", *wheels,
                                              *(f"fixtures/{n}" for n in fixture_files)}
        setup = archive.read("setup.sh").decode()
        assert wheels[0] in setup and f"python{wheel_python(Path(wheels[0]))}" in setup
        with zipfile.ZipFile(archive.open(wheels[0])) as wheel:
            inside = set(wheel.namelist())
            # built from the current source: the grader's own files, byte for byte
            for module in ("autograder/gradescope.py", "autograder/grade.py", "autograder/sandbox.py"):
                assert wheel.read(module) == (ROOT / module).read_bytes(), module
            assert "autograder/_reference/layers.py" in inside
            assert any(n.startswith("autograder/_provided/im2col_cython") and n.endswith(".so") for n in inside)
    for script in ("setup.sh", "run_autograder"):
        with zipfile.ZipFile(path) as archive:
            text = archive.read(script)
        checked = subprocess.run(["bash", "-n"], input=text, capture_output=True)
        assert checked.returncode == 0, checked.stderr


def test_build_refuses_fixtures_without_hidden_ones_and_bad_wheels(tmp_path):
    public_only = tmp_path / "fixtures"
    public_only.mkdir()
    for name in ("manifest.json", "public.npz"):
        shutil.copy(ROOT / "fixtures" / name, public_only / name)
    fake = tmp_path / "cs231n_autograder-0.1.0-py3-none-any.whl"
    fake.write_bytes(b"PK")
    with pytest.raises(GradescopeError, match="has no hidden fixtures"):
        build(out=tmp_path / "a.zip", fixture_dir=public_only, wheel=fake)
    with pytest.raises(GradescopeError, match="not a CPython wheel"):
        build(out=tmp_path / "a.zip", fixture_dir=ROOT / "fixtures", wheel=fake)
    bad = tmp_path / "course.toml"
    bad.write_text("colour = 3\n")
    with pytest.raises(GradescopeError, match="unknown key"):
        build(out=tmp_path / "a.zip", config_path=bad, fixture_dir=ROOT / "fixtures", wheel=fake)
    assert not (tmp_path / "a.zip").exists()
    assert wheel_python(Path("cs231n_autograder-0.1.0-cp312-cp312-linux_x86_64.whl")) == "3.12"


def _run_autograder_script(tmp_path):
    """run_autograder as the bundle has it, without building a wheel."""
    text = gradescope.RUN_AUTOGRADER.format(root_env=gradescope.ROOT_ENV)
    path = tmp_path / "run_autograder"
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_run_autograder_leaves_a_valid_results_json_even_when_the_grader_cannot_start(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    script = _run_autograder_script(root)
    done = subprocess.run([str(script)], env=dict(os.environ, **{gradescope.ROOT_ENV: str(root)}),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and data["tests"] == [] and "autograder itself failed" in data["output"]
    assert not list((root / "results").glob(".*"))  # no temporary file left behind


def test_run_writes_an_error_results_json_when_the_bundle_is_broken(tmp_path, monkeypatch):
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "source" / "course.toml").write_text("colour = 3\n")
    monkeypatch.setenv(gradescope.USER_ENV, NOBODY)
    data = gradescope.run(root=root)
    written = json.loads((root / "results" / "results.json").read_text())
    assert written == data and data["score"] == 0 and data["tests"] == []
    assert "unknown key(s) colour" in data["output"] and "course staff" in data["output"]


@pytest.mark.skipif(os.geteuid() != 0, reason="running a child as another user needs root, as on Gradescope")
@pytest.mark.parametrize("mode", ["auto", "limits"])
def test_a_sandboxed_child_runs_as_the_given_user_without_groups_or_capabilities(tmp_path, mode):
    import pwd

    from autograder.sandbox import make_sandbox, new_scratch

    entry = pwd.getpwnam(NOBODY)
    secret = Path(tempfile.mkdtemp(prefix="root-only-", dir="/tmp"))  # reachable, but root's only
    (secret / "key").write_text("42")
    sandbox = make_sandbox(mode, hidden=[secret], user=(entry.pw_uid, entry.pw_gid))
    scratch = new_scratch()
    try:
        (scratch / "mine.txt").write_text("hello")
        script = (f"id -u; id -G; awk '{{print $2}}' /proc/self/uid_map; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; cat mine.txt; echo; "
                  f"echo more > new.txt && echo wrote; cat {secret}/key || echo refused")
        done = subprocess.run(sandbox.wrap(["sh", "-c", script], scratch), cwd=scratch, capture_output=True,
                              text=True, timeout=60)
        uid, groups, outside = done.stdout.split("\n")[:3]
        assert "NoNewPrivs:\t1" in done.stdout and "hello" in done.stdout and "wrote" in done.stdout, done
        assert "refused" in done.stdout and "42" not in done.stdout, done
        if sandbox.mode == "limits":
            assert (uid, groups) == (str(entry.pw_uid), str(entry.pw_gid)), done
            assert "CapEff:\t0000000000000000" in done.stdout, done
        else:  # root of its own user namespace, which is the given user outside; the folder is an empty one there
            assert uid == "0" and outside == str(entry.pw_uid), done
        assert os.lstat(scratch).st_uid == entry.pw_uid  # handed over once; a restart leaves it as it is
    finally:
        sandbox.reap(type("Child", (), {"scratch": scratch})())
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(secret, ignore_errors=True)


def test_a_submission_folder_holding_only_a_zip_is_graded_as_that_zip(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "hw.zip").write_bytes(b"PK")
    (folder / ".DS_Store").write_bytes(b"")
    assert gradescope.submission_source(folder) == folder / "hw.zip"
    (folder / "cs231n").mkdir()
    assert gradescope.submission_source(folder) == folder


# ------------------------------------------------------------------------------ end to end, as Gradescope


def _python_for(user):
    """A Python of this version that ``user`` can run (the virtual environment's interpreter must be)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (os.path.realpath(sys._base_executable), shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")):
        if candidate and reachable(candidate, user) and os.stat(candidate).st_mode & stat.S_IXOTH:
            return candidate
    return None


@pytest.fixture(scope="module")
def installed(bundle):
    """A Gradescope-like root with the bundle unpacked into source/ and setup.sh run in it, as root."""
    if os.geteuid() != 0:
        pytest.skip("running student code as another user needs root, as on Gradescope")
    import pwd

    user = (pwd.getpwnam(NOBODY).pw_uid, pwd.getpwnam(NOBODY).pw_gid)
    python = _python_for(user)
    if python is None:
        pytest.skip(f"no python{sys.version_info.major}.{sys.version_info.minor} here that {NOBODY} may run")
    root = Path(tempfile.mkdtemp(prefix="gradescope-root-", dir="/tmp"))  # passable, like /autograder
    root.chmod(0o755)
    with zipfile.ZipFile(bundle[0]) as archive:
        archive.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    env = dict(os.environ, **{gradescope.ROOT_ENV: str(root), gradescope.USER_ENV: NOBODY,
                              "AUTOGRADER_SETUP_PYTHON": python,
                              # test speed only: no .pyc for the ~60 dependencies setup.sh installs
                              "PIP_NO_COMPILE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(["bash", "setup.sh"], cwd=root / "source", env=env, capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "student code runs as uid" in done.stdout
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "results").mkdir(exist_ok=True)
    yield root, env
    shutil.rmtree(root, ignore_errors=True)


def _grade(root, env, submission):
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.copytree(submission, root / "submission")
    done = subprocess.run([str(root / "run_autograder")], cwd="/", env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text()), done


@pytest.mark.slow
def test_a_correct_submission_gets_full_score_and_the_bundle_is_locked_down(installed):
    root, env = installed
    data, done = _grade(root, env, ALICE)
    assert data["score"] == data["max_score"] >= 300, data["output"]
    assert all(t["status"] == "passed" for t in data["tests"])
    assert {t["visibility"] for t in data["tests"]} == {"visible", "after_due_date"}  # the bundled config
    assert "student code runs as uid" in data["output"]
    package = next((root / "venv" / "lib").glob("python*/site-packages/autograder"))
    assert stat.S_IMODE((root / "source").stat().st_mode) == 0o700
    assert stat.S_IMODE(package.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "results").stat().st_mode) == 0o755


# Alice's code with, at import, every attempt a hostile student would make; each success sabotages one
# function, so the final results say which attempts worked. A process left behind tries again later.
ATTEMPTS = '''
import json as _json, os as _os, subprocess as _subprocess
_ROOT, _PACKAGE = {root!r}, {package!r}
def _succeeds(action):
    try:
        action()
        return True
    except Exception:
        return False
def _forge():
    with open(_ROOT + "/results/results.json", "w") as handle:
        handle.write(_json.dumps({{"score": 1000, "tests": [], "output": "forged"}}))
_READ_HIDDEN = _succeeds(lambda: open(_ROOT + "/source/fixtures/hidden.npz", "rb").read())
_LIST_SOURCE = _succeeds(lambda: _os.listdir(_ROOT + "/source")[0])  # (an empty folder hides it)
_READ_REFERENCE = _succeeds(lambda: open(_PACKAGE + "/_reference/layers.py").read())
_FORGE = _succeeds(_forge)
'''
LINGER = '''
_subprocess.Popen(["sh", "-c", "sleep 2; echo '{{\\"score\\": 1000}}' > " + _ROOT + "/results/results.json"],
                  start_new_session=True, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL)
'''

SABOTAGE = '''
if _READ_HIDDEN:
    def relu_forward(x):
        return x, x
if _LIST_SOURCE:
    def relu_backward(dout, cache):
        return dout
if _READ_REFERENCE:
    def affine_forward(x, w, b):
        return x, None
if _FORGE:
    def svm_loss(x, y):
        return 0.0, x
'''


def _hostile(tmp_path, root):
    package = next((root / "venv" / "lib").glob("python*/site-packages/autograder"))
    submission = tmp_path / "hostile"
    shutil.copytree(ALICE, submission)
    layers = submission / "cs231n" / "layers.py"
    attempts = ATTEMPTS.format(root=str(root), package=str(package))
    layers.write_text(attempts + LINGER.format(root=str(root)) + layers.read_text() + SABOTAGE)
    return submission, attempts


@pytest.mark.slow
@pytest.mark.parametrize("sandbox", ["auto", "limits"])
def test_a_hostile_submission_cannot_read_the_fixtures_nor_write_the_results(installed, tmp_path, sandbox):
    root, env = installed
    submission, attempts = _hostile(tmp_path, root)
    # The attempts are real: run as root outside the sandbox, every one of them works.
    control = subprocess.run([sys.executable, "-c", attempts + "print(_READ_HIDDEN, _LIST_SOURCE, "
                              "_READ_REFERENCE, _FORGE)"], capture_output=True, text=True, timeout=60)
    assert control.stdout.split() == ["True"] * 4, control.stderr
    config = root / "source" / "course.toml"
    original = config.read_text()
    config.write_text(f'sandbox = "{sandbox}"\n' + original)
    try:
        data, _ = _grade(root, env, submission)
    finally:
        config.write_text(original)
    time.sleep(3)  # the process it left behind would have written by now
    final = json.loads((root / "results" / "results.json").read_text())
    assert final == data and final["output"] != "forged" and final["tests"], final
    by_target = {}
    for test in final["tests"]:
        by_target.setdefault(test["tags"][0], []).append(test["status"])
    for target, attempt in (("relu_forward", "read the hidden fixtures"), ("relu_backward", "list the bundle"),
                            ("affine_forward", "read the reference solution"), ("svm_loss", "write results.json")):
        assert set(by_target[target]) == {"passed"}, f"the student code could {attempt}"
    assert final["score"] == final["max_score"] >= 300
    expected = "resource limits only" if sandbox == "limits" else "Linux namespaces"
    assert expected in final["output"] and "student code runs as uid" in final["output"]


def test_the_cli_reports_a_bundle_that_cannot_be_built_in_one_line(tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    fake = tmp_path / "cs231n_autograder-0.1.0-py3-none-any.whl"
    fake.write_bytes(b"PK")
    done = CliRunner().invoke(main, ["gradescope", "build", "--out", str(tmp_path / "a.zip"), "--fixtures",
                                     str(ROOT / "fixtures"), "--wheel", str(fake)])
    assert done.exit_code == 1 and "Error: " in done.output and "not a CPython wheel" in done.output
    assert "Traceback" not in done.output and not (tmp_path / "a.zip").exists()
