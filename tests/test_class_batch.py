"""A batch of a whole class under one rubric: the shipped examples plus the hand-made class of
:mod:`corpus.class_builder` (mixed layouts, course years, missing notebooks, two copied pairs, a corrupt zip),
graded once per module with ``autograder batch -j 2 --similarity`` and read by several tests.

To keep CI fast the course config selects the layer and update-rule checks (no models, sandwiches or training);
the rubric, the notebooks and the similarity do not depend on which checks run.
"""
import csv
import fcntl
import json
import os
import shutil

import pytest

from browser_support import browser, open_page, student_column  # noqa: F401 - browser is a fixture
from corpus import class_builder
from conftest import ROOT

EXAMPLES_OTHER_COURSE = {"bob": "nndl", "carol": "cs231n-2018"}
"""The examples whose code is another course's (examples/other-courses/README.md)."""
SELECT = ["affine_forward", "affine_backward", "relu_*", "softmax_loss", "svm_loss", "batchnorm_*", "layernorm_*",
          "dropout_*", "conv_*_naive", "max_pool_*_naive", "spatial_*", "sgd_momentum", "rmsprop", "adam"]
CLASS_PROFILE = "project"
"""This project's assignment: what every student who is not another course's submitted (the template's code)."""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """``(out folder, console output, {student: results.json})`` of one batch of the class. Under ``pytest -n`` the
    first worker to get here grades (holding a lock) and the others read the same folder."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    root, out = shared / "class_batch", shared / "class_batch" / "out"
    with open(shared / "class_batch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        console = root / "console.txt"
        if not console.exists():
            console.parent.mkdir(parents=True, exist_ok=True)
            output = _batch(root, out)
            console.with_suffix(".tmp").write_text(output)
            console.with_suffix(".tmp").replace(console)
    results = {path.parent.name: json.loads(path.read_text()) for path in sorted(out.glob("*/results.json"))}
    return out, console.read_text(), results


def _batch(root, out):
    """Build the class, add the examples, run ``autograder batch -j 2 --similarity``; returns its console output."""
    from click.testing import CliRunner

    from autograder.cli import main

    subs = class_builder.build(root / "submissions")
    for entry in (ROOT / "examples" / "other-courses").iterdir():
        if entry.name != "README.md":
            (shutil.copytree if entry.is_dir() else shutil.copy)(entry, subs / entry.name)
    config = root / "course.toml"
    config.write_text("select = [" + ", ".join(f'"{p}"' for p in SELECT) + "]\n" + class_builder.CONFIG_TOML)
    outcome = CliRunner().invoke(main, ["batch", str(subs), "--out", str(out), "--config", str(config), "-j", "2",
                                        "--no-progress", "--similarity"])
    assert outcome.exit_code == 0, outcome.output
    return outcome.output


def _gradebook(out):
    with open(out / "gradebook.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _other_course():
    return {**class_builder.OTHER_COURSE, **EXAMPLES_OTHER_COURSE}


def test_the_class_is_big_enough_and_every_student_has_a_row(graded):
    out, _, results = graded
    rows = _gradebook(out)
    assert len(rows) == len(results) >= 23
    assert all(row["error"] != "not graded yet" for row in rows)


def test_one_rubric_one_max_score(graded):
    out, console, results = graded
    assert {data["extra_data"]["profile"] for data in results.values()} == {CLASS_PROFILE}
    rows = _gradebook(out)
    assert len({row["max_score"] for row in rows}) == 1, {row["student"]: row["max_score"] for row in rows}
    assert float(rows[0]["max_score"]) > 0
    agreeing = len(results) - len(_other_course()) - len(class_builder.BROKEN)
    assert f"one rubric: profile {CLASS_PROFILE} (like {agreeing} of {len(results) - len(class_builder.BROKEN)} " \
           f"submissions)" in console


def test_a_warning_for_each_student_of_another_course_and_none_for_the_others(graded):
    out, console, results = graded
    warned = {student for student, data in results.items() if "Rubric warning: looks like" in data["output"]}
    assert warned == set(_other_course())
    for student, profile in _other_course().items():
        line = f"{student}: looks like {profile} (detected from "
        assert line in console, student
        assert f"but graded as {CLASS_PROFILE} like" in console
        assert f"- {line}" in (out / "summary.md").read_text()
    quiet = set(results) - set(_other_course())
    assert not any(f"warning: {student}:" in console for student in quiet)


def test_the_copied_pairs_top_the_similarity_list(graded):
    out, _, _ = graded
    with open(out / "similarity.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    top = [{row["student_a"], row["student_b"]} for row in rows[:2]]
    assert sorted(map(sorted, top)) == sorted(map(sorted, class_builder.COPIES)), rows[:4]


def test_missing_required_notebooks_cost_exactly_their_points(graded):
    """The students who left out notebooks wrote correct code and submitted the other notebooks executed: they lose
    every check of the missing notebooks, and nothing else."""
    _, _, results = graded
    for student, missing in class_builder.MISSING_NOTEBOOKS.items():
        data = results[student]
        names = tuple(f"{stem}.ipynb: " for stem in missing)
        lost = [t for t in data["tests"] if t["score"] < t["max_score"]]
        assert lost and all(t["name"].startswith(names) for t in lost), [t["name"] for t in lost][:5]
        of_missing = [t for t in data["tests"] if t["name"].startswith(names)]
        assert all(t["score"] == 0 and "is required but was not submitted" in t["output"] for t in of_missing)
        # the same checks (and points) as a submitted notebook of that name
        full = results["ada"]["tests"]
        assert sum(t["max_score"] for t in of_missing) == sum(t["max_score"] for t in full
                                                               if t["name"].startswith(names)) > 0
        assert data["score"] == pytest.approx(data["max_score"] - sum(t["max_score"] for t in of_missing))


def test_a_broken_submission_does_not_stop_the_batch(graded):
    out, _, results = graded
    for student, what in class_builder.BROKEN.items():
        assert results[student]["score"] == 0 and "zip" in results[student]["extra_data"]["error"], what
    rows = {row["student"]: row for row in _gradebook(out)}
    assert {s for s, row in rows.items() if row["error"]} == set(class_builder.BROKEN)
    assert all(float(rows[s]["score"]) > 0 for s in rows if s not in {*class_builder.BROKEN, *class_builder.UNTOUCHED})


def test_the_class_report_has_its_figures_and_opens_in_a_browser(graded, browser):
    """The class's report.html in headless Chromium: every figure shown, one row per student, sorting by score, and
    a warned student's feedback (with the rubric warning) one click away, with nothing fetched and no error."""
    out, _, results = graded
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert figures == ["function_pass_rates.png", "heat_map.png", "score_histogram.png"]
    assert all((out / "figures" / name).read_bytes().startswith(b"\x89PNG") for name in figures)
    page, problems = open_page(browser, out / "report.html")
    assert sorted(student_column(page)) == sorted(results)
    shown = page.eval_on_selector_all("#figures img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)")
    assert shown == [True, True, True]
    page.locator("#students thead th", has_text="score").first.click()
    scores = page.eval_on_selector_all("#students tbody tr", "rows => rows.map(r => parseFloat(r.cells[1].textContent))")
    assert scores == sorted(scores) and scores[0] == 0  # the corrupt zip and the untouched template first
    warned = sorted(_other_course())[0]
    page.click(f"#students a.student >> text={warned}")
    feedback = page.locator("section.feedback:visible").inner_text()
    assert f"Feedback for {warned}" in feedback and "looks like" in feedback
    assert "Rubric warnings" in page.locator("#summary").inner_text()
    assert problems == []
    page.close()
