"""The pytest plugin: one pytest test per public check, with the verdict and message `autograder grade` gives.

Most tests run pytest in-process (pytester) on a few functions' checks, so that each grading takes a second;
the full runs and the xdist run are marked slow.
"""
import ast
import json
import re
import shutil
import zipfile
from xml.etree import ElementTree

import pytest

from autograder.catalog import all_cases
from autograder.config import Config
from autograder.editions.pytest_plugin import CheckItem, item_name
from autograder.editions.template import END, START

from conftest import ROOT, grade_catalog_only as grade

pytest_plugins = ["pytester"]

REFERENCE = ROOT / "reference"
TEMPLATE = ROOT / "student_template"
PUBLIC = [(c, t) for c in all_cases() if c.visibility == "public" for t in c.tests]
FEW = "affine_forward or relu_backward or sgd_momentum"
FEW_TARGETS = ("affine_forward", "relu_backward", "sgd_momentum")



def run(pytester, *args):
    """pytest in-process; returns (RunResult, {test name: (outcome, TestResult fields)}) of the check tests."""
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *map(str, args))
    checks = {}
    for report in result.reprec.getreports("pytest_runtest_logreport"):
        fields = dict(report.user_properties).get("autograder")
        if fields is not None and report.when == "call":
            checks[fields["name"]] = (report.outcome, fields, report.longreprtext)
    return result, checks


def fill(template_pkg, function, reference_pkg=REFERENCE / "cs231n", module="layers.py"):
    """Put the reference's solution of one function into a template's module (its region only)."""
    def regions(text):
        lines, function_name, start, found = text.splitlines(keepends=True), None, None, []
        for number, line in enumerate(lines):
            match = re.match(r"(?:def|class) (\w+)", line)
            function_name = match.group(1) if match else function_name
            if line.strip() == START:
                start = number
            elif line.strip() == END:
                found.append((function_name, start, number))
        return lines, found

    ref_lines, ref_regions = regions((reference_pkg / module).read_text())
    lines, own_regions = regions((template_pkg / module).read_text())
    (ref_start, ref_end), = [(s, e) for name, s, e in ref_regions if name == function]
    (start, end), = [(s, e) for name, s, e in own_regions if name == function]
    lines[start:end + 1] = ref_lines[ref_start:ref_end + 1]
    (template_pkg / module).write_text("".join(lines))


@pytest.fixture
def template_copy(tmp_path):
    target = tmp_path / "student"
    shutil.copytree(TEMPLATE / "cs231n", target / "cs231n", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    return target


def test_one_test_per_public_check_named_after_it(pytester):
    result = pytester.runpytest_inprocess("--submission", REFERENCE, "--collect-only", "-q", "-p", "no:cacheprovider")
    ids = [line for line in result.outlines if "::" in line]
    assert len(ids) == len(PUBLIC) == len(set(ids))
    assert "reference/cs231n::affine_backward::numerical gradient: dw" in ids
    for case, test in PUBLIC:
        assert f"::{test.target or case.target}::{item_name(test.name)}" in "\n".join(ids)


def test_node_ids_stay_readable_and_safe():
    assert item_name("float64 step: config['m']") == "float64 step: config('m')"
    assert item_name("a::b/c") == "a:b|c"
    assert all("::" not in item_name(t.name) and "[" not in item_name(t.name) for _, t in PUBLIC)


def test_plugin_is_inert_without_a_submission(pytester):
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "score preview" not in result.stdout.str()


def test_reference_passes_and_template_fails_with_the_graders_messages(pytester):
    # `all` grades the sandwiches that -k relu_backward also selects (every course's starter provides them, so the
    # course profiles and the project's do not)
    _, passed = run(pytester, "--submission", REFERENCE, "-k", FEW, "--autograder-profile", "all")
    assert {outcome for outcome, _, _ in passed.values()} == {"passed"}
    result, failed = run(pytester, "--submission", TEMPLATE, "-k", FEW, "--autograder-profile", "all")
    assert set(failed) == set(passed) and {o for o, _, _ in failed.values()} == {"failed"}
    outcome, fields, text = failed["affine_forward: notebook values: output"]
    assert text == f"{fields['message']}\nHint: {fields['hint']}"
    assert "not implemented yet" in text and "Traceback" not in result.stdout.str()
    assert "0 of" in result.stdout.str() and "hidden checks" in result.stdout.str()


@pytest.mark.parametrize("submission", ["reference", "template", "filled"])
def test_verdicts_and_messages_equal_autograder_grade(pytester, template_copy, submission):
    path = {"reference": REFERENCE, "template": TEMPLATE, "filled": template_copy}[submission]
    if submission == "filled":
        fill(template_copy / "cs231n", "affine_forward")
    _, checks = run(pytester, "--submission", path, "-k", FEW)
    case_ids = sorted({fields["case_id"] for _, fields, _ in checks.values()})
    assert {c.split(".")[0] for c in case_ids} >= set(FEW_TARGETS)
    # The plugin grades without trusted layers (the student edition has no reference code to ship).
    report = grade(path, config=Config(select=tuple(case_ids), include_hidden=False), trusted_layers=False)
    # -k selects checks by name: a case's checks of another function (a forward's in its backward's gradient
    # check) may be left out
    results = [r for r in report.results if r.name in checks]
    assert len(checks) == len(results) > 10
    for r in results:
        outcome, fields, text = checks[r.name]
        assert outcome == {"passed": "passed", "failed": "failed", "not_applicable": "skipped"}[r.status], r.name
        assert (fields["status"], fields["message"], fields["hint"], fields["score"]) == (
            r.status, r.message, r.hint, r.score), r.name


def test_a_template_with_one_function_filled_in_passes_exactly_its_checks(pytester, template_copy):
    fill(template_copy / "cs231n", "affine_forward")
    _, checks = run(pytester, "--submission", template_copy)
    passed = {name for name, (outcome, _, _) in checks.items() if outcome == "passed"}
    assert len(checks) == len(PUBLIC)
    assert passed == {f"affine_forward: {t.name}" for c, t in PUBLIC if (t.target or c.target) == "affine_forward"}


def test_markers_and_keywords_select_checks(pytester):
    result = pytester.runpytest_inprocess("--submission", REFERENCE, "--collect-only", "-q", "-m", "gradient",
                                          "-p", "no:cacheprovider")
    ids = [line for line in result.outlines if "::" in line]
    assert len(ids) == sum(t.kind == "gradient" for _, t in PUBLIC)
    result = pytester.runpytest_inprocess("--submission", REFERENCE, "--collect-only", "-q", "-k", "conv",
                                          "-p", "no:cacheprovider")
    ids = [line for line in result.outlines if "::" in line]
    assert ids and all("conv" in line.lower() for line in ids)
    assert any("::conv_forward_naive::" in line for line in ids) and not any("::affine_forward::" in line for line in ids)


def test_keyword_selection_matches_function_and_check_names_only(pytester):
    """``-k affine`` selects the affine functions' checks, not relu_forward's (whose case group is affine_relu)."""
    assert any(c.group == "affine_relu" and c.target.startswith("relu_") for c, _ in PUBLIC)  # the trap exists
    result = pytester.runpytest_inprocess("--submission", REFERENCE, "--collect-only", "-q", "-k", "affine",
                                          "-p", "no:cacheprovider")
    ids = [line for line in result.outlines if "::" in line]
    targets = {line.split("::")[1] for line in ids}
    expected = {t.target or c.target for c, t in PUBLIC if "affine" in (t.target or c.target).lower()}
    assert targets == expected
    assert len(ids) == sum("affine" in f"{t.target or c.target} {item_name(t.name)}".lower() for c, t in PUBLIC)
    # a case id or group alone selects nothing; a check's own words still select it
    result = pytester.runpytest_inprocess("--submission", REFERENCE, "--collect-only", "-q", "-k", "affine_relu.notebook",
                                          "-p", "no:cacheprovider")
    assert not [line for line in result.outlines if "::" in line]
    result = pytester.runpytest_inprocess("--submission", REFERENCE, "--collect-only", "-q", "-k", "relu_forward and dx",
                                          "-p", "no:cacheprovider")
    assert not [line for line in result.outlines if "::" in line]  # relu_forward has no dx check
    result = pytester.runpytest_inprocess("--submission", REFERENCE, "--collect-only", "-q", "-k",
                                          "relu_backward and gradient", "-p", "no:cacheprovider")
    ids = [line for line in result.outlines if "::" in line]
    assert any("::relu_backward::" in line for line in ids) and all("relu_backward::" in line for line in ids)


def test_checks_a_course_does_not_assign_are_skipped_with_the_reason(pytester):
    result, checks = run(pytester, "--submission", REFERENCE, "--autograder-profile", "nndl", "-k", "layernorm_forward")
    assert checks and {outcome for outcome, _, _ in checks.values()} == {"skipped"}
    assert "not assigned in UCLA" in result.stdout.str()


def test_a_zipped_submission_and_explicit_paths(pytester, template_copy):
    fill(template_copy / "cs231n", "affine_forward")
    archive = pytester.path / "hw.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((template_copy / "cs231n").rglob("*.py")):
            zf.write(path, f"hw/{path.relative_to(template_copy)}")
    pytester.makepyfile(test_own="def test_own():\n    assert True\n")
    result, checks = run(pytester, "--submission", archive, "-k", "affine_forward or own", "test_own.py")
    # affine_forward's public checks: its notebook value and side effects (4), and its side effects in
    # affine_backward's gradient check (3), credited although affine_backward is still a stub
    assert result.parseoutcomes()["passed"] == 8
    assert {o for o, _, _ in checks.values()} == {"passed"} and len(checks) == 7


def test_hidden_checks_need_the_instructors_fixtures(pytester, tmp_path):
    result = pytester.runpytest_inprocess("--submission", REFERENCE, "--hidden", "--collect-only", "-q",
                                          "-p", "no:cacheprovider")
    hidden = sum(len(c.tests) for c in all_cases() if c.visibility == "hidden")
    assert len([line for line in result.outlines if "::" in line]) == len(PUBLIC) + hidden
    public_only = tmp_path / "fixtures"
    public_only.mkdir()
    for name in ("manifest.json", "public.npz"):
        shutil.copy(ROOT / "fixtures" / name, public_only / name)
    result = pytester.runpytest_inprocess("--submission", REFERENCE, "--instructor-fixtures", public_only,
                                          "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "no hidden fixtures" in result.stderr.str()


def test_a_missing_submission_is_a_usage_error(pytester, tmp_path):
    result = pytester.runpytest_inprocess("--submission", tmp_path / "nope", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR and "does not exist" in result.stderr.str()


def test_a_folder_without_a_package_fails_every_check_with_the_graders_reason(pytester, tmp_path):
    (tmp_path / "empty").mkdir()
    _, checks = run(pytester, "--submission", tmp_path / "empty", "-k", "affine_forward")
    assert len(checks) == 7
    assert {fields["message"] for _, fields, _ in checks.values()} == {
        grade(tmp_path / "empty", config=Config(select=("affine_forward",))).error}


def test_items_are_check_items_with_kind_and_visibility_markers(pytester):
    items, _ = pytester.inline_genitems("--submission", str(REFERENCE), "-k", "affine_backward", "-p", "no:cacheprovider")
    assert items and all(isinstance(i, CheckItem) for i in items)
    kinds = {i.name: {m.name for m in i.iter_markers()} for i in items}
    assert kinds["numerical gradient: dw"] >= {"gradient", "public"}
    assert kinds["numerical gradient: does not modify dout"] >= {"side_effect", "public"}
    assert kinds["numerical gradient: does not modify x"] >= {"side_effect", "public"}  # affine_forward's


@pytest.fixture(scope="module")
def graded_public():
    """``autograder grade`` of a submission's public checks without trusted layers, as the plugin grades; graded once
    per path for this module's tests (read-only)."""
    reports = {}

    def graded(path):
        if path not in reports:
            reports[path] = grade(path, config=Config(include_hidden=False), trusted_layers=False)
        return reports[path]

    return graded


@pytest.mark.slow
def test_full_runs_equal_autograder_grade(pytester, graded_public):
    for path, score in ((REFERENCE, None), (TEMPLATE, 0)):
        result, checks = run(pytester, "--submission", path)
        report = graded_public(path)
        assert {r.name: (r.status, r.message) for r in report.results} == {
            name: (fields["status"], fields["message"]) for name, (_, fields, _) in checks.items()}
        earned = report.score if score is None else score
        assert report.score == earned and f"{earned:g} / {report.max_score:g} points" in result.stdout.str()
    assert report.max_score > 150


@pytest.mark.slow
def test_xdist_workers_give_the_same_verdicts(pytester, graded_public):
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest_subprocess("--submission", REFERENCE, "-n", "2", "-v", "-p", "no:cacheprovider",
                                           f"--junitxml={junit}", timeout=600)
    assert "scheduling tests via CaseScheduling" in result.stdout.str()
    statuses = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        fields = ast.literal_eval(props["autograder"])  # junitxml writes str() of the property
        statuses[fields["name"]] = fields["status"]
    report = graded_public(REFERENCE)
    assert statuses == {r.name: r.status for r in report.results}
    assert json.dumps(sorted(set(statuses.values()))) == '["not_applicable", "passed"]'


OLD_STYLE_NET = """
_ModernNet = FullyConnectedNet


class FullyConnectedNet(_ModernNet):
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout=0, use_batchnorm=False,
                 reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        super().__init__(hidden_dims, input_dim, num_classes, 1 - dropout if dropout else 1,
                         "batchnorm" if use_batchnorm else None, reg, weight_scale, dtype, seed)
"""


def test_a_subset_is_graded_under_the_profile_a_full_grading_detects(pytester, make_submission):
    """A 2016-style net (use_batchnorm) makes dropout's p the drop probability: -k dropout must know that."""
    submission = make_submission({"classifiers/fc_net.py": OLD_STYLE_NET})
    layers = submission / "cs231n" / "layers.py"  # the 2016 starter's docstring states the convention too
    layers.write_text(layers.read_text().replace("We keep each neuron output", "We drop each neuron output"))
    _, checks = run(pytester, "--submission", submission, "-k", "dropout_forward")
    report = grade(submission, config=Config(select=("dropout_*", "FullyConnectedNet.dropout0.5"),
                                             include_hidden=False))
    assert report.profile == "cs231n-2016"
    expected = {r.name: (r.status, r.message) for r in report.results if r.target == "dropout_forward"}
    assert {name: (f["status"], f["message"]) for name, (_, f, _) in checks.items()} == expected
    # the reference keeps with probability p: 2016-2017 accept either reading of p (their notebooks print only the
    # fraction of zeros), so the subset passes as the full grading does, under the profile the full grading detects
    assert expected and all(status == "passed" for status, _ in expected.values())


def test_prefixed_options_and_their_ini_twins_resolve_like_the_old_spellings(pytester, tmp_path):
    def collected(*args):
        result = pytester.runpytest_inprocess(*args, "--collect-only", "-q", "-p", "no:cacheprovider")
        return len([line for line in result.outlines if "::" in line])

    hidden = sum(len(c.tests) for c in all_cases() if c.visibility == "hidden")
    assert collected("--autograder-submission", REFERENCE) == collected("--submission", REFERENCE) == len(PUBLIC)
    assert collected("--autograder-submission", REFERENCE, "--autograder-hidden") == len(PUBLIC) + hidden
    pytester.makeini(f"[pytest]\nautograder_submission = {REFERENCE}\nautograder_hidden = true\n")
    assert collected() == len(PUBLIC) + hidden
    public_only = tmp_path / "fixtures"
    public_only.mkdir()
    for name in ("manifest.json", "public.npz"):
        shutil.copy(ROOT / "fixtures" / name, public_only / name)
    pytester.makeini(f"[pytest]\nautograder_submission = {REFERENCE}\nautograder_fixtures = {public_only}\n")
    result = pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR and "no hidden fixtures" in result.stderr.str()


def test_the_students_pytest_shows_the_diagnosis_and_obeys_the_hints_setting(pytester, tmp_path):
    """Issue 23: a failed public check shows the grader's diagnosis; ``--autograder-hints none`` shows no hint."""
    from autograder import paths
    from test_feedback import SOFTMAX_BUG

    paths.copy_reference_package(tmp_path / "sub" / "cs231n")
    with open(tmp_path / "sub" / "cs231n" / "layers.py", "a", encoding="utf-8") as handle:
        handle.write("\n\n" + SOFTMAX_BUG)
    for setting, hinted in (("concepts", True), ("none", False)):
        _, checks = run(pytester, "--submission", tmp_path / "sub", "-k", "softmax_loss and gradient",
                        "--autograder-hints", setting)
        outcome, fields, text = checks["softmax_loss: notebook: gradient dx"]
        assert outcome == "failed" and "Diagnosis: dx is the expected value scaled by N (the batch size)." in text
        assert ("Hint:" in text) == hinted and bool(fields["hint"]) == hinted, text
