"""The corpus's figures for the README: what each realistic bug costs, measured by grading the corpus.

Run from ``tests/``: ``python -m corpus.figures [--jobs 2]``. Each bug group of :mod:`corpus.bugs` is graded as
``autograder grade`` grades it (sandboxed child, every check, credit isolation on and off), and each bug is
charged the points lost by tests of its own function and, separately, by every other test (which credit
isolation should bring to zero). Bugs that share a submission touch distinct functions, so the first figure is
the bug's alone; the second is the group's. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import sys
import tempfile
from pathlib import Path

from autograder.config import Config
from autograder.grading.pipeline import grade

from . import fresh, layouts, write_tree
from .bugs import BUGS, groups


def _write(group, dest):
    files = layouts.cs231n_student()
    for bug in group:
        key = f"cs231n/{bug.file}"
        files[key] = bug.apply(files[key])
    return write_tree(fresh(dest), files)


def _lost(results, own):
    """Points lost (public, hidden) by the tests of ``own`` targets, and by all the others."""
    mine = [r for r in results if r.target in own]
    others = [r for r in results if r.target not in own]
    lost = lambda rs, vis: sum(r.max_score - r.score for r in rs if r.visibility == vis)  # noqa: E731
    return lost(mine, "public"), lost(mine, "hidden"), sum(r.max_score - r.score for r in others)


def measure(group):
    with tempfile.TemporaryDirectory() as scratch:
        path = _write(group, Path(scratch) / "submission")
        rows = []
        reports = {iso: grade(path, config=Config(profile="all", isolate_dependencies=iso)) for iso in (True, False)}
        for bug in group:
            own = {bug.target}
            public, hidden, _ = _lost([r for r in reports[True].results if r.group != "notebooks"], own)
            rows.append((bug, public, hidden))
        spill = {iso: _lost([r for r in rep.results if r.group != "notebooks"], {b.target for b in group})[2]
                 for iso, rep in reports.items()}
        return rows, spill


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    found = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:  # each grading runs in its own child
        for rows, spill in pool.map(measure, groups(BUGS)):
            found.append((rows, spill))
    print("| bug | points lost by its function (public + hidden) | lost by other functions, isolation on / off |")
    print("|---|---|---|")
    caught = 0
    for rows, spill in found:
        for bug, public, hidden in rows:
            caught += (public + hidden) > 0
            print(f"| `{bug.id}`: {bug.description} | {public:g} + {hidden:g} | "
                  f"{spill[True]:g} / {spill[False]:g} (its group) |")
    print(f"\n{caught} of {len(BUGS)} bugs lose points on their own function.", file=sys.stderr)


if __name__ == "__main__":
    main()
