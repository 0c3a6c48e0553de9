"""The package's layering (pyproject.toml's [tool.importlinter] contracts), checked with import-linter: no import
cycle between the modules or subpackages of any one package, the sandboxed child importing nothing of the grader
beyond its own package, and no lower layer (sandbox, catalog, grading...) importing a higher one (cohort, editions,
cli). The second test plants one violation of each kind in a copy of the package and requires all three contracts
to break, so the first one can fail."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"

pytest.importorskip("importlinter", reason='import-linter is in the test extra: pip install -e ".[test]"')


def lint(src: Path, cwd: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` over the ``autograder`` package found in ``src``, with the repository's contracts."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
                           "--config", str(CONFIG), "--no-cache"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_package_keeps_its_layers(tmp_path):
    result = lint(ROOT, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def plant(path: Path, line: str):
    text = path.read_text(encoding="utf-8")
    marker = "from __future__ import annotations\n"
    assert marker in text, path
    path.write_text(text.replace(marker, marker + line + "\n", 1), encoding="utf-8")


def test_each_contract_breaks_on_a_planted_import(tmp_path):
    copy = tmp_path / "src" / "autograder"
    shutil.copytree(ROOT / "autograder", copy, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyc"))
    plant(copy / "sandbox" / "runner.py", "from ..cohort import stats  # a lower layer importing a higher one")
    plant(copy / "child" / "protocol.py", "from .. import paths  # the child reaching into the grader")
    plant(copy / "cohort" / "shards.py", "from . import batch  # batch imports shards: a cycle")
    result = lint(tmp_path / "src", tmp_path)
    out = result.stdout
    assert result.returncode != 0, out
    assert "0 kept, 3 broken" in out, out
    assert "autograder.sandbox.runner -> autograder.cohort.stats" in out
    assert "autograder.child.protocol -> autograder.paths" in out
    assert "allowed in autograder.cohort" in out and ".shards -> .batch" in out
