"""How ``pytest -n 2`` shares the suite between its workers (conftest's scheduler): the files it names exist, the
tests of a file that shares once-made work form one unit, and the longest work comes first."""
from pathlib import Path

import pytest

import conftest

TESTS = Path(__file__).resolve().parent


def test_the_files_the_schedule_names_exist():
    named = [*conftest.SCHEDULED_FIRST, *conftest.ONE_WORKER, *conftest.SAME_UNIT, *conftest.SAME_UNIT.values()]
    assert [name for name in named if not (TESTS / name).is_file()] == []
    assert len(set(conftest.SCHEDULED_FIRST)) == len(conftest.SCHEDULED_FIRST)


def test_a_shared_work_file_is_one_unit_and_other_tests_are_their_own():
    pytest.importorskip("xdist")
    option = type("Option", (), {"dist": "load", "loadscopereorder": True, "tx": ["popen", "popen"]})()
    config = type("Config", (), {"option": option, "getvalue": lambda self, name: getattr(self.option, name)})()
    scheduler = conftest.pytest_xdist_make_scheduler(config, None)
    assert config.option.loadscopereorder is False
    split = scheduler._split_scope
    assert split("tests/test_class_batch.py::test_one_rubric_one_max_score") == "tests/test_class_batch.py"
    assert split("tests/test_class_batch.py::test_a_broken_submission_does_not_stop_the_batch") == \
        "tests/test_class_batch.py"
    # test_notebooks_execute reads the notebooks test_student_template's unit executes: one unit for both
    assert split("tests/test_notebooks_execute.py::test_cli_reexecutes_and_writes_the_executed_notebooks") == \
        split("tests/test_student_template.py::test_build_writes_exactly_what_check_expects") == \
        "tests/test_student_template.py"
    assert set(conftest.SAME_UNIT) | set(conftest.SAME_UNIT.values()) <= set(conftest.ONE_WORKER)
    assert split("tests/test_layers.py::test_relu_forward_matches_notebook") == \
        "tests/test_layers.py::test_relu_forward_matches_notebook"
    config.option.dist = "worksteal"  # a --dist given on the command line is xdist's own
    assert conftest.pytest_xdist_make_scheduler(config, None) is None


def test_the_longest_work_is_collected_first():
    items = [type("Item", (), {"path": TESTS / name})() for name in ("test_layers.py", "test_install.py",
                                                                      "test_gradescope.py", "test_batch.py")]
    conftest.pytest_collection_modifyitems(items)
    assert [item.path.name for item in items] == ["test_gradescope.py", "test_install.py", "test_layers.py",
                                                  "test_batch.py"]
