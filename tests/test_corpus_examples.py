"""The shipped examples (examples/submissions/, the Quick start's class, and examples/other-courses/) are exactly
what tests/corpus/make_examples.py writes."""
import io
import zipfile
from pathlib import Path

from corpus.make_examples import CLASS_OUT, DEFAULT_OUT, make, make_class, project_student


def _content(path: Path):
    """A file's bytes; for a zip, its entries' names and bytes (compressed bytes vary with the zlib build)."""
    data = path.read_bytes()
    if path.suffix != ".zip":
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, info.date_time, archive.read(info)) for info in archive.infolist()]


def _files(folder: Path):
    return {p.relative_to(folder).as_posix(): _content(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_current(expected_folder, committed_folder):
    expected, committed = _files(expected_folder), _files(committed_folder)
    stale = sorted(name for name in expected.keys() & committed.keys() if expected[name] != committed[name])
    assert committed.keys() == expected.keys() and not stale, (
        f"{committed_folder} is out of date (missing {sorted(expected.keys() - committed.keys())}, "
        f"extra {sorted(committed.keys() - expected.keys())}, changed {stale}); "
        f"run: python tests/corpus/make_examples.py")


def test_other_courses_examples_are_up_to_date(tmp_path):
    _assert_current(make(tmp_path / "other-courses"), DEFAULT_OUT)


def test_the_quick_start_class_is_up_to_date(tmp_path, monkeypatch):
    import corpus.class_builder as class_builder

    committed = {p.name: _content(p) for p in sorted(CLASS_OUT.joinpath("eli").glob("*.ipynb"))}
    monkeypatch.setattr(class_builder, "notebooks", lambda stems: committed)  # executing them takes minutes
    assert sorted(committed) == sorted(f"{stem}.ipynb" for stem in class_builder.NOTEBOOKS)
    _assert_current(make_class(tmp_path / "submissions"), CLASS_OUT)


def test_the_quick_start_class_is_one_course(tmp_path):
    """Every student of the class is the project's assignment: the template's package, whose layer_checks.py the
    project profile is detected by, so a batch of them warns about no one's rubric."""
    complete = project_student()
    assert "cs231n/layer_checks.py" in complete
    for student in ("ada", "ben", "cy", "eli"):
        assert (CLASS_OUT / student / "cs231n" / "layer_checks.py").is_file()


def test_examples_are_small():
    assert sum(p.stat().st_size for p in DEFAULT_OUT.rglob("*") if p.is_file()) < 200_000
    assert sum(p.stat().st_size for p in CLASS_OUT.rglob("*") if p.is_file()) < 1_000_000


def test_the_quick_start_class_gets_one_rubric_and_no_warning():
    """What batch decides before grading the Quick start's class (reading it, running none of it): the project's
    profile for all five, and no student warned (the grades themselves: examples/README.md)."""
    from autograder.cohort.roster import discover
    from autograder.cohort.rubric import decide, detect
    from autograder.config import Config

    entries = discover(CLASS_OUT)
    assert [e.student for e in entries] == ["ada", "ben", "cy", "dee", "eli"]
    rubric = decide([detect(e, Config()) for e in entries], Config())
    assert rubric.profile == "project" and rubric.warnings == {}
    assert {d.profile for d in rubric.detections} == {"project"}
