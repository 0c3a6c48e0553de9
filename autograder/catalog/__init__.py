"""The check catalog: every case the grader and the students' pytest run, in one list.

Each catalog module defines ``CASES``; a case is declarative data (probe, input generator, tests). This
subpackage owns what is checked and how an output is judged:

* the case modules (:data:`MODULES`), built with :mod:`.build` from the inputs of :mod:`.inputs` and the property
  judges of :mod:`.checks`;
* :mod:`.judges`: the pure functions that compare a probe's raw outputs with the expected side;
* :mod:`.fixtures`: the expected side, the reference's outputs on every case's inputs, built and loaded.

It runs no student code (the sandbox does) and writes no report (grading does).
"""
from __future__ import annotations

import importlib

MODULES = ("layers", "norm", "conv", "models", "optim", "training", "contract_layers", "contract_optim", "contract_models")


def all_cases():
    """Every case, in catalog order, with unique ids."""
    cases = []
    for name in MODULES:
        cases.extend(importlib.import_module(f"{__name__}.{name}").CASES)
    seen = set()
    for case in cases:
        if case.id in seen:
            raise ValueError(f"duplicate case id {case.id}")
        seen.add(case.id)
    return cases


def wanted_names(cases):
    """Every function or class name the cases need, the provided ones the probes use, and the classes whose
    constructors tell the course profile apart (even when only a few checks are selected)."""
    names = dict.fromkeys(n for case in cases for n in case.all_requires())
    names.update(dict.fromkeys(("Solver", "FullyConnectedNet", "TwoLayerNet")))
    return list(names)
