"""What the Gradescope bundle ships for its self-test (``selftest/``): a known-good submission (the reference
solution in a student's layout), a known-bad one (the same with one graded function deliberately broken) and what
to expect of them. :mod:`autograder.editions.gradescope` writes them into the bundle;
:mod:`autograder.editions.gradescope_try` grades them.
"""
from __future__ import annotations

import io
import json
import re
import zipfile

from .. import paths

SELFTEST_DIR = "selftest"
GOOD, BAD, EXPECTED = "good.zip", "bad.zip", "expected.json"
PREFERRED_BROKEN = "relu_forward"
BROKEN_BODY = ('\n\ndef {name}(*args, **kwargs):  # [self-test] deliberately broken\n'
               '    raise NotImplementedError("the self-test\'s known-bad submission")\n')


def _zip(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def _broken_target(config, files: dict) -> tuple:
    """``(function, file)``: the function the known-bad submission breaks (relu_forward when the course grades it,
    else its first graded function that the reference defines at the top of a file)."""
    from ..catalog import all_cases
    from ..grading.pipeline import selected

    targets = list(dict.fromkeys(c.target for c in all_cases() if selected(c, config.select)))
    targets.sort(key=lambda t: t != PREFERRED_BROKEN)
    for target in targets:
        for rel, path in files.items():
            if rel.endswith(".py") and re.search(rf"(?m)^def {re.escape(target)}\(", path.read_text(encoding="utf-8")):
                return target, rel
    raise ValueError("no graded function of the reference to break for the self-test")


def selftest_files(config) -> dict:
    """``selftest/`` of the bundle: name -> bytes of the known-good and known-bad submissions and the expectation."""
    package = config.packages[0] if config.packages else "cs231n"
    files = paths.reference_package_files()
    good = {f"{package}/__init__.py": b""}
    good.update({f"{package}/{rel}": path.read_bytes() for rel, path in files.items()})
    target, rel = _broken_target(config, files)
    bad = dict(good)
    bad[f"{package}/{rel}"] += BROKEN_BODY.format(name=target).encode()
    expected = {"broken": target, "file": f"{package}/{rel}",
                "good": "every code check passes", "bad": f"exactly the checks of {target} fail"}
    return {GOOD: _zip(good), BAD: _zip(bad), EXPECTED: (json.dumps(expected, indent=1) + "\n").encode()}
