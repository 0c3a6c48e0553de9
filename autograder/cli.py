"""The ``autograder`` command: a thin layer over the Python API (one function per command)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import fixtures as fixture_store
from .config import ConfigError, load_config
from .fixtures import FixtureError
from .profiles import PROFILES


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
@click.option("--profile", type=click.Choice(sorted(PROFILES)), help="Course profile (detected when omitted).")
@click.option("--public-only", is_flag=True, help="Run only the notebooks' public checks.")
@click.option("--fixtures", "fixture_dir", type=click.Path(path_type=Path), help="Fixture folder to use.")
@click.option("--select", "-k", multiple=True, help="Only checks whose id or function matches (shell pattern, repeatable).")
@click.option("--execute-notebooks", is_flag=True, help="Also re-execute the submission's notebooks (slow).")
def grade(submission, out_dir, config_path, profile, public_only, fixture_dir, select, execute_notebooks):
    """Grade one SUBMISSION (a folder or a .zip) and print a summary table."""
    from .grade import grade as grade_submission
    from .report import summary_table, write_report

    config = _with_execution(_config(config_path, profile=profile, include_hidden=False if public_only else None,
                                     select=tuple(select) or None), execute_notebooks)
    if not submission.exists():
        raise click.BadParameter(f"{submission} does not exist", param_hint="SUBMISSION")
    try:
        report = grade_submission(submission, config=config, fixture_dir=fixture_dir,
                                  hidden=[out_dir.resolve()] if out_dir else [])
    except FixtureError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary_table(report))
    if report.error:
        click.echo(f"error: {report.error}", err=True)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if out_dir:
        results, feedback = write_report(report, out_dir, config.hidden_visibility)
        click.echo(f"wrote {results} and {feedback}")


@main.command()
@click.argument("submissions", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Results folder.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=2, show_default=True, help="Parallel workers.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Course config (TOML).")
@click.option("--profile", type=click.Choice(sorted(PROFILES)), help="Course profile (detected per submission when omitted).")
@click.option("--fixtures", "fixture_dir", type=click.Path(path_type=Path), help="Fixture folder to use.")
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
@click.option("--execute-notebooks", is_flag=True, help="Also re-execute every submission's notebooks (slow).")
def batch(submissions, out_dir, jobs, config_path, profile, fixture_dir, no_progress, execute_notebooks):
    """Grade every submission (folder or .zip) in SUBMISSIONS; resumable, in parallel."""
    from .batch import run_batch

    config = _with_execution(_config(config_path, profile=profile), execute_notebooks)
    result = run_batch(submissions, out_dir, jobs=jobs, config=config, fixture_dir=fixture_dir,
                       progress=not no_progress)
    click.echo(f"graded {len(result.graded)}, already done {len(result.skipped)}, "
               f"with errors {len(result.errors)} in {result.seconds:.1f} s; "
               f"see {out_dir / 'gradebook.csv'} and {out_dir / 'summary.md'}")


@main.group()
def fixtures():
    """Build or verify the fixtures (the reference's outputs)."""


@fixtures.command("build")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Fixture folder (default: the project's).")
@click.option("--hidden-seed", type=int, default=fixture_store.DEFAULT_HIDDEN_SEED, show_default=True,
              help="Secret seed of the hidden checks' inputs; a course sets its own.")
def fixtures_build(out_dir, hidden_seed):
    """Run the reference on every case and write the fixtures."""
    try:
        folder = fixture_store.build(out_dir, hidden_seed)
    except FixtureError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote fixtures to {folder}")


@fixtures.command("check")
@click.option("--dir", "fixture_dir", type=click.Path(path_type=Path), help="Fixture folder (default: the project's).")
def fixtures_check(fixture_dir):
    """Regenerate the fixtures and verify they are bit-identical to the stored ones."""
    try:
        problems = fixture_store.check(fixture_dir)
    except (FileNotFoundError, FixtureError) as exc:
        raise click.ClickException(str(exc)) from None
    if problems:
        for problem in problems:
            click.echo(f"mismatch: {problem}", err=True)
        sys.exit(1)
    click.echo("fixtures are bit-identical to what the reference produces")


@main.group()
def template():
    """Build or verify the student template (generated from the reference)."""


@template.command("build")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Template folder (default: student_template/).")
def template_build(out_dir):
    """Write student_template/ (package, notebooks, students' tests) from reference/ with solution regions stubbed."""
    from .template import TemplateError, build

    try:
        folder = build(out_dir)
    except TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote the template to {folder}")


@template.command("check")
@click.option("--dir", "out_dir", type=click.Path(path_type=Path), help="Template folder (default: student_template/).")
def template_check(out_dir):
    """Fail when the committed template differs from what `template build` would write."""
    from .template import check

    problems = check(out_dir)
    if problems:
        for problem in problems:
            click.echo(f"mismatch: {problem}", err=True)
        sys.exit(1)
    click.echo("the template matches the reference")


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
    from .notebook_checks import NotebookSettingsError, notebooks_command

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
