"""The class reports made from finished results: gradebook.csv (with each row's source and error), summary.md (score
distribution, per-function means and pass rates, the checks failed most often), the figures and report.html."""
import csv
import html
import io
import re
import struct
import zlib

from autograder.cohort import stats as class_stats
from autograder.cohort.outputs import EXPORTERS, export
from autograder.cohort.exporters import load_reports, summary_markdown
from autograder.cohort.figures import LABELLED_STUDENTS, heat_map_png
from autograder.model import Report, TestResult as Result
from autograder.cohort.report_html import markdown_html

from class_reports import ERROR, HOSTILE_MESSAGE, HOSTILE_SOURCE, write_class

FIGURES = ("figures/score_histogram.png", "figures/function_pass_rates.png", "figures/heat_map.png")


def _exported(tmp_path):
    out = tmp_path / "out"
    students = write_class(out)
    export(out, students)
    return out, students


def _png_chunks(data: bytes):
    """(type, payload) of every chunk of a PNG file, after checking its signature and every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        payload = data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + payload)
        chunks.append((kind.decode(), payload))
        at += 12 + length
    assert chunks[-1][0] == "IEND"
    return chunks


def _png_size(data: bytes):
    return struct.unpack(">II", _png_chunks(data)[0][1][:8])


def test_the_gradebook_has_each_rows_source_and_error_after_the_existing_columns(tmp_path):
    out, _ = _exported(tmp_path)
    text = (out / "gradebook.csv").read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["student", "conv", "layers", "sandwich", "score", "max_score", "error", "source"]
    by_student = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == ["ann", "ben", "cat", "dan", "eve", "fay"]
    assert by_student["ben"] == {"student": "ben", "conv": "4", "layers": "3", "sandwich": "0", "score": "7",
                                 "max_score": "10", "error": "", "source": "ben/"}
    assert by_student["eve"]["error"] == ERROR and by_student["eve"]["source"] == HOSTILE_SOURCE
    assert by_student["fay"]["error"] == "not graded yet" and by_student["fay"]["source"] == ""


def test_the_summary_gives_per_function_means_failing_checks_and_the_distribution(tmp_path):
    out, _ = _exported(tmp_path)
    text = (out / "summary.md").read_text()
    assert "Submissions: 6, graded: 5, with errors: 1" in text
    # Distribution over the five finished submissions: 0 (eve, could not be graded), 30, 70, 70, 100 %.
    assert "| score | 0.0% | 30.0% | 70.0% | 70.0% | 100.0% | 54.0% |" in text
    assert "| 90-100% | 1 # |" in text and "| 70-80% | 2 ## |" in text and "| 0-10% | 1 # |" in text
    assert "| 80-90% | 0  |" in text
    assert "points of" not in text  # a row in points only when every student has the same maximum and no error
    # Per function, over the four graded submissions (eve's error would swamp every function).
    assert "| affine_forward | 3 / 3 | 100.0% | 100% (4/4) |" in text
    assert "| relu_backward | 0.75 / 3 | 25.0% | 25% (1/4) |" in text
    assert "| conv_forward_naive | 3 / 4 | 75.0% | 75% (3/4) |" in text
    assert "affine_relu_backward |" not in text.split("## Checks")[0]  # a 0-point check is not a function's score
    # The checks failed most often, with the most common message; 0-point checks are not among them.
    failing = text.split("## Checks failed most often")[1].split("##")[0]
    rows = [line for line in failing.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows == ["| relu_backward: dx | 3 of 4 | dx is wrong: relative error 1e-01 |",
                    f"| conv_forward_naive: output | 1 of 4 | {HOSTILE_MESSAGE} |"]
    assert f"- eve ({HOSTILE_SOURCE}): {ERROR}" in text
    assert "Pass rate per check" not in text  # the long per-check table is gone


def test_the_summary_of_one_rubric_gives_points_and_a_typical_message_is_one_short_line():
    results = lambda score, message="": [Result(  # noqa: E731
        case_id="", name="relu_forward: output", target="relu_forward", kind="value", visibility="public",
        group="layers", score=score, max_score=2.0, status="passed" if score else "failed", message=message)]
    long = "x" * 500 + " | second part\nsecond line"
    reports = {"a": Report("a", results(2.0)), "b": Report("b", results(0.0, long)), "c": Report("c", results(0.0))}
    text = summary_markdown(reports)
    assert "| points of 2 | 0 | 0 | 0 | 1 | 2 | 0.6667 |" in text
    (row,) = [line for line in text.splitlines() if line.startswith("| relu_forward: output |")]
    assert row.endswith(" | 2 of 3 | " + "x" * 159 + "… |")  # the first line, shortened; ties: first student's
    assert class_stats.quantile([3, 1, 2, 4], 0.5) == 2.5 and class_stats.quantile([5], 0.25) == 5
    everyone_passes = summary_markdown({"a": Report("a", results(2.0))})
    assert "No submission graded without an error fails a check worth points." in everyone_passes
    assert "| relu_forward | 2 / 2 | 100.0% | 100% (1/1) |" in everyone_passes


def test_an_empty_or_ungraded_class_still_gets_every_file(tmp_path):
    export(tmp_path, ["amy", "bo"])
    assert "not graded yet" in (tmp_path / "gradebook.csv").read_text()
    assert "Submissions: 2, graded: 0" in (tmp_path / "summary.md").read_text()
    for name in FIGURES:
        assert _png_size((tmp_path / name).read_bytes())[0] > 0
    assert "Not graded yet." in (tmp_path / "report.html").read_text()


def test_the_figures_are_pngs_without_dates_and_the_same_bytes_every_time(tmp_path):
    out, students = _exported(tmp_path)
    first = {name: (out / name).read_bytes() for name in FIGURES}
    export(out, students)
    for name in FIGURES:
        assert (out / name).read_bytes() == first[name], name
        chunks = _png_chunks(first[name])
        assert not [kind for kind, _ in chunks if kind in ("tIME", "tEXt", "iTXt", "zTXt")], name
        width, height = _png_size(first[name])
        assert 300 < width < 3000 and 100 < height < 3000, (name, width, height)
    # The heat map grows with the class and names its rows up to LABELLED_STUDENTS; a big class stays readable.
    reports = load_reports(out, students)
    many = {f"s{k:03d}": reports["ben"] for k in range(3 * LABELLED_STUDENTS)}
    big = _png_size(heat_map_png(many))
    small = _png_size(heat_map_png(reports))
    assert big[1] > small[1] and big[1] <= 100 * 17


def test_report_html_is_self_contained_and_escapes_what_students_control(tmp_path):
    out, students = _exported(tmp_path)
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3
    assert not re.search(r"""(src|href)=['"]?(https?:|//)""", page)  # nothing fetched
    assert "<script>alert" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert html.escape(HOSTILE_SOURCE) in page and html.escape(HOSTILE_MESSAGE) in page
    assert page.count("<script>") == 1  # the page's own sorting script only
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    for number, student in enumerate(students):
        assert f"id=feedback-{number}>" in page and f"href='#feedback-{number}'>{student}</a>" in page
    assert page.index("Feedback for cat") < page.index("<h2>Summary</h2>") < page.index("Checks failed most often")
    assert (out / "report.html").read_bytes() == (export(out, students) or (out / "report.html").read_bytes())
    assert [name for name, _ in EXPORTERS][-1] == "report.html"  # after the figures it embeds


def test_markdown_html_renders_the_subset_our_files_use_and_escapes_everything():
    text = ("# Feedback for <b>x</b>\n\n**Score: 1 / 2** (profile)\n\n> note <i>\n> second\n\n## `relu` (1 / 2)\n\n"
            "- \u274c dx: <script>alert(1)</script>\n  - Hint: use `mask & x`\n- \u2705 output\n\n"
            "| a | b |\n|---|---|\n| 1 | <u>2</u> |\n\nplain & simple\n")
    out = markdown_html(text, shift=1)
    assert "<h2>Feedback for &lt;b&gt;x&lt;/b&gt;</h2>" in out
    assert "<p><strong>Score: 1 / 2</strong> (profile)</p>" in out
    assert "<blockquote>note &lt;i&gt;<br>\nsecond</blockquote>" in out
    assert "<h3><code>relu</code> (1 / 2)</h3>" in out
    assert ("<ul><li><span class=fail>\u2717</span> dx: &lt;script&gt;alert(1)&lt;/script&gt;<ul><li>Hint: use "
            "<code>mask &amp; x</code></li></ul></li><li><span class=pass>\u2713</span> output</li></ul>") in out
    assert ("<thead><tr><th>a</th><th>b</th></tr></thead><tbody>\n"
            "<tr><td>1</td><td>&lt;u&gt;2&lt;/u&gt;</td></tr>") in out
    assert "<p>plain &amp; simple</p>" in out
    assert "<script>" not in out and "<b>" not in out
