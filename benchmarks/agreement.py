"""Per-function agreement of the grader with an independent oracle, on real public submissions.

    python -m benchmarks.agreement [--csv benchmarks/public_corpus/agreement.csv] [--work DIR] [-j 2]
                                   [--grader-root CHECKOUT] [--out REPORT.md] [--only REPO ...]

For each row of the corpus list (repo, commit, folder, family, year, note) it extracts the submission from
the repository's snapshot (``/work/.mirror/<owner>+<name>``, brought by the search tool's ``fetch``; set
``AGREEMENT_MIRRORS`` for another place), grades it with ``autograder grade`` (no config: the profile is
detected) and runs the oracle (:mod:`benchmarks.oracle_checks`, PyTorch and the documented formulas, in a
child process with a timeout). For every function the grader finds applicable (its checks carry points) and
the oracle knows, the grader's verdict (every point of the function's checks earned, or not) is compared
with the oracle's (correct, or wrong/missing). It prints the per-function and overall agreement and every
disagreement with both sides' reasons, and writes them as Markdown (``--out``) and JSON (``--json``).

``--grader-root`` grades with another checkout's ``autograder`` (e.g. an export of main whose Cython kernels
were built in place): it is put first on PYTHONPATH of the grading process.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CSV = HERE / "public_corpus" / "agreement.csv"
MIRRORS = Path(os.environ.get("AGREEMENT_MIRRORS", "/work/.mirror"))
FIELDS = ("repo", "commit", "folder", "family", "year", "note")
# Only the code is extracted: snapshots lack files of 4 MiB and more (data sets, saved models), and the notebooks'
# checks are not compared (they belong to no function).
CODE = ("**/*.py",)
GRADE_SECONDS, ORACLE_SECONDS = 900, 1200


def read_rows(path=CSV):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        missing = [k for k in FIELDS if k not in row]
        if missing:
            raise SystemExit(f"{path}: row {row} lacks the column(s) {', '.join(missing)}; columns: {', '.join(FIELDS)}")
    return rows


def slug(row):
    return row["repo"].replace("/", "+") + ("+" + row["folder"].replace("/", "_") if row["folder"] else "")


def git_dir(repo):
    base = MIRRORS / repo.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def extract(row, dest):
    """The submission of ``row`` written under ``dest`` (fresh); returns the folder to grade."""
    gd = git_dir(row["repo"])
    if not gd.is_dir():
        raise FileNotFoundError(f"no snapshot of {row['repo']} under {MIRRORS}: fetch it (the search tool's fetch, "
                                f"github:{row['repo']}) or set AGREEMENT_MIRRORS")
    dest = Path(dest)
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    prefix = row["folder"].strip("/") + "/" if row["folder"] else ""
    spec = [f":(glob){prefix}{pattern}" for pattern in CODE]
    proc = subprocess.run(["git", "--git-dir", str(gd), "archive", "--format=tar", row["commit"], "--", *spec],
                          capture_output=True, timeout=300)
    if proc.returncode:
        raise RuntimeError(f"git archive of {row['repo']}@{row['commit'][:10]}:{row['folder']} failed: "
                           f"{proc.stderr.decode(errors='replace').strip()[:300]}")
    tar = dest.with_suffix(".tar")
    tar.write_bytes(proc.stdout)
    with tarfile.open(tar) as t:
        t.extractall(dest, filter="data")
    tar.unlink()
    return dest / row["folder"] if row["folder"] else dest


def grader_verdicts(results):
    """target -> ``{"verdict": "pass"|"fail", "earned", "max", "failed": [names]}`` for applicable targets."""
    by = defaultdict(lambda: {"earned": 0.0, "max": 0.0, "failed": []})
    for test in results.get("tests", []):
        tags = list(test.get("tags") or []) + [""]
        entry = by[tags[0]]
        entry["earned"] += float(test.get("score") or 0)
        entry["max"] += float(test.get("max_score") or 0)
        if float(test.get("score") or 0) < float(test.get("max_score") or 0) - 1e-9:
            entry["failed"].append(test.get("name", ""))
    return {t: {**e, "verdict": "pass" if not e["failed"] else "fail"} for t, e in by.items() if e["max"] > 0}


def run_grader(folder, out, grader_root=None):
    env = dict(os.environ)
    if grader_root:
        env["PYTHONPATH"] = os.pathsep.join([str(grader_root)] + [p for p in [env.get("PYTHONPATH")] if p])
    cmd = [sys.executable, "-m", "autograder.cli", "grade", str(folder), "--out", str(out)]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=GRADE_SECONDS, env=env,
                          cwd=str(grader_root or ROOT))
    path = Path(out) / "results.json"
    if not path.is_file():
        raise RuntimeError(f"autograder grade wrote no results.json: {(proc.stderr or proc.stdout).strip()[-400:]}")
    return json.loads(path.read_text()), time.monotonic() - started


def run_oracle(folder, family, year):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "benchmarks.oracle_checks", str(folder), family, str(year)],
                          capture_output=True, text=True, timeout=ORACLE_SECONDS, env=env, cwd=str(folder),
                          start_new_session=True)
    mark = "@@oracle-verdicts@@"
    if mark not in proc.stdout:
        raise RuntimeError(f"the oracle's child gave no verdicts: {proc.stderr.strip()[-400:]}")
    return json.loads(proc.stdout.rsplit(mark, 1)[1])


def one(row, work, grader_root=None, reuse=False):
    """Grade and judge one submission: ``{"row", "grader", "oracle", "seconds", "error"}``."""
    base = Path(work) / slug(row)
    record = {"row": row, "error": ""}
    try:
        cached = base / "record.json"
        if reuse == "all" and cached.is_file():
            return json.loads(cached.read_text())
        graded = base / "graded" / "results.json"
        if reuse == "grades" and graded.is_file() and (base / "src").is_dir():
            folder = base / "src" / row["folder"] if row["folder"] else base / "src"
            seconds = json.loads(cached.read_text()).get("seconds", 0) if cached.is_file() else 0
            results = json.loads(graded.read_text())
        else:
            folder = extract(row, base / "src")
            results, seconds = run_grader(folder, base / "graded", grader_root)
        record.update(grader=grader_verdicts(results), seconds=round(seconds, 1),
                      oracle=run_oracle(folder, row["family"], int(row["year"] or 0)))
        cached.write_text(json.dumps(record))
    except Exception as e:  # noqa: BLE001 - one submission never stops the run
        record["error"] = f"{type(e).__name__}: {e}"
    return record


def compare(records):
    """Per-function counts and the disagreements."""
    per = defaultdict(Counter)
    disagreements = []
    for rec in records:
        if rec.get("error"):
            continue
        verdicts = rec["oracle"]["verdicts"]
        for target, g in sorted(rec["grader"].items()):
            if target not in verdicts:
                continue
            o = verdicts[target]
            oracle_ok = o["verdict"] == "correct"
            grader_ok = g["verdict"] == "pass"
            per[target]["n"] += 1
            per[target]["correct" if oracle_ok else "wrong"] += 1
            if oracle_ok == grader_ok:
                per[target]["agree"] += 1
            else:
                kind = "grader charges correct code" if oracle_ok else "grader passes wrong code"
                per[target]["charges" if oracle_ok else "passes"] += 1
                disagreements.append({"repo": rec["row"]["repo"], "folder": rec["row"]["folder"], "target": target,
                                      "kind": kind, "oracle": o["cause"],
                                      "grader": "; ".join(g["failed"][:3]) or f"{g['earned']:g}/{g['max']:g}"})
    return per, disagreements


def report(records, per, disagreements, seconds):
    n = sum(c["n"] for c in per.values())
    agree = sum(c["agree"] for c in per.values())
    lines = [f"Submissions: {len(records)} ({sum(1 for r in records if r.get('error'))} could not be run); "
             f"function verdicts compared: {n}; agreement {agree}/{n} = {100 * agree / max(n, 1):.1f} % "
             f"({seconds:.0f} s)", "",
             "| function | compared | oracle: correct | oracle: wrong | agree | grader passes wrong | grader charges correct |",
             "|---|---|---|---|---|---|---|"]
    for target, c in sorted(per.items()):
        lines.append(f"| {target} | {c['n']} | {c['correct']} | {c['wrong']} | {c['agree']} | {c['passes']} | {c['charges']} |")
    lines += ["", "Disagreements:", ""]
    lines += [f"- {d['repo']} {d['folder']} `{d['target']}`: {d['kind']}. Oracle: {d['oracle'] or 'correct'}. "
              f"Grader: {d['grader']}" for d in disagreements] or ["- none"]
    errors = [r for r in records if r.get("error")]
    if errors:
        lines += ["", "Not run:", ""] + [f"- {r['row']['repo']} {r['row']['folder']}: {r['error']}" for r in errors]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.agreement", description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", type=Path, default=CSV)
    ap.add_argument("--work", type=Path, default=Path("/tmp/agreement-work"))
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--grader-root", type=Path, help="grade with this checkout's autograder package")
    ap.add_argument("--out", type=Path, help="write the Markdown report here")
    ap.add_argument("--json", type=Path, help="write every record here")
    ap.add_argument("--only", nargs="*", help="only these repositories")
    ap.add_argument("--reuse", choices=("all", "grades"), help="reuse an earlier run in --work: its whole records "
                    "(all), or only its grades, running the oracle again (grades)")
    args = ap.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        raise SystemExit("the agreement benchmark needs PyTorch for its oracle: pip install torch==2.13.0 "
                         "(or pip install -e '.[torch]')")
    rows = [r for r in read_rows(args.csv) if not args.only or r["repo"] in args.only]
    started = time.monotonic()
    with ThreadPoolExecutor(args.jobs) as pool:
        records = list(pool.map(lambda r: one(r, args.work, args.grader_root, args.reuse), rows))
    per, disagreements = compare(records)
    text = report(records, per, disagreements, time.monotonic() - started)
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps({"records": records, "disagreements": disagreements}, indent=1))


if __name__ == "__main__":
    main()
