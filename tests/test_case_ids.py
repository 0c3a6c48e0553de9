"""Case ids are part of the grader's contract: they name the students' pytest tests, the fixtures' keys and the
seeds of the hidden inputs. Every id ever released is recorded in ``tests/case_ids.txt``; an id that changes
(a renamed title, a positional id shifted by an inserted row) fails here, so it can only change on purpose."""
from pathlib import Path

from autograder.catalog import all_cases
from autograder.catalog.build import title_id

RECORDED = Path(__file__).with_name("case_ids.txt")


def _recorded():
    return [line.strip() for line in RECORDED.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_no_released_case_id_changed():
    current = {case.id for case in all_cases()}
    gone = [case_id for case_id in _recorded() if case_id not in current]
    assert not gone, f"released case ids changed or disappeared: {gone}; give the case its old id back"


def test_every_case_id_is_recorded_and_unique():
    ids = [case.id for case in all_cases()]
    assert len(ids) == len(set(ids))
    new = sorted(set(ids) - set(_recorded()))
    assert not new, f"new case ids {new}: add them to {RECORDED.name} (ids must never change once released)"


def test_ids_made_from_titles_do_not_depend_on_position():
    titles = ["stride 1, pad 0", "1x1 filters"]
    before = [title_id("conv_backward_naive.hidden", t) for t in titles]
    after = [title_id("conv_backward_naive.hidden", t) for t in ["batch of 1", *titles]]
    assert before == after[1:] == ["conv_backward_naive.hidden.stride_1_pad_0", "conv_backward_naive.hidden.1x1_filters"]
