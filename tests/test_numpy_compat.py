"""Code written for numpy 1.x gets the grade its math earns on any numpy (1.26 to the newest 2.x): the child serves
the constructs numpy removed (autograder/child/numpy_compat.py) and the report warns, for 0 points, about each one
the student's code used, naming the numpy release that removed it and the modern spelling."""
import numpy as np
import pytest

from autograder.child import numpy_compat
from autograder.child.protocol import Manifest, Reply
from autograder.config import Config
from autograder.grading.report import WARNING_LABEL, results_json

from conftest import grade_catalog_only as grade

NUMPY_2 = int(np.__version__.split(".")[0]) >= 2
BACK_IN_2 = {r.key for r in numpy_compat.NUMPY_REMOVED if r.back_in_2}
# relu_forward of a correct submission, with every removed construct on the way (each one checked to stand for
# what it stood for: a wrong stand-in fails relu_forward) and one used when the module is imported.
OLD_NUMPY = '''
import numpy as np
from numpy import float_ as _FLOAT_AT_IMPORT


def _old_numpy():
    np.random.seed(231.0)
    a = np.arange(4.0)
    ok = [
        np.int(2.7) == 2, np.float(1) == 1.0, np.complex(1) == 1, np.object is object, np.str is str,
        np.unicode is str, np.dtype(np.bool) == np.dtype(bool), np.dtype(np.long) == np.dtype(np.int_),
        np.asscalar(np.array([3])) == 3, np.float_ is np.float64 is _FLOAT_AT_IMPORT, np.complex_ is np.complex128,
        np.cfloat is np.complex128, np.longfloat is np.longdouble, np.string_ is np.bytes_, np.unicode_ is np.str_,
        np.int0 is np.intp, np.uint0 is np.uintp, np.bool8 is np.bool_, np.isnan(np.NaN), np.isnan(np.NAN),
        np.Inf == np.Infinity == np.infty == np.PINF == np.inf, np.NINF == -np.inf, np.product([2, 3]) == 6,
        np.cumproduct([2, 3])[-1] == 6, np.alltrue([True, True]), np.sometrue([False, True]),
        np.round_(1.26, 1) == 1.3, np.msort(np.array([[2], [1]]))[0, 0] == 1, np.asfarray([1]).dtype == np.float64,
        np.mat([[1, 2]]).shape == (1, 2), np.lib.pad(np.ones(1), 1, "constant").tolist() == [0.0, 1.0, 0.0],
        np.trapz([1.0, 2.0, 3.0]) == 4.0, np.in1d([1, 2], [2]).tolist() == [False, True],
        np.reshape(a, newshape=(2, 2)).shape == (2, 2),
    ]
    if not all(ok):
        raise AssertionError(f"stand-in {ok.index(False)} is wrong")


def relu_forward(x):
    _old_numpy()
    return np.maximum(x, 0), x
'''


def _relu_report(tmp_path_factory, name, code):
    """The report of the reference submission with ``code`` (a new relu_forward) appended to its layers.py."""
    from autograder import paths

    root = tmp_path_factory.mktemp(name) / "submission"
    paths.copy_reference_package(root / "cs231n")
    with open(root / "cs231n" / "layers.py", "a", encoding="utf-8") as handle:
        handle.write("\n\n" + code)
    return grade(root, config=Config(select=("relu_forward",)))


def _assert_full_marks(report):
    relu = [r for r in report.results if r.target == "relu_forward"]
    assert relu and all(r.status == "passed" for r in relu), [(r.name, r.message) for r in relu]
    assert report.score == report.max_score > 0


@pytest.fixture(scope="module")
def old_numpy_report(tmp_path_factory):
    return _relu_report(tmp_path_factory, "old_numpy", OLD_NUMPY)


def test_numpy_1_code_gets_full_marks_and_a_warning_per_removed_construct(old_numpy_report):
    report = old_numpy_report
    _assert_full_marks(report)
    warned = [r for r in report.results if r.target == "numpy"]
    expected = [r.key for r in numpy_compat.NUMPY_REMOVED if not (NUMPY_2 and r.back_in_2)]
    assert [r.name for r in warned] == [f"numpy: {key}" for key in expected]
    for result in warned:
        removed = numpy_compat.BY_KEY[result.name.split(": ", 1)[1]]
        assert (result.score, result.max_score, result.status) == (0.0, 0.0, "passed")
        assert f"removed in numpy {removed.removed_in}" in result.warning and removed.modern in result.warning
    entry = next(t for t in results_json(report)["tests"] if t["name"] == "numpy: np.float")
    assert entry["output"] == (f"{WARNING_LABEL}: np.float was removed in numpy 1.24 and works here only through "
                               "the grader's compatibility shim; write float (or np.float64)")


def test_the_shim_exists_only_in_the_child(old_numpy_report, python2_report):
    import builtins

    assert not hasattr(np, "float") and not hasattr(np, "asscalar")
    assert not hasattr(builtins, "xrange") and not hasattr({}, "iteritems") and not hasattr({}, "has_key")
    for module in (np, np.lib):
        getattr_ = vars(module).get("__getattr__")
        assert getattr_ is None or getattr_.__module__ != numpy_compat.__name__
    assert np.random.seed.__module__ != numpy_compat.__name__ and np.reshape.__module__ != numpy_compat.__name__


def test_a_correct_submission_gets_no_numpy_warning(make_submission):
    report = grade(make_submission(), config=Config(select=("relu_forward",)))
    assert not [r for r in report.results if r.target == "numpy"]


def test_what_a_child_says_it_used_is_read_without_trusting_it():
    forged = {"id": "c", "ok": True, "outputs": {}, "numpy_compat": ["np.float", "<script>", 3, "np.NaN"]}
    assert Reply.from_dict(forged).numpy_compat == ["np.float", "np.NaN"]
    assert Reply.from_dict({**forged, "numpy_compat": "np.float"}).numpy_compat is None
    assert Manifest.from_dict({"numpy_compat": ["np.int", {"x": 1}]}).numpy_compat == ["np.int"]
    assert "numpy_compat" not in Manifest().to_dict() and "numpy_compat" not in Reply("c", True, {}).to_dict()


# relu_forward of a correct submission written for Python 2.7 (the 2016 course), with every Python 2 name the child
# serves (each checked to stand for what it stood for), on the dict subclasses and views student code meets too.
PYTHON2 = '''
import numpy as np
from collections import OrderedDict


def _python2():
    d, ordered = {"a": 1, "b": 2}, OrderedDict([("w", 3)])
    it = d.iteritems()
    ok = [
        list(xrange(3)) == [0, 1, 2], list(xrange(5, 0, -2)) == [5, 3, 1], reduce(lambda a, b: a * b, [2, 3, 4]) == 24,
        reduce(lambda a, b: a + b, [], 7) == 7, next(it) == ("a", 1) and list(it) == [("b", 2)],
        list(d.itervalues()) == [1, 2], list(d.iterkeys()) == ["a", "b"], d.has_key("a") and not d.has_key("z"),
        list(ordered.iteritems()) == [("w", 3)],
    ]
    if not all(ok):
        raise AssertionError(f"stand-in {ok.index(False)} is wrong")


def relu_forward(x):
    _python2()
    return np.maximum(x, 0), x
'''


@pytest.fixture(scope="module")
def python2_report(tmp_path_factory):
    return _relu_report(tmp_path_factory, "python2", PYTHON2)


def test_python_2_names_get_full_marks_and_a_warning_each(python2_report):
    report = python2_report
    _assert_full_marks(report)
    assert not [r for r in report.results if r.target == "numpy"]
    warned = [r for r in report.results if r.target == "python"]
    assert [r.name for r in warned] == [f"python: {r.key}" for r in numpy_compat.PYTHON2_REMOVED]
    assert all((r.score, r.max_score, r.status) == (0.0, 0.0, "passed") for r in warned)
    by_name = {r.name: r.warning for r in warned}
    assert by_name["python: xrange"] == ("xrange was removed in Python 3.0 and works here only through the grader's "
                                         "compatibility shim; write range")
    assert "removed in Python 3.0" in by_name["python: dict.iteritems"] and "d.items()" in by_name[
        "python: dict.iteritems"]


def test_python_2_syntax_is_not_served(make_submission):
    """What Python 3 changed in the language (a print statement) is not shimmed: the module does not import."""
    report = grade(make_submission({"layers.py": "def _log(x):\n    print x\n"}),
                   config=Config(select=("relu_forward",)))
    assert report.score == 0 and not [r for r in report.results if r.target == "python"]
