"""report.html in a real headless browser (Chromium driven by Playwright): it opens from file:// with no console
error and nothing fetched, shows every figure, sorts the student table by a clicked column, and shows a student's
feedback one click away, with the submissions' markup shown as text (no script of theirs runs).

Needs Chromium from the system's packages (``apt-get install -y chromium`` on Debian; ``.ci/run`` installs it) and
Playwright for Python (the ``test`` extra). Playwright's own browser download (``playwright install``) is not used:
set ``AUTOGRADER_CHROMIUM`` to another Chromium or Chrome binary if it is elsewhere. Where either is missing the
tests skip, saying which and how to install it.
"""
import shutil

import pytest

from browser_support import browser, open_page, student_column  # noqa: F401 - browser is a fixture
from class_reports import HOSTILE_MESSAGE, HOSTILE_SOURCE, write_class

def test_report_html_loads_offline_shows_figures_sorts_and_shows_feedback(browser, tmp_path):
    from autograder.cohort.outputs import export

    out = tmp_path / "out"
    students = write_class(out)
    export(out, students)
    page, problems = open_page(browser, out / "report.html")

    figures = page.eval_on_selector_all("#figures img", """imgs => imgs.map(i => [i.alt, i.complete, i.naturalWidth,
        i.naturalHeight, i.getBoundingClientRect().width, i.getBoundingClientRect().height])""")
    assert [f[0] for f in figures] == ["Score histogram", "Pass rate per function", "Score per student and function"]
    for alt, complete, width, height, shown_width, shown_height in figures:
        assert complete and width > 0 and height > 0 and shown_width > 0 and shown_height > 0, alt

    assert student_column(page) == students  # gradebook order
    score = page.locator("#students thead th", has_text="score").first
    score.click()  # ascending; ties keep their order; fay (not graded yet) has no score and goes last
    assert student_column(page) == ["eve", "cat", "ben", "dan", "ann", "fay"]
    assert score.get_attribute("aria-sort") == "ascending"
    score.click()
    assert student_column(page) == ["ann", "ben", "dan", "cat", "eve", "fay"]
    assert score.get_attribute("aria-sort") == "descending"
    page.locator("#students thead th", has_text="source").click()  # text; the empty source last
    assert student_column(page) == ["eve", "ann", "ben", "cat", "dan", "fay"]
    page.locator("#students thead th", has_text="student").click()
    assert student_column(page) == students

    feedback = page.locator("section.feedback")
    assert feedback.count() == len(students) and not any(feedback.nth(k).is_visible() for k in range(len(students)))
    page.click("#students a.student >> text=cat")
    shown = [k for k in range(len(students)) if feedback.nth(k).is_visible()]
    assert shown == [students.index("cat")]
    text = feedback.nth(shown[0]).inner_text()
    assert "Feedback for cat" in text and "Score: 3 / 10" in text and HOSTILE_MESSAGE in text  # as text
    page.click("section.feedback:visible >> text=Back to the student table")
    page.click("#students a.student >> text=eve")
    assert feedback.nth(students.index("eve")).is_visible() and not feedback.nth(shown[0]).is_visible()
    assert page.locator("#students tbody tr", has_text="eve").inner_text().find(HOSTILE_SOURCE) >= 0

    summary = page.locator("#summary").inner_text()
    assert "Checks failed most often" in summary and "relu_backward: dx" in summary
    assert page.evaluate("document.querySelectorAll('script').length") == 1  # the page's own script only
    assert page.evaluate("document.querySelectorAll('[onerror], img[src=x]').length") == 0
    assert problems == []
    page.close()


@pytest.mark.slow
def test_the_report_of_a_real_batch_of_the_examples_works_in_the_browser(browser, tmp_path):
    from autograder.cohort.batch import run_batch
    from autograder.config import Config
    from autograder.sandbox.runner import Limits

    from conftest import ROOT

    subs = tmp_path / "subs"
    shutil.copytree(ROOT / "examples" / "other-courses", subs, ignore=shutil.ignore_patterns("README.md"))
    (subs / "<img src=x onerror=alert(2)>.zip").write_bytes(b"not a zip")  # a hostile file name: an error row
    run_batch(subs, tmp_path / "out", jobs=2, progress=False,
              config=Config(select=("relu_*", "max_pool_*"), limits=Limits(check_seconds=10)))
    page, problems = open_page(browser, tmp_path / "out" / "report.html")
    assert student_column(page) == ["img_src_x_onerror_alert_2", "alice", "bob", "carol"]  # "<" sorts first
    assert page.eval_on_selector_all("#figures img", "imgs => imgs.map(i => i.naturalWidth > 0)") == [True] * 3
    page.locator("#students thead th", has_text="score").first.click()
    scores = page.eval_on_selector_all("#students tbody tr",
                                       "rows => rows.map(r => parseFloat(r.cells[1].textContent))")
    assert scores == sorted(scores) and scores[0] == 0  # the corrupt zip first
    row = page.locator("#students tbody tr", has_text="img_src_x_onerror_alert_2").inner_text()
    assert "<img src=x onerror=alert(2)>.zip" in row and "neither a folder nor a valid .zip" in row
    page.click("#students a.student >> text=bob")
    assert "Feedback for bob" in page.locator("section.feedback:visible").inner_text()
    assert problems == []
    page.close()


def test_the_student_table_comes_first_and_fits_a_1280_by_800_window(browser, tmp_path):
    """Issue 23's layout: the student table before the figures, visible without scrolling in a 1280 x 800 window,
    no wider than the page; each group's header shows its maximum; warnings sit in the student's row."""
    from autograder.cohort.outputs import export

    out = tmp_path / "out"
    students = write_class(out)
    export(out, students)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto((out / "report.html").as_uri())
    page.wait_for_load_state("load")
    table = page.locator("#students").bounding_box()
    figures = page.locator("#figures").bounding_box()
    assert table["y"] < figures["y"], "the student table must come before the figures"
    assert 0 <= table["y"] < 800, table  # its top is in the first screen, without scrolling
    first_row = page.locator("#students tbody tr").first.bounding_box()
    assert first_row["y"] + first_row["height"] <= 800, first_row
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert table["x"] + table["width"] <= 1280
    heads = page.eval_on_selector_all("#students thead th", "ths => ths.map(t => t.textContent)")
    assert "warnings" in heads
    groups = [h for h in heads if h.endswith(")") and "(" in h]
    maxima = [float(h.rsplit("(", 1)[1].rstrip(")")) for h in groups]
    assert groups and all(m >= 0 for m in maxima) and any(m > 0 for m in maxima), heads
    page.screenshot(path=str(tmp_path / "report.png"))
    page.close()
