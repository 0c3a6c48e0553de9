"""What ships: everything made from the reference and the grader for someone else to install or run.

* :mod:`.template`: the student template, generated from the reference (every solution region becomes ``pass``),
  with its notebooks (:mod:`.notebook_sources`);
* :mod:`.student_bundle`: the student bundle, the template plus the student edition of the checker as a wheel
  (its name and version: :mod:`.distribution`);
* :mod:`.pytest_plugin`: the checks as pytest tests, in the students' pytest and for instructors;
* :mod:`.gradescope`: the Gradescope autograder bundle and what runs inside it.

The expected outputs these ship are :mod:`autograder.catalog.fixtures`'.
"""
