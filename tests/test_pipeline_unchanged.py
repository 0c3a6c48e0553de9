"""Behaviour lock for the grading pipeline: every verdict and message on the examples and on a few planted
submissions (a layer bug that credit isolation reruns, a missing function, a syntax error, an empty folder) is
the one recorded in ``golden/pipeline_unchanged.json``.

The golden file is generated, never hand-edited: ``python tests/test_pipeline_unchanged.py --regen`` (from the
repository root) grades every scenario with the current code and rewrites it. Regenerate it only for a change
that is meant to alter verdicts or messages, and say so in the commit.
"""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOLDEN = HERE / "golden" / "pipeline_unchanged.json"

SOFTMAX_BUG = """
def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return loss, dx  # the 1/N of the gradient is missing
"""
MISSING = "\n\ndel relu_backward\n"
SYNTAX_ERROR = "\n\ndef dropout_forward(x, dropout_param)\n    return x, None\n"
# The planted scenarios grade only these checks (the examples grade everything).
PLANTED_SELECT = ("softmax_loss*", "relu_*", "affine_relu_*", "dropout_*", "TwoLayerNet*", "FullyConnectedNet*")


def _planted(folder: Path, appends: dict) -> Path:
    from autograder import paths

    paths.copy_reference_package(folder / "cs231n")
    for rel, code in appends.items():
        with open(folder / "cs231n" / rel, "a", encoding="utf-8") as handle:
            handle.write("\n\n" + textwrap.dedent(code))
    return folder


def scenarios(scratch: Path):
    """Name -> (submission path, Config) of every graded scenario; planted ones are written under ``scratch``."""
    from autograder.config import Config

    examples = ROOT / "examples" / "other-courses"
    out = {name: (examples / name, Config()) for name in ("alice", "bob.zip", "carol")}
    planted = Config(profile="all", select=PLANTED_SELECT)
    out["softmax_bug"] = (_planted(scratch / "softmax_bug", {"layers.py": SOFTMAX_BUG}), planted)
    out["missing_relu_backward"] = (_planted(scratch / "missing", {"layers.py": MISSING}), planted)
    out["syntax_error"] = (_planted(scratch / "syntax", {"layers.py": SYNTAX_ERROR}), planted)
    (scratch / "empty").mkdir(parents=True, exist_ok=True)
    out["empty_folder"] = (scratch / "empty", planted)
    return out


def observed(path: Path, config) -> dict:
    """What the lock compares: every result's (name, status, score, max_score, message), the notes, the error
    and the profile of the report."""
    from autograder.grading.pipeline import grade

    report = grade(path, config=config)
    return {
        "results": [[r.name, r.status, round(r.score, 9), round(r.max_score, 9), r.message] for r in report.results],
        "notes": list(report.notes), "error": report.error, "profile": report.profile,
    }


def regen(scratch: Path | None = None) -> None:
    """Grade every scenario with the current code and rewrite the golden file."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        data = {name: observed(path, config) for name, (path, config) in scenarios(Path(scratch or tmp)).items()}
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({sum(len(v['results']) for v in data.values())} results)")


@pytest.fixture(scope="module")
def golden():
    if not GOLDEN.exists():
        pytest.fail(f"{GOLDEN} is missing: run `python tests/test_pipeline_unchanged.py --regen`")
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["alice", "bob.zip", "carol", "softmax_bug", "missing_relu_backward",
                                  "syntax_error", "empty_folder"])
def test_every_verdict_and_message_is_unchanged(name, golden, tmp_path):
    path, config = scenarios(tmp_path)[name]
    got, want = observed(path, config), golden[name]
    for key in ("profile", "error", "notes"):
        assert got[key] == want[key], (name, key)
    assert len(got["results"]) == len(want["results"]), (name, len(got["results"]), len(want["results"]))
    for g, w in zip(got["results"], want["results"]):
        assert g == w, (name, g, w)


def test_the_lock_sees_a_changed_message(golden, tmp_path):
    """The comparison is not vacuous: the golden file holds failures with messages, and a changed one differs."""
    failed = [r for r in golden["softmax_bug"]["results"] if r[1] == "failed"]
    assert failed and all(r[4] for r in failed)
    changed = [list(r) for r in golden["softmax_bug"]["results"]]
    changed[0][4] += "!"
    assert changed != golden["softmax_bug"]["results"]


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    if "--regen" in sys.argv[1:]:
        regen()
    else:
        print(__doc__)
