"""Which submissions of a class are suspiciously alike: pairwise similarity of the code students wrote.

Each submission's student code is found with the grader's own layout detection (:func:`autograder.sandbox.submission.
find_layout`): every ``.py`` file of its packages (``cs231n/layers.py``, ``classifiers/fc_net.py``, nndl's
``conv_layers.py``...) except the provided files (fast layers, solver, data_utils...), ``__init__.py`` and
``setup.py``. The
files are joined into one document per student, so moving a function to another file or reordering the
functions changes nothing.

Documents are compared with copydetect (MOSS's winnowing over Pygments tokens): every name becomes ``V``/``F``,
every string ``S``, comments and layout go, so renaming variables changes nothing either. Every k-gram of the
template's code (the provided files and the stubs around each solution region, generated from the reference as
``autograder template build`` writes them, plus any ``boilerplate`` folders a course adds) is boilerplate and
never counts. A pair's similarity is the larger of the two shares (the part of one student's own code that is
also in the other's); a pair is flagged when it reaches ``threshold`` and shares at least ``min_overlap``
filtered characters (so two nearly empty submissions are not flagged for one common line).

Writes ``similarity.csv`` (flagged pairs, most similar first) and ``similarity.html`` (self-contained: no
script, no external link; each flagged pair side by side with the shared code highlighted).
"""
from __future__ import annotations

import csv
import html
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import atomic, paths

DEFAULT_THRESHOLD = 0.6
DEFAULT_MIN_OVERLAP = 200
MAX_CODE_CHARS = 2 * 1024**2
"""A submission with more student code than this is not compared (real ones have ~60 KB; tokenizing is ~0.5 s
per 60 KB)."""
NOISE = 25
"""k: the shortest run of filtered characters that counts (copydetect's default noise threshold); the window is 1,
so every k-gram is kept and the scores do not depend on Python's per-process string hashing."""


class SimilarityError(Exception):
    """The similarity of a class cannot be computed (copydetect missing, no submissions folder)."""


@dataclass(frozen=True)
class Pair:
    """Two students' code compared."""

    a: str
    """The first student (by name order)."""
    b: str
    """The second student."""
    similarity: float
    """The larger of ``share_a`` and ``share_b``: what the pair is ranked by."""
    share_a: float
    """Part of ``a``'s own code (outside the template) that is also in ``b``'s, 0 to 1."""
    share_b: float
    """Part of ``b``'s own code that is also in ``a``'s."""
    overlap: int
    """Shared code, in filtered characters (copydetect's tokens: names are one character), the smaller of the two
    documents' counts."""
    flagged: bool
    """At least the threshold and the minimum overlap."""


@dataclass
class SimilarityResult:
    """What :func:`run_similarity` found and wrote."""

    pairs: list = field(default_factory=list)
    """Every compared pair, most similar first."""
    skipped: dict = field(default_factory=dict)
    """Student -> why their code could not be read (no package, corrupt zip...)."""
    csv_path: Path | None = None
    html_path: Path | None = None

    @property
    def flagged(self):
        return [p for p in self.pairs if p.flagged]


def require_copydetect():
    try:
        from copydetect import utils
        from copydetect.detector import CodeFingerprint, compare_files
    except ImportError:
        raise SimilarityError("the similarity report needs the package copydetect, which is not installed: "
                              "`pip install copydetect` (it is a dependency of cs231n-autograder)") from None
    return CodeFingerprint, compare_files, utils


def student_code(submission: Path, packages=None) -> dict:
    """``{relative path: text}`` of the code a student wrote in ``submission`` (a folder or a .zip); raises
    :class:`autograder.sandbox.submission.SubmissionError` when there is no package to read."""
    from ..sandbox.submission import MAX_SOURCE_BYTES, SubmissionError, find_layout, unpack

    provided = set(paths.provided_files()) | set(paths.provided_sources())
    with tempfile.TemporaryDirectory(prefix="similarity-") as scratch:
        layout = find_layout(unpack(Path(submission), Path(scratch)), packages)
        files = {}
        for index, package in enumerate(layout.packages):
            folder = layout.root if layout.inside and index == 0 else layout.root / package
            for path in sorted(folder.rglob("*.py")):
                rel = path.relative_to(folder)
                if (path.name in provided or path.name in ("__init__.py", "setup.py") or path.is_symlink()
                        or any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
                        or path.stat().st_size > MAX_SOURCE_BYTES):
                    continue
                if layout.inside and index == 0 and rel.parts[0] in layout.packages[1:]:
                    continue
                files[f"{package}/{rel.as_posix()}"] = path.read_text(encoding="utf-8", errors="replace")
                if sum(map(len, files.values())) > MAX_CODE_CHARS:
                    raise SubmissionError(f"more than {MAX_CODE_CHARS // 1024**2} MiB of Python code outside the "
                                          f"provided files: not compared")
        return files


def template_code() -> list:
    """The template's code as students get it: the provided files and each student file with its solution regions
    stubbed (what ``autograder template build`` writes), as a list of texts."""
    from ..editions.template import START, stub_source

    files = {}
    for rel, path in paths.reference_package_files().items():
        if path.suffix == ".py":
            text = path.read_text(encoding="utf-8")
            files[f"cs231n/{rel}"] = stub_source(text, rel) if START in text else text
    # the student files joined as a student's document is, so the code that spans two files is boilerplate too
    joined = document({rel: text for rel, text in files.items()
                       if Path(rel).name not in paths.provided_sources() and Path(rel).name != "__init__.py"})
    return [*files.values(), joined]


def document(files: dict) -> str:
    """One document of a student's files, each under a comment naming it (comments are not compared)."""
    return "".join(f"# ===== {rel} =====\n{text.rstrip()}\n\n" for rel, text in sorted(files.items()))


class _Print:
    """A document's k-gram hashes (boilerplate removed) as arrays, for fast pairwise overlaps."""

    def __init__(self, fingerprint):
        import numpy as np

        self.fingerprint = fingerprint
        index = fingerprint.hash_idx
        self.unique = np.array(sorted(index), dtype=np.int64)
        self.hashes = np.repeat(self.unique, [len(index[h]) for h in self.unique.tolist()])
        self.starts = np.array([i for h in self.unique.tolist() for i in index[h]], dtype=np.int64)
        self.length = len(fingerprint.filtered_code)
        self.coverage = _covered(self.starts, self.length)

    def overlap(self, common):
        """Filtered characters of this document covered by a k-gram whose hash is in ``common``."""
        import numpy as np

        return _covered(self.starts[np.isin(self.hashes, common, assume_unique=False)], self.length)


def _covered(starts, length):
    """How many characters the k-grams starting at ``starts`` cover (copydetect's token overlap and coverage)."""
    import numpy as np

    if len(starts) == 0:
        return 0
    size = length + NOISE + 1
    marks = np.bincount(starts, minlength=size) - np.bincount(starts + NOISE, minlength=size)
    return int(np.count_nonzero(np.cumsum(marks)[:length]))


def compare_documents(documents: dict, *, boilerplate=(), threshold=DEFAULT_THRESHOLD,
                      min_overlap=DEFAULT_MIN_OVERLAP):
    """Every pair of ``{student: document}``, most similar first; the fingerprints; and, for the flagged pairs,
    copydetect's slices of shared code (for the report).

    The shares are copydetect's (``compare_files``: covered characters over each document's coverage), computed
    here with sorted hash arrays for all pairs (a fraction of a millisecond each, against tens for ``compare_files``);
    ``compare_files`` itself runs only on the flagged pairs, to find what to highlight.
    """
    import numpy as np

    CodeFingerprint, compare_files, _ = require_copydetect()
    boiler = np.unique(np.array([h for text in boilerplate
                                 for h in CodeFingerprint("boilerplate.py", NOISE, 1, fp=io.StringIO(text)).hashes],
                                dtype=np.int64))
    prints = {s: _Print(CodeFingerprint(f"{s}.py", NOISE, 1, boiler, fp=io.StringIO(text)))
              for s, text in documents.items()}
    pairs, slices = [], {}
    names = sorted(prints)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            pa, pb = prints[a], prints[b]
            common = np.intersect1d(pa.unique, pb.unique, assume_unique=True)
            over_a, over_b = (pa.overlap(common), pb.overlap(common)) if len(common) else (0, 0)
            share_a = min(1.0, over_a / pa.coverage) if pa.coverage else 0.0
            share_b = min(1.0, over_b / pb.coverage) if pb.coverage else 0.0
            similarity, overlap = max(share_a, share_b), min(over_a, over_b)
            flagged = bool(similarity >= threshold and overlap >= min_overlap and overlap > 0)
            pairs.append(Pair(a, b, similarity, share_a, share_b, overlap, flagged))
            if flagged:
                slices[(a, b)] = compare_files(pa.fingerprint, pb.fingerprint)[2]
    pairs.sort(key=lambda p: (-p.similarity, -p.overlap, p.a, p.b))
    return pairs, {s: p.fingerprint for s, p in prints.items()}, slices


def run_similarity(submissions, out_dir, *, threshold=DEFAULT_THRESHOLD, min_overlap=DEFAULT_MIN_OVERLAP,
                   boilerplate_dirs=(), packages=None, entries=None) -> SimilarityResult:
    """Compare the student code of every entry of ``submissions`` (one folder or .zip per student, named as
    ``autograder batch`` names them) and write ``similarity.csv`` and ``similarity.html`` into ``out_dir``."""
    from .roster import discover
    from ..sandbox.submission import SubmissionError

    require_copydetect()
    if entries is None:
        try:
            entries = discover(Path(submissions))
        except NotADirectoryError as exc:
            raise SimilarityError(str(exc)) from None
    documents, skipped = {}, {}
    for entry in entries:
        try:
            files = student_code(entry.path, packages)
        except SubmissionError as exc:
            skipped[entry.student] = str(exc)
            continue
        except (OSError, UnicodeError) as exc:
            skipped[entry.student] = f"could not be read: {exc}"
            continue
        if not files:
            skipped[entry.student] = "no student code (only provided files)"
            continue
        documents[entry.student] = document(files)
    try:
        boilerplate = template_code()
    except paths.ReferenceMissing as exc:
        raise SimilarityError(f"the template's code cannot be excluded: {exc}") from None
    for folder in boilerplate_dirs:
        folder = Path(folder)
        if not folder.is_dir():
            raise SimilarityError(f"boilerplate folder {folder} does not exist; pass the course's starter code folder")
        boilerplate += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.rglob("*.py"))]
    pairs, prints, slices = compare_documents(documents, boilerplate=boilerplate, threshold=threshold,
                                              min_overlap=min_overlap)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = SimilarityResult(pairs=pairs, skipped=skipped)
    result.csv_path = out_dir / "similarity.csv"
    atomic.write_text(result.csv_path, similarity_csv(result.flagged))
    result.html_path = out_dir / "similarity.html"
    atomic.write_text(result.html_path, similarity_html(result, prints, slices, threshold=threshold,
                                                        min_overlap=min_overlap, compared=len(documents)))
    return result


def similarity_csv(pairs) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_a", "student_b", "similarity", "share_a", "share_b", "overlap"])
    for p in pairs:
        writer.writerow([p.a, p.b, f"{p.similarity:.3f}", f"{p.share_a:.3f}", f"{p.share_b:.3f}", p.overlap])
    return buffer.getvalue()


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
.side { display: flex; gap: 1em; } .side > div { flex: 1; min-width: 0; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.5em; overflow: auto; max-height: 40em;
      font-size: 12px; }
.shared-a { background: #ffd1d1; } .shared-b { background: #c9f2c9; }
details { margin: 1em 0; } summary { cursor: pointer; font-weight: bold; }
"""


def similarity_html(result: SimilarityResult, prints, slices, *, threshold, min_overlap, compared) -> str:
    """A self-contained page: the flagged pairs, then each side by side with the shared code highlighted."""
    _, _, utils = require_copydetect()
    esc = html.escape
    flagged = result.flagged
    out = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
           "<title>Similarity of the student code</title>", f"<style>{_STYLE}</style></head><body>",
           "<h1>Similarity of the student code</h1>",
           f"<p>{compared} submissions compared ({len(result.pairs)} pairs), the template's code excluded. "
           f"Flagged: a pair where at least {threshold:.0%} of one student's own code is also in the other's "
           f"and at least {min_overlap} characters of filtered code are shared. {len(flagged)} pairs flagged. "
           "Similar code is a reason to look, never proof of copying.</p>"]
    if result.skipped:
        out.append("<p>Not compared: " + "; ".join(f"{esc(s)} ({esc(why)})" for s, why in
                                                   sorted(result.skipped.items())) + "</p>")
    out += ["<table><thead><tr><th>#</th><th>student A</th><th>student B</th><th>similarity</th>"
            "<th>of A in B</th><th>of B in A</th><th>shared characters</th></tr></thead><tbody>"]
    for number, p in enumerate(flagged, start=1):
        out.append(f"<tr><td><a href='#pair-{number}'>{number}</a></td><td>{esc(p.a)}</td><td>{esc(p.b)}</td>"
                   f"<td>{p.similarity:.0%}</td><td>{p.share_a:.0%}</td><td>{p.share_b:.0%}</td>"
                   f"<td>{p.overlap}</td></tr>")
    out.append("</tbody></table>")
    if not flagged:
        out.append("<p>No pair reaches the threshold.</p>")
    for number, p in enumerate(flagged, start=1):
        code_a, code_b = esc(prints[p.a].raw_code), esc(prints[p.b].raw_code)
        if (p.a, p.b) in slices:
            cut_a, cut_b = slices[(p.a, p.b)]
            code_a, _ = utils.highlight_overlap(prints[p.a].raw_code, cut_a, "<span class='shared-a'>", "</span>",
                                                escape_html=True)
            code_b, _ = utils.highlight_overlap(prints[p.b].raw_code, cut_b, "<span class='shared-b'>", "</span>",
                                                escape_html=True)
        out += [f"<details id='pair-{number}'{' open' if number == 1 else ''}>",
                f"<summary>{number}. {esc(p.a)} and {esc(p.b)}: {p.similarity:.0%}</summary>",
                "<div class='side'>",
                f"<div><h3>{esc(p.a)} ({p.share_a:.0%} shared)</h3><pre>{code_a}</pre></div>",
                f"<div><h3>{esc(p.b)} ({p.share_b:.0%} shared)</h3><pre>{code_b}</pre></div>",
                "</div></details>"]
    out.append("</body></html>")
    return "\n".join(out) + "\n"
