"""The course's four notebooks as a student who solved everything submits them: filled with the reference's solutions
(the template's notebooks before stubbing, regions kept), next to the reference library and the shipped digits, run
top to bottom by a Jupyter kernel (nbclient) with ``CS231N_QUICK=1``, offline (CIFAR-10 is absent, so they use the
digits and say so), and saved with their outputs.

Two tests read the same run (``pytest -n`` keeps them on one worker, see ``conftest.ONE_WORKER``):
test_student_template checks what the student saw, and test_notebooks_execute submits the executed notebooks to the
grader, which re-executes them in its sandbox and compares the printed values, as it does with every submission.
The run is made once per session (``shared_once``); readers that change the folder copy it first.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import shared_once


def executed(tmp_path_factory) -> Path:
    """The folder: ``cs231n/`` (the reference, with ``datasets/`` holding the digits) and ``<Name>.ipynb`` for each
    notebook, executed."""
    return shared_once(tmp_path_factory, "student-notebooks", _execute)


def _execute(folder: Path):
    pytest.importorskip("matplotlib", reason="the notebooks plot with matplotlib")
    from nbclient import NotebookClient

    from autograder import paths
    from autograder.editions import notebook_sources as notebooks

    paths.copy_reference_package(folder / "cs231n")
    (folder / "cs231n" / "datasets").mkdir(exist_ok=True)
    shutil.copy(paths.digits_path(), folder / "cs231n" / "datasets")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CS231N_QUICK", "1")
        patch.setenv("MPLBACKEND", "Agg")
        for name in notebooks.NAMES:
            notebook = notebooks.build((notebooks.sources_dir() / f"{name}.py").read_text(encoding="utf-8"), name)
            NotebookClient(notebook, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(folder)}}).execute()
            nbformat.write(notebook, str(folder / f"{name}.ipynb"))
