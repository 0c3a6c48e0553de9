"""A class graded in shards and merged gives the unsharded gradebook byte for byte; the manual's Slurm script (docs/deploy/slurm.md) works."""
import json
import os
import re
import shutil
import stat
import subprocess
import sys

import pytest

from autograder.cohort.batch import discover, run_batch
from autograder.config import Config
from autograder.cohort.shards import GradebookError, Shard, merge
from autograder.sandbox.runner import Limits

from conftest import REFERENCE, ROOT, shared_once

SELECT = ("relu_*", "affine_forward*")
CONFIG = Config(select=SELECT, limits=Limits(check_seconds=5))
CLASS_FILES = ("gradebook.csv", "summary.md", "figures/score_histogram.png", "figures/function_pass_rates.png",
               "figures/heat_map.png", "report.html")
"""The class's files, which a merge writes byte for byte as one unsharded batch does."""


def _class(tmp_path):
    """The three example students, two correct copies of the reference, one with a bug, and an empty folder."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for entry in (ROOT / "examples" / "other-courses").iterdir():
        if entry.is_dir():
            shutil.copytree(entry, subs / entry.name)
        elif entry.suffix == ".zip":
            shutil.copy(entry, subs / entry.name)
    for name in ("dave", "erin", "frank"):
        shutil.copytree(REFERENCE / "cs231n", subs / name / "cs231n",
                        ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c"))
    with open(subs / "erin" / "cs231n" / "layers.py", "a") as handle:
        handle.write("\n\ndef relu_forward(x):\n    return x, x\n")
    (subs / "grace").mkdir()
    return subs


@pytest.fixture(scope="module")
def unsharded(tmp_path_factory):
    """``(submissions, out)``: the class of :func:`_class` graded in one unsharded batch, once per session for both
    tests that compare a merge with it (read-only)."""
    def make(folder):
        run_batch(_class(folder), folder / "all", jobs=2, config=CONFIG, progress=False)

    folder = shared_once(tmp_path_factory, "shards-unsharded", make)
    return folder / "subs", folder / "all"


def test_shard_parse_and_select():
    assert Shard.parse("2/3") == Shard(2, 3) and Shard.parse(" 1 / 1 ") == Shard(1, 1)
    for bad in ("0/3", "4/3", "3", "a/b", "1/0", "-1/2"):
        with pytest.raises(GradebookError, match="--shard"):
            Shard.parse(bad)
    entries = list("abcdefg")
    slices = [Shard(k, 3).select(entries) for k in (1, 2, 3)]
    assert slices == [["a", "d", "g"], ["b", "e"], ["c", "f"]]
    assert sorted(sum(slices, [])) == entries
    assert Shard(5, 8).select(list("abc")) == []


@pytest.mark.slow
def test_three_shards_merged_give_the_unsharded_gradebook_byte_for_byte(tmp_path, unsharded):
    subs, everyone = unsharded
    students = [e.student for e in discover(subs)]
    assert len(students) == 7
    shards = [tmp_path / f"shard-{k}" for k in (1, 2, 3)]
    for k, folder in enumerate(shards, start=1):
        run_batch(subs, folder, jobs=2, config=CONFIG, progress=False, shard=Shard(k, 3))
        manifest = json.loads((folder / "shard.json").read_text())
        assert manifest["class"] == students and manifest["students"] == students[k - 1::3]
        graded = sorted(p.parent.name for p in folder.glob("*/results.json"))
        assert graded == sorted(students[k - 1::3])
        rows = (folder / "gradebook.csv").read_text().splitlines()[1:]
        assert [row.split(",")[0] for row in rows] == students[k - 1::3]  # a shard lists only its own students
    result = merge(reversed(shards), tmp_path / "merged")  # the order of the folders does not matter
    assert result.students == students and result.missing == []
    for name in CLASS_FILES:
        assert (tmp_path / "merged" / name).read_bytes() == (everyone / name).read_bytes(), name
    gradebook = (everyone / "gradebook.csv").read_text()
    assert re.search(r"^erin,.*", gradebook, re.M) and "no student package" in gradebook  # a real mix of rows
    assert re.search(r"^bob,.*,bob\.zip$", gradebook, re.M) and re.search(r"^grace,.*,grace/$", gradebook, re.M)
    for student in students:
        assert (tmp_path / "merged" / student / "feedback.md").is_file()

    # What cannot be merged says so, naming the folder and what to do.
    with pytest.raises(GradebookError, match=r"shard\(s\) 2/3 missing"):
        merge([shards[0], shards[2]], tmp_path / "m2")
    with pytest.raises(GradebookError, match="are both shard 1/3"):
        merge([shards[0], shards[0], shards[2]], tmp_path / "m3")
    with pytest.raises(GradebookError, match="not the results folder of a shard"):
        merge([everyone], tmp_path / "m4")
    with pytest.raises(GradebookError, match="is one of the shard folders"):
        merge(shards, shards[1])
    other = tmp_path / "other-1"
    run_batch(subs, other, jobs=1, config=Config(select=("relu_forward*",)), progress=False, shard=Shard(1, 3))
    with pytest.raises(GradebookError, match="grader version or configuration"):
        merge([other, shards[1], shards[2]], tmp_path / "m5")

    # A shard that has not finished leaves its students "not graded yet" in the merge, which reports them.
    (shards[1] / students[1] / "results.json").unlink()
    result = merge(shards, tmp_path / "m6")
    assert result.missing == [students[1]]
    assert "not graded yet" in (tmp_path / "m6" / "gradebook.csv").read_text()


def _readme_block(title):
    """The fenced bash block of the Slurm page whose first or second line is the comment ``# <title>...``."""
    text = (ROOT / "docs" / "deploy" / "slurm.md").read_text()
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        if any(line.startswith(f"# {title}") for line in block.splitlines()[:2]):
            return block
    raise AssertionError(f"no ```bash block whose first lines name '# {title}' in docs/deploy/slurm.md")


FAKE_SBATCH = r'''#!/usr/bin/env python3
"""A stand-in for Slurm's sbatch: runs an array job's tasks one after the other, then --wrap jobs."""
import os, re, subprocess, sys
args, array, wrap, script, log = sys.argv[1:], None, None, None, os.environ["FAKE_SBATCH_LOG"]
i = 0
while i < len(args):
    a = args[i]
    if a.startswith("--array="):
        array = a.split("=", 1)[1]
    elif a == "--wrap":
        wrap, i = args[i + 1], i + 1
    elif a.startswith("--wrap="):
        wrap = a.split("=", 1)[1]
    elif not a.startswith("-"):
        script = a
    i += 1
with open(log, "a") as handle:
    handle.write(" ".join(args) + "\n")
if script:  # the script's own #SBATCH lines count as options too
    with open(script) as handle:
        for line in handle:
            m = re.match(r"#SBATCH\s+--array=(\S+)", line)
            if m and array is None:
                array = m.group(1)
def run(command, name, **extra):  # a job's output goes to a file, as with Slurm
    with open(f"slurm-{name}.out", "w") as out:
        return subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, **extra).returncode
if wrap is not None:
    code = run(["bash", "-c", wrap], "4242")
elif array is not None:
    first, last = (int(x) for x in array.split("%")[0].split("-"))
    code = 0
    for task in range(first, last + 1):
        env = dict(os.environ, SLURM_ARRAY_TASK_ID=str(task), SLURM_ARRAY_TASK_COUNT=str(last - first + 1))
        code = run(["bash", script], f"4242_{task}", env=env) or code
else:
    code = run(["bash", script], "4242")
if code:
    sys.exit(f"sbatch (fake): the job failed with exit code {code}")
print("4242")
'''


@pytest.mark.slow
def test_the_readme_slurm_scripts_grade_a_class_in_shards_and_merge_it(tmp_path, unsharded):
    work = tmp_path / "course"
    work.mkdir()
    subs = _class(tmp_path)
    shutil.move(str(subs), work / "submissions")
    (work / "course.toml").write_text(f"select = {list(SELECT)!r}\n[limits]\ncheck_seconds = 5\n".replace("'", '"'))
    shutil.copytree(ROOT / "fixtures", work / "course_fixtures")
    (work / "grade-shard.sbatch").write_text(_readme_block("grade-shard.sbatch"))
    (work / "grade-class.sh").write_text(_readme_block("grade-class.sh"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text(FAKE_SBATCH)
    (bin_dir / "sbatch").chmod(stat.S_IRWXU)
    (bin_dir / "autograder").write_text(f'#!/bin/sh\nexec {sys.executable} -m autograder.cli "$@"\n')
    (bin_dir / "autograder").chmod(stat.S_IRWXU)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", FAKE_SBATCH_LOG=str(tmp_path / "sbatch.log"))
    done = subprocess.run(["bash", "grade-class.sh", "3"], cwd=work, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    calls = (tmp_path / "sbatch.log").read_text().splitlines()
    assert len(calls) == 2 and "--array=1-3" in calls[0] and "--dependency=afterany:4242" in calls[1], calls
    assert sorted(p.name for p in (work / "grades").iterdir()) == ["class", "shard-1", "shard-2", "shard-3"]
    # the same bytes as the class graded unsharded from the project's own fixtures folder (course_fixtures is a copy)
    for name in CLASS_FILES:
        assert (work / "grades" / "class" / name).read_bytes() == (unsharded[1] / name).read_bytes(), name


def test_the_cli_says_what_is_wrong_with_a_shard_or_a_merge_in_one_line(tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    (tmp_path / "subs").mkdir()
    bad = CliRunner().invoke(main, ["batch", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--shard", "0/3"])
    assert bad.exit_code == 2 and "K must be between 1 and N" in bad.output
    merged = CliRunner().invoke(main, ["gradebook", "merge", str(tmp_path / "subs"), "--out", str(tmp_path / "m")])
    assert merged.exit_code == 1 and "not the results folder of a shard" in merged.output
    assert "Traceback" not in bad.output + merged.output
