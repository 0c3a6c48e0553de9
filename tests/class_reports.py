"""A small graded class written straight as results folders (no grading), with known statistics and hostile
strings, for the tests of the class reports (tests/test_exporters.py, tests/test_report_browser.py)."""
from autograder.model import Report, TestResult as Result
from autograder.grading.report import write_report

HOSTILE_SOURCE = "<img src=x onerror=alert(1)>.zip"
HOSTILE_MESSAGE = "conv_forward_naive raised ValueError: <script>alert(1)</script>"
STUDENTS = ("ann", "ben", "cat", "dan", "eve", "fay")
"""In gradebook order; fay has no results (not graded yet), eve's submission could not be graded."""
CHECKS = (("affine_forward: output", "affine_forward", "layers", 2.0, "public"),
          ("affine_forward: does not modify x", "affine_forward", "layers", 1.0, "public"),
          ("relu_backward: dx", "relu_backward", "layers", 3.0, "hidden"),
          ("conv_forward_naive: output", "conv_forward_naive", "conv", 4.0, "public"),
          ("affine_relu_backward: also works with your own layers (not graded)", "affine_relu_backward", "sandwich",
           0.0, "public"))
FAILS = {
    "ben": {"relu_backward: dx": "dx is wrong: relative error 1e-01"},
    "cat": {"relu_backward: dx": "dx is wrong: relative error 1e-01", "conv_forward_naive: output": HOSTILE_MESSAGE},
    "dan": {"relu_backward: dx": "dx has shape (2,), expected (3,)",
            "affine_relu_backward: also works with your own layers (not graded)": "relu_backward fails its checks"},
}
ERROR = "no student package found in eve: expected a folder such as cs231n/"
SCORES = {"ann": 10.0, "ben": 7.0, "cat": 3.0, "dan": 7.0, "eve": 0.0}


def write_class(out):
    """Write results.json and feedback.md of every student but fay into ``out``; returns the students."""
    for student in STUDENTS[:-1]:
        fails = FAILS.get(student, {})
        results = []
        for name, target, group, points, visibility in CHECKS:
            failed = student == "eve" or name in fails
            message = ERROR if student == "eve" else fails.get(name, "")
            results.append(Result(case_id="", name=name, target=target, kind="value", visibility=visibility,
                                      group=group, score=0.0 if failed else points, max_score=points,
                                      status="failed" if failed else "passed", message=message))
        report = Report(submission=student, results=results, profile="cs231n-2021",
                        error=ERROR if student == "eve" else "",
                        source=HOSTILE_SOURCE if student == "eve" else f"{student}/")
        assert report.score == SCORES[student]
        write_report(report, out / student)
    return list(STUDENTS)
