"""One rubric per batch (autograder/cohort/rubric.py) and the config's required parts: static detection agrees with the
child's, the class decides the profile, homeworks and notebooks, students who look otherwise are warned, and a
missing required notebook or function costs its points."""
import pytest

from autograder.cohort.batch import Entry
from autograder.config import Config, ConfigError, Required, load_config
from autograder.notebook_checks import check_notebooks
from autograder.profiles import PROFILES
from autograder.cohort.rubric import WARNING, Detection, decide, detect, summary_lines

from corpus import layouts, write_tree

REQUIRED = ("BatchNormalization.ipynb", "Dropout.ipynb")


# ----------------------------------------------------------------------------- the config
def _load(tmp_path, text):
    path = tmp_path / "course.toml"
    path.write_text(text)
    return load_config(path)


def test_required_parts_are_read_from_the_config(tmp_path):
    config = _load(tmp_path, '[required]\nfunctions = ["TwoLayerNet"]\nnotebooks = ["BatchNormalization", '
                             '"Dropout.ipynb"]\n')
    assert config.required == Required(("TwoLayerNet",), REQUIRED)
    assert load_config().required.notebooks is None  # nothing required: every submitted notebook counts


@pytest.mark.parametrize("text, message", [
    ('[required]\nfunctions = ["affine_fwd"]\n', "[required] functions: unknown function(s) affine_fwd; known: "),
    ('[required]\nnotebooks = ["BatchNorm.ipynb"]\n', "[required] notebooks: unknown notebook(s) BatchNorm.ipynb; "
                                                      "known: "),
    ('[required]\nfiles = ["layers.py"]\n', "unknown key(s) files in [required]; known keys: functions, notebooks"),
    ('[required]\nfunctions = "TwoLayerNet"\n', "[required] functions must be a list of names, not 'TwoLayerNet'"),
    ('[notebooks.versions]\nDropout = "cs231n-2099"\n', "[notebooks.versions] Dropout = 'cs231n-2099' is not a "
                                                        "known notebook version"),
])
def test_a_bad_required_table_is_a_one_line_error(tmp_path, text, message):
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, text)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


# ----------------------------------------------------------------------------- required notebooks
def _notebook(title):
    return layouts.notebook(title)


def test_a_missing_required_notebook_fails_all_its_checks(tmp_path):
    sub = write_tree(tmp_path / "s", {"Dropout.ipynb": _notebook("Dropout"), "scratch.ipynb": _notebook("mine")})
    results, _ = check_notebooks(sub, settings={}, execute=False, profile="project", required=REQUIRED)
    batchnorm = [r for r in results if r.name.startswith("BatchNormalization.ipynb: ")]
    assert batchnorm and all(r.status == "failed" and r.score == 0 for r in batchnorm)
    assert batchnorm[0].message == "notebook BatchNormalization.ipynb is required but was not submitted"
    assert sum(r.max_score for r in batchnorm) > 2  # executed, no errors and every printed test value
    scratch = [r for r in results if r.name.startswith("scratch.ipynb: ")]
    assert scratch and all(r.status == "not_applicable" and r.max_score == 0 for r in scratch)
    assert "not one of the required notebooks (BatchNormalization.ipynb, Dropout.ipynb)" in scratch[0].message
    # the same lines, and points, as a submitted copy that fails everything
    write_tree(sub, {"BatchNormalization.ipynb": "not json"})
    submitted, _ = check_notebooks(sub, settings={}, execute=False, profile="project", required=REQUIRED)
    assert [(r.name, r.max_score) for r in submitted if r.name.startswith("BatchNormalization")] == \
        [(r.name, r.max_score) for r in batchnorm]


def test_required_notebooks_of_a_submission_without_any(tmp_path):
    sub = write_tree(tmp_path / "s", {"cs231n/layers.py": "x = 1\n"})
    results, _ = check_notebooks(sub, settings={}, execute=False, required=REQUIRED)
    assert {r.name.split(":")[0] for r in results} == set(REQUIRED)
    assert check_notebooks(sub, settings={}, execute=False) == ([], [])


def test_notebook_versions_pinned_per_notebook(tmp_path):
    sub = write_tree(tmp_path / "s", {"Dropout.ipynb": _notebook("Dropout")})
    _, notes = check_notebooks(sub, settings={"versions": {"Dropout": "cs231n-2018"}}, execute=False)
    assert "Dropout.ipynb: notebook version cs231n-2018" in notes[-1] and "pinned in the config" in notes[-1]


# ----------------------------------------------------------------------------- detection and decision
def test_static_detection_agrees_with_the_childs_on_every_layout(tmp_path):
    """What the batch reads without running anything names the profile the child's manifest gives each layout
    (tests/test_corpus.py checks the child's)."""
    for layout in layouts.LAYOUTS:
        path = layouts.build(layout, tmp_path / layout.name)
        found = detect(Entry(layout.name, path), Config(**layout.config))
        assert found.profile == layout.profile and not found.error, (layout.name, found)


def test_detection_of_an_unreadable_submission(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"no zip")
    found = detect(Entry("x", tmp_path / "x.zip"), Config())
    assert found.profile == "" and "zip" in found.error


def _class(*profiles, names=frozenset()):
    return [Detection(f"s{i}", p, f"why {p}", names) for i, p in enumerate(profiles)]


def test_the_class_decides_the_profile_and_warns_the_others():
    rubric = decide(_class("cs231n-2021", "nndl", "cs231n-2021", "cs231n-2018") + [Detection("bad", error="zip")],
                    Config())
    assert rubric.profile == "cs231n-2021" and rubric.how == "like 2 of 4 submissions"
    assert set(rubric.warnings) == {"s1", "s3"}
    assert rubric.warnings["s1"] == ['looks like nndl (detected from why nndl) but graded as cs231n-2021 like 2 of 4 '
                                     'submissions; set profile = "nndl" in the config to change']
    pinned = decide(_class("cs231n-2021", "nndl", "nndl"), Config(profile="nndl"))
    assert pinned.profile == "nndl" and set(pinned.warnings) == {"s0"}
    assert "but graded as nndl (set in the config);" in pinned.warnings["s0"][0]
    assert decide([], Config()).profile == "cs231n-2021"


def test_the_class_decides_the_homeworks_of_a_split_course():
    cnn = frozenset({"conv_forward_naive", "ThreeLayerConvNet"})
    fc = frozenset({"FullyConnectedNet", "affine_forward"})
    rubric = decide([Detection("a", "nndl", "", cnn), Detection("b", "nndl", "", cnn), Detection("c", "nndl", "", fc)],
                    Config())
    assert rubric.scope == ("cnn",) and list(rubric.warnings) == ["c"]
    assert rubric.config(Config()).scope == ("cnn",)


def test_the_class_decides_the_notebooks_that_count():
    detections = [Detection(f"s{i}", "project", "", notebooks=nbs) for i, nbs in enumerate([
        {"Dropout.ipynb": "template", "mine.ipynb": "template"}, {"Dropout.ipynb": "template"},
        {"Dropout.ipynb": "cs231n-2018", "BatchNormalization.ipynb": "template"}])]
    rubric = decide(detections, Config())
    assert rubric.notebooks == ("Dropout.ipynb",) and rubric.versions == {"Dropout": "template"}
    assert rubric.warnings["s2"] == ['Dropout.ipynb looks like notebook version cs231n-2018 but is checked as template '
                                     'like the class; set [notebooks.versions] Dropout = "cs231n-2018" in the config '
                                     'to change']
    config = rubric.config(Config())
    assert config.required.notebooks == ("Dropout.ipynb",) and config.notebooks["versions"] == {"Dropout": "template"}
    required = decide(detections, Config(required=Required(notebooks=REQUIRED)))
    assert required.notebooks == REQUIRED and required.versions["BatchNormalization"] == "template"


def test_the_summary_lists_the_warnings():
    from autograder.model import Report

    reports = {"ann": Report("ann", notes=[WARNING + "looks like nndl (...)"]), "ben": Report("ben", notes=["x"]), "cy": None}
    lines = summary_lines(reports)
    assert "## Rubric warnings" in lines and lines[-1] == "- ann: looks like nndl (...)"
    assert summary_lines({"ben": Report("ben")}) == []


# ----------------------------------------------------------------------------- required functions
def test_a_required_function_is_graded_whatever_the_profile(tmp_path):
    """CS231n 2021+ has no TwoLayerNet (its checks are not applicable); required, its absence costs its checks."""
    from conftest import grade_catalog_only

    path = layouts.build(layouts.BY_NAME["deeplearning-zip"], tmp_path / "dl")
    select = ("TwoLayerNet.init*",)
    plain = grade_catalog_only(path, config=Config(select=select))
    assert plain.profile == "cs231n-2021" and {r.status for r in plain.results} == {"not_applicable"}
    required = grade_catalog_only(path, config=Config(select=select, required=Required(functions=("TwoLayerNet",))))
    assert required.results and {r.status for r in required.results} == {"failed"}
    assert required.results[0].message == "TwoLayerNet was not found in the submission"
    assert required.max_score > 0 and PROFILES["cs231n-2021"].requiring(["TwoLayerNet"]).applies(["TwoLayerNet"])


# ----------------------------------------------------------------------------- a batch
def test_a_batch_grades_every_student_under_one_rubric(tmp_path):
    """Two students of this project's assignment, one of nndl's (a profile with other points) and a corrupt zip: one
    profile, one max_score in every gradebook row (the corrupt zip's included), a warning for the nndl student."""
    import csv
    import json

    from autograder import paths
    from autograder.cohort.batch import run_batch

    subs = tmp_path / "subs"
    for name in ("ann", "cy"):
        paths.copy_reference_package(subs / name / "cs231n")
    write_tree(subs / "bo", layouts.nndl())
    write_tree(subs / "ann", {"Dropout.ipynb": _notebook("Dropout")})
    (subs / "dee.zip").write_bytes(b"not a zip")
    announced = []
    config = Config(select=("relu_forward*", "TwoLayerNet.init*"), required=Required(notebooks=("Dropout.ipynb",)))
    result = run_batch(subs, tmp_path / "out", jobs=2, config=config, progress=False, announce=announced.append)
    assert announced == [result.rubric] and result.rubric.profile == "project"
    assert result.rubric.describe() == "one rubric: profile project (like 2 of 3 submissions); notebooks Dropout.ipynb"
    with open(tmp_path / "out" / "gradebook.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert len(rows) == 4 and len({row["max_score"] for row in rows.values()}) == 1, rows
    bo = json.loads((tmp_path / "out" / "bo" / "results.json").read_text())
    assert bo["extra_data"]["profile"] == "project"
    assert ('Rubric warning: looks like nndl (detected from an nndl/ package) but graded as project like 2 of 3 '
            'submissions; set profile = "nndl" in the config to change') in bo["output"]
    assert "bo: looks like nndl" in (tmp_path / "out" / "summary.md").read_text()
    assert list(result.rubric.warnings) == ["bo"] and rows["dee"]["error"]
