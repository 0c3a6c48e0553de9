"""Every install grades alike: a wheel built from the sdist (as ``pip install`` of an sdist does), installed into a
fresh virtual environment without the checkout on its path, grades the example class and a hostile submission,
sandbox included, from a folder outside the checkout, exactly as the editable install does; the students' pytest
plugin too.

The fresh environment reaches the already-installed dependencies through a ``.pth`` file pointing at a folder of
links to them, every ``autograder`` entry (the editable finder, its ``.pth`` and its dist-info) left out, so the
wheel is the only ``autograder`` it can import (checked below). No network is needed.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograder import paths
from autograder.grading.report import without_measurements
from conftest import QUICK_BUILD, ROOT

pytestmark = pytest.mark.slow
# One of each kind of check (values, gradients, hidden inputs, the compiled fast layers through the trusted provided
# files, an optimizer, a model and a training run on the shipped digits), so the test stays well under 2 minutes.
SELECT = ["affine_forward*", "relu_*", "conv_relu_pool_*", "max_pool_backward_naive*", "adam*",
          "FullyConnectedNet.notebook", "FullyConnectedNet.train.adam"]
COPY_IGNORED = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", "*.so", ".pytest_cache",
                                      "out", ".venv")
SKIPPED_DEPENDENCIES = ("pip", "setuptools", "_distutils_hack")

# test_hostile.py's "read_fixtures_and_reference", made install-neutral: it reads the answer key of the grader it
# runs under, and answers wrongly only when that worked, so a contained run gets the same verdicts in both installs.
HOSTILE = '''
def relu_forward(x):
    leaked = 0
    for path in PATHS:
        try:
            with open(path, "rb") as handle:
                leaked += len(handle.read())
        except OSError:
            pass
    if leaked:
        return x * 0, x
    return x.clip(min=0), x
'''


def _clean_env(venv=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP") and not k.startswith("PYTEST_")}
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
    return env


def _run(command, cwd, env, timeout=300):
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _build_wheel(tmp):
    """sdist from a clean copy of the checkout, then the wheel from that sdist (no build isolation: the build
    dependencies are those of this environment)."""
    source, dist = tmp / "source", tmp / "dist"
    shutil.copytree(ROOT, source, ignore=COPY_IGNORED)
    env = {**_clean_env(), **QUICK_BUILD}
    _run([sys.executable, "-c", "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])",
          dist], cwd=source, env=env)
    sdist, = dist.glob("*.tar.gz")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", dist, sdist],
         cwd=tmp, env=env)
    wheel, = dist.glob("*.whl")
    return wheel


def _fresh_venv(tmp, wheel):
    venv, links = tmp / "venv", tmp / "dependencies"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp, env=_clean_env())
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp,
                     _clean_env(venv)).strip())
    links.mkdir()
    for folder in dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]):
        for entry in Path(folder).iterdir():
            name = entry.name.lower()
            if ("autograder" in name or name.startswith("__editable__") or name.endswith(".pth")
                    or name in SKIPPED_DEPENDENCIES or (links / entry.name).exists()):
                continue
            (links / entry.name).symlink_to(entry)
    (site / "_test_dependencies.pth").write_text(f"{links}\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel], cwd=tmp,
         env=_clean_env())
    return venv, site


def _make_class(folder, answer_key):
    """The example class plus the hostile submission, which reads ``answer_key`` (the grader's own files)."""
    shutil.copytree(ROOT / "examples" / "other-courses", folder)
    paths.copy_reference_package(folder / "hostile" / "cs231n")
    with open(folder / "hostile" / "cs231n" / "layers.py", "a") as handle:
        handle.write("\n\n" + textwrap.dedent(HOSTILE).replace("PATHS", repr([str(p) for p in answer_key])))
    return folder


def _answer_key(python, cwd, env):
    """The reference's layers.py, the hidden fixtures and the grader's grade.py, as that install finds them."""
    code = ("from pathlib import Path; import autograder.grading.pipeline as g; from autograder import paths; "
            "print(paths.reference_dir() / 'layers.py'); print(paths.fixtures_dir() / 'hidden.npz'); print(g.__file__)")
    key = [Path(line) for line in _run([python, "-c", code], cwd, env).split()]
    assert all(p.is_file() for p in key), key
    return key


def _reports(out):
    """Every student's results.json without its timings and resume key, and the gradebook."""
    reports = {}
    for results in sorted(out.glob("*/results.json")):
        data = without_measurements(json.loads(results.read_text()))
        data["extra_data"].pop("key")
        reports[results.parent.name] = data
    with open(out / "gradebook.csv", newline="") as handle:
        return reports, list(csv.reader(handle))


def _plugin_verdicts(python, submission, cwd, env, junit):
    """The students' pytest plugin on one submission: (test, outcome, message) of every check run."""
    subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--submission", str(submission),
                    "-k", "relu or affine_forward", f"--junitxml={junit}"], cwd=cwd, env=env, capture_output=True,
                   timeout=300)
    verdicts = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        failure = case.find("failure")
        verdicts.append((case.get("classname"), case.get("name"), "failed" if failure is not None else "passed",
                         failure.get("message") if failure is not None else ""))
    return sorted(verdicts)


def test_a_wheel_built_from_the_sdist_grades_like_the_editable_install(tmp_path):
    import autograder

    assert Path(autograder.__file__).resolve().is_relative_to(ROOT), "this test compares with the editable install"
    started = time.monotonic()
    wheel = _build_wheel(tmp_path)
    built = time.monotonic()
    venv, site = _fresh_venv(tmp_path, wheel)
    python, env = venv / "bin" / "python", _clean_env(venv)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([python, "-c", "import autograder, numpy; print(autograder.__file__)"], elsewhere, env).strip()
    assert Path(where).is_relative_to(site), f"the fresh environment imports {where}, not the wheel"

    config = tmp_path / "course.toml"
    config.write_text(f"select = {json.dumps(SELECT)}\n")
    editable_env = _clean_env()
    runs = {
        "editable": ([sys.executable, "-m", "autograder.cli"], editable_env, _answer_key(sys.executable, elsewhere,
                                                                                         editable_env)),
        "wheel": ([venv / "bin" / "autograder"], env, _answer_key(python, elsewhere, env)),
    }
    assert all(p.is_relative_to(site) for p in runs["wheel"][2])
    results = {}
    for name, (command, run_env, key) in runs.items():
        submissions = _make_class(tmp_path / f"class-{name}", key)
        out = tmp_path / f"out-{name}"
        _run([*command, "batch", submissions, "--out", out, "--config", config, "--no-progress"], elsewhere, run_env)
        results[name] = _reports(out)
    graded = time.monotonic()

    (editable, editable_book), (installed, installed_book) = results["editable"], results["wheel"]
    assert sorted(installed) == ["alice", "bob", "carol", "hostile"]
    assert editable["alice"]["score"] == editable["alice"]["max_score"] > 40  # not a class of zeros
    assert 0 < editable["bob"]["score"] < editable["bob"]["max_score"]
    assert all(not data["extra_data"]["error"] for data in editable.values())
    hostile_relu = [t for t in installed["hostile"]["tests"] if t["name"].startswith("relu_forward")]
    assert hostile_relu and all(t["status"] == "passed" for t in hostile_relu), "the answer key was readable"
    for student in editable:
        assert installed[student] == editable[student], student
    assert installed_book == editable_book

    plugin = {name: _plugin_verdicts(command_python, tmp_path / "class-editable" / "bob.zip", elsewhere, run_env,
                                     tmp_path / f"junit-{name}.xml")
              for name, command_python, run_env in [("editable", sys.executable, editable_env),
                                                    ("wheel", python, env)]}
    assert len(plugin["editable"]) > 20 and any(v[2] == "failed" for v in plugin["editable"])
    assert plugin["wheel"] == plugin["editable"]
    deployed = time.monotonic()
    _deploy_steps_run_as_written(venv, site, tmp_path / "deploy", env)
    print(f"wheel built in {built - started:.1f} s, installed and both classes graded in {graded - built:.1f} s, "
          f"deploy steps {time.monotonic() - deployed:.1f} s, in all {time.monotonic() - started:.1f} s")


def _deploy_steps_run_as_written(venv, site, folder, env):
    """docs/deploy/gradescope.md's build steps, from the non-editable install, in a folder of their own: the bundle's
    wheel is the installed package repacked (there is no source checkout to build it from), complete and valid."""
    import base64
    import hashlib
    import zipfile

    folder.mkdir()
    (folder / "course.toml").write_text('hidden_visibility = "after_due_date"\n')
    autograder = venv / "bin" / "autograder"
    _run([autograder, "fixtures", "build", "--out", "course_fixtures", "--hidden-seed", "918273645"], folder, env)
    out = _run([autograder, "gradescope", "build", "--config", "course.toml", "--fixtures", "course_fixtures",
                "--out", "autograder.zip"], folder, env)
    assert "wrote autograder.zip" in out
    with zipfile.ZipFile(folder / "autograder.zip") as bundle:
        wheel_name, = [n for n in bundle.namelist() if n.endswith(".whl")]
        assert wheel_name.startswith("cs231n_autograder-") and "-cp3" in wheel_name
        assert wheel_name in bundle.read("setup.sh").decode()
        assert {"selftest/good.zip", "selftest/bad.zip", "selftest/expected.json"} <= set(bundle.namelist())
        with zipfile.ZipFile(bundle.open(wheel_name)) as wheel:
            names = set(wheel.namelist())
            for module in ("autograder/editions/gradescope.py", "autograder/_reference/layers.py",
                           "autograder/_provided/notebook_images/kitten.jpg"):
                assert wheel.read(module) == (site / module).read_bytes(), module
            assert any(n.startswith("autograder/_provided/im2col_cython") and n.endswith(".so") for n in names)
            assert not any(n.endswith(".pyc") or n.startswith("..") for n in names)
            record, = [n for n in names if n.endswith(".dist-info/RECORD")]
            for line in wheel.read(record).decode().splitlines():
                name, digest, size = line.rsplit(",", 2)
                if name == record:
                    continue
                data = wheel.read(name)
                assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(
                    b"=").decode() and int(size) == len(data), name
