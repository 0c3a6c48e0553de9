"""results.json read back: read_results_json gives the report whose results.json is the same file."""
from autograder.config import Config
from autograder.grading.pipeline import grade
from autograder.grading.report import read_results_json, results_json, write_results_json

import json

BUG = """
def relu_backward(dout, cache):
    return dout  # the mask is missing
"""
CONTRACT = """
def relu_forward(x):
    return np.maximum(x, 0).astype(np.float64), x
"""


def test_a_results_json_reads_back_into_the_report_it_came_from(make_submission, tmp_path):
    for number, appends in enumerate(({"layers.py": BUG}, {"layers.py": CONTRACT},
                                      {"layers.py": "\n\ndel affine_forward\n"})):
        report = grade(make_submission(appends, name=f"s{number}"),
                       config=Config(profile="all", select=("relu_*", "affine_*")))
        data = results_json(report)
        assert any(t["status"] == "failed" for t in data["tests"]) or any("Warning" in t["output"] for t in data["tests"])
        again = read_results_json(data, report.submission)
        assert data["extra_data"]["timings"]["cases"] and data["extra_data"]["peak_child_memory_bytes"] > 0
        assert results_json(again) == data  # the instructor-only timings and memory too
        assert again.timings == report.timings and again.peak_child_memory_bytes == report.peak_child_memory_bytes
        graded = [r for r in report.results if r.status != "not_applicable"]
        assert [(r.name, r.target, r.kind, r.group, r.status, r.score, r.message, r.warning) for r in again.results] == \
            [(r.name, r.target, r.kind, r.group, r.status, r.score, r.message, r.warning) for r in graded]
        assert again.notes == report.notes and again.profile == report.profile


def test_a_submission_level_error_reads_back(tmp_path):
    (tmp_path / "empty").mkdir()
    report = grade(tmp_path / "empty", config=Config(select=("relu_*",)))
    data = results_json(report)
    again = read_results_json(data)
    assert again.error == report.error and again.error.startswith("no student package")
    assert results_json(again) == data
    write_results_json(tmp_path / "out" / "results.json", data)
    assert json.loads((tmp_path / "out" / "results.json").read_text()) == data
