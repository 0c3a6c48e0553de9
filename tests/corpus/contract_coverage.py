"""Which contract bugs only the contract checks catch (a measurement, not a test: it grades 13 submissions)::

    python -m corpus.contract_coverage          # from tests/

For each bug of :mod:`corpus.contract_bugs`, graded as ``tests/test_contract_bugs.py`` grades it, it counts the
failed tests of the bug's own function in the contract cases (ids with ``.contract``) and in every other case.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from autograder.config import Config
from conftest import grade_catalog_only as grade
from test_corpus import write_bugs

from .bugs import groups
from .contract_bugs import CONTRACT_BUGS


def main():
    rows = []
    for group in groups(CONTRACT_BUGS):
        with tempfile.TemporaryDirectory() as tmp:
            report = grade(write_bugs(group, Path(tmp) / "submission"), config=Config(profile="all"))
        lost = [r for r in report.results if r.status == "failed" and r.score < r.max_score]
        for bug in group:
            own = [r for r in lost if r.name.startswith(f"{bug.target}: ")]
            contract = sum(".contract" in r.case_id for r in own)
            rows.append((bug.id, len(own) - contract, contract))
            print(f"{bug.id:55s} other checks lost: {len(own) - contract:3d}   contract checks lost: {contract:3d}",
                  flush=True)
    only = sorted(bug for bug, other, contract in rows if other == 0 and contract > 0)
    print(f"caught only by the contract checks: {len(only)} of {len(rows)}: {', '.join(only)}")
    print(f"caught by nothing: {[bug for bug, other, contract in rows if other + contract == 0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
