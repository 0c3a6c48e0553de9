"""Input generators shared by catalog modules: pure functions of a seeded ``numpy.random.RandomState``."""
import numpy as np


def linspace(lo, hi, shape):
    """The notebooks' deterministic inputs: ``np.linspace(lo, hi, num=prod(shape)).reshape(shape)``."""
    return np.linspace(lo, hi, num=int(np.prod(shape))).reshape(shape)


def randn(rng, *shape, dtype="float64"):
    return rng.randn(*shape).astype(dtype)


def labels(rng, n, classes):
    return rng.randint(classes, size=n)
