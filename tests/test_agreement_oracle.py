"""The agreement benchmark's oracle (benchmarks/oracle_checks.py) is right on code whose verdict is known:
the project's reference and every correct variant are labelled correct, every bug of the corpus wrong.

This validates the oracle only (it never reads the reference itself: the reference is one of the packages it
judges here, as the public submissions are in ``python -m benchmarks.agreement``).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus import reference_sources, write_tree
from corpus.bugs import BUGS
from corpus.variants import VARIANTS

pytest.importorskip("torch", reason="the oracle needs PyTorch: pip install torch==2.13.0")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import agreement, oracle_checks  # noqa: E402
from benchmarks.oracle_checks import CHECKS  # noqa: E402

# Bugs the oracle cannot see by running the function on fresh inputs (what it does not judge, said plainly).
NOT_OBSERVABLE = set()
# Correct variants of the project that issue 21 calls wrong (logits of magnitude 1e3 must give a finite loss
# equal to PyTorch's): the oracle labels them wrong for exactly that reason.
STRICTER = {"softmax_loss.unshifted_probs": "loss is not finite"}


def _judge_all(tmp_path, trees):
    """Run the oracle's child once over ``trees``: ``[(name, files, only)]`` -> ``{name: verdicts}``."""
    jobs = []
    for name, files, only in trees:
        root = write_tree(tmp_path / name, {f"cs231n/{rel}": text for rel, text in files.items()})
        jobs.append([str(root), "cs231n", 2021, sorted(only) if only else None])
    spec = tmp_path / "jobs.json"
    spec.write_text(json.dumps(jobs))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "benchmarks.oracle_checks", "--many", str(spec)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900, env=env)
    assert oracle_checks.MARK.strip() in proc.stdout, proc.stderr[-2000:]
    results = json.loads(proc.stdout.rsplit(oracle_checks.MARK.strip(), 1)[1])
    return {name: r["verdicts"] for (name, _, _), r in zip(trees, results)}


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oracle")
    ref = reference_sources()
    trees = [("reference", ref, None)]
    for i, bug in enumerate(BUGS):
        key = f"cs231n/{bug.file}"
        files = {f"cs231n/{k}": v for k, v in ref.items()}
        files[key] = bug.apply(files[key])
        trees.append((f"bug{i}", {k[len("cs231n/"):]: v for k, v in files.items()}, {bug.target} & set(CHECKS)))
    for i, variant in enumerate(VARIANTS):
        files = variant.apply({f"cs231n/{k}": v for k, v in ref.items()})
        trees.append((f"variant{i}", {k[len("cs231n/"):]: v for k, v in files.items()}, variant.reach & set(CHECKS)))
    return _judge_all(tmp, trees)


@pytest.mark.slow
def test_reference_is_correct_everywhere(judged):
    wrong = {k: v["cause"] for k, v in judged["reference"].items() if v["verdict"] != "correct"}
    assert not wrong


@pytest.mark.slow
@pytest.mark.parametrize("i", range(len(BUGS)), ids=[b.id for b in BUGS])
def test_every_bug_is_wrong(judged, i):
    bug = BUGS[i]
    if bug.target not in CHECKS:
        pytest.skip(f"the oracle does not judge {bug.target}")
    verdict = judged[f"bug{i}"][bug.target]
    if bug.id in NOT_OBSERVABLE:
        assert verdict["verdict"] == "correct", "the oracle now sees this bug: take it out of NOT_OBSERVABLE"
    else:
        assert verdict["verdict"] == "wrong", bug.description


@pytest.mark.slow
@pytest.mark.parametrize("i", range(len(VARIANTS)), ids=[v.id for v in VARIANTS])
def test_every_correct_variant_is_correct(judged, i):
    verdicts = judged[f"variant{i}"]
    wrong = {k: v["cause"] for k, v in verdicts.items() if v["verdict"] != "correct"}
    if VARIANTS[i].id in STRICTER:
        assert wrong == {VARIANTS[i].target: STRICTER[VARIANTS[i].id]}
    else:
        assert not wrong, VARIANTS[i].description


def test_grader_verdicts_group_tests_by_function():
    results = {"tests": [
        {"score": 1, "max_score": 1, "tags": ["adam", "value", "x"], "name": "a"},
        {"score": 0, "max_score": 2, "tags": ["adam", "value", "x"], "name": "b"},
        {"score": 1, "max_score": 1, "tags": ["relu_forward"], "name": "c"},
        {"score": 0, "max_score": 0, "tags": ["svm_loss"], "name": "not applicable"},
    ]}
    got = agreement.grader_verdicts(results)
    assert got["adam"]["verdict"] == "fail" and got["adam"]["failed"] == ["b"]
    assert got["relu_forward"]["verdict"] == "pass"
    assert "svm_loss" not in got


def test_compare_counts_both_kinds_of_disagreement():
    rec = {"row": {"repo": "o/r", "folder": ""}, "error": "",
           "grader": {"adam": {"verdict": "pass", "failed": [], "earned": 1, "max": 1},
                      "rmsprop": {"verdict": "fail", "failed": ["x"], "earned": 0, "max": 1},
                      "sgd_momentum": {"verdict": "pass", "failed": [], "earned": 1, "max": 1},
                      "Solver": {"verdict": "pass", "failed": [], "earned": 1, "max": 1}},
           "oracle": {"verdicts": {"adam": {"verdict": "wrong", "cause": "epsilon"},
                                   "rmsprop": {"verdict": "correct", "cause": ""},
                                   "sgd_momentum": {"verdict": "correct", "cause": ""}}}}
    per, dis = agreement.compare([rec])
    assert per["adam"]["passes"] == 1 and per["rmsprop"]["charges"] == 1 and per["sgd_momentum"]["agree"] == 1
    assert "Solver" not in per
    assert sorted(d["target"] for d in dis) == ["adam", "rmsprop"]


def test_corpus_list_has_the_columns_and_no_repository_twice():
    rows = agreement.read_rows()
    assert len(rows) >= 40
    keys = [(r["repo"], r["folder"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert all(len(r["commit"]) == 40 and r["family"] in ("cs231n", "nndl", "cs182", "cs260") for r in rows)
