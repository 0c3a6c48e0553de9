"""The provided files' own tree, and the student bundle cut from it (``autograder student build``): the template plus
a wheel of the public checks that holds none of the reference's solutions and none of the hidden fixtures."""
import ast
import hashlib
import base64
import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from autograder.catalog import fixtures
from autograder import paths
from autograder.editions import student_bundle as student, template
from autograder.cli import main
from autograder.config import Config

from conftest import ROOT, grade_catalog_only

PROVIDED = {"data_utils.py", "fast_layers.py", "gradient_check.py", "im2col.py", "im2col_cython.pyx",
            "layer_checks.py", "solver.py", "vis_utils.py"}
NOTEBOOK_SOURCES = ROOT / "reference" / "notebooks"


def solution_canaries():
    """Per solution region of the reference (library and notebooks): its longest code line of 20 characters or
    more that the stubbed file does not also have (the docstrings give some lines away), and its last line
    followed by the END line, whitespace-normalised; ``{canary: where}``."""
    canaries = {}
    sources = sorted(paths.reference_dir().rglob("*.py")) + sorted(NOTEBOOK_SOURCES.glob("*.py"))
    for path in sources:
        body, text = None, path.read_text(encoding="utf-8")
        public = set(_normalised(template.stub_source(text)).splitlines())
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if stripped == template.START:
                body = []
            elif stripped == template.END:
                code = [s for s in body if s and not s.startswith("#")]
                assert code, f"{path}:{number}: an empty solution region"
                where = f"{path.relative_to(ROOT)}:{number}"
                longest = max([s for s in code if s not in public] or [""], key=len)
                if len(longest) >= 20:
                    canaries[longest] = where
                canaries[f"{code[-1]}\n{template.END}"] = where
                body = None
            elif body is not None:
                body.append(stripped)
    return canaries


def _normalised(text):
    return "\n".join(line.strip() for line in text.splitlines())


def _texts(folder):
    """``(path, whitespace-normalised text)`` of every file under ``folder``; a notebook's code cells as code."""
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".ipynb":
            cells = json.loads(data)["cells"]
            text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        else:
            text = data.decode("utf-8", errors="replace")
        yield path, _normalised(text)


def canaries_found(folder, canaries):
    return sorted({f"{canaries[c]} in {path}" for path, text in _texts(folder) for c in canaries if c in text})


def test_provided_files_are_their_own_tree_without_solutions():
    provided = {p.name for p in paths.provided_dir().iterdir() if p.suffix in (".py", ".pyx")} - {"__init__.py"}
    assert provided == PROVIDED == set(paths.provided_sources())
    assert not any(paths.is_student_file(p) for p in paths.provided_sources().values())
    reference = [p for p in paths.reference_dir().rglob("*.py") if p.name != "__init__.py"]
    assert reference and all(paths.is_student_file(p) for p in reference)
    assert not {p.name for p in paths.reference_dir().iterdir()} & PROVIDED  # one source each
    assert {n for n in paths.provided_files() if n.endswith(".py")} == {n for n in PROVIDED if n.endswith(".py")}
    assert set(paths.reference_package_files()) == PROVIDED | {
        "layers.py", "layer_utils.py", "optim.py", "classifiers/__init__.py", "classifiers/fc_net.py",
        "classifiers/cnn.py"}


def test_the_reference_imports_the_provided_files_as_cs231n_with_the_compiled_kernels():
    code = ("import cs231n, cs231n.fast_layers as fl\n"
            "from cs231n.fast_layers import conv_forward_fast\n"
            "from cs231n.solver import Solver\n"
            "from cs231n.classifiers.cnn import ThreeLayerConvNet\n"
            "from cs231n.layer_utils import conv_relu_pool_forward\n"
            "print(fl.__file__, fl.HAS_CYTHON)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "reference"))
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    where, compiled = out.stdout.split()
    assert Path(where).parent == ROOT / "provided" and compiled == "True"


def test_the_canary_scan_finds_every_solution_in_the_reference_and_none_in_the_template():
    canaries = solution_canaries()
    assert len(canaries) >= 60
    found = canaries_found(ROOT / "reference", canaries)
    assert {line.split(" in ")[0] for line in found} == set(canaries.values())
    assert canaries_found(ROOT / "student_template", canaries) == []
    assert canaries_found(ROOT / "provided", canaries) == []


def _wheel(data):
    return zipfile.ZipFile(io.BytesIO(data))


def test_student_wheel_is_reproducible_and_holds_no_answers():
    data = student.render_wheel()
    assert data == student.render_wheel()
    archive = _wheel(data)
    names = archive.namelist()
    assert "autograder/editions/pytest_plugin.py" in names and "autograder/_fixtures/public.npz" in names
    assert {f"autograder/_provided/{n}" for n in PROVIDED if n.endswith(".py")} <= set(names)
    assert not [n for n in names if n.startswith(("autograder/_reference", "autograder/notebooks/"))
                or n.endswith(("hidden.npz", ".so", ".pyd", ".c"))]
    manifest = json.loads(archive.read("autograder/_fixtures/manifest.json"))
    assert set(manifest["files"]) == {"public.npz"} and set(manifest["keys"]) == {"public"}
    assert "hidden_seed" not in manifest
    info = f"cs231n_autograder_student-{student.version()}.dist-info"
    assert archive.read(f"{info}/entry_points.txt").decode() == "[pytest11]\nautograder = autograder.editions.pytest_plugin\n"
    metadata = archive.read(f"{info}/METADATA").decode()
    assert "Requires-Dist: pytest>=8" in metadata and "Cython" not in metadata and "copydetect" not in metadata
    for row in archive.read(f"{info}/RECORD").decode().splitlines():  # the hashes pip verifies
        name, digest, size = row.rsplit(",", 2)
        if name != f"{info}/RECORD":
            member = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(member).digest()).rstrip(b"=").decode()
            assert (digest, int(size)) == (f"sha256={expected}", len(member)), name


@pytest.mark.parametrize("kind", ["solution", "hidden key"])
def test_the_build_refuses_a_solution_or_a_hidden_fixture(monkeypatch, kind):
    if kind == "solution":
        planted, problem = f"def f(x):\n    {template.START}\n    return x + 1\n    {template.END}\n", "solution region"
    else:
        key = json.loads((paths.fixtures_dir() / "manifest.json").read_text())["keys"]["hidden"][0]
        planted, problem = f"KEYS = [{key!r}]\n", "names a hidden fixture"
    files = student._package_files()
    monkeypatch.setattr(student, "_package_files", lambda: {**files, "autograder/planted.py": planted.encode()})
    with pytest.raises(student.StudentBuildError, match=f"autograder/planted.py .*{problem}"):
        student.render_wheel()


def test_an_empty_solution_region_is_shipped(monkeypatch):
    files = student._package_files()
    stub = f"def f(x):\n    {template.START}\n    pass\n    {template.END}\n".encode()
    monkeypatch.setattr(student, "_package_files", lambda: {**files, "autograder/planted.py": stub})
    assert _wheel(student.render_wheel()).read("autograder/planted.py") == stub


def test_cli_builds_the_bundle_whose_requirements_install_its_wheel(tmp_path):
    result = CliRunner().invoke(main, ["student", "build", "--out", str(tmp_path / "bundle")])
    assert result.exit_code == 0, result.output
    bundle = tmp_path / "bundle"
    lines = [line.strip() for line in (bundle / "requirements.txt").read_text().splitlines()]
    assert "cs231n-autograder" not in lines
    wheels = [line for line in lines if line.endswith(".whl")]
    assert wheels == [template.checker_wheel_path()] and (bundle / wheels[0]).is_file()
    assert template.check(bundle) == []  # the template as `template build` writes it, plus the checker
    (bundle / "checker" / "cs231n_autograder_student-0.0.1-py3-none-any.whl").write_bytes(b"old")
    student.build(bundle)
    assert sorted(p.name for p in (bundle / "checker").iterdir()) == [Path(wheels[0]).name]


def test_without_the_reference_the_generators_say_so_and_the_sandbox_still_works(tmp_path, monkeypatch):
    """What the student edition is: the reference's folders are absent."""
    monkeypatch.setattr(paths, "_CHECKOUT", tmp_path)
    monkeypatch.setattr(paths, "_PACKAGE", tmp_path / "autograder")
    (tmp_path / "autograder").mkdir()
    (tmp_path / "autograder" / "_provided").symlink_to(ROOT / "provided")
    assert paths.reference_dir(missing_ok=True) is None
    for command in (["template", "build", "--out", str(tmp_path / "t")], ["fixtures", "build", "--out", str(tmp_path)],
                    ["student", "build", "--out", str(tmp_path / "b")]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1 and "the reference solutions are not installed" in result.output, result.output
        assert "Traceback" not in result.output
    from autograder.sandbox.confinement import default_hidden

    assert all(p.exists() for p in default_hidden())


def _site_packages(python):
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def _pytest_results(python, folder, junit, *args):
    """Run ``pytest`` in the template folder with the student edition; ``{check name: TestResult fields}``."""
    run = subprocess.run([str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={junit}", *args],
                         cwd=folder, capture_output=True, text=True, timeout=300)
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-3000:]
    results = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        prop = next(p for p in case.iter("property") if p.get("name") == "autograder")
        result = ast.literal_eval(prop.get("value"))
        failure = case.find("failure")
        if failure is not None:  # what the student sees is the grader's message and hint
            assert failure.get("message") == (result["message"] + (f"\nDiagnosis: {result['diagnosis']}" if
                                                                   result.get("diagnosis") else "")
                                              + (f"\nHint: {result['hint']}" if result["hint"] else ""))
        results[result["name"]] = result
    return results


def _graded(folder, profile=None):
    """``autograder grade --public-only`` by the full grader (this checkout), catalog checks only, as the students'
    pytest grades: without trusted layers (the student edition has no reference code to run them over)."""
    report = grade_catalog_only(folder, config=Config(include_hidden=False, profile=profile), trusted_layers=False)
    return {r.name: asdict(r) for r in report.results}


@pytest.mark.slow
def test_student_bundle_installed_alone_checks_like_the_grader_and_ships_no_answers(tmp_path):
    bundle = tmp_path / "bundle"
    wheel = student.build(bundle)
    # A fresh environment whose only package is the wheel, installed the way requirements.txt says (from the
    # bundle folder, by relative path, no index). Its dependencies (numpy, pytest...) are this environment's,
    # appended after its own site-packages by a .pth file: the .pth files of the appended folder (the editable
    # install of the full grader) are not processed, so `autograder` can only come from the wheel (checked).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = _site_packages(python)
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    line = next(l.strip() for l in (bundle / "requirements.txt").read_text().splitlines() if l.strip().endswith(".whl"))
    assert (bundle / line).resolve() == wheel.resolve()
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", "--disable-pip-version-check", line], cwd=bundle, check=True)
    where = subprocess.run([str(python), "-c", "import autograder, importlib.util as u; print(autograder.__file__); "
                            "print(u.find_spec('autograder._reference'), u.find_spec('autograder.notebooks'))"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split()
    assert Path(where[0]).is_relative_to(site) and where[1:] == ["None", "None"]

    stubs = _pytest_results(python, bundle, tmp_path / "stubs.xml")
    assert stubs and not [n for n, r in stubs.items() if r["status"] == "passed"]
    assert stubs == _graded(bundle)

    solved = tmp_path / "solved"
    shutil.copytree(bundle, solved)
    for rel, path in paths.reference_package_files().items():
        if paths.is_student_file(path):
            shutil.copyfile(path, solved / "cs231n" / rel)
    passed = _pytest_results(python, solved, tmp_path / "solved.xml", "--autograder-profile", "all")
    assert passed.keys() == stubs.keys() and all(r["status"] == "passed" for r in passed.values())

    # Nothing installed (nor anything in the bundle) holds a solution or hidden fixture data.
    canaries = solution_canaries()
    assert canaries_found(site, canaries) == [] and canaries_found(bundle, canaries) == []
    hidden = fixtures.load(include_hidden=True).arrays
    hidden_keys = json.loads((paths.fixtures_dir() / "manifest.json").read_text())["keys"]["hidden"]
    assert hidden_keys and set(hidden_keys) <= set(hidden)
    installed = [p for p in [*site.rglob("*"), *bundle.rglob("*")] if p.is_file()]
    assert not [p for p in installed if p.name == "hidden.npz"]
    for path in installed:
        data = path.read_bytes()
        assert not [k for k in hidden_keys if k.encode() in data], path
        if path.suffix == ".npz":
            with np.load(path) as npz:
                for name in npz.files:
                    assert not [k for k in hidden_keys if hidden[k].shape == npz[name].shape
                                and hidden[k].size > 1 and np.array_equal(hidden[k], npz[name])], (path, name)
