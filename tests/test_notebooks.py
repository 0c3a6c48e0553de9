"""Static notebook checks on the corpus of submitted notebooks (no kernel; fast).

Each corpus entry (:mod:`notebook_corpus`) must be reported as what it is: a clean run passes everything; a
notebook never run, run out of order, with error outputs, with a cell never executed, with printed values
outside the stated thresholds, truncated, not JSON or breaking the schema fails exactly the checks that say
so, with messages naming the cells, and nothing crashes.
"""
from __future__ import annotations

import json
import re

import pytest

import notebook_corpus as corpus
from autograder.config import load_config
from autograder.notebook_checks import POINT_KEYS, NotebookSettings, NotebookSettingsError, check_notebooks
from autograder.notebook_checks import rules as rules_module
from autograder.notebook_checks.execute import prepare
from autograder.notebook_checks.rules import RULES, Below, Near
from autograder.notebook_checks.static import display_names, find_notebooks, load, read_values

BASE_CHECKS = ("valid notebook file", "every code cell executed", "no error outputs",
               "cells executed in order, top to bottom")


def write(folder, name, nb_or_text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb_or_text, (str, bytes)):
        (path.write_bytes if isinstance(nb_or_text, bytes) else path.write_text)(nb_or_text)
    else:
        path.write_text(corpus.dumps(nb_or_text))
    return path


def check(tmp_path, nb, name="layers.ipynb", **settings):
    write(tmp_path, name, nb)
    results, notes = check_notebooks(tmp_path, settings=settings, execute=False)
    assert len(notes) == 1 and notes[0].startswith(f"notebook versions: {name}: notebook version ")
    return {r.name.split(": ", 1)[1]: r for r in results}


def failed(results):
    return {title for title, r in results.items() if r.status == "failed"}


def test_clean_notebook_passes_every_check(tmp_path):
    results = check(tmp_path, corpus.executed())
    assert failed(results) == set()
    assert set(BASE_CHECKS) <= set(results)
    printed = [t for t in results if t not in BASE_CHECKS]
    assert "affine_backward dx error below 1e-08" in printed
    assert "softmax_loss loss within 0.05 of 2.3026" in printed
    assert "TwoLayerNet with Solver best validation accuracy at least 0.5" in printed
    assert len(printed) == 10
    for r in results.values():
        assert r.name.startswith("layers.ipynb: ") and r.target == "layers.ipynb"
        assert (r.group, r.kind, r.visibility) == ("notebooks", "notebook", "public")
    assert results["affine_forward difference below 1e-07"].message.startswith("printed difference:  9.7")
    assert results["cells executed in order, top to bottom"].max_score == 0  # a warning unless counted


def test_never_run_notebook_fails_execution_and_every_printed_value(tmp_path):
    results = check(tmp_path, corpus.never_run())
    assert failed(results) == set(results) - {"valid notebook file"}
    assert results["every code cell executed"].message.startswith("6 of 6 code cells were never executed")
    assert "no code cell of the notebook was executed" in results["no error outputs"].message
    message = results["affine_backward dw error below 1e-08"].message
    assert message.startswith("nothing printed: code cell 3 (`# Test the affine_backward function`) was never run")


def test_out_of_order_is_a_warning_unless_the_config_counts_it(tmp_path):
    results = check(tmp_path, corpus.out_of_order())
    order = results["cells executed in order, top to bottom"]
    assert failed(results) == {"cells executed in order, top to bottom"}
    assert (order.score, order.max_score) == (0, 0)
    assert order.message.startswith("warning only, not counted: cells were run out of order: code cell 4 [4]")
    assert "ran before code cell 3 [9]" in order.message and "1, 2, 9, 4, 5, 6" in order.message
    counted = check(tmp_path, corpus.out_of_order(), count_out_of_order=True)["cells executed in order, top to bottom"]
    assert counted.max_score == POINT_KEYS["in_order"] and counted.score == 0
    assert not counted.message.startswith("warning")


def test_a_cell_never_executed_costs_points_and_its_values(tmp_path):
    results = check(tmp_path, corpus.one_cell_not_run())
    assert failed(results) == {"every code cell executed",
                               "TwoLayerNet with Solver best validation accuracy at least 0.5"}
    assert results["every code cell executed"].message.startswith("1 of 6 code cells were never executed: code cell 6")
    assert results["every code cell executed"].hint.startswith("Restart the kernel")


def test_a_skipped_colab_setup_cell_or_comment_only_cell_is_not_work_left_undone(tmp_path):
    import nbformat

    nb = corpus.executed()
    colab = ("# This mounts your Google Drive to the Colab VM.\nfrom google.colab import drive\n"
             "drive.mount('/content/drive', force_remount=True)\nFOLDERNAME = 'cs231n/assignments/assignment2/'\n"
             "import sys\nsys.path.append('/content/drive/My Drive/{}'.format(FOLDERNAME))")
    nb.cells[:0] = [nbformat.v4.new_code_cell(colab), nbformat.v4.new_code_cell("# # commented out\n# x = 1\n")]
    assert failed(check(tmp_path, nb)) == set()  # run on the student's own machine: the Colab cell rightly skipped
    nb.cells.insert(2, nbformat.v4.new_code_cell("x = 1"))  # an ordinary cell left unexecuted still costs points
    results = check(tmp_path, nb)
    assert failed(results) == {"every code cell executed"}
    assert results["every code cell executed"].message.startswith("1 of 9 code cells were never executed: code cell 3")


def test_error_outputs_name_the_cell_and_the_error(tmp_path):
    results = check(tmp_path, corpus.with_error())
    assert failed(results) == {"no error outputs", "relu_forward difference below 1e-06"}
    assert results["no error outputs"].message == (
        "error outputs: code cell 4 [4] (`# Test the relu_forward function`): TypeError: "
        "'NoneType' object is not subscriptable")
    assert "raised TypeError" in results["relu_forward difference below 1e-06"].message


def test_printed_values_outside_the_threshold_fail(tmp_path):
    results = check(tmp_path, corpus.hand_edited())
    # 1.2e-15 is within the threshold: only re-execution can tell (tests/test_notebooks_execute.py).
    assert failed(results) == {"relu_forward difference below 1e-06"}
    assert results["relu_forward difference below 1e-06"].message == "printed difference:  0.0042, not below 1e-06"


def test_seed_002_structure(tmp_path):
    results = check(tmp_path, corpus.seed_002(), name="ConvolutionalNetworks.ipynb")
    order = results["cells executed in order, top to bottom"]
    assert order.status == "failed" and order.max_score == 0
    assert "5, 7, 17, 34, 36, 37, 8, 18" in order.message
    assert results["every code cell executed"].message.startswith("1 of 9 code cells were never executed: code cell 9")
    dw = results["conv_backward_fast dw difference below 1e-07"]
    assert dw.message == "printed dw difference:  1.0, not below 1e-07"
    for ok in ("conv_backward_fast dx difference below 1e-07", "conv_forward_fast difference below 1e-07",
               "conv_forward_naive difference below 1e-06", "max_pool_forward_naive difference below 1e-06",
               "ThreeLayerConvNet initial loss without regularization within 0.1 of 2.3026",
               "ThreeLayerConvNet initial loss with regularization above the loss without regularization"):
        assert results[ok].status == "passed", ok
    # The course's ConvolutionalNetworks notebook has more test cells: missing ones fail, not vanish.
    missing = results["spatial_groupnorm_backward dx error below 1e-05"]
    assert missing.status == "failed" and "is missing from the notebook" in missing.message


@pytest.mark.parametrize("content, expected", [
    (lambda: corpus.truncated(corpus.executed()), "it ends early, at line"),
    (lambda: b"\xff\xfe\x00garbage", "not UTF-8 text"),
    (lambda: "", "the file is empty"),
    (lambda: '{"cells": [}', "not valid JSON (Expecting value at line 1, column 12)"),
    (lambda: '["a", "list"]', "JSON but not a Jupyter notebook"),
    (lambda: '{"cells": [], "nbformat": 99, "nbformat_minor": 0, "metadata": {}}', "nbformat cannot read it"),
])
def test_unreadable_notebooks_are_clear_errors(tmp_path, content, expected):
    results = check(tmp_path, content())
    assert failed(results) == set(results)
    assert expected in results["valid notebook file"].message
    assert results["every code cell executed"].message.startswith("not checked: the notebook could not be read")


def test_schema_errors_are_reported_and_the_rest_is_still_checked(tmp_path):
    results = check(tmp_path, corpus.schema_invalid(corpus.executed()))
    assert failed(results) == {"valid notebook file"}
    assert results["valid notebook file"].message.startswith("the notebook breaks the nbformat 4 schema")


def test_a_broken_notebook_has_the_same_checks_as_a_clean_one(tmp_path):
    """Max score does not depend on what is wrong: the course's notebook of that name lists its test cells."""
    clean = check(tmp_path / "a", corpus.executed(), name="FullyConnectedNets.ipynb")
    broken = check(tmp_path / "b", corpus.truncated(corpus.executed()), name="FullyConnectedNets.ipynb")
    assert list(clean) == list(broken)
    assert sum(r.max_score for r in clean.values()) == sum(r.max_score for r in broken.values()) > 8
    assert "the test cell of adam is missing from the notebook" in clean["adam m error below 1e-05"].message


def test_loops_forever_as_submitted(tmp_path):
    results = check(tmp_path, corpus.loops_forever())
    assert failed(results) == {"every code cell executed", "no error outputs"}
    assert "code cell 2 [2] (`while True:`): KeyboardInterrupt" in results["no error outputs"].message
    assert results["every code cell executed"].message.startswith("2 of 5 code cells were never executed: code cell 4")


def test_notebooks_are_found_anywhere_except_checkpoints(tmp_path):
    nb = corpus.executed()
    write(tmp_path, "layers.ipynb", nb)
    write(tmp_path, "backup/layers.ipynb", nb)
    write(tmp_path, "hw/FullyConnectedNets.ipynb", nb)
    write(tmp_path, ".ipynb_checkpoints/layers-checkpoint.ipynb", nb)
    write(tmp_path, "__MACOSX/._layers.ipynb", b"\x00\x05\x16\x07")
    found = find_notebooks(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "backup/layers.ipynb", "hw/FullyConnectedNets.ipynb", "layers.ipynb"]
    assert sorted(display_names(found, tmp_path).values()) == ["FullyConnectedNets.ipynb", "backup/layers.ipynb",
                                                               "layers.ipynb"]
    assert find_notebooks(tmp_path, exclude=("backup/*",))[0].name == "FullyConnectedNets.ipynb"
    results, _ = check_notebooks(tmp_path, settings={}, execute=False)
    assert {r.target for r in results} == {"FullyConnectedNets.ipynb", "backup/layers.ipynb", "layers.ipynb"}


def test_no_notebook_means_no_checks(tmp_path):
    (tmp_path / "cs231n").mkdir()
    assert check_notebooks(tmp_path, settings={}, execute=False) == ([], [])


def test_points_come_from_the_config(tmp_path):
    config = tmp_path / "course.toml"
    config.write_text('[notebooks]\ncount_out_of_order = true\n[notebooks.points]\nprinted = 1\n'
                      'affine_backward = 3\nexecuted = 5\n')
    settings = load_config(config).notebooks
    results = check(tmp_path, corpus.executed(), **settings)
    assert results["affine_backward dx error below 1e-08"].max_score == 3
    assert results["relu_forward difference below 1e-06"].max_score == 1
    assert results["every code cell executed"].score == 5
    assert results["cells executed in order, top to bottom"].max_score == POINT_KEYS["in_order"]


@pytest.mark.parametrize("settings, message", [
    ({"bogus": 1}, "unknown key(s) bogus in [notebooks]"),
    ({"points": {"nope": 1}}, "unknown key(s) nope in [notebooks.points]"),
    ({"points": {"printed": -1}}, "must be a number >= 0"),
    ({"count_out_of_order": "yes"}, "must be true or false"),
    ({"cell_seconds": 0}, "must be positive"),
    ({"cell_seconds": "10"}, "must be a number"),
    ({"include": "*.ipynb"}, "must be a list of strings"),
    ({"skip_cells": ["("]}, "is not a regular expression"),
])
def test_bad_settings_are_rejected(settings, message):
    with pytest.raises(NotebookSettingsError, match=re.escape(message)):
        NotebookSettings.from_dict(settings)


def test_default_settings():
    settings = NotebookSettings.from_dict({})
    assert not settings.execute and not settings.count_out_of_order and settings.quick
    assert settings.points_for("printed", "adam") == POINT_KEYS["printed"]


def test_rules_are_declarative_and_consistent():
    assert len({r.id for r in RULES}) == len(RULES)
    for rule in RULES:
        re.compile(rule.source)
        assert rule.values and rule.stated and rule.seeds
        for value in rule.values:
            assert "v" in value.regex().groupindex or "a" in value.regex().groupindex
    assert rules_module.around(1e-10) == Below(1e-8)
    below = Below(1e-8)
    assert below.agree(3e-10, 9e-10) and below.agree(0.0, 1e-15) and below.agree(3e-10, 2e-12)
    assert not below.agree(3e-10, 0.4) and not below.agree(9.7e-10, 1.2e-15, exact=True)
    assert below.agree(9.7e-10, 9.8e-10, exact=True) and not below.agree(3e-10, 2e-12, exact=True)
    near = Near(2.3026, 0.05)
    assert near.agree(2.30254, 2.30254) and not near.agree(2.30254, 2.33)


def test_printed_arrays_may_span_lines():
    rule = next(r for r in RULES if r.id == "spatial_batchnorm_forward")
    lines = ["After spatial batch normalization:", "  shape:  (2, 3, 4, 5)",
             "  means:  [ 6.18949336e-16  5.99520433e-16", "  -1.22124533e-16]", "  stds:  [0.99999962 1.2]"]
    values = read_values(rule, lines)
    assert [r.value for r in values["means"]] == [6.18949336e-16, 5.99520433e-16, -1.22124533e-16]
    assert [r.value for r in values["stds"]] == [0.99999962, 1.2]


def test_results_go_into_the_report(tmp_path):
    from autograder.model import Report
    from autograder.grading.report import feedback_markdown, results_json

    write(tmp_path, "layers.ipynb", corpus.with_error())
    results, _ = check_notebooks(tmp_path, settings={}, execute=False)
    report = Report(submission="alice", results=results)
    data = results_json(report)
    assert {t["tags"][2] for t in data["tests"]} == {"notebooks"}
    assert data["score"] < data["max_score"]
    assert "### `layers.ipynb`" in feedback_markdown(report)
    json.dumps(data)


def test_environment_lines_and_quick_literals_are_rewritten():
    nb = corpus.notebook((
        "from google.colab import drive\ndrive.mount('/content/drive')\nimport numpy as np",
        "!pip install numpy --upgrade\n%cd /content/drive/My\\ Drive\nprint(1)",
        "%%bash\nls",
        "solver = Solver(model, data, num_epochs=25, batch_size=100)\nnet.train(X, y, num_iters=1500)\nnum_epochs = 0",
        "from imageio import imread",
    ))
    settings = NotebookSettings(quick=True, quick_epochs=1, quick_iters=100)
    prepared, skipped, rewritten = prepare(nb, settings, (r"imread",))
    sources = [c.source for c in prepared.cells if c.cell_type == "code"]
    indices = [i for i, c in enumerate(prepared.cells) if c.cell_type == "code"]
    assert skipped == [indices[2], indices[4]]
    assert rewritten == [indices[0], indices[1], indices[3]]
    assert sources[0].splitlines()[0].startswith("pass  # [autograder] environment line not run")
    assert sources[0].splitlines()[2] == "import numpy as np"
    assert sources[1].splitlines()[2] == "print(1)"
    assert "num_epochs=1, batch_size=100" in sources[3] and "num_iters=100" in sources[3]
    assert sources[3].endswith("num_epochs = 0")
    full, _, rewritten = prepare(nb, NotebookSettings(quick=False), ())
    assert "num_epochs=25" in [c.source for c in full.cells if c.cell_type == "code"][3]


def test_cli_static_only(tmp_path, make_submission):
    from click.testing import CliRunner

    from autograder.cli import main

    root = make_submission()
    write(root, "layers.ipynb", corpus.out_of_order())
    outcome = CliRunner().invoke(main, ["notebooks", str(root), "--static-only", "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 0, outcome.output
    assert "WARN  cells executed in order, top to bottom: warning only" in outcome.output
    assert (tmp_path / "out" / "results.json").exists()
    write(root, "layers.ipynb", corpus.never_run())
    outcome = CliRunner().invoke(main, ["notebooks", str(root), "--static-only"])
    assert outcome.exit_code == 1 and "FAIL  every code cell executed" in outcome.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert CliRunner().invoke(main, ["notebooks", str(empty), "--static-only"]).exit_code == 2


def test_load_never_raises_on_odd_cells(tmp_path):
    nb = corpus.executed()
    data = json.loads(corpus.dumps(nb))
    data["cells"][0]["source"] = 42
    data["cells"][2]["outputs"] = "not a list"
    data["cells"].append("not a cell")
    loaded = load(write(tmp_path, "odd.ipynb", json.dumps(data)))
    assert loaded.invalid and loaded.notebook is not None


def test_batch_summary_counts_students(tmp_path):
    from autograder.model import Report
    from autograder.notebook_checks.summary import notebook_summary
    from autograder.grading.report import read_results_json, results_json

    rows = {}
    for student, nb in (("alice", corpus.executed()), ("bob", corpus.out_of_order()), ("carol", corpus.never_run())):
        folder = tmp_path / student
        write(folder, "layers.ipynb", nb)
        results, _ = check_notebooks(folder, settings={}, execute=False)
        rows[student] = read_results_json(results_json(Report(submission=student, results=results)))
    rows["dave"], rows["erin"] = None, read_results_json({"tests": []})
    lines = notebook_summary(rows)
    assert "Submissions with notebooks: 3" in lines
    assert "| every cell executed | 2/3 (67%) |" in lines
    assert "| run in order | 1/3 (33%) |" in lines
    assert "| printed test values within their thresholds (all notebooks) | 20/30 (67%) |" in lines
    assert notebook_summary({"dave": None}) == []
