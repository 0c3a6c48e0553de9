"""The ``autograder`` command: a thin layer over the Python API (one function per command)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

# Before numpy loads: the grader's own arrays (inputs, judging) are small, and a batch already runs a process per
# core, so a BLAS thread pool only contends with the children (on a loaded 2-core machine making the inputs took
# 0.55 s with it, 0.15 s without). The children pin their BLAS to one thread themselves (sandbox.spawn.scrubbed_env).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import click  # noqa: E402

from .catalog.fixture_names import DEFAULT_HIDDEN_SEED, FixtureError  # noqa: E402
from .config import ConfigError, load_config  # noqa: E402
from .paths import ReferenceMissing  # noqa: E402
from .profiles import known_names  # noqa: E402


_QUICK_EXIT = []
"""Set by a command whose process has nothing left to release once it has returned (``grade``): see :func:`run`."""


def run():
    """The ``autograder`` console script: :func:`main`, then, after ``grade``, the process ends without tearing
    down the interpreter (its output is flushed and every file it wrote is complete by then; freeing the modules and
    the replies' arrays one by one took about 0.1 s of a grade of about 2 s). Other commands end as usual."""
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if not _QUICK_EXIT:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cs231n-autograder")
def main():
    """Grade CS231n-style numpy neural-network assignments."""


def _config(config_path, **overrides):
    try:
        return load_config(config_path, **overrides)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _with_execution(config, execute_notebooks):
    from dataclasses import replace

    return replace(config, notebooks={**config.notebooks, "execute": True}) if execute_notebooks else config


@main.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Write results.json and feedback.md here.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Course config (TOML).")
@click.option("--profile", type=click.Choice(known_names()), help="Course profile (detected when omitted).")
@click.option("--public-only", is_flag=True, help="Run only the notebooks' public checks.")
@click.option("--fixtures", "fixture_dir", type=click.Path(path_type=Path), help="Fixture folder to use.")
@click.option("--select", "-k", multiple=True, help="Only checks whose id or function matches (shell pattern, repeatable).")
@click.option("--execute-notebooks", is_flag=True, help="Also re-execute the submission's notebooks (slow).")
@click.option("--timings", is_flag=True, help="Also print the 15 slowest checks (seconds, case id, function).")
def grade(submission, out_dir, config_path, profile, public_only, fixture_dir, select, execute_notebooks, timings):
    """Grade one SUBMISSION (a folder or a .zip) and print a summary table.

    Exits with status 1 when the submission as a whole could not be graded (nothing to grade, or its
    process or sandbox could not start), after one line saying why."""
    from .grading.early_child import early_child

    config = _with_execution(_config(config_path, profile=profile, include_hidden=False if public_only else None,
                                     select=tuple(select) or None), execute_notebooks)
    if not submission.exists():
        raise click.BadParameter(f"{submission} does not exist", param_hint="SUBMISSION")
    hidden = [out_dir.resolve()] if out_dir else []
    # The child starts now and imports numpy and the submission while the grader imports its own modules.
    with early_child(submission, config, hidden=hidden, fixture_dir=fixture_dir) as early:
        from .grading.pipeline import grade as grade_submission
        from .grading.report import slowest_table, summary_table, write_report

        try:
            report = grade_submission(submission, config=config, fixture_dir=fixture_dir, hidden=hidden, early=early)
        except FixtureError as exc:
            raise click.ClickException(str(exc)) from None
    if report.error:  # the submission as a whole could not be graded: one line, not one row per check
        error = " ".join(report.error.split())
        click.echo(f"error: {error if submission.name in error else f'{submission.name}: {error}'}", err=True)
    else:
        click.echo(summary_table(report))
        for note in report.notes:
            click.echo(f"note: {note}", err=True)
    if timings:
        click.echo(slowest_table(report, n=15))
    if out_dir:
        results, feedback = write_report(report, out_dir, config.hidden_visibility)
        click.echo(f"wrote {results} and {feedback}")
    _QUICK_EXIT.append(True)
    if report.error:
        sys.exit(1)


@main.command()
@click.argument("submissions", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Results folder.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=2, show_default=True, help="Parallel workers.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Course config (TOML).")
@click.option("--profile", type=click.Choice(known_names()),
              help="Course profile of the whole class (when omitted: the one most submissions match).")
@click.option("--fixtures", "fixture_dir", type=click.Path(path_type=Path), help="Fixture folder to use.")
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
@click.option("--execute-notebooks", is_flag=True, help="Also re-execute every submission's notebooks (slow).")
@click.option("--shard", "shard_text", metavar="K/N",
              help="Grade only the K-th of N slices of the class (1 <= K <= N); merge with `gradebook merge`.")
@click.option("--similarity", is_flag=True,
              help="Also write similarity.csv and similarity.html: the pairs of students whose code is alike.")
@click.option("--compare", "compare_path", type=click.Path(path_type=Path), metavar="OLD",
              help="An earlier results folder or gradebook.csv: list the students whose score changed (compare.csv).")
def batch(submissions, out_dir, jobs, config_path, profile, fixture_dir, no_progress, execute_notebooks, shard_text,
          similarity, compare_path):
    """Grade every submission (folder or .zip) in SUBMISSIONS; resumable, in parallel."""
    from .cohort.batch import run_batch, single_submission_warning
    from .cohort.shards import GradebookError, Shard

    config = _with_execution(_config(config_path, profile=profile), execute_notebooks)
    try:
        shard = Shard.parse(shard_text) if shard_text is not None else None
    except GradebookError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from None
    if similarity and shard is not None:
        raise click.UsageError("--similarity compares the whole class, not one shard: run `autograder similarity "
                               "SUBMISSIONS --out DIR` once the shards are merged")
    if compare_path is not None and shard is not None:
        raise click.UsageError("--compare compares the whole class, not one shard: merge the shards, then run "
                               "`autograder gradebook compare OLD MERGED`")
    old_run = _old_run(compare_path) if compare_path is not None else None
    if similarity:
        _similarity_available()
    warning = single_submission_warning(submissions)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    result = run_batch(submissions, out_dir, jobs=jobs, config=config, fixture_dir=fixture_dir,
                       progress=not no_progress, shard=shard, similarity=similarity, compare=old_run,
                       announce=_echo_rubric)
    click.echo(f"graded {len(result.graded)}, already done {len(result.skipped)}, "
               f"with errors {len(result.errors)} in {result.seconds:.1f} s; "
               f"see {out_dir / 'gradebook.csv'}, {out_dir / 'summary.md'} and {out_dir / 'report.html'}")
    if result.similarity is not None:
        _echo_similarity(result.similarity)
    if result.changes is not None:
        _echo_changes(result.changes, old_run.source, out_dir)


def _echo_rubric(rubric):
    click.echo(rubric.describe())
    for student, lines in rubric.warnings.items():
        for line in lines:
            click.echo(f"warning: {student}: {line}", err=True)


def _old_run(path):
    from .cohort.run_comparison import CompareError, load_run

    try:
        return load_run(path)
    except CompareError as exc:
        raise click.BadParameter(str(exc), param_hint="--compare") from None


def _similarity_available():
    from .cohort.similarity import SimilarityError, require_copydetect

    try:
        require_copydetect()
    except SimilarityError as exc:
        raise click.ClickException(str(exc)) from None


def _echo_similarity(result):
    for student, why in sorted(result.skipped.items()):
        click.echo(f"similarity: {student} not compared: {why}", err=True)
    click.echo(f"similarity: {len(result.flagged)} of {len(result.pairs)} pairs flagged; see {result.csv_path} "
               f"and {result.html_path}")
    for pair in result.flagged[:10]:
        click.echo(f"  {pair.similarity:.0%}  {pair.a}  {pair.b}")


def _echo_changes(changes, old_source, out_dir, limit=30):
    click.echo(f"compared with {old_source}: {len(changes)} students' scores changed"
               + (f"; see {Path(out_dir) / 'compare.csv'}" if out_dir is not None else ""))
    for change in changes[:limit]:
        click.echo(f"  {change.describe()}")
    if len(changes) > limit:
        click.echo(f"  ... and {len(changes) - limit} more")


@main.command("similarity")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for similarity.csv and similarity.html.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Flag a pair when this share of one student's own code is also in the other's [default: 0.6].")
@click.option("--min-overlap", type=click.IntRange(0), default=None,
              help="...and at least this many characters of filtered code are shared [default: 200].")
@click.option("--boilerplate", "boilerplate_dirs", multiple=True,
              type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Starter code of your course to exclude too (repeatable); the template's is always excluded.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Course config (TOML): its packages.")
def similarity_command(submissions, out_dir, threshold, min_overlap, boilerplate_dirs, config_path):
    """Pairs of students in SUBMISSIONS (one folder or .zip each) whose code is alike, without grading."""
    from .cohort.similarity import DEFAULT_MIN_OVERLAP, DEFAULT_THRESHOLD, SimilarityError, run_similarity

    from .cohort.batch import single_submission_warning

    config = _config(config_path)
    if not submissions.is_dir():
        raise click.BadParameter(f"{submissions} is not a folder of submissions (one folder or .zip per student)",
                                 param_hint="SUBMISSIONS")
    warning = single_submission_warning(submissions)
    if warning:
        click.echo(f"warning: {warning.split(', but batch')[0]}: similarity compares its entries as students",
                   err=True)
    try:
        result = run_similarity(submissions, out_dir, packages=config.packages or None, boilerplate_dirs=boilerplate_dirs,
                                threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
                                min_overlap=DEFAULT_MIN_OVERLAP if min_overlap is None else min_overlap)
    except SimilarityError as exc:
        raise click.ClickException(str(exc)) from None
    _echo_similarity(result)


@main.group()
def gradebook():
    """Combine the results folders of a sharded batch, or compare two gradings."""


@gradebook.command("merge")
@click.argument("shard_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Merged results folder.")
def gradebook_merge(shard_dirs, out_dir):
    """Merge the --out folders of every `batch --shard K/N` into one, as an unsharded batch writes it."""
    from .cohort.shards import GradebookError, merge

    try:
        result = merge(shard_dirs, out_dir)
    except GradebookError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"merged {len(result.students) - len(result.missing)} of {len(result.students)} students from "
               f"{len(shard_dirs)} shards; see {out_dir / 'gradebook.csv'}, {out_dir / 'summary.md'} and "
               f"{out_dir / 'report.html'}")
    if result.missing:
        click.echo(f"error: not graded yet: {', '.join(result.missing)} (run their shards again, then merge)", err=True)
        sys.exit(1)


@gradebook.command("compare")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Also write compare.csv here.")
def gradebook_compare(old, new, out_dir):
    """The students whose score changed between two results folders (or gradebook.csv files), and by which checks."""
    from .cohort.run_comparison import CompareError, compare, load_run, write_changes

    try:
        changes = compare(load_run(old), load_run(new))
    except CompareError as exc:
        raise click.ClickException(str(exc)) from None
    if out_dir is not None:
        write_changes(changes, out_dir)
    _echo_changes(changes, old, out_dir)


@main.group()
def gradescope():
    """Gradescope's autograder bundle, and what runs inside it."""


@gradescope.command("build")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="The zip to upload (autograder.zip).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Course config (TOML) to grade with.")
@click.option("--fixtures", "fixture_dir", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="The course's fixtures, hidden ones included (default: the project's demo fixtures).")
@click.option("--wheel", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="A wheel of this package to bundle (default: built from the current source).")
def gradescope_build(out, config_path, fixture_dir, wheel):
    """Write the zip for Gradescope's "zip file upload": setup.sh, run_autograder, config, fixtures, wheel."""
    from .editions.gradescope import GradescopeError, build

    if fixture_dir is None:
        click.echo("note: bundling the project's fixtures, whose hidden seed is public; pass --fixtures "
                   "with your course's own (autograder fixtures build --out DIR --hidden-seed N)", err=True)
    try:
        path = build(out=out, config_path=config_path, fixture_dir=fixture_dir, wheel=wheel)
    except GradescopeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {path}: upload it as the assignment's autograder (Configure Autograder > Zip file upload)")


@gradescope.command("check")
@click.option("--self-test", "self_test", is_flag=True,
              help="Then grade the bundle's known-good and known-bad submissions as run_autograder will, as the "
                   "student user, and fail unless their scores are right (setup.sh's last step).")
def gradescope_check(self_test):
    """Check the installed bundle and lock it down (setup.sh runs this)."""
    from .editions.gradescope import GradescopeError, check, gradescope_root

    try:
        for line in check():
            click.echo(line)
        if self_test:
            from .editions.gradescope_try import self_test as run_self_test

            for line in run_self_test(gradescope_root()):
                click.echo(line)
    except GradescopeError as exc:
        raise click.ClickException(str(exc)) from None


@gradescope.command("try")
@click.argument("bundle", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("submission", type=click.Path(path_type=Path, exists=True))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False),
              help="The Gradescope root to lay out (default: $TMPDIR/autograder-gradescope-<bundle hash>; "
                   "/autograder in a container run as root).")
@click.option("--python", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="The Python setup.sh makes the virtual environment with (default: python3.X of the wheel).")
@click.option("--user", help="The user for student code (default: autograder-student as root, else yourself).")
def gradescope_try(bundle, submission, root, python, user):
    """Grade SUBMISSION with BUNDLE.zip as Gradescope would: lay out a root, run setup.sh once per bundle, then
    run_autograder, and print the results."""
    from .editions.gradescope import GradescopeError
    from .editions.gradescope_try import describe, try_bundle

    try:
        data = try_bundle(bundle, submission, root=root, python=python, user=user, echo=click.echo)
    except GradescopeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(describe(data))


@gradescope.command("run")
def gradescope_run():
    """Grade /autograder/submission into /autograder/results/results.json (run_autograder runs this)."""
    from .editions.gradescope import run

    run()


@main.group()
def fixtures():
    """Build or verify the fixtures (the reference's outputs)."""


@fixtures.command("build")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Fixture folder (default: the project's).")
@click.option("--hidden-seed", type=int, default=DEFAULT_HIDDEN_SEED, show_default=True,
              help="Secret seed of the hidden checks' inputs; a course sets its own.")
def fixtures_build(out_dir, hidden_seed):
    """Run the reference on every case and write the fixtures."""
    from .catalog import fixtures as fixture_store

    try:
        folder = fixture_store.build(out_dir, hidden_seed)
    except (FixtureError, ReferenceMissing) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote fixtures to {folder}")


@fixtures.command("check")
@click.option("--dir", "fixture_dir", type=click.Path(path_type=Path), help="Fixture folder (default: the project's).")
def fixtures_check(fixture_dir):
    """Regenerate the fixtures and verify them: bit-identical on the machine that built them, equal up to
    last-bit rounding on another CPU or BLAS."""
    from .catalog import fixtures as fixture_store

    try:
        result = fixture_store.check_result(fixture_dir)
    except (FileNotFoundError, FixtureError) as exc:
        raise click.ClickException(str(exc)) from None
    if result.problems:
        for problem in result.problems:
            click.echo(f"mismatch: {problem}", err=True)
        sys.exit(1)
    if result.bitwise:
        click.echo("fixtures are bit-identical to what the reference produces")
    else:
        click.echo(f"fixtures equal what the reference produces up to rounding (largest difference "
                   f"{result.max_rounding:.2g} of an array's scale): they were built on another CPU or BLAS; "
                   f"`autograder fixtures build` makes them bit-identical for this machine")


@main.group()
def template():
    """Build or verify the student template (generated from the reference)."""


@template.command("build")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Template folder (default: student_template/).")
def template_build(out_dir):
    """Write student_template/ (package, notebooks, students' tests) from reference/ with solution regions stubbed."""
    from .editions.template import TemplateError, build

    try:
        folder = build(out_dir)
    except (TemplateError, ReferenceMissing) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote the template to {folder}")


@template.command("check")
@click.option("--dir", "out_dir", type=click.Path(path_type=Path), help="Template folder (default: student_template/).")
def template_check(out_dir):
    """Fail when the committed template differs from what `template build` would write."""
    from .editions.template import check

    try:
        problems = check(out_dir)
    except ReferenceMissing as exc:
        raise click.ClickException(str(exc)) from None
    if problems:
        for problem in problems:
            click.echo(f"mismatch: {problem}", err=True)
        sys.exit(1)
    click.echo("the template matches the reference")


@main.group()
def student():
    """The student bundle: the template plus the student edition of the checker."""


@student.command("build")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Bundle folder (created; the template's files in it are replaced).")
def student_build(out_dir):
    """Write what a course hands out: the template and, in checker/, a wheel of the public checks that its
    requirements.txt installs (no reference solutions, no hidden fixtures)."""
    from .editions.student_bundle import StudentBuildError, build
    from .editions.template import TemplateError

    try:
        wheel = build(out_dir)
    except (StudentBuildError, TemplateError, ReferenceMissing) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote the student bundle to {out_dir} (checker: {wheel.relative_to(out_dir)}); "
               f"students run `pip install -r requirements.txt` in it, then `pytest`")


@main.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Course config (TOML).")
@click.option("--quick/--full", default=None,
              help="Shortened training on re-execution (default: the config's notebooks.quick, true).")
@click.option("--static-only", is_flag=True, help="Only check the notebooks as submitted; do not re-execute them.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Write results.json, feedback.md and the re-executed notebooks (executed/) here.")
def notebooks(submission, config_path, quick, static_only, out_dir):
    """Check and re-execute the notebooks of one SUBMISSION (folder or .zip) in the sandbox."""
    from .notebook_checks import NotebookSettingsError
    from .grading.notebooks_command import notebooks_command

    if not submission.exists():
        raise click.BadParameter(f"{submission} does not exist", param_hint="SUBMISSION")
    try:
        status = notebooks_command(submission, config=_config(config_path), quick=quick, execute=not static_only,
                                   out_dir=out_dir, echo=click.echo)
    except NotebookSettingsError as exc:
        raise click.UsageError(str(exc)) from None
    sys.exit(status)


@main.command("profiles")
def profiles_command():
    """List the course profiles: what each assigns, its homeworks and its spellings."""
    from .profiles import describe_profiles

    click.echo(describe_profiles())


if __name__ == "__main__":
    main()
