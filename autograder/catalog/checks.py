"""Reusable property judges (pure functions of a probe's outputs and inputs) for catalog modules."""
import numpy as np

from .judges import lookup


def _fmt(values):
    return np.array2string(np.asarray(values, dtype=np.float64), precision=8, separator=", ")


def stats_close(path, axes, *, mean=None, std=None, mean_atol=1e-6, std_rtol=1e-4, what="output", reshape=None):
    """Per-feature means and standard deviations of the output at ``path`` are near the targets.

    ``mean``/``std`` are arrays (or input paths as strings, e.g. ``"args.2"`` for beta).
    """
    def check(outputs, inputs):
        out = np.asarray(lookup(outputs, path), dtype=np.float64)
        if reshape is not None:
            out = reshape(out)
        got_mean, got_std = out.mean(axis=axes), out.std(axis=axes)
        want_mean = np.ravel(lookup(inputs, mean)) if isinstance(mean, str) else mean
        want_std = np.ravel(lookup(inputs, std)) if isinstance(std, str) else std
        if want_mean is not None and (np.shape(got_mean) != np.shape(want_mean) or
                                      not np.allclose(got_mean, want_mean, rtol=0, atol=mean_atol)):
            return False, f"{what} means are {_fmt(got_mean)}, expected {_fmt(want_mean)}", None
        if want_std is not None and (np.shape(got_std) != np.shape(want_std) or
                                     not np.allclose(got_std, want_std, rtol=std_rtol, atol=0)):
            return False, f"{what} standard deviations are {_fmt(got_std)}, expected {_fmt(want_std)}", None
        return True, "", None
    check.stats = {"path": path, "axes": axes, "reshape": reshape}  # for the diagnoses (autograder.grading.diagnoses)

    def evidence(outputs, inputs):  # for the diagnoses: the standard deviations against their target
        out = np.asarray(lookup(outputs, path), dtype=np.float64)
        out = reshape(out) if reshape is not None else out
        want_std = np.ravel(lookup(inputs, std)) if isinstance(std, str) else std
        if want_std is None:
            raise KeyError("std")
        return "the output's standard deviations", out.std(axis=axes), want_std, std_rtol / 2, path
    check.evidence = evidence
    return check


