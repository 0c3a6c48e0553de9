"""The provided files of the assignment: code the course gives students, with no solution region.

This folder is the single source of each of them. The grader installs these trusted copies over whatever a
submission holds, the student template copies them into its ``cs231n/`` package, the student edition of the
checker ships them, and the reference library (``reference/cs231n``) imports them through its ``__path__``.
Installed, this folder is the package ``autograder._provided`` (this file only makes it one: students'
packages have their own ``__init__.py``).
"""
