"""Real public complete solutions, graded with no config: ``python -m benchmarks.public_corpus [--list CSV]
[--grader PATH] [--out DIR] [--only SUBSTRING]``.

The list (``benchmarks/public_corpus/rubric.csv``; columns repo, commit, folder, family, year, note) names public
repositories of students' complete solutions of assignment 2 (CS231n), of UCLA nndl's homeworks and of Berkeley
CS182's homeworks, none of them used to learn the course tables (:mod:`autograder.course_years`). There is no
network at run time: each repository is brought beforehand with the session's ``fetch`` tool
(``fetch github:<owner>/<name>`` leaves a bare git directory at ``/work/.mirror/<owner>+<name>/repo``; ``--mirrors``
sets another root). :func:`extract` takes the listed folder at the listed commit out of that mirror
(``git --git-dir <mirror> archive <commit> <folder>``), and the script grades it with ``autograder grade`` and no
config (``--grader``: the ``autograder`` executable, by default this environment's; point it at another install to
measure another version of the grader).

Per submission it prints the points lost on work its year did not assign (a function its year's starter does not
stub, or a notebook its course never grades: collect_submission, the undone one of PyTorch / TensorFlow) and every
other loss with its message, to be named as a real bug of the student's. Nothing of the fetched code is kept: the
extracted folders live in a temporary directory unless ``--out`` is given.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "benchmarks" / "public_corpus" / "rubric.csv"
MIRRORS = Path("/work/.mirror")


@dataclass(frozen=True)
class Row:
    """One listed submission."""

    repo: str
    """``owner/name`` on GitHub."""
    commit: str
    """The commit to extract."""
    folder: str
    """The submission's folder in that commit (``.``: the whole repository)."""
    family: str
    """``cs231n``, ``nndl`` or ``cs182``."""
    year: str
    """The course year its starter is from."""
    note: str = ""
    """Anything worth knowing about it."""

    @property
    def slug(self) -> str:
        folder = "" if self.folder in ("", ".") else "-" + self.folder.replace("/", "-")
        return f"{self.repo.replace('/', '+')}{folder}"


def read_rows(path=LIST) -> list:
    """The rows of a list in this CSV format (also ``agreement.csv``)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [Row(**{k: (v or "").strip() for k, v in row.items()}) for row in csv.DictReader(handle)]


def mirror_of(repo, mirrors=MIRRORS) -> Path:
    """The git directory ``fetch`` left for ``repo``: ``repo`` (bare) or, for a snapshot with a work tree, ``repo/.git``."""
    root = Path(mirrors) / repo.replace("/", "+") / "repo"
    return root / ".git" if (root / ".git").is_dir() else root


def extract(row: Row, dest, mirrors=MIRRORS) -> Path:
    """Extract ``row``'s folder at its commit from the fetch mirror into ``dest`` (created); returns the folder that
    holds the submission. Raises ``FileNotFoundError`` naming the fetch to run when the mirror is missing."""
    mirror = mirror_of(row.repo, mirrors)
    if not mirror.is_dir():
        raise FileNotFoundError(f"{row.repo} is not fetched: run the fetch tool on github:{row.repo} "
                                f"(expected a bare git directory at {mirror})")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    spec = [] if row.folder in ("", ".") else [row.folder]
    git = ["git", "--git-dir", str(mirror)]
    # a snapshot lacks its largest files (datasets): archive only the files whose content it holds
    listed = subprocess.run([*git, "ls-tree", "-r", "-z", row.commit, "--", *spec], capture_output=True,
                            check=True).stdout.decode("utf-8", "surrogateescape").split("\0")
    entries = [line.split("\t", 1) for line in listed if "\t" in line]
    query = "".join(meta.split()[2] + "\n" for meta, _ in entries)
    held = subprocess.run([*git, "cat-file", "--batch-check"], input=query.encode(), capture_output=True,
                          check=True).stdout.decode().splitlines()
    paths = [path for (_, path), answer in zip(entries, held) if not answer.endswith("missing")]
    archive = subprocess.run([*git, "archive", "--format=tar", row.commit, "--", *paths],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest / row.folder if spec else dest


def grade(grader, folder: Path, out: Path, timeout=900) -> dict:
    """``autograder grade FOLDER --out OUT`` with no config; the results.json it wrote (``{}`` if none)."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([grader, "grade", str(folder), "--out", str(out)], capture_output=True, text=True,
                   timeout=timeout)
    path = out / "results.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def expected_work(row: Row, folder: Path):
    """``(functions, notebook judge)`` of the work ``row``'s year assigned: the functions its starter stubs (for a
    course of homeworks, those of the homeworks the folder's own files define) and a predicate telling whether a
    notebook file name is graded work."""
    from autograder.course_years import table_for
    from autograder.profiles import PROFILES, notebook_stems
    from autograder.cohort.rubric import defined_names
    from autograder.sandbox.submission import find_layout

    table = table_for(f"{row.family}-{row.year}") or table_for(row.family)
    assigned = set(table.assigned)
    profile = PROFILES[table.id]
    if profile.homeworks:
        found, broken = defined_names(find_layout(folder))
        names = set(found).union(*map(set, broken.values()))
        assigned &= set(profile.scoped(names, notebooks=notebook_stems(folder)).assigned)
    executed = {}
    for path in folder.rglob("*.ipynb"):
        if ".ipynb_checkpoints" not in path.parts:
            executed[path.stem] = max(executed.get(path.stem, 0), _executed_cells(path))
    done = {min(group, key=lambda stem: -executed.get(stem, -1)) for group in table.either}

    def graded_notebook(stem):
        """Whether the notebook is graded work: one of the year's notebooks (or one renamed, ``Q1_FullyConnectedNets``
        when no ``FullyConnectedNets`` was submitted), not a helper, and of an either-or group only the one done (the
        most executed, as students do one of them)."""
        if stem in table.helpers:
            return False
        if stem not in table.notebooks:
            return any(known in stem and known not in executed for known in table.notebooks)
        return not any(stem in group for group in table.either) or stem in done
    return assigned, graded_notebook, table


def _executed_cells(path):
    try:
        cells = json.loads(path.read_text(encoding="utf-8", errors="replace")).get("cells", [])
    except (ValueError, AttributeError):
        return 0
    return sum(1 for c in cells if c.get("cell_type") == "code" and c.get("execution_count") is not None)


def classify(results: dict, assigned, graded_notebook) -> tuple:
    """``(unassigned, other)``: lists of ``(points lost, test name, message)`` of the lost points."""
    unassigned, other = [], []
    for test in results.get("tests", ()):
        lost = float(test.get("max_score", 0) or 0) - float(test.get("score", 0) or 0)
        if lost <= 1e-9:
            continue
        name, message = test.get("name", ""), (test.get("output") or "").strip().splitlines()
        line = (lost, name, message[0][:160] if message else "")
        target = name.split(":", 1)[0].strip()
        if target.endswith(".ipynb"):
            (other if graded_notebook(Path(target).stem) else unassigned).append(line)
        elif target not in assigned:
            unassigned.append(line)
        else:
            other.append(line)
    return unassigned, other


def compare_table(before: list, after: list) -> str:
    """Markdown: per submission of ``after`` (a ``--json`` list), its score, maximum and points lost on unassigned
    work in ``before`` and in ``after``, then the totals."""
    def cell(f):
        share = 100 * f["unassigned_lost"] / f["max_score"] if f["max_score"] else 0.0
        return f"{f['score']:.1f} / {f['max_score']:.1f}, {f['unassigned_lost']:.1f} ({share:.1f} %)"

    earlier = {(f["repo"], f["folder"]): f for f in before}
    lines = ["| submission | family year | before: score / max, lost on unassigned | after |", "|---|---|---|---|"]
    for f in after:
        old = earlier.get((f["repo"], f["folder"]))
        where = f["repo"] + ("" if f["folder"] in ("", ".") else " " + f["folder"])
        lines.append(f"| {where} | {f['family']} {f['year']} | {cell(old) if old else 'not graded'} | {cell(f)} |")
    for name, run in (("before", [earlier[k] for k in earlier if k in {(f['repo'], f['folder']) for f in after}]),
                      ("after", after)):
        lost, top = sum(f["unassigned_lost"] for f in run), sum(f["max_score"] for f in run)
        charged = sum(1 for f in run if f["unassigned_lost"] > 0)
        grade = sum(f["score"] for f in run) / max(top, 1)
        lines.append(f"\n{name}: {len(run)} submissions, {charged} charged for unassigned work, {lost:.1f} points "
                     f"({100 * lost / max(top, 1):.1f} % of the maximum); score {100 * grade:.1f} % of the maximum")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", default=str(LIST), help="the CSV list (repo, commit, folder, family, year, note)")
    parser.add_argument("--grader", default=str(Path(sys.executable).parent / "autograder"),
                        help="the autograder executable to measure (default: this environment's)")
    parser.add_argument("--mirrors", default=str(MIRRORS), help="where fetch left the repositories")
    parser.add_argument("--out", help="keep the extracted folders and the reports here")
    parser.add_argument("--only", help="only the rows whose repository contains this")
    parser.add_argument("--json", help="also write the per-submission figures to this JSON file")
    parser.add_argument("--compare", help="a --json file of an earlier run (another grader): print a markdown table "
                                          "of both runs, row by row, and stop (nothing is graded)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --out: keep a submission's results.json from an earlier run instead of grading again")
    args = parser.parse_args(argv)
    if args.compare:
        print(compare_table(json.loads(Path(args.compare).read_text()), json.loads(Path(args.json).read_text())))
        return
    rows = [r for r in read_rows(args.list) if not args.only or args.only in r.repo]
    work = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="public-corpus-"))
    figures = []
    for row in rows:
        try:
            folder = extract(row, work / "src" / row.slug, args.mirrors)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"== {row.repo} {row.folder}: not extracted: {exc}")
            continue
        kept = work / "out" / row.slug / "results.json"
        results = json.loads(kept.read_text()) if args.reuse and kept.is_file() else \
            grade(args.grader, folder, work / "out" / row.slug)
        assigned, graded_notebook, _ = expected_work(row, folder)
        unassigned, other = classify(results, assigned, graded_notebook)
        total, top = results.get("score", 0.0), sum(t.get("max_score", 0) or 0 for t in results.get("tests", ()))
        figures.append({"repo": row.repo, "folder": row.folder, "family": row.family, "year": row.year,
                        "score": total, "max_score": top, "unassigned_lost": sum(x[0] for x in unassigned),
                        "other_lost": sum(x[0] for x in other), "unassigned": unassigned, "other": other})
        print(f"== {row.repo} {row.folder} ({row.family} {row.year}): {total:.1f}/{top:.1f}; "
              f"lost on unassigned work {sum(x[0] for x in unassigned):.1f}, other {sum(x[0] for x in other):.1f}")
        for kind, lines in (("unassigned", unassigned), ("other", other)):
            for lost, name, message in lines:
                print(f"   {kind:10} -{lost:<5.2f} {name} | {message}")
    charged = [f for f in figures if f["unassigned_lost"] > 0]
    print(f"\n{len(figures)} submissions; {len(charged)} lost points on unassigned work, "
          f"{sum(f['unassigned_lost'] for f in figures):.1f} points in all "
          f"({100 * sum(f['unassigned_lost'] for f in figures) / max(sum(f['max_score'] for f in figures), 1):.1f} % "
          f"of the maximum); other losses {sum(f['other_lost'] for f in figures):.1f} points")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
