"""The manual is an MkDocs site (mkdocs.yml, docs/): it builds with ``mkdocs build --strict`` (a broken link, a page
missing from the nav or a nav entry without a page fails), and its reference page of every check is generated from
the catalog at build time (docs/_hooks/checks_reference.py), so it lists exactly the catalog's checks."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.catalog import all_cases

ROOT = Path(__file__).resolve().parents[1]


def _hook():
    spec = importlib.util.spec_from_file_location("checks_reference", ROOT / "docs" / "_hooks" / "checks_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checks_page_lists_every_test_of_the_catalog_once():
    hook = _hook()
    cases = all_cases()
    rows = hook.rows(cases)
    expected = [(case.id, f"{test.target or case.target}: {test.name}", test.points, case.visibility)
                for case in cases for test in case.tests]
    assert [(r[2], r[1], r[7], r[8]) for r in rows] == expected
    table = hook.checks_markdown(cases)
    assert table.count("\n| ") - table.count("\n| check |") == len(expected)
    assert {m for m in re.findall(r"\| `([^`]+)` \|", table)} == {case.id for case in cases}
    page = (ROOT / "docs" / "reference" / "checks.md").read_text()
    assert hook.MARKER in page  # the page is generated: nothing of the table is written by hand


@pytest.mark.slow
def test_the_site_builds_strictly_with_the_generated_checks_page(tmp_path):
    pytest.importorskip("mkdocs", reason='mkdocs is in the test and docs extras: pip install -e ".[test]"')
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                             "-d", str(site)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    built = (site / "reference" / "checks" / "index.html").read_text(encoding="utf-8")
    for case in all_cases():
        assert case.id in built, case.id
    assert (site / "how-it-works" / "layout" / "index.html").is_file()
