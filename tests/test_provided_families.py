"""The trusted fast layers accept every input form each course family's own provided ``fast_layers.py`` accepts, and
compute what the naive reference layers compute on it.

The accepted forms are data, learnt by running each family's real provided code on the forms of
``benchmarks/provided_compat.py`` (which builds them; run it on fetched mirrors to refresh this table): a form is
listed when the family's own code ran on it. Forms the family's code rejects (a bias given as a list, a float
``pad`` outside nndl, overlapping pooling windows, whose im2col path calls an undefined ``im2col``) are not
required, though the trusted copies take most of them. CS231n's code also runs on a Fortran-ordered ``x`` but
computes garbage there (its strided view assumes C order); the trusted copies compute it right.
"""
import importlib.util

import numpy as np
import pytest

from cs231n import fast_layers, layers

from conftest import ROOT, rel_error

_spec = importlib.util.spec_from_file_location("provided_compat", ROOT / "benchmarks" / "provided_compat.py")
provided_compat = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(provided_compat)

CS231N_CONV = ("b (F,)", "b (1, 4)", "b (4, 1)", "b (1, 4, 1, 1)", "stride 2", "pad, stride np.int64", "float32",
               "x float32, w float64", "x int64", "x non-contiguous", "x strided view", "w non-contiguous",
               "dout non-contiguous")
CS231N_POOL = ("2x2 stride 2", "float32", "x non-contiguous", "pool params np.int64")
FAMILIES = {
    # family: (public source it was learnt from: repository, commit, folder), conv forms, pool forms
    "cs231n-2016": (provided_compat.FAMILIES["cs231n-2016"][:3], CS231N_CONV, CS231N_POOL),
    "cs231n-2017": (provided_compat.FAMILIES["cs231n-2017"][:3], CS231N_CONV, CS231N_POOL),
    "cs231n-2018-2020": (provided_compat.FAMILIES["cs231n-2020"][:3], CS231N_CONV, CS231N_POOL),
    "cs231n-2021+": (provided_compat.FAMILIES["cs231n-2021+"][:3], CS231N_CONV, CS231N_POOL),
    "cs231n-2025 (CS280 fork)": (provided_compat.FAMILIES["cs231n-2025 (CS280 fork)"][:3], CS231N_CONV,
                                 CS231N_POOL),
    "nndl": (provided_compat.FAMILIES["nndl"][:3], CS231N_CONV + ("pad 1.0 (float)", "stride 2.0 (float)"),
             CS231N_POOL),
    "cs182": (provided_compat.FAMILIES["cs182"][:3], CS231N_CONV, CS231N_POOL),
}
CONV_FORMS = provided_compat.conv_forms(np)
POOL_FORMS = provided_compat.pool_forms(np)


def _close(got, want, *inputs):
    """float64 inputs: the notebooks' rel_error below 1e-9; float32 ones: float32 rounding (1e-6 of the largest
    value: elementwise relative errors of values near 0 say nothing there)."""
    if all(np.asarray(a).dtype == np.float32 for a in inputs):
        return np.max(np.abs(got - want)) <= 1e-6 * max(1e-12, np.max(np.abs(want)))
    return rel_error(got, want) < 1e-9


@pytest.mark.parametrize("family, form", [(f, form) for f, (_, conv, _) in FAMILIES.items() for form in conv])
def test_trusted_conv_takes_what_the_course_takes(family, form):
    inputs = CONV_FORMS[form]
    x, w, b, conv_param = inputs["x"], inputs["w"], inputs["b"], inputs["conv_param"]
    out, cache = fast_layers.conv_forward_fast(x, w, b, dict(conv_param))
    dout = np.random.default_rng(3).standard_normal(out.shape)
    dx, dw, db = fast_layers.conv_backward_fast(np.asfortranarray(dout) if inputs.get("dout_fortran") else dout,
                                                cache)
    plain = {"stride": int(conv_param["stride"]), "pad": int(conv_param["pad"])}
    x64, w64 = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    expected, naive_cache = layers.conv_forward_naive(x64, w64, np.ravel(b).astype(np.float64), plain)
    expected_grads = layers.conv_backward_naive(dout, naive_cache)
    assert _close(out, expected, x, w)
    for got, want in zip((dx, dw, db), expected_grads):
        assert got.shape == want.shape  # db is (F,) whatever shape b has, as the courses' conv_backward_fast gives
        assert _close(got, want, x, w)


@pytest.mark.parametrize("family, form", [(f, form) for f, (_, _, pool) in FAMILIES.items() for form in pool])
def test_trusted_pool_takes_what_the_course_takes(family, form):
    x, pool_param = POOL_FORMS[form]["x"], POOL_FORMS[form]["pool_param"]
    out, cache = fast_layers.max_pool_forward_fast(x, dict(pool_param))
    dout = np.random.default_rng(4).standard_normal(out.shape)
    dx = fast_layers.max_pool_backward_fast(dout, cache)
    plain = {k: int(v) for k, v in pool_param.items()}
    expected, naive_cache = layers.max_pool_forward_naive(np.asarray(x, dtype=np.float64), plain)
    assert _close(out, expected, x)
    assert _close(dx, layers.max_pool_backward_naive(dout, naive_cache), x)


def test_a_bias_of_the_wrong_size_is_named_with_its_shape():
    inputs = CONV_FORMS["b (F,)"]
    with pytest.raises(ValueError, match=r"conv_forward_fast: b has shape \(2, 3\), expected \(F,\) = \(4,\)"):
        fast_layers.conv_forward_fast(inputs["x"], inputs["w"], np.zeros((2, 3)), inputs["conv_param"])


def test_every_family_names_its_public_source():
    for source, conv, pool in FAMILIES.values():
        repository, commit, folder = source
        assert "/" in repository and len(commit) == 40 and folder
        assert set(conv) <= set(CONV_FORMS) and set(pool) <= set(POOL_FORMS)


@pytest.mark.slow
def test_a_conv_net_with_biases_of_shape_1_by_f_gets_full_marks(make_submission):
    """The issue's real case: (1, F) biases, which the courses' conv_forward_fast takes, cost 10 of 10 points."""
    from autograder.config import Config

    from conftest import grade_catalog_only as grade

    sub = make_submission({"classifiers/cnn.py": '''
        _Base = ThreeLayerConvNet

        class ThreeLayerConvNet(_Base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for name in ("b1", "b2", "b3"):
                    self.params[name] = self.params[name].reshape(1, -1)
        '''})
    report = grade(sub, config=Config(select=("ThreeLayerConvNet*",)))
    assert report.score == report.max_score > 0, [(r.name, r.message) for r in report.results if r.status != "passed"]


def test_an_error_of_a_provided_file_is_reported_at_the_students_call(tmp_path, monkeypatch):
    import sys

    from autograder.child import boot
    from autograder.child.probes import ProbeError

    (tmp_path / "fast_layers.py").write_text("def conv_forward_fast(b):\n    raise ValueError('b has shape (2, 3)')\n")
    (tmp_path / "model.py").write_text("from fast_layers import conv_forward_fast\n\n\ndef loss(b):\n"
                                       "    return conv_forward_fast(b)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(boot, "PROVIDED", {"fast_layers.py"})
    for name in ("fast_layers", "model"):
        sys.modules.pop(name, None)
    import model

    with pytest.raises(ValueError) as raised:
        model.loss(0)
    described = boot.describe_failure(raised.value, str(tmp_path), ProbeError)
    assert described["where"] == "model.py, line 5, in loss" and "b has shape (2, 3)" in described["error"]
    for name in ("fast_layers", "model"):
        sys.modules.pop(name, None)


@pytest.mark.parametrize("labels", ["int8", "uint8", "int16", "int32", "uint32", "int64", "uint64", "list"])
def test_trusted_losses_take_labels_of_any_integer_dtype(labels):
    """CS231n 2016-2020 and nndl provide softmax_loss and svm_loss; theirs index ``x[np.arange(N), y]``, which takes
    integer labels of any dtype, or a list."""
    x, y = np.random.default_rng(5).standard_normal((5, 4)), np.array([0, 1, 2, 3, 1])
    given = list(y) if labels == "list" else y.astype(labels)
    for loss in (layers.softmax_loss, layers.svm_loss):
        expected, dexpected = loss(x, y)
        got, dgot = loss(x, given)
        assert got == pytest.approx(expected) and rel_error(dgot, dexpected) < 1e-12


def test_the_scripts_float64_loops_agree_with_the_naive_layers():
    """benchmarks/provided_compat.py judges the course's code and the trusted copy against its own float64 loops."""
    loops = provided_compat.Reference(np)
    conv = CONV_FORMS["stride 2"]
    _, got = provided_compat.run_conv(np, loops, conv)
    _, want = provided_compat.run_conv(np, layers_as_fast(), conv)
    assert provided_compat._error(np, got, want) < 1e-12
    pool = POOL_FORMS["3x3 stride 1 (overlapping)"]
    assert provided_compat._error(np, provided_compat.run_pool(np, loops, pool)[1],
                                  provided_compat.run_pool(np, layers_as_fast(), pool)[1]) < 1e-12
    assert provided_compat.problem("ok", "TypeError: x", "", "")
    assert not provided_compat.problem("TypeError", "ok", "", 0.0)


def layers_as_fast():
    """The naive reference layers under the fast layers' names."""
    from types import SimpleNamespace

    return SimpleNamespace(conv_forward_fast=layers.conv_forward_naive, conv_backward_fast=layers.conv_backward_naive,
                           max_pool_forward_fast=layers.max_pool_forward_naive,
                           max_pool_backward_fast=layers.max_pool_backward_naive)
