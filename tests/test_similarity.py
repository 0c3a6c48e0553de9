"""Similarity of the student code: copies with renamed variables and reordered functions are flagged at the top of
the list; independent correct solutions (the reference and the corpus's variants) are not.

The class is generated from the reference (tests/corpus) at test time, once per module: three independent
solutions built from the corpus's variants (tests/corpus/variants) and the reference; a renamed and reordered copy
of two of them (one as a zip with a top folder); the reference rewritten in nndl's layout (functions moved to other
files: a third copy); the untouched template; a corrupt zip.
"""
from html.parser import HTMLParser

import pytest

from autograder.cohort.similarity import document, run_similarity, student_code, template_code

from corpus import layouts, reference_sources, student_files, write_tree, zip_tree
from corpus.class_builder import STUDENT, copied, independent, reference_files


COPIES = {frozenset({"indep0", "zcopy_of_indep0"}), frozenset({"indep1", "copy_of_indep1"})}
CROSS_LAYOUT = frozenset({"reference", "nndl_layout_of_reference"})


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("similarity")
    subs = root / "submissions"
    variants = {}
    for i in range(3):
        files, done = independent(i)
        variants[i] = files
        assert len(done) >= 25, f"variant set {i} replaces only {sorted(done)}"
        write_tree(subs / f"indep{i}", files)
    write_tree(subs / "reference", reference_files())
    write_tree(subs / "zcopy_of_indep0", copied(variants[0]))
    zip_tree(write_tree(root / "copy1" / "cs231n", {k[len("cs231n/"):]: v for k, v in copied(variants[1]).items()}),
             subs / "copy_of_indep1.zip", top="hw2")   # another layout: a zip with a top folder
    template = {f"cs231n/{rel}": text for rel, text in _template_files().items()}
    write_tree(subs / "did_nothing", template)
    write_tree(subs / "nndl_layout_of_reference", layouts.nndl())  # the reference moved into nndl's files
    (subs / "corrupt.zip").write_bytes(b"not a zip")
    out = root / "out"
    result = run_similarity(subs, out)
    return result, out


def _template_files():
    from autograder.editions.template import render

    return {rel[len("cs231n/"):]: text for rel, text in render().items()
            if rel.startswith("cs231n/") and rel.endswith(".py")}


@pytest.mark.slow
def test_copies_are_flagged_at_the_top_and_independent_solutions_are_not(klass):
    result, _ = klass
    ranked = [frozenset({p.a, p.b}) for p in result.pairs]
    assert set(ranked[:2]) == COPIES, [(p.a, p.b, round(p.similarity, 3)) for p in result.pairs[:5]]
    assert ranked[2] == CROSS_LAYOUT
    assert {frozenset({p.a, p.b}) for p in result.flagged} == COPIES | {CROSS_LAYOUT}, [
        (p.a, p.b, round(p.similarity, 3)) for p in result.pairs[:6]]
    assert all(p.share_a > 0.9 and p.share_b > 0.9 for p in result.pairs[:2])
    # independent correct solutions stay well below the threshold
    others = [p for p in result.pairs if frozenset({p.a, p.b}) not in COPIES | {CROSS_LAYOUT}]
    assert max(p.similarity for p in others) < 0.45, [(p.a, p.b, round(p.similarity, 3)) for p in others[:3]]
    # a student who changed nothing shares nothing once the template is excluded
    assert all(p.similarity == 0 for p in result.pairs if "did_nothing" in (p.a, p.b))
    assert result.skipped.keys() == {"corrupt"} and "zip" in result.skipped["corrupt"]


@pytest.mark.slow
def test_csv_lists_the_flagged_pairs_most_similar_first(klass):
    result, out = klass
    lines = (out / "similarity.csv").read_text().splitlines()
    assert lines[0] == "student_a,student_b,similarity,share_a,share_b,overlap"
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == 3 and [float(r[2]) for r in rows] == sorted((float(r[2]) for r in rows), reverse=True)
    assert {frozenset(r[:2]) for r in rows} == COPIES | {CROSS_LAYOUT}


class _Resources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.external, self.anchors, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in ("script", "link", "img", "iframe"):
            self.external.append((tag, attrs))
        href = attrs.get("href") or ""
        if tag == "a" and href:
            self.anchors.append(href)


@pytest.mark.slow
def test_html_report_is_self_contained_with_side_by_side_views(klass):
    _, out = klass
    page = (out / "similarity.html").read_text()
    parser = _Resources()
    parser.feed(page)
    assert parser.external == [], "the report must open offline: no scripts, stylesheets or images to fetch"
    style = page[page.index("<style>"):page.index("</style>")]
    assert "url(" not in style and "@import" not in style  # (the students' docstrings may hold links: only text)
    assert parser.anchors and all(a.startswith("#") and a[1:] in parser.ids for a in parser.anchors)
    assert page.count("class='side'") == 3
    assert "shared-a" in page and "shared-b" in page
    assert "grad_in" in page  # the renamed copy is shown as the student wrote it


def test_student_code_is_the_students_files_without_provided_ones(tmp_path):
    sub = write_tree(tmp_path / "s", reference_files())
    files = student_code(sub)
    assert set(files) == {f"cs231n/{rel}" for rel in student_files(reference_sources())}
    assert "fast_layers" not in " ".join(files)
    text = document(files)
    assert "def affine_forward" in text and "# ===== cs231n/layers.py =====" in text
    assert len(template_code()) > 5


def test_cli_similarity(tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    subs = tmp_path / "subs"
    write_tree(subs / "ann", reference_files())
    write_tree(subs / "bob", copied(reference_files()))
    write_tree(subs / "cat", {f"cs231n/{rel}": text for rel, text in _template_files().items()})
    outcome = CliRunner().invoke(main, ["similarity", str(subs), "--out", str(tmp_path / "o"), "--threshold", "0.9"])
    assert outcome.exit_code == 0, outcome.output
    assert "1 of 3 pairs flagged" in outcome.output and "ann  bob" in outcome.output
    assert (tmp_path / "o" / "similarity.html").is_file()
    missing = CliRunner().invoke(main, ["similarity", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2 and "nope is not a folder of submissions" in missing.output
    bad = CliRunner().invoke(main, ["similarity", str(subs), "--out", str(tmp_path / "o"), "--threshold", "2"])
    assert bad.exit_code == 2 and "--threshold" in bad.output


@pytest.mark.slow
def test_shares_are_copydetects_own():
    """The shares computed for all pairs with hash arrays equal copydetect's compare_files on the same fingerprints."""
    from copydetect.detector import compare_files

    from autograder.cohort.similarity import compare_documents

    docs = {name: document({k: v for k, v in files.items() if k in STUDENT}) for name, files in
            (("ref", reference_files()), ("indep0", independent(0)[0]), ("copy0", copied(independent(0)[0])))}
    pairs, prints, slices = compare_documents(docs, boilerplate=template_code())
    for pair in pairs:
        overlap, (share_a, share_b), _ = compare_files(prints[pair.a], prints[pair.b])
        assert (pair.share_a, pair.share_b) == pytest.approx((share_a, share_b), abs=1e-12)
    assert list(slices) == [("copy0", "indep0")]


def test_a_submission_with_megabytes_of_code_is_not_compared(tmp_path):
    from autograder.sandbox.submission import SubmissionError

    sub = write_tree(tmp_path / "big", {"cs231n/layers.py": "def relu_forward(x):\n    return x, x\n",
                                       "cs231n/generated.py": "x = 1\n" * 500_000})
    with pytest.raises(SubmissionError, match="MiB of Python code"):
        student_code(sub)
