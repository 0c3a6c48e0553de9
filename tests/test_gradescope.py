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

from autograder.editions import gradescope
from autograder import paths
from autograder.editions.gradescope import GradescopeError, build, wheel_python
from autograder.editions.gradescope_try import try_bundle
from autograder.sandbox.confinement import reachable

from conftest import QUICK_BUILD, ROOT, shared_once

ALICE = ROOT / "examples" / "other-courses" / "alice"
NOBODY = "nobody"


@pytest.fixture(scope="session")
def bundle(tmp_path_factory):
    """The bundle built from the current source, with a config and the project's fixtures: built once per session
    (its wheel compiles the kernels) and shared by the xdist workers; read-only."""
    def make(folder):
        config = folder / "course.toml"
        config.write_text('hidden_visibility = "after_due_date"\n[limits]\ncheck_seconds = 20\n')
        with pytest.MonkeyPatch.context() as patch:
            for key, value in QUICK_BUILD.items():
                patch.setenv(key, value)
            build(out=folder / "autograder.zip", config_path=config, fixture_dir=ROOT / "fixtures")

    folder = shared_once(tmp_path_factory, "gradescope-bundle", make)
    return folder / "autograder.zip", folder / "course.toml"


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
        selftest = {"selftest/good.zip", "selftest/bad.zip", "selftest/expected.json"}
        assert len(wheels) == 1 and names == {"setup.sh", "run_autograder", "course.toml", *wheels, *selftest,
                                              *(f"fixtures/{n}" for n in fixture_files)}
        expected = json.loads(archive.read("selftest/expected.json"))
        with zipfile.ZipFile(archive.open("selftest/bad.zip")) as bad, zipfile.ZipFile(
                archive.open("selftest/good.zip")) as good:
            assert set(bad.namelist()) == set(good.namelist()) and "cs231n/layers.py" in good.namelist()
            changed = [n for n in good.namelist() if good.read(n) != bad.read(n)]
            assert changed == [expected["file"]] and f"def {expected['broken']}(" in bad.read(changed[0]).decode()
        setup = archive.read("setup.sh").decode()
        assert wheels[0] in setup and f"python{wheel_python(Path(wheels[0]))}" in setup
        with zipfile.ZipFile(archive.open(wheels[0])) as wheel:
            inside = set(wheel.namelist())
            # built from the current source: the grader's own files, byte for byte
            for module in ("autograder/editions/gradescope.py", "autograder/grading/pipeline.py", "autograder/sandbox/confinement.py"):
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

    from autograder.sandbox.confinement import make_sandbox, new_scratch

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


def _good(folder):
    """A correct submission: the reference package in a student's layout."""
    paths.copy_reference_package(folder / "cs231n")
    return folder


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
    # test speed only: no .pyc for the ~60 dependencies setup.sh installs
    speed = {"PIP_NO_COMPILE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    lines = []
    with pytest.MonkeyPatch.context() as patch:
        for key, value in speed.items():
            patch.setenv(key, value)
        # `autograder gradescope try`: lays the root out as Gradescope does, runs setup.sh (whose last step is the
        # self-test), then grades the submission with run_autograder
        data = try_bundle(bundle[0], _good(root.parent / f"{root.name}-good"), root=root, python=python,
                          user=NOBODY, echo=lines.append)
    log = (root / "setup.log").read_text()
    assert "student code runs as uid" in log and "running setup.sh" in lines[0], log[-3000:]
    assert "self-test: the known-good submission scored" in log and "self-test: the known-bad" in log, log[-3000:]
    assert data["score"] == data["max_score"] >= 300, data["output"]
    env = dict(os.environ, **{gradescope.ROOT_ENV: str(root), gradescope.USER_ENV: NOBODY,
                              "AUTOGRADER_SETUP_PYTHON": python, **speed})
    env.pop("VIRTUAL_ENV", None)
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


# ------------------------------------------------------------------ the self-test, the local try, a broken image


@pytest.mark.slow
def test_try_prints_the_results_and_runs_setup_only_once_per_bundle(installed, bundle, tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    root, _ = installed
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bundle[0]) as archive:
        bad.write_bytes(archive.read("selftest/bad.zip"))
    done = CliRunner().invoke(main, ["gradescope", "try", str(bundle[0]), str(bad), "--root", str(root),
                                     "--user", NOBODY])
    assert done.exit_code == 0, done.output
    assert "set up already for this bundle" in done.output and "running setup.sh" not in done.output
    assert "FAIL relu_forward" in done.output and "score " in done.output.splitlines()[1]
    data = json.loads((root / "results" / "results.json").read_text())
    assert 0 < data["score"] < data["max_score"]


def _pth_venv(venv, python):
    """A virtual environment of ``python`` that reaches this environment's installed dependencies through a
    ``.pth`` file (no download; what setup.sh then installs is the bundled wheel alone)."""
    import sysconfig

    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = next((venv / "lib").glob("python*/site-packages"))
    links = venv.parent / "dependencies"
    links.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        name = entry.name.lower()
        if "autograder" in name or name.startswith("__editable__") or name.endswith(".pth") or name in (
                "pip", "setuptools", "_distutils_hack") or name.startswith(("pip-", "setuptools-")):
            continue
        (links / entry.name).symlink_to(entry)
    (site / "_test_dependencies.pth").write_text(f"{links}\n")


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="a student user other than the grader's needs root, as on Gradescope")
def test_setup_fails_the_image_on_a_python_the_student_user_cannot_run(bundle, tmp_path):
    """The issue's image: a Python in root's home (pyenv's, here). setup.sh used to succeed and every submission then
    scored 0; now it stops with the cause in one line."""
    import pwd
    import sysconfig

    from autograder.sandbox.confinement import reachable

    entry = pwd.getpwnam(NOBODY)
    python = os.path.realpath(sys._base_executable)
    if reachable(python, (entry.pw_uid, entry.pw_gid)) and reachable(sysconfig.get_paths()["stdlib"],
                                                                     (entry.pw_uid, entry.pw_gid)):
        pytest.skip(f"this test's Python {python} is readable by {NOBODY}; it needs one in a closed folder")
    root = Path(tempfile.mkdtemp(prefix="gradescope-broken-", dir="/tmp"))
    try:
        root.chmod(0o755)
        with zipfile.ZipFile(bundle[0]) as archive:
            archive.extractall(root / "source")
        _pth_venv(root / "venv", python)
        env = dict(os.environ, **{gradescope.ROOT_ENV: str(root), gradescope.USER_ENV: NOBODY,
                                  "AUTOGRADER_SETUP_PYTHON": python, "PIP_NO_INDEX": "1", "PIP_NO_COMPILE": "1",
                                  "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
        env.pop("VIRTUAL_ENV", None)
        done = subprocess.run(["bash", "setup.sh"], cwd=root / "source", env=env, capture_output=True, text=True,
                              timeout=900)
        assert done.returncode != 0, done.stdout[-2000:]
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith("Error: the student user (uid 65534) cannot reach this Python's"), done.stderr[-3000:]
        assert "AUTOGRADER_SETUP_PYTHON" in last and "Traceback" not in done.stderr[-2000:]
    finally:
        shutil.rmtree(root, ignore_errors=True)


TRACEBACK = """Traceback (most recent call last):
  File "<string>", line 7, in <module>
  File "<frozen os>", line 629, in get_exec_path
ModuleNotFoundError: No module named 'warnings'
"""


def test_a_sandbox_that_could_not_be_set_up_says_the_cause_not_the_tracebacks_first_line(tmp_path):
    from autograder.sandbox.error_cause import cause
    from autograder.sandbox.confinement import _status_file, make_sandbox

    assert cause(TRACEBACK) == "ModuleNotFoundError: No module named 'warnings' (raised in <frozen os>, line 629)"
    fatal = ("Fatal Python error: init_fs_encoding: failed to get the Python codec of the filesystem encoding\n"
             "Python runtime state: core initialized\nModuleNotFoundError: No module named 'encodings'\n\n"
             "Current thread 0x00007f (most recent call first):\n  <no Python frame>\n")
    assert cause(fatal) == ("Fatal Python error: init_fs_encoding: failed to get the Python codec of the filesystem "
                            "encoding; ModuleNotFoundError: No module named 'encodings'")
    assert cause("mount: /x: permission denied.\nmore\n") == "mount: /x: permission denied."
    scratch = tmp_path / "s-1"
    scratch.mkdir()
    _status_file(scratch).write_text(TRACEBACK)
    problem = make_sandbox("limits").setup_failure(scratch)
    assert problem.startswith("ModuleNotFoundError: No module named 'warnings'") and "Traceback" not in problem


def _results(statuses):
    """A results.json with one test per ``(target, status, output)``."""
    return {"tests": [{"name": f"{target}: check {i}", "score": float(status == "passed"), "max_score": 1.0,
                       "status": status, "output": output, "tags": [target, "value", "layers"]}
                      for i, (target, status, output) in enumerate(statuses)], "extra_data": {"error": ""}}


def test_the_self_tests_verdicts_say_what_is_wrong_in_one_line():
    from autograder.editions.gradescope_try import verdict

    good = _results([("relu_forward", "passed", ""), ("affine_forward", "passed", "")])
    assert verdict("good", good, "relu_forward") == ""
    bad = _results([("relu_forward", "failed", "not implemented yet"), ("affine_forward", "passed", ""),
                    ("relu_backward", "failed", "not checked: relu_forward is not implemented yet")])
    assert verdict("bad", bad, "relu_forward") == ""
    zero = {"tests": [], "extra_data": {"error": "the sandbox could not be set up (PermissionError: denied)"}}
    assert verdict("good", zero, "relu_forward") == ("the known-good submission got no check at all: the sandbox "
                                                     "could not be set up (PermissionError: denied)")
    lost = _results([("relu_forward", "passed", ""), ("affine_forward", "failed", "time limit exceeded\nmore")])
    assert verdict("good", lost, "relu_forward") == ("the known-good submission scored 1/2 (1 of 2 checks failed): "
                                                     "affine_forward: check 1: time limit exceeded")
    free = _results([("relu_forward", "passed", ""), ("affine_forward", "passed", "")])
    assert "broken relu_forward passed 1 check(s)" in verdict("bad", free, "relu_forward")
    spread = _results([("relu_forward", "failed", ""), ("affine_forward", "failed", "wrong values")])
    assert "also failed 1 other check(s): affine_forward: check 1: wrong values" in verdict("bad", spread,
                                                                                          "relu_forward")
    assert all("\n" not in verdict(k, d, "relu_forward") for k, d in [("good", zero), ("good", lost), ("bad", free)])


def test_build_without_a_source_checkout_repacks_the_installed_package_or_says_what_to_pass(tmp_path, monkeypatch):
    from autograder.editions import wheel_writer

    monkeypatch.setattr(gradescope, "_source_checkout", lambda: None)
    # this environment's install is editable: there is nothing installed to repack
    with pytest.raises(GradescopeError) as caught:
        gradescope.build_wheel(tmp_path)
    message = str(caught.value)
    assert "there is no source checkout" in message and "pass --wheel PATH" in message and "\n" not in message
    monkeypatch.setattr(wheel_writer.metadata, "distribution", lambda name: (_ for _ in ()).throw(
        wheel_writer.metadata.PackageNotFoundError(name)))
    with pytest.raises(GradescopeError, match="cs231n-autograder is not installed: pass --wheel PATH"):
        gradescope.build_wheel(tmp_path)


@pytest.mark.skipif(os.geteuid() != 0, reason="the student user's way to the root matters as root only")
def test_try_refuses_a_root_the_student_user_cannot_reach(tmp_path):
    closed = Path(tempfile.mkdtemp(prefix="closed-", dir="/tmp"))  # 0700: nobody cannot enter
    try:
        bundle = tmp_path / "autograder.zip"
        with zipfile.ZipFile(bundle, "w") as archive:
            archive.writestr("setup.sh", "exit 1\n")
        with pytest.raises(GradescopeError, match=r"is under a folder the student user nobody cannot enter"):
            try_bundle(bundle, tmp_path, root=closed / "root", user=NOBODY)
    finally:
        shutil.rmtree(closed, ignore_errors=True)
