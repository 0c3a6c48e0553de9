"""Re-execution of submitted notebooks in the sandbox (slow: each notebook starts an IPython kernel).

* The course's four notebooks, filled with the reference code and executed by the student's own Jupyter kernel,
  re-execute in the grader without a failing cell (quick rule, offline digits), print values within every
  threshold (except training accuracies, which the quick rule makes meaningless), and reproduce every
  deterministic value the student's run printed.
* Hand-edited printed values and outputs of code other than the submitted one are flagged; the same notebook
  with its own code is not.
* A cell that loops forever is interrupted at the cell limit and the notebook goes on; a cell that ignores the
  interrupt ends the run; the notebook's time limit kills it; the kernel sees neither the grader nor a network.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import nbformat
import pytest

import notebook_corpus as corpus
import student_notebooks
from autograder import paths
from autograder.notebook_checks import check_and_run, check_notebooks
from autograder.notebook_checks.execute import executed_notebook
from autograder.notebook_checks.rules import RULES_BY_ID
from autograder.sandbox.confinement import make_sandbox

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sandbox():
    return make_sandbox("auto")


def by_title(results, notebook):
    return {r.name.split(": ", 1)[1]: r for r in results if r.target == notebook}


def test_a_students_executed_notebooks_reexecute_cleanly_and_reproduce(tmp_path, tmp_path_factory, sandbox):
    """What a student who solved everything submits: the four notebooks as their own Jupyter kernel ran them, next to
    their code (student_notebooks). The grader re-executes them in its sandbox (quick rule): no cell fails, what its
    kernel printed meets every threshold (except training accuracies, which the quick rule makes meaningless), and
    every deterministic value the student's run printed is reproduced."""
    submitted = tmp_path / "submitted"
    shutil.copytree(student_notebooks.executed(tmp_path_factory), submitted)
    notebooks = sorted(submitted.glob("*.ipynb"))
    assert [p.stem for p in notebooks] == ["BatchNormalization", "ConvolutionalNetworks", "Dropout",
                                           "FullyConnectedNets"]
    started = time.monotonic()
    results, notes, loaded, runs = check_and_run(submitted, settings={"jobs": 2}, execute=True, sandbox=sandbox)
    seconds = time.monotonic() - started
    assert len(runs) == 4 and notes[0].startswith("notebooks re-executed in")
    for item in loaded:
        checks = by_title(results, item.name)
        assert checks["re-executes without errors"].status == "passed", checks["re-executes without errors"].message
        assert not runs[item.path].problem
    # The student's deterministic values, re-executed by the grader's kernel: the same.
    matches = [r for r in results if r.name.endswith("printed values match the re-execution")]
    assert len(matches) == 4
    for r in matches:
        assert r.status == "passed", r.message
        assert int(r.message.split()[0]) >= 9
    # What the grader's kernel printed meets every threshold, except accuracies after quick (1-epoch) training.
    executed = tmp_path / "executed"
    shutil.copytree(submitted / "cs231n", executed / "cs231n")
    for item in loaded:
        nbformat.write(executed_notebook(item.notebook, runs[item.path]), str(executed / item.name))
    static, _ = check_notebooks(executed, settings={}, execute=False)
    failing = [r for r in static if r.status == "failed"]
    training = {f"notebook:{r.target}:printed:{rule_id}:" for r in static for rule_id, rule in RULES_BY_ID.items()
                if not rule.compare}
    assert [r.name for r in failing if not any(r.case_id.startswith(t) for t in training)] == []
    assert len(static) > 100
    print(f"\nre-executing the four notebooks (quick rule, 2 at a time) took {seconds:.1f} s")


def test_hand_edited_values_and_foreign_outputs_are_flagged(tmp_path, make_submission, sandbox):
    clean = make_submission(name="clean")
    corpus_nb = corpus.executed()
    (clean / "layers.ipynb").write_text(corpus.dumps(corpus_nb))
    edited = make_submission(name="edited")
    (edited / "layers.ipynb").write_text(corpus.dumps(corpus.hand_edited()))
    # A student whose affine_backward is wrong submits a notebook whose outputs come from correct code.
    buggy = make_submission({"layers.py": '''
        def affine_backward(dout, cache):
            x, w, b = cache
            dx = (2 * dout @ w.T).reshape(x.shape)
            return dx, x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)
        '''}, name="buggy")
    (buggy / "layers.ipynb").write_text(corpus.dumps(corpus_nb))
    outcome = {}
    for root in (clean, edited, buggy):
        results, _ = check_notebooks(root, settings={}, execute=True, sandbox=sandbox)
        outcome[root.name] = by_title(results, "layers.ipynb")
    assert outcome["clean"]["printed values match the re-execution"].status == "passed"
    assert outcome["clean"]["re-executes without errors"].status == "passed"
    assert [t for t, r in outcome["clean"].items() if r.status == "failed"] == []
    message = outcome["edited"]["printed values match the re-execution"].message
    assert "code cell 2 [2] (`# Test the affine_forward function`): the notebook shows `difference:  1.2e-15` " \
           "but re-running the cell prints `difference:  9.7" in message
    assert "code cell 4 [4] (`# Test the relu_forward function`): the notebook shows `difference:  0.0042`" in message
    message = outcome["buggy"]["printed values match the re-execution"].message
    assert "code cell 3 [3] (`# Test the affine_backward function`): the notebook shows `dx error:" in message
    assert outcome["buggy"]["affine_backward dx error below 1e-08"].status == "passed"  # as submitted
    assert outcome["buggy"]["printed values match the re-execution"].score == 0


def test_cells_that_loop_forever_and_the_notebook_time_limit(tmp_path, sandbox):
    nb = corpus.loops_forever()
    probe = ("import os, socket\n"
             f"print('grader visible:', os.path.exists({str(paths.fixtures_dir() / 'manifest.json')!r}) or "
             f"os.path.exists({str(ROOT / 'autograder' / 'grading' / 'pipeline.py')!r}))\n"
             "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    print('network: open')\n"
             "except OSError:\n    print('network: blocked')")
    nb.cells.insert(1, nbformat.v4.new_code_cell(probe))
    (tmp_path / "cs231n").mkdir()
    (tmp_path / "cs231n" / "layers.py").write_text("def relu_forward(x):\n    return x, x\n")
    (tmp_path / "loops.ipynb").write_text(corpus.dumps(nb))
    settings = {"cell_seconds": 2, "interrupt_seconds": 2}
    results, notes, loaded, runs = check_and_run(tmp_path, settings=settings, execute=True, sandbox=sandbox)
    run = runs[loaded[0].path]
    statuses = [run.cells[c.index].status for c in loaded[0].cells]
    assert statuses == ["ok", "ok", "timeout", "ok", "timeout", "not_run"]
    printed = [corpus.code(executed_notebook(loaded[0].notebook, run))[i].outputs for i in (1, 3)]
    assert "after the loop" in printed[1][0]["text"]
    if sandbox.mode == "namespaces":
        assert printed[0][0]["text"] == "grader visible: False\nnetwork: blocked\n"
    message = by_title(results, "loops.ipynb")["re-executes without errors"].message
    assert message.startswith("a cell did not stop when the kernel was interrupted at the cell time limit")
    assert "(1 code cells were not run)" in message
    assert "code cell 3 [2] (`while True:`) exceeded the cell time limit of 2 s (interrupted)" in message
    # The notebook's own limit: a long cell is killed with everything it started.
    (tmp_path / "loops.ipynb").write_text(corpus.dumps(corpus.notebook(("import time\ntime.sleep(60)", "print(1)"))))
    started = time.monotonic()
    results, _ = check_notebooks(tmp_path, settings={"notebook_seconds": 6}, execute=True, sandbox=sandbox)
    assert time.monotonic() - started < 20
    message = by_title(results, "loops.ipynb")["re-executes without errors"].message
    assert message.startswith("the notebook's time limit of 6 s was exceeded (1 code cells were not run)")
    assert "running when the notebook's time limit of 6 s was reached" in message


def test_cli_reexecutes_and_writes_the_executed_notebooks(tmp_path, make_submission):
    from click.testing import CliRunner

    from autograder.cli import main

    root = make_submission()
    (root / "layers.ipynb").write_text(corpus.dumps(corpus.out_of_order()))
    out = tmp_path / "out"
    outcome = CliRunner().invoke(main, ["notebooks", str(root), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert "PASS  re-executes without errors" in outcome.output
    assert "PASS  printed values match the re-execution" in outcome.output
    assert "note: notebooks re-executed in" in outcome.output
    executed = nbformat.read(str(out / "executed" / "layers.ipynb"), as_version=4)
    assert [c.execution_count for c in corpus.code(executed)] == [1, 2, 3, 4, 5, 6]


def test_a_package_the_grader_lacks_is_not_charged_to_the_student(tmp_path, sandbox):
    """Issue 15: a 2020 notebook's `from imageio import imread` failed re-execution where the grader lacked
    imageio; a module no environment has stands for it here."""
    (tmp_path / "cs231n").mkdir()
    (tmp_path / "cs231n" / "layers.py").write_text("def relu_forward(x):\n    return x, x\n")
    nb = corpus.notebook(("import numpy as np\nfrom autograder_absent_imageio import imread", "print(np.zeros(2))"))
    corpus.run_in_process(nb)  # run as the student did, whose environment had the package: drop its error
    for cell in corpus.code(nb):
        cell.outputs = [o for o in cell.outputs if o.output_type != "error"]
    (tmp_path / "FullyConnectedNets.ipynb").write_text(corpus.dumps(nb))
    results, notes, _, _ = check_and_run(tmp_path, settings={}, execute=True, sandbox=sandbox)
    mine = by_title(results, "FullyConnectedNets.ipynb")
    reexecuted = mine["re-executes without errors"]
    assert reexecuted.status == "not_applicable" and reexecuted.score == 0
    assert "imports autograder_absent_imageio, which the grader's environment does not have" in reexecuted.message
    assert mine["printed values match the re-execution"].status == "not_applicable"
    assert any(n.startswith("grader's environment error, not charged to the student: FullyConnectedNets.ipynb")
               for n in notes)
