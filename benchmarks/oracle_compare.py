"""How the oracle compares a function's result with its own (shared by the oracle's check modules)."""
import numpy as np


class Mismatch(Exception):
    """The function's result differs from the oracle's (the message says where)."""


def close(what, got, want, rtol=1e-5, atol=1e-8):
    """Raise :class:`Mismatch` unless ``got`` has ``want``'s shape and values."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise Mismatch(f"{what} is {type(got).__name__}, not an array")
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        # Extra or missing singleton axes ((1, M) for (M,)) are accepted, as the grader accepts them.
        if got.size != want.size or got.squeeze().shape != want.squeeze().shape:
            raise Mismatch(f"{what} has shape {got.shape}, expected {want.shape}")
        got, want = got.squeeze(), want.squeeze()
    if not np.all(np.isfinite(got)):
        raise Mismatch(f"{what} is not finite")
    scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
    if not np.allclose(got, want, rtol=rtol, atol=atol * scale):
        raise Mismatch(f"{what} differs (max abs diff {np.abs(got - want).max():.3g})")
