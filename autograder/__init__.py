"""cs231n autograder.

The subpackages follow the data, each layer importing only those below it (tests/test_layers_contract.py):

* :mod:`autograder.cli`: the ``autograder`` command;
* :mod:`autograder.cohort`: a class (batch, rubric, shards, class outputs, similarity, run comparison);
* :mod:`autograder.editions`: what ships (template, student bundle, pytest plugin, Gradescope bundle);
* :mod:`autograder.grading`: one submission (plan, run, judge, credit, report);
* :mod:`autograder.config`: the course configuration;
* :mod:`autograder.notebook_checks`: the submitted notebooks, checked and re-executed;
* :mod:`autograder.catalog`: what is checked, its judges and its expected outputs;
* :mod:`autograder.sandbox`: untrusted code (the submission's files, the child process, limits, confinement);
* the shared types at the bottom: :mod:`autograder.model` (cases and results), :mod:`autograder.profiles`,
  :mod:`autograder.paths`, :mod:`autograder.atomic`;
* :mod:`autograder.child`: the code that runs in the child process, importing nothing of the grader.
"""
