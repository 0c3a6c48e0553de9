"""`pytest` in this folder runs the autograder's public checks on your cs231n/ package (see README.md).

The checks come from the autograder's pytest plugin; pytest.ini points it at this folder. Nothing here needs
changing: to run a subset, use `pytest -k conv` or `pytest -m gradient`.
"""
import importlib.util

import pytest

if importlib.util.find_spec("autograder") is None:
    raise pytest.UsageError(
        "the autograder is not installed, so there are no checks to run: "
        "install the requirements first with `pip install -r requirements.txt` (see README.md)")
