"""The contract-bug corpus (:mod:`corpus.contract_bugs`, issue 21): every bug that breaks a documented argument,
key, shape or robustness property costs points in a test of its own function, and only where it reaches, as
:func:`test_corpus.assert_bugs_caught` checks for the 44 bugs of :mod:`corpus.bugs`.

Bugs that can be told apart in one report share a submission (:func:`corpus.bugs.groups`)."""
from __future__ import annotations

import pytest

from autograder import catalog
from corpus.bugs import BUGS, groups
from corpus.contract_bugs import CONTRACT_BUGS
from test_corpus import _group_id, assert_bugs_caught

pytestmark = pytest.mark.slow

ACTIVE = [bug for bug in CONTRACT_BUGS if not bug.needs or bug.needs in catalog.MODULES]


def test_contract_corpus_is_large_distinct_and_apart():
    assert len(CONTRACT_BUGS) >= 30
    keys = {(bug.function, bug.old, bug.new) for bug in CONTRACT_BUGS}
    assert len({bug.id for bug in CONTRACT_BUGS}) == len(keys) == len(CONTRACT_BUGS)
    assert not {bug.id for bug in CONTRACT_BUGS} & {bug.id for bug in BUGS}
    assert not keys & {(bug.function, bug.old, bug.new) for bug in BUGS}
    assert len(ACTIVE) == len(CONTRACT_BUGS)


@pytest.mark.parametrize("group", [pytest.param(g, id=_group_id(g)) for g in groups(ACTIVE)])
def test_contract_bugs_cost_points_where_they_are(group, tmp_path):
    assert_bugs_caught(group, tmp_path)
