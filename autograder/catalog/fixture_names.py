"""What the commands name before the fixtures are loaded: the default hidden seed and the fixtures' error.

Kept apart from :mod:`autograder.catalog.fixtures` (which imports numpy and the whole catalog) so that the
``autograder`` command's start imports nothing heavy (see :mod:`autograder.grading.early_child`).
"""

DEFAULT_HIDDEN_SEED = 2311
"""The hidden checks' seed when a course sets none (a course sets its own: ``autograder fixtures build --hidden-seed``)."""


class FixtureError(Exception):
    """The fixtures are missing, stale or do not match the reference."""
