"""Acceptance corpus of the grader: realistic submissions, correct and wrong, graded end to end.

- Every layout real courses use (folders, zips with and without a top folder, Canvas nesting, renamed
  packages with absolute imports, the nndl/ split, a course-pinned layout, edited or missing provided
  files, the starter's ``pass`` left in front of working code) scores what the reference scores, with
  every function found in the module it is defined in, and no import errors.
- Every realistic bug of :mod:`corpus.bugs` lowers the score, fails a test named for the bugged function,
  fails only tests of functions that use it, and explains every failure. Bugs that can still be told apart
  in one report share a submission (:func:`corpus.bugs.groups`): 43 bugs take 15 gradings.
- Faults are isolated: a syntax error, an exception deep inside, a wrong shape, NaN, a missing function
  and the template's stubs each cost only the checks that depend on them, with a message saying what
  went wrong and where.

Each submission is graded once, as ``autograder grade`` does (child process, sandbox). Failures are compared
with the reference's own results, so a check that fails on the reference is reported by
``test_layout[cs231n]`` alone (the reference is graded only when a failure needs explaining).
"""
from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder import catalog, paths
from autograder.grading import credit_isolation as isolation
from autograder.catalog import all_cases, wanted_names
from autograder.config import Config, load_config
from autograder.profiles import PROFILES
from conftest import grade_catalog_only as grade
from corpus import _segment, fresh, layouts, replace_in_function, stub_regions, write_tree
from corpus.bugs import BUGS, groups

pytestmark = pytest.mark.slow

AVAILABLE = set(catalog.MODULES)
ACTIVE = [bug for bug in BUGS if not bug.needs or bug.needs in AVAILABLE]
MISSING = [bug for bug in BUGS if bug.needs and bug.needs not in AVAILABLE]
GROUPS = groups(ACTIVE)



# ----------------------------------------------------------------------------- grading helpers
FIND_SCRIPT = """
import json, sys, tempfile
from pathlib import Path
from autograder.catalog import all_cases, wanted_names
from autograder.child.loader import Submission
from autograder.profiles import PREFERRED
from autograder.sandbox.submission import find_layout, stage, unpack
path, packages, pins = Path(sys.argv[1]), tuple(json.loads(sys.argv[2])), json.loads(sys.argv[3])
with tempfile.TemporaryDirectory() as scratch:
    stage_dir, staged = stage(find_layout(unpack(path, Path(scratch)), packages), Path(scratch))
    sub = Submission(stage_dir, staged, "_corpus_find").load()
    _, where = sub.find(wanted_names(all_cases()), pins, PREFERRED)
    print(json.dumps({"where": where, "import_errors": sub.import_errors, "packages": list(staged)}))
"""


def found_where(path, packages=(), pins=None):
    """Where the grader's loader finds every wanted name (module relative to the submission root).

    Runs the grader's own staging and loader in a fresh interpreter, as the child does, so that the test
    process's modules (the reference is importable as ``cs231n`` here) cannot interfere.
    """
    done = subprocess.run([sys.executable, "-c", FIND_SCRIPT, str(path), json.dumps(list(packages)),
                           json.dumps(pins or {})], capture_output=True, text=True, timeout=120,
                          cwd=tempfile.gettempdir())
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@functools.lru_cache(maxsize=1)
def reference_failures():
    """Tests that fail on the reference itself (graded once per worker, only when a failure needs explaining)."""
    report = grade(paths.reference_dir().parent, config=Config(profile="all"))
    return frozenset((r.case_id, r.name) for r in report.results if r.status == "failed")


def unexplained(failed):
    """The failures the reference does not have too."""
    if not failed:
        return []
    known = reference_failures()
    return [r for r in failed if (r.case_id, r.name) not in known]


def applicable_cases(profile, found=(), notebooks=()):
    """The cases ``profile`` grades, with the optional helpers the submission has (``found``: names), restricted to
    the homeworks its notebooks (``notebooks``: file stems) belong to, as the grader scopes a homework course."""
    graded = PROFILES[profile].scoped(found, (), notebooks).with_present(found)
    return {case.id for case in all_cases() if graded.applies(case.all_requires())}


def _notebook_stems(path):
    """The file stems of the notebooks in a submission folder or zip."""
    import zipfile

    names = zipfile.ZipFile(path).namelist() if zipfile.is_zipfile(path) else [str(p) for p in Path(path).rglob("*")]
    return tuple(Path(n).stem for n in names if n.endswith(".ipynb"))


def course_toml(config):
    """The course config file a course would write for ``config`` (packages and function pins)."""
    lines = []
    if config.get("packages"):
        lines.append("packages = [" + ", ".join(f'"{p}"' for p in config["packages"]) + "]")
    if config.get("functions"):
        lines += ["", "[functions]"] + [f'{name} = "{module}"' for name, module in config["functions"].items()]
    return "\n".join(lines) + "\n"


def describe(results, limit=12):
    """Failures grouped by function and message (a missing module fails dozens of tests the same way)."""
    by_message = {}
    for r in results:
        by_message.setdefault((r.target, r.message), []).append(r.name.split(": ", 1)[-1])
    lines = [f"  - {target}: {len(names)} test(s) ({names[0]}{', ...' if len(names) > 1 else ''}): "
             f"{message[:400]}" for (target, message), names in by_message.items()]
    return "\n".join(lines[:limit] + ([f"  ... and {len(lines) - limit} more"] if len(lines) > limit else []))


# ----------------------------------------------------------------------------- correct layouts
@pytest.mark.parametrize("layout", layouts.LAYOUTS, ids=lambda layout: layout.name)
def test_layout(layout, tmp_path):
    """A correct submission in this layout scores what the reference scores, found without configuration
    (the pinned layout: with its course config file)."""
    path = layouts.build(layout, tmp_path / "submission")
    config = Config()
    if layout.config:
        toml = tmp_path / "course.toml"
        toml.write_text(course_toml(layout.config))
        config = load_config(toml)
    report = grade(path, config=config)
    seen = found_where(path, config.packages, config.functions)
    problems = []
    if report.error:
        problems.append(f"the submission could not be graded: {report.error}")
    if report.profile != layout.profile:
        problems.append(f"profile {report.profile!r} was detected, expected {layout.profile!r}")
    graded = {r.case_id for r in report.results if r.status != "not_applicable"}
    applicable = applicable_cases(layout.profile, seen["where"], _notebook_stems(path))
    if not report.error and graded != applicable:
        problems.append(f"graded cases differ from the profile's: missing {sorted(applicable - graded)}, "
                        f"extra {sorted(graded - applicable)}")
    failed = unexplained([r for r in report.results if r.status == "failed"])
    if failed:
        problems.append(f"{len(failed)} tests failed that pass on the reference:\n{describe(failed)}")
    found = seen["where"]
    for name, module in layout.where.items():
        if found.get(name) != module:
            problems.append(f"{name} was found in {found.get(name)}, expected {module}")
    wanted = set(wanted_names(all_cases()))
    lost = sorted(n for n in (PROFILES[layout.profile].assigned & wanted) | {"Solver"} if n not in found)
    if lost:
        problems.append(f"assigned functions not found: {', '.join(lost)}")
    problems += [f"note on a correct submission: {note}" for note in report.notes if "could not be" in note]
    assert not problems, f"{layout.name} ({layout.description}):\n" + "\n".join(problems)


def test_pinned_layout_needs_its_pins(tmp_path):
    """Without the course's pins the loader would take the scratch module's versions (so the pins matter)."""
    layout = layouts.BY_NAME["pinned"]
    path = layouts.build(layout, tmp_path / "submission")
    unpinned = found_where(path, layout.config["packages"])["where"]
    pinned = found_where(path, layout.config["packages"], layouts.PINS)["where"]
    assert {name: unpinned[name] for name in layouts.PINS} == {name: "hw2.attempts" for name in layouts.PINS}
    assert {name: pinned[name] for name in layouts.PINS} == layouts.PINS


# ----------------------------------------------------------------------------- realistic bugs
def _group_id(group):
    return "+".join(bug.id for bug in group)


def write_bugs(group, dest):
    files = layouts.cs231n_student()
    for bug in group:
        key = f"cs231n/{bug.file}"
        files[key] = bug.apply(files[key])
    return write_tree(fresh(dest), files)


BUG_PARAMS = [pytest.param(group, id=_group_id(group)) for group in GROUPS] + [
    pytest.param([bug], id=bug.id, marks=pytest.mark.skip(
        reason=f"{bug.id}: its checks are in autograder/catalog/{bug.needs}.py, which is not in the catalog yet"))
    for bug in MISSING]


@pytest.mark.parametrize("group", BUG_PARAMS)
def test_bugs_cost_points_where_they_are(group, tmp_path):
    """Each bug fails a test named for its function, costs points, and fails nothing outside its users."""
    assert_bugs_caught(group, tmp_path)


def assert_bugs_caught(group, tmp_path):
    """Grade ``group`` planted together: each bug costs points in a test of its own function, nothing outside
    the functions it reaches fails, and credit isolation keeps models and sandwiches whole (also used by
    ``test_contract_bugs.py``)."""
    report = grade(write_bugs(group, tmp_path / "submission"), config=Config(profile="all"))
    assert not report.error, report.error
    failed = [r for r in report.results if r.status == "failed"]
    problems = [f"{r.name}: failed with an empty message" for r in failed if not r.message.strip()]
    outside = [r for r in failed if not any(_reaches(r.target, bug.allowed_targets) for bug in group)]
    outside = unexplained(outside)
    if outside:
        problems.append(f"tests of functions no bug reaches failed:\n{describe(outside)}")
    # Credit isolation (on by default): models, sandwiches and spatial norms lose points only for their own bugs.
    # (Provided sandwiches count over trusted layers only once the layers they call earn points of their own.)
    dependent = {case.id for case in all_cases() if isolation.depends_on_layers(case)}
    bugged = {name for bug in group for name in (bug.target, bug.target.replace("_forward", "_backward"))}
    earned = {}
    for r in report.results:
        earned[r.target] = earned.get(r.target, 0) + r.score
    idle = {name for name, layers in isolation.provided_calls().items() if any(earned.get(n, 0) <= 0 for n in layers)}
    spilled = unexplained([r for r in failed if r.case_id in dependent and r.max_score > 0
                           and r.target not in bugged | idle])
    if spilled:
        problems.append(f"with credit isolation, checks of models or sandwiches lost points:\n{describe(spilled)}")
    for bug in group:
        own = [r for r in failed if r.name.startswith(f"{bug.target}: ")]
        lost = sum(r.max_score - r.score for r in own)
        if not own:
            problems.append(f"{bug.id} ({bug.description}): no test of {bug.target} failed")
        elif lost <= 0:
            problems.append(f"{bug.id}: only tests worth no points failed:\n{describe(own)}")
    assert not problems, f"bugs {_group_id(group)}:\n" + "\n".join(problems)
    assert report.score < report.max_score


def test_corpus_has_enough_distinct_bugs():
    assert len(BUGS) >= 25
    assert len({bug.id for bug in BUGS}) == len({(bug.function, bug.old, bug.new) for bug in BUGS}) == len(BUGS)
    assert len({bug.target for bug in BUGS}) >= 20


# ----------------------------------------------------------------------------- isolation of faults
SYNTAX_LINE = "pooled_dim = num_filters * (H // 2) * (W // 2)"


def _line_of(text, fragment):
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


def _remove_function(text, function):
    first, last = _segment(text, function)
    lines = text.splitlines(keepends=True)
    return "".join(lines[: first - 1] + lines[last:])


def write_faults(dest):
    """A CS231n submission with one fault of each kind in different functions; returns (path, cnn.py line)."""
    files = layouts.cs231n_student()
    layers, cnn = "cs231n/layers.py", "cs231n/classifiers/cnn.py"
    files[cnn] = replace_in_function(files[cnn], "ThreeLayerConvNet.__init__", SYNTAX_LINE, SYNTAX_LINE[:-1])
    edits = [  # (function, old, new): an exception deep inside numpy, a transposed gradient, NaN
        ("svm_loss", "margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)",
         "margins = np.maximum(0, x - correct_class_scores + 1.0)"),
        ("affine_backward", "dw = x.reshape(x.shape[0], -1).T.dot(dout)", "dw = dout.T.dot(x.reshape(x.shape[0], -1))"),
        ("spatial_groupnorm_forward", "std = np.sqrt(sample_var + eps)",
         "std = np.sqrt(sample_var - sample_mean**2 + eps)"),
    ]
    for function, old, new in edits:
        files[layers] = replace_in_function(files[layers], function, old, new)
    files[layers] = _remove_function(files[layers], "batchnorm_backward_alt")
    files[layers] = stub_regions(files[layers], ["max_pool_forward_naive", "max_pool_backward_naive"])
    files["cs231n/optim.py"] = stub_regions(files["cs231n/optim.py"], ["sgd_momentum"], "raise NotImplementedError")
    files["cs231n/classifiers/fc_net.py"] = stub_regions(files["cs231n/classifiers/fc_net.py"],
                                                         ["TwoLayerNet.__init__", "TwoLayerNet.loss"])
    return write_tree(fresh(dest), files), _line_of(files[cnn], SYNTAX_LINE[:-1])


FAULT_TARGETS = {  # fault -> targets it may cost points in
    "syntax error in classifiers/cnn.py": {"ThreeLayerConvNet"},
    "ValueError inside svm_loss": {"svm_loss"},
    "affine_backward returns dw transposed": {"affine_backward", "affine_relu_backward", "affine_bn_relu_backward",
                                              "affine_ln_relu_backward", "TwoLayerNet", "FullyConnectedNet",
                                              "ThreeLayerConvNet"},
    "NaN in spatial_groupnorm_forward": {"spatial_groupnorm_forward", "spatial_groupnorm_backward"},
    "batchnorm_backward_alt is missing": {"batchnorm_backward_alt"},
    "template stubs": {"max_pool_forward_naive", "max_pool_backward_naive", "sgd_momentum", "TwoLayerNet",
                       "FullyConnectedNet"},
}


def test_faults_cost_only_what_depends_on_them(tmp_path):
    path, line = write_faults(tmp_path / "submission")
    report = grade(path, config=Config(profile="all"))
    results = [r for r in report.results if r.status != "not_applicable"]
    failed = [r for r in results if r.status == "failed"]
    by_target = {}
    for r in results:
        by_target.setdefault(r.target, []).append(r)
    problems = []
    allowed = set().union(*FAULT_TARGETS.values())
    outside = unexplained([r for r in failed if r.target not in allowed])
    if outside:
        problems.append(f"faults cost points in unrelated checks:\n{describe(outside)}")
    problems += [f"{r.name}: failed with an empty message" for r in failed if not r.message.strip()]

    # A syntax error: only ThreeLayerConvNet, and the report names the file and the line.
    notes = [n for n in report.notes if "cs231n/classifiers/cnn.py" in n and "SyntaxError" in n]
    if not any(f"line {line}" in n for n in notes):
        problems.append(f"no note names cs231n/classifiers/cnn.py, line {line}: {report.notes}")
    for r in by_target["ThreeLayerConvNet"]:
        if r.status != "failed" or "cs231n/classifiers/cnn.py" not in r.message:
            problems.append(f"{r.name}: expected to fail naming cs231n/classifiers/cnn.py, got {r.status}: {r.message}")
    for r in by_target["FullyConnectedNet"] + by_target["TwoLayerNet"]:
        if "cnn.py" in r.message or "not found" in r.message:
            problems.append(f"{r.name} was lost with cnn.py although fc_net.py is fine: {r.message}")

    # An exception deep inside numpy: the type, the message and the student's line.
    for r in by_target["svm_loss"]:
        if not re.search(r"raised ValueError: operands could not be broadcast.* at layers\.py, line \d+, in svm_loss",
                         r.message):
            problems.append(f"{r.name}: {r.message!r} does not say ValueError ... at layers.py, line N, in svm_loss")

    # A wrong shape: named like the argument it should match.
    dw = [r for r in by_target["affine_backward"] if r.name == "affine_backward: numerical gradient: dw"]
    if not dw or dw[0].message != "dw has shape (5, 6), expected (6, 5) like w":
        problems.append(f"affine_backward dw: {dw[0].message if dw else 'no such test'!r}")

    # NaN: every groupnorm failure says so, one of them in words.
    nan = [r for r in by_target["spatial_groupnorm_forward"] + by_target["spatial_groupnorm_backward"]
           if r.status == "failed"]
    if not nan or not any("non-finite" in r.message for r in nan):
        problems.append(f"no groupnorm failure says non-finite:\n{describe(nan)}")

    # A missing function: its checks, and only they, say so.
    for r in by_target["batchnorm_backward_alt"]:
        if r.status != "failed" or not r.message.startswith("batchnorm_backward_alt was not found in the submission"):
            problems.append(f"{r.name}: {r.status}: {r.message}")

    # The template's stubs (pass, or raise NotImplementedError) score 0 and say "not implemented yet" (the
    # side-effect checks, credited only with the others, may say that instead).
    for target in ("max_pool_forward_naive", "max_pool_backward_naive", "sgd_momentum", "TwoLayerNet"):
        for r in by_target[target]:
            if r.score:
                problems.append(f"{r.name}: a stub scored {r.score:g}")
            if (target != "TwoLayerNet" and r.status == "failed" and r.kind != "side_effect"
                    and "not implemented yet" not in r.message):
                problems.append(f"{r.name}: {r.message!r} does not say 'not implemented yet'")
    assert not problems, "\n".join(problems)


def test_syntax_error_costs_only_its_file(tmp_path):
    """nndl/conv_layers.py does not parse: only the conv layers (and the code importing them) lose points."""
    files = layouts.nndl("cs231n")
    text = files["nndl/conv_layers.py"]
    line = _line_of(text, "x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode=\"constant\")")
    lines = text.splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace('mode="constant")', 'mode="constant"')  # a forgotten parenthesis
    files["nndl/conv_layers.py"] = "".join(lines)
    path = write_tree(fresh(tmp_path / "submission"), files)
    report = grade(path, config=Config())
    assert report.profile == "nndl"
    allowed = set(layouts.CONV_FUNCTIONS) | set(layouts.CONV_SANDWICHES) | {"ThreeLayerConvNet"}
    failed = [r for r in report.results if r.status == "failed"]
    outside = unexplained([r for r in failed if r.target not in allowed])
    assert not outside, f"a syntax error in nndl/conv_layers.py cost unrelated checks:\n{describe(outside)}"
    conv = [r for r in report.results if r.target == "conv_forward_naive"]
    assert conv and all(r.status == "failed" and "nndl/conv_layers.py" in r.message for r in conv), describe(conv)
    assert any("nndl/conv_layers.py could not be imported: SyntaxError" in n and f"line {line}" in n
               for n in report.notes), report.notes
    found = found_where(path)["where"]
    assert {"affine_forward", "batchnorm_backward", "FullyConnectedNet", "adam"} <= set(found)


def _reaches(target, allowed):
    """A forward's output is judged in its backward's cases: a bug allowed to cost the backward may cost it."""
    return target in allowed or target.replace("_forward", "_backward") in allowed
