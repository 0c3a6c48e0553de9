"""One submission, from its plan to its report.

* :mod:`.pipeline`: :func:`~.pipeline.grade`, the ordered steps: select the cases, open the submission (through
  :mod:`autograder.sandbox`), run its child, judge each case's outputs (the judges of :mod:`autograder.catalog`),
  credit, notebook checks, the report;
* :mod:`.credit_isolation`: one bug costs only the function that has it (failed model and sandwich checks rerun
  over trusted layers in a second child);
* :mod:`.hangs`: a function that hangs costs its time limit once;
* :mod:`.report`: results.json (written and read back), feedback.md and the terminal tables;
* :mod:`.notebooks_command`: ``autograder notebooks SUBMISSION``.

What is checked is :mod:`autograder.catalog`'s; how a class is graded is :mod:`autograder.cohort`'s.
"""
