"""Hidden checks of every variant under other secret seeds: which tolerances hold for any course's fixtures.

A course builds its hidden fixtures from its own secret seed, so a hidden check must give correct code full
marks whatever the seed. This measurement (not a test: it takes minutes) builds fixtures for several hidden
seeds and grades every variant group on the hidden checks, in the grader's process (the variants are the
project's own code), reporting each check that loses points with the seeds and the worst message::

    python -m corpus.variants.sweep --seeds 10          # from tests/
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from autograder.catalog import fixtures
from autograder.config import Config
from autograder.grading.pipeline import grade
from autograder.sandbox.inprocess import run_in_process

from .. import fresh, layouts, write_tree
from . import VARIANTS, groups


def _lost(report):
    return {r.name: (r.target, r.message) for r in report.results if r.score < r.max_score}


def sweep(seeds, work):
    config = Config(profile="all", select=("*.hidden*", "*.contract*"))
    packed = groups(VARIANTS)
    subs = {}
    for k, group in enumerate([[]] + packed):
        files = layouts.cs231n_student()
        for variant in group:
            files = variant.apply(files)
        subs[k] = (group, write_tree(fresh(work / f"g{k:02d}"), files))
    found = defaultdict(list)  # (variant ids, test) -> [(seed, message)]
    for seed in seeds:
        fixture_dir = work / f"fixtures{seed}"
        fixtures.build(fixture_dir, hidden_seed=seed)
        for k, (group, path) in subs.items():
            report = grade(path, config=config, fixture_dir=fixture_dir, runner=run_in_process)
            for test, (target, message) in _lost(report).items():
                backward = target.replace("_forward", "_backward")
                owners = [v.id for v in group if target in v.reach or backward in v.reach]
                key = ("reference",) if k == 0 else tuple(owners) or tuple(v.id for v in group)
                found[key, test].append((seed, message))
        print(f"seed {seed}: {sum(1 for v in found.values() if v[-1][0] == seed)} lost checks", file=sys.stderr)
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="hidden seeds 1..N (the repository's is 0)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        found = sweep(range(1, args.seeds + 1), Path(tmp))
    for (owners, test), hits in sorted(found.items()):
        worst = max(hits, key=lambda h: [float(x) for x in re.findall(r"error ([\d.e+-]+)", h[1])] or [0])
        print(f"{', '.join(owners)}: {test}: seeds {[s for s, _ in hits]}: {worst[1][:200]}")


if __name__ == "__main__":
    main()
