"""The student template: generated from the reference (code, notebooks, student files), never drifting from it;
`pytest` in it runs the grader's public checks; its notebooks run top to bottom offline once the code is written.
"""
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.editions import notebook_sources as notebooks, template
from autograder import paths
from autograder.catalog import all_cases

import student_notebooks
from conftest import QUICK_BUILD

pytest_plugins = ["pytester"]

PUBLIC_CHECKS = sum(len(c.tests) for c in all_cases() if c.visibility == "public")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return template.build(tmp_path_factory.mktemp("template") / "student_template")


def test_build_writes_exactly_what_check_expects(built):
    assert template.check(built) == []
    names = {str(p.relative_to(built)) for p in built.rglob("*") if p.is_file()}
    assert names == set(template.render())
    assert {"README.md", "conftest.py", "pytest.ini", "requirements.txt", "pyproject.toml", "setup.py",
            "cs231n/datasets/get_datasets.sh", "cs231n/datasets/digits.npz"} <= names
    assert {f"{n}.ipynb" for n in notebooks.NAMES} <= names
    assert os.access(built / "cs231n/datasets/get_datasets.sh", os.X_OK)


def test_check_finds_drift_and_build_repairs_it(tmp_path):
    folder = template.build(tmp_path / "t")
    (folder / "Dropout.ipynb").write_text("{}")
    (folder / "README.md").unlink()
    (folder / "cs231n" / "my_notes.py").write_text("x = 1\n")
    (folder / "cs231n" / "datasets" / "get_datasets.sh").chmod(0o644)
    (folder / ".pytest_cache").mkdir()  # what a local run leaves behind is not the template's business
    (folder / "cs231n" / "im2col_cython.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    problems = template.check(folder)
    assert problems == ["Dropout.ipynb differs from the reference it is generated from", "README.md is missing",
                        "cs231n/datasets/get_datasets.sh is not executable",
                        "cs231n/my_notes.py is not generated from the reference (remove it)"]
    template.build(folder)
    assert template.check(folder) == []
    assert not (folder / "cs231n" / "my_notes.py").exists()


def test_notebooks_are_deterministic_clean_and_stubbed(built):
    assert notebooks.render(template.stub_source) == notebooks.render(template.stub_source)
    for name in notebooks.NAMES:
        notebook = nbformat.read(built / f"{name}.ipynb", as_version=4)
        nbformat.validate(notebook)
        ids = [cell.id for cell in notebook.cells]
        assert len(ids) == len(set(ids)) > 10
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
        assert any("%matplotlib inline" in cell.source for cell in code)
        data_cell = next(cell.source for cell in code if "get_CIFAR10_data()" in cell.source)
        assert "except FileNotFoundError" in data_cell and "get_digits_data()" in data_cell
        for cell in code:  # every solution region of a notebook is empty in the template
            lines = [line.strip() for line in cell.source.splitlines()]
            for start in (i for i, line in enumerate(lines) if line == template.START):
                assert lines[start + 1:start + 3] == ["pass", template.END], (name, cell.source)


def test_notebook_sources_parse_into_markdown_and_code_cells():
    text = ("# header, dropped\n# %% [markdown]\n# # Title\n#\n# Some *text*.\n\n# %%\n# %matplotlib inline\n"
            "x = 1  # a comment\n\n# %%\n\n")
    assert notebooks.parse_cells(text) == [("markdown", "# Title\n\nSome *text*."),
                                           ("code", "%matplotlib inline\nx = 1  # a comment")]
    notebook = notebooks.build(text, "My Notebook")
    assert [cell.id for cell in notebook.cells] == ["my-notebook-000", "my-notebook-001"]
    assert notebooks.dumps(notebook).endswith("}\n")


def test_the_template_ships_no_hidden_checks_or_solutions(built):
    files = [p for p in built.rglob("*") if p.is_file()]
    assert [p.name for p in files if p.suffix == ".npz"] == ["digits.npz"]
    text = "\n".join(p.read_text() for p in files if p.suffix in (".py", ".ini", ".md", ".txt", ".ipynb"))
    assert "hidden.npz" not in text and "--hidden" not in text and "--instructor-fixtures" not in text
    reference = (paths.reference_dir() / "layers.py").read_text()
    stubbed = (built / "cs231n" / "layers.py").read_text()
    assert stubbed == template.stub_source(reference) and len(stubbed) < len(reference)


def test_pytest_in_the_template_folder_runs_every_public_check_and_scores_zero(pytester, built):
    shutil.copytree(built, pytester.path, dirs_exist_ok=True)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 0
    assert outcomes["failed"] + outcomes.get("skipped", 0) == PUBLIC_CHECKS
    assert "checks passed: 0 / " in result.stdout.str()
    assert "cs231n::affine_forward::notebook values: output" in result.stdout.str()


@pytest.mark.slow
def test_pytest_in_the_template_folder_with_the_reference_code_gets_full_marks(pytester, built):
    shutil.copytree(built, pytester.path, dirs_exist_ok=True)
    shutil.rmtree(pytester.path / "cs231n")
    paths.copy_reference_package(pytester.path / "cs231n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "--autograder-profile", "all")
    assert result.parseoutcomes() == {"passed": PUBLIC_CHECKS}
    assert f"{PUBLIC_CHECKS} of {PUBLIC_CHECKS} checks passed" in result.stdout.str()


@pytest.mark.slow
@pytest.mark.parametrize("name", notebooks.NAMES)
def test_notebooks_run_top_to_bottom_offline_with_the_reference_code(tmp_path_factory, name):
    """The notebooks with the reference's solutions (regions kept), next to the reference library and the
    digits, run by a Jupyter kernel with CS231N_QUICK=1 (short training); CIFAR-10 is absent, so they use the
    digits and say so. (The run is student_notebooks's, which test_notebooks_execute also submits to the grader.)"""
    notebook = nbformat.read(str(student_notebooks.executed(tmp_path_factory) / f"{name}.ipynb"), as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count for cell in code)  # every cell ran
    outputs = [o for cell in code for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "CIFAR-10 is not available, so this notebook uses the offline digits data" in printed
    assert "X_train: (200, 3, 32, 32)" in printed  # CS231N_QUICK cut the training set


@pytest.mark.slow
def test_pip_install_e_compiles_the_fast_layers_in_place(tmp_path, built):
    """The template's `pip install -e .` (the last line of its requirements.txt) builds the Cython kernels next
    to their source, where the notebooks' `import cs231n` finds them. Run here through the same setuptools
    backend that pip calls, without build isolation, so that no package is downloaded."""
    folder = tmp_path / "assignment"
    shutil.copytree(built, folder)
    assert (folder / "requirements.txt").read_text().splitlines()[-1] == "-e ."
    build = subprocess.run(
        [sys.executable, "-c", "from setuptools import build_meta; print(build_meta.build_editable('wheels'))"],
        cwd=folder, capture_output=True, text=True, timeout=600, env={**os.environ, **QUICK_BUILD})
    assert build.returncode == 0, build.stderr[-3000:]
    assert list((folder / "wheels").glob("cs231n_assignment-*.whl"))
    assert list((folder / "cs231n").glob("im2col_cython*.so"))
    probe = ("import warnings; warnings.simplefilter('error'); "
             "from cs231n import fast_layers; print(fast_layers.HAS_CYTHON)")
    run = subprocess.run([sys.executable, "-c", probe], cwd=folder, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "True", run.stderr[-3000:]
