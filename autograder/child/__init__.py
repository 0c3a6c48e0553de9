"""Code that runs inside the child process next to the student's code.

Everything in this subpackage is self-contained (standard library and numpy only, relative imports only),
because it is copied into the child's scratch directory: the child never sees the rest of the grader, the
reference solutions or the fixtures.
"""
