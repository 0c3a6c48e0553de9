"""How often a failed check carries a diagnosis that names the actual mistake: ``python -m benchmarks.diagnoses``.

Every bug of every bug corpus present (``tests/corpus/bugs.py``, and ``tests/corpus/contract_bugs.py`` when it
exists) is applied alone to the reference written as a CS231n student's package and graded in the grader's own
process (the corpus is trusted code) on the checks of its function. Counted: the failed checks of the bugged
function, each distinct (case, message) once (an exception that fails five checks of one call counts once), without
the side-effect checks that are only withheld ("not credited until..."). A failure is *named* when its diagnosis's
relation is one of the bug's expected relations (:data:`corpus.bug_diagnoses.EXPECTED`, or the bug's own
``diagnoses`` attribute). Then every correct variant of ``tests/corpus/variants`` is graded the same way: no result
may carry a diagnosis. ``--json FILE`` writes the figures; ``-k TEXT`` keeps the bugs whose id contains TEXT.
"""
import argparse
import importlib
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

WITHHELD = "not credited until"


def corpora():
    """``[(corpus name, bugs)]`` of every bug corpus present."""
    found = []
    for name, attrs in (("bugs", ("BUGS",)), ("contract_bugs", ("CONTRACT_BUGS", "BUGS"))):
        try:
            module = importlib.import_module(f"corpus.{name}")
        except ImportError:
            continue
        bugs = next((getattr(module, a) for a in attrs if hasattr(module, a)), None)
        if bugs:
            found.append((name, list(bugs)))
    return found


def expected(bug):
    from corpus.bug_diagnoses import EXPECTED

    own = getattr(bug, "diagnoses", None)
    return set(own) if own else set(EXPECTED.get(bug.id, ()))


def grade_files(files, select, tmp):
    from autograder.config import Config
    from autograder.grading.pipeline import grade
    from autograder.sandbox.inprocess import run_in_process
    from corpus import fresh, write_tree

    root = write_tree(fresh(Path(tmp) / "submission"), files)
    return grade(root, config=Config(profile="all", select=select), runner=run_in_process)


def checks_of(target):
    """The selection that grades every check of ``target``: its own cases and the cases of other functions that
    hold a test of it (a forward's output is judged inside its backward's cases)."""
    from autograder.catalog import all_cases

    return (target,) + tuple(sorted(c.id for c in all_cases()
                                    if c.target != target and any(t.target == target for t in c.tests)))


def measure_bug(bug, tmp):
    from corpus import layouts

    files = layouts.cs231n_student()
    key = f"cs231n/{bug.file}"
    files[key] = bug.apply(files[key])
    report = grade_files(files, checks_of(bug.target), tmp)
    seen, rows = set(), []
    for r in report.results:
        if r.status != "failed" or r.target != bug.target or r.message.startswith(WITHHELD):
            continue
        if (r.case_id, r.message) in seen:
            continue
        seen.add((r.case_id, r.message))
        rows.append({"check": r.name, "relation": r.relation, "diagnosis": r.diagnosis,
                     "named": r.relation in expected(bug)})
    return rows


def measure_variants(tmp):
    from corpus import layouts
    from corpus.variants import groups, VARIANTS

    reference = grade_files(layouts.cs231n_student(), (), tmp)
    known = {r.name for r in reference.results if r.status == "failed"}
    shown = []
    packed = groups(VARIANTS)
    for group in packed:
        files = layouts.cs231n_student()
        for variant in group:
            files = variant.apply(files)
        report = grade_files(files, (), tmp)
        shown += [f"{'+'.join(v.id for v in group)}: {r.name}: {r.diagnosis}" for r in report.results
                  if r.diagnosis and r.name not in known]
    return len(VARIANTS), len(packed), shown


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("-k", default="", help="only bugs whose id contains this")
    parser.add_argument("--no-variants", action="store_true", help="skip the correct variants")
    args = parser.parse_args(argv)
    began = time.monotonic()
    per_bug, total, named, diagnosed = {}, 0, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for corpus, bugs in corpora():
            for bug in bugs:
                if args.k not in bug.id:
                    continue
                rows = measure_bug(bug, tmp)
                per_bug[f"{corpus}:{bug.id}"] = rows
                total += len(rows)
                named += sum(r["named"] for r in rows)
                diagnosed += sum(bool(r["relation"]) for r in rows)
                mark = "ok " if any(r["named"] for r in rows) else ("-- " if rows else "   ")
                print(f"{mark}{corpus}:{bug.id}: {sum(r['named'] for r in rows)} of {len(rows)} failed checks named"
                      + ("" if rows else " (no check fails: the bug is not detected)"))
        variants = measure_variants(tmp) if not args.no_variants else None
    detected = [b for b, rows in per_bug.items() if rows]
    every = [b for b in detected if any(r["named"] for r in rows_of(per_bug, b))]
    figures = {"bugs": len(per_bug), "bugs_detected": len(detected), "bugs_named": len(every),
               "failed_checks": total, "diagnosed": diagnosed, "named": named,
               "named_share": round(named / total, 4) if total else None,
               "seconds": round(time.monotonic() - began, 1)}
    if variants is not None:
        figures.update({"variants": variants[0], "variant_submissions": variants[1],
                        "variant_diagnoses": len(variants[2])})
        for line in variants[2]:
            print("variant diagnosed:", line)
    print(json.dumps(figures, indent=1))
    print("bugs detected but with no named failure:", [b for b in detected if b not in every])
    if args.json:
        Path(args.json).write_text(json.dumps({"figures": figures, "bugs": per_bug}, indent=1) + "\n")
    return 0


def rows_of(per_bug, bug):
    return per_bug[bug]


if __name__ == "__main__":
    sys.exit(main())
