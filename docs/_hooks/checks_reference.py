"""MkDocs hook: the reference page of every check (docs/reference/checks.md), generated from the catalog at build time.

The page's ``<!-- checks -->`` marker is replaced by one table per catalog group: every test of every case with its
id, the function it judges, its kind, what its case varies, its judge and tolerance, its points and whether it is
public (the notebooks' checks, shipped to students) or hidden. ``tests/test_docs_site.py`` keeps the page generated.
"""
from __future__ import annotations

MARKER = "<!-- checks -->"


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "/")


def tolerance(judge) -> str:
    """The judge's type and its tolerance, as a reader of the catalog would name them."""
    name = type(judge).__name__
    parts = [f"{attr} {getattr(judge, attr):g}" for attr in ("tol", "same", "margin")
             if isinstance(getattr(judge, attr, None), (int, float))]
    return f"{name} ({', '.join(parts)})" if parts else name


def rows(cases=None) -> list:
    """``(group, check name, case id, function, kind, varies, judge, points, visibility)`` of every test."""
    if cases is None:
        from autograder.catalog import all_cases

        cases = all_cases()
    out = []
    for case in cases:
        for test in case.tests:
            function = test.target or case.target
            varies, _, _ = test.name.rpartition(": ")
            out.append((case.group, f"{function}: {test.name}", case.id, function, test.kind, varies or "-",
                        tolerance(test.judge), test.points, case.visibility))
    return out


def checks_markdown(cases=None) -> str:
    table = rows(cases)
    lines = [f"{len(table)} checks in {len({r[2] for r in table})} cases; "
             f"{sum(1 for r in table if r[8] == 'public')} public, {sum(1 for r in table if r[8] == 'hidden')} hidden.",
             ""]
    for group in sorted({r[0] for r in table}):
        lines += [f"## {group or 'other'}", "",
                  "| check | case id | function | kind | varies | judge (tolerance) | points | visibility |",
                  "|---|---|---|---|---|---|---:|---|"]
        lines += [f"| {_cell(r[1])} | `{r[2]}` | {_cell(r[3])} | {r[4]} | {_cell(r[5])} | {_cell(r[6])} | {r[7]:g} "
                  f"| {r[8]} |" for r in table if r[0] == group]
        lines.append("")
    return "\n".join(lines)


def on_page_markdown(markdown, page, config, files):
    if MARKER in markdown:
        return markdown.replace(MARKER, checks_markdown())
    return markdown
