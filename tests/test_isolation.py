"""Credit isolation (autograder/grading/credit_isolation.py): one bug costs only the function that has it.

Models, sandwich layers and the spatial normalizations that fail over the student's own layers are checked
again over trusted layers in a second child; a 0-point line says whether they also work with the student's own
layers and names the first of those that fails its own checks. Nothing the student's code controls in that
child reaches a report.
"""
from __future__ import annotations

import json
import re
import sys
import textwrap
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest

from autograder.grading import credit_isolation as isolation
from autograder import paths
from autograder.catalog import all_cases
from autograder.child.codec import Opaque, roundtrip
from autograder.child.trusted import TrustedLayers
from autograder.config import Config, ConfigError, load_config
from autograder.profiles import PROFILES
from autograder.grading.report import feedback_markdown, results_json
from conftest import REFERENCE, ROOT, grade_catalog_only as grade
from corpus import fresh, layouts, replace_in_function, write_tree

SOFTMAX_BUG = ("softmax_loss", "dx /= N\n", "")
DW_BUG = ("affine_backward", "dw = x.reshape(x.shape[0], -1).T.dot(dout)", "dw = dout.T.dot(x.reshape(x.shape[0], -1))")
MODELS = {"TwoLayerNet", "FullyConnectedNet", "ThreeLayerConvNet"}
AFFINE_SANDWICHES = {"affine_relu_backward", "affine_bn_relu_backward", "affine_ln_relu_backward"}


def lost(report):
    """Points lost per target."""
    out = {}
    for r in report.results:
        if r.max_score > r.score:
            out[r.target] = out.get(r.target, 0) + r.max_score - r.score
    return out


def own_lines(report):
    return {r.target: r for r in report.results if r.name.endswith(isolation.OWN_LAYERS)}


def write_bug(dest, function, old, new):
    files = layouts.cs231n_student()
    files["cs231n/layers.py"] = replace_in_function(files["cs231n/layers.py"], function, old, new)
    return write_tree(fresh(dest), files)


# ----------------------------------------------------------------------------- pure parts
def test_dependent_cases_and_what_they_keep():
    by_id = {c.id: c for c in all_cases()}
    dependent = {c.target for c in all_cases() if isolation.depends_on_layers(c)}
    assert MODELS | AFFINE_SANDWICHES | {"conv_relu_pool_backward", "spatial_batchnorm_backward"} <= dependent
    assert not dependent & {"affine_backward", "softmax_loss", "batchnorm_forward", "adam", "conv_backward_naive"}
    assert isolation.kept(by_id["affine_relu_backward.notebook"]) == ["affine_relu_backward", "affine_relu_forward"]
    assert isolation.kept(by_id["FullyConnectedNet.batchnorm"]) == ["FullyConnectedNet"]  # batchnorm is trusted
    assert isolation.uses("FullyConnectedNet")[:3] == ["affine_relu_forward", "affine_bn_relu_forward",
                                                      "affine_ln_relu_forward"]
    assert "softmax_loss" in isolation.uses("FullyConnectedNet")
    assert isolation.uses("affine_bn_relu_backward") == ["affine_forward", "batchnorm_forward", "relu_forward",
                                                        "relu_backward", "batchnorm_backward",
                                                        "batchnorm_backward_alt", "affine_backward"]
    assert isolation.uses("spatial_batchnorm_forward")[0] == "batchnorm_forward"


def test_config_switch(tmp_path):
    assert Config().isolate_dependencies is True
    for text, value in (("false", False), ("true", True), ('"always"', "always")):
        (tmp_path / "c.toml").write_text(f"isolate_dependencies = {text}\n")
        assert load_config(tmp_path / "c.toml").isolate_dependencies == value
    (tmp_path / "c.toml").write_text('isolate_dependencies = "sometimes"\n')
    with pytest.raises(ConfigError, match="isolate_dependencies must be true, false or"):
        load_config(tmp_path / "c.toml")
    assert isolation.mode(Config(isolate_dependencies=False)) == "off"
    assert isolation.mode(Config()) == "on"
    assert isolation.mode(Config(isolate_dependencies="always")) == "always"
    assert isolation.mode(Config(), trusted_layers=False) == "unavailable"
    assert isolation.mode(Config(), runner=object()) == "unavailable"


def test_trusted_layers_are_swapped_in_and_put_back(tmp_path, monkeypatch):
    package = isolation._stage_trusted(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    trusted = TrustedLayers(package, dropout_means="drop")
    assert {"affine_forward", "affine_relu_forward", "conv_forward_fast", "adam"} <= set(trusted.functions)
    assert not any(name.startswith("_") for name in trusted.functions)
    student = types.ModuleType("student_fc_net")
    exec("def affine_forward(x, w, b):\n    raise AssertionError('the student layer')\n\n\n"
         "def model(x, w, b):\n    return affine_forward(x, w, b)[0]\n", vars(student))
    mine = student.affine_forward
    api = {"affine_forward": mine, "adam": None, "affine_relu_backward": "kept"}
    x, w, b = np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)
    with trusted.swapped([student], api, keep=["affine_relu_backward"]) as swapped:
        assert np.allclose(student.model(x, w, b), 3.0)
        assert swapped["affine_forward"] is trusted.functions["affine_forward"] is student.affine_forward
        assert swapped["adam"] is trusted.functions["adam"] and swapped["affine_relu_backward"] == "kept"
        np.random.seed(0)
        out, _ = trusted.functions["dropout_forward"](np.ones((100, 100)), {"p": 0.25, "mode": "train"})
        assert 0.7 < np.mean(out != 0) < 0.8  # p is the probability of dropping a unit in this course
    assert student.affine_forward is mine and api["adam"] is None
    with pytest.raises(AssertionError, match="the student layer"):
        student.model(x, w, b)


def test_scrubbing_keeps_numbers_and_takes_out_text():
    vocabulary = isolation._vocabulary()
    secret = "dx = dout.dot(w.T).reshape(x.shape)"
    reply = roundtrip({
        "id": "FullyConnectedNet.notebook", "ok": True, "smuggled": secret, "runs": 3,
        "outputs": {"loss": 2.3, "grads": {"W1": np.ones(2), secret: np.zeros(1), "b1": secret},
                    "result": object(), "mode": ("train", secret), 7: [secret]}})
    out = isolation.scrub_reply(reply, {"fc_net.py"}, vocabulary, frozenset({"train"}))
    assert secret not in repr(out) and "object" in repr(out["outputs"]["result"])
    assert out["outputs"]["loss"] == 2.3 and np.array_equal(out["outputs"]["grads"]["W1"], np.ones(2))
    assert out["outputs"]["mode"] == ("train", isolation.PLACEHOLDER) and out["outputs"][7] == [isolation.PLACEHOLDER]
    assert set(out["outputs"]["grads"]) == {"W1", "b1"} and "smuggled" not in out and out["runs"] == 3
    assert isinstance(roundtrip(Opaque(secret)), Opaque)

    raised = {"id": "x", "ok": False, "kind": "exception", "type": "ValueError", "error": secret,
              "where": "fc_net.py, line 123, in loss"}
    assert isolation.scrub_reply(raised, {"fc_net.py"}, vocabulary) == {
        "id": "x", "ok": False, "kind": "exception", "type": "ValueError", "error": "", "where": "fc_net.py:123"}
    forged = dict(raised, type=secret, where=f"{secret}.py, line 1, in {secret}")
    assert secret not in repr(isolation.scrub_reply(forged, {"fc_net.py"}, vocabulary))
    assert isolation.scrub_reply(forged, {"fc_net.py"}, vocabulary)["type"] == "Exception"
    form = {"id": "x", "ok": False, "kind": "form", "error": "FullyConnectedNet.loss returned None: not implemented "
                                                            "yet? (expected (loss, grads))"}
    assert isolation.scrub_reply(form, set(), vocabulary)["error"] == form["error"]
    assert secret not in repr(isolation.scrub_reply(dict(form, error=f"loss returned a {secret}"), set(), vocabulary))


# ----------------------------------------------------------------------------- grading
@pytest.mark.slow
@pytest.mark.parametrize("bug, culprit, sandwiches", [
    (SOFTMAX_BUG, "softmax_loss", set()),
    (DW_BUG, "affine_backward", AFFINE_SANDWICHES),
], ids=["softmax_1_over_N", "transposed_dw"])
def test_a_layer_bug_costs_only_its_layer(bug, culprit, sandwiches, tmp_path):
    path = write_bug(tmp_path / "submission", *bug)
    report = grade(path, config=Config(profile="all"))
    assert set(lost(report)) == {culprit}, lost(report)
    lines = own_lines(report)
    for target in MODELS | sandwiches:
        line = lines[target]
        assert line.status == "failed" and line.max_score == 0, (target, line)
        assert f"the first of your layers that fails its own checks is {culprit}" in line.message, line.message
    assert all(line.status == "passed" for target, line in lines.items() if target not in MODELS | sandwiches)

    off = grade(path, config=Config(profile="all", isolate_dependencies=False))
    assert set(lost(off)) == {culprit} | MODELS | sandwiches, lost(off)
    assert not own_lines(off)
    assert report.score - off.score >= 60, (report.score, off.score)  # today's 66 and 83 points


@pytest.mark.slow
@pytest.mark.parametrize("how", [False, "always"])
def test_a_correct_submission_keeps_full_marks(how):
    report = grade(REFERENCE, config=Config(profile="all", isolate_dependencies=how))
    assert report.score == report.max_score > 250, lost(report)
    lines = own_lines(report)
    assert (not lines) if how is False else (lines and all(r.status == "passed" for r in lines.values()))


BROKEN = ("affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss", "batchnorm_forward",
          "batchnorm_backward", "layernorm_forward", "layernorm_backward", "dropout_forward", "dropout_backward",
          "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive")
DEPENDENT_SELECT = ("*relu*_backward.*", "FullyConnectedNet.notebook", "FullyConnectedNet.batchnorm",
                    "FullyConnectedNet.dropout0.5", "ThreeLayerConvNet.*", "TwoLayerNet.loss", "spatial_batchnorm_*",
                    "FullyConnectedNet.train.adam")


def _break_layers(root):
    """Append to every student module defining them a redefinition of the basic layers and of adam that raises."""
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        names = [n for n in (*BROKEN, "adam") if re.search(rf"^def {n}\(", text, flags=re.M)]
        if names and "fc_net" not in path.name and "attempts" not in path.name:
            path.write_text(text + "\n\n" + "".join(
                f"def {n}(*args, **kwargs):\n    raise RuntimeError('{n} is broken on purpose')\n\n\n" for n in names))


@pytest.mark.slow
@pytest.mark.parametrize("layout", layouts.LAYOUTS, ids=lambda layout: layout.name)
def test_models_and_sandwiches_run_over_trusted_layers_in_every_layout(layout, tmp_path):
    """Every basic layer and adam raise: the models and sandwiches still pass, so they ran over trusted layers."""
    path = layouts.build(layout, tmp_path / "submission")
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            archive.extractall(tmp_path / "unzipped")
        path = tmp_path / "unzipped"
    _break_layers(path)
    config = Config(profile="all", select=DEPENDENT_SELECT, packages=tuple(layout.config.get("packages", ())),
                    functions=dict(layout.config.get("functions", {})))
    report = grade(path, config=config)
    assert not report.error, report.error
    provided = set(isolation.provided_calls())
    # A model this course year does not have (CS231n 2021+ has no TwoLayerNet) is graded as missing under "all".
    absent = {"TwoLayerNet", "FullyConnectedNet", "ThreeLayerConvNet"} - PROFILES[layout.profile].assigned
    failed = [r for r in report.results if r.status == "failed" and r.max_score > 0
              and r.target not in BROKEN and r.target not in provided and r.target not in absent]
    assert not failed, "\n".join(f"{r.name}: {r.message}" for r in failed[:10])
    assert any(r.status == "failed" for r in report.results if r.target == "relu_backward")  # broken indeed
    lines = own_lines(report)
    assert {"FullyConnectedNet", "ThreeLayerConvNet", "affine_bn_relu_backward", "spatial_batchnorm_backward",
            "affine_relu_backward", "conv_relu_pool_backward"} <= set(lines)
    assert all(line.status == "failed" and "RuntimeError" in line.message for line in lines.values()), lines
    # The provided sandwiches grade none of the student's code: over trusted layers they count only once the
    # layers they call earn points, and none does here.
    for target in ("affine_relu_backward", "conv_relu_pool_backward"):
        assert "this code is provided" in lines[target].message, lines[target].message
        assert all(r.score == 0 for r in report.results if r.target == target)


# ----------------------------------------------------------------------------- no trusted code in the reports
HOSTILE_LEAK = '''
import glob, inspect, os, warnings


def trusted(namespace):
    """Whether the layers this module sees are the grader's trusted ones."""
    return getattr(namespace.get("affine_forward"), "__module__", "").startswith("_agtrusted")


def secret(namespace):
    """Everything of the trusted layers this code can reach: source through inspect, and the files."""
    texts = []
    for name in ("affine_forward", "affine_backward", "softmax_loss", "affine_relu_forward", "batchnorm_forward"):
        fn = namespace.get(name)
        try:
            texts.append(inspect.getsource(fn))
            texts.append(open(inspect.getfile(fn)).read())
        except Exception:
            pass
    for path in glob.glob(os.path.join(os.getcwd(), "_agtrusted*", "*.py")):
        texts.append(open(path).read())
    lines = "\\n".join(texts).splitlines()
    code = [line.strip() for line in lines if " = " in line and len(line.strip()) > 25]
    return "\\n".join(code + lines)  # the solution's statements first: first lines are what messages keep


def leak_everywhere(text):
    print(text)
    warnings.warn(text)
    for folder in (os.getcwd(), os.path.dirname(__file__), "/tmp", os.path.expanduser("~")):
        try:
            with open(os.path.join(folder, "leak.md"), "w") as handle:
                handle.write(text)
        except OSError:
            pass
'''
HOSTILE_FC_NET = '''
import os as _os
import numpy as _np
from ..leak import leak_everywhere as _leak, secret as _secret, trusted as _trusted

_TwoLayerNet, _FullyConnectedNet = TwoLayerNet, FullyConnectedNet


class TwoLayerNet(_TwoLayerNet):
    def loss(self, X, y=None):
        if not _trusted(globals()):
            raise ValueError("fails over its own layers, so that it runs again over the trusted ones")
        secret = _secret(globals())
        _leak(secret)
        if y is None:  # numbers do get out: the length of what was read
            return _np.zeros(len(secret))
        return secret, {line: _np.zeros(1) for line in secret.splitlines() if line.strip()}


class FullyConnectedNet(_FullyConnectedNet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if _trusted(globals()):
            for line in _secret(globals()).splitlines()[:50]:
                self.params[line] = _np.zeros(1)

    def loss(self, X, y=None):
        if not _trusted(globals()):
            raise ValueError("fails over its own layers, so that it runs again over the trusted ones")
        secret = _secret(globals())
        _leak(secret)
        lines = [line for line in secret.splitlines() if len(line.strip()) > 20]
        error = type(lines[0], (Exception,), {})
        root = _os.path.dirname(_os.path.dirname(_os.path.dirname(__file__)))
        code = compile("def _raise(error, message):\\n    raise error(message)\\n",
                       _os.path.join(root, lines[1][:40] + ".py"), "exec")
        space = {}
        exec(code, space)
        raiser = space["_raise"]
        raiser.__code__ = raiser.__code__.replace(co_name=lines[2][:60])
        raiser(error, secret)
'''
HOSTILE_CNN = '''
from ..leak import leak_everywhere as _leak, secret as _secret, trusted as _trusted

_ThreeLayerConvNet = ThreeLayerConvNet


class ThreeLayerConvNet(_ThreeLayerConvNet):
    def loss(self, X, y=None):
        if not _trusted(globals()):
            raise ValueError("fails over its own layers")
        secret = _secret(globals())
        _leak(secret)
        return type(secret.splitlines()[0], (), {})()
'''
HOSTILE_LAYER_UTILS = '''
from .leak import secret as _secret, trusted as _trusted


def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    if not _trusted(globals()):
        raise ValueError("fails over its own layers")
    return _secret(globals()), {_secret(globals()): 1}


def affine_bn_relu_backward(dout, cache):
    if not _trusted(globals()):
        raise ValueError("fails over its own layers")
    raise KeyError(_secret(globals()))


def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    if not _trusted(globals()):
        raise ValueError("fails over its own layers")
    return type(_secret(globals())[:150], (), {})(), None
'''


def _solution_lines():
    """Lines of the reference's solution code (its marked solution regions), as fragments to look for."""
    lines = set()
    for name in ("layers.py", "layer_utils.py", "optim.py"):
        text = (paths.reference_dir() / name).read_text()
        regions = re.findall(r"START OF YOUR CODE.*?\n(.*?)# \*+END OF YOUR CODE", text, flags=re.S)
        source = "\n".join(regions) if regions else text
        lines.update(line.strip() for line in source.splitlines()
                     if len(line.strip()) >= 25 and not line.strip().startswith("#"))
    return lines


def _hostile_report(make_submission):
    root = make_submission({"leak.py": HOSTILE_LEAK, "classifiers/fc_net.py": HOSTILE_FC_NET,
                            "classifiers/cnn.py": HOSTILE_CNN, "layer_utils.py": HOSTILE_LAYER_UTILS})
    # The student's layers are the template's stubs: any solution code in a report came from the trusted layers.
    (root / "cs231n" / "layers.py").write_text((ROOT / "student_template" / "cs231n" / "layers.py").read_text())
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    report = grade(root, config=Config(profile="all", select=(
        "TwoLayerNet.*", "FullyConnectedNet.notebook", "ThreeLayerConvNet.initial_loss", "affine_bn_relu_*",
        "affine_ln_relu_*", "affine_backward.notebook")))
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # nothing written into the submission
    texts = {"results.json": json.dumps(results_json(report), indent=1),
             "feedback.md": feedback_markdown(report, show_hidden=True)}
    fragments = _solution_lines()
    assert len(fragments) > 100
    leaks = {name: sorted(f for f in fragments if f in text) for name, text in texts.items()}
    return report, texts, leaks


@pytest.mark.slow
def test_nothing_of_the_trusted_layers_reaches_a_report(make_submission):
    """A submission that reads the trusted layers' source (inspect.getsource, the staged files) and tries every
    channel: printing, warnings, exception messages and class names, forged file and function names in the
    traceback, returned strings, dict keys and parameter names, objects of a class named after it, files."""
    report, texts, leaks = _hostile_report(make_submission)
    for name, text in texts.items():
        assert not leaks[name], f"{name} holds trusted code: {leaks[name][:5]}"
        assert "_agtrusted" not in text, name
    by_name = {r.name: r for r in report.results}
    # The trusted run did happen, and the hostile code did read the trusted source: only its length got out.
    scores = by_name["TwoLayerNet: notebook: test-time scores"]
    length = int(re.search(r"scores have shape \((\d+),\)", scores.message).group(1))
    assert length > 5000 and scores.message.endswith(isolation.OVER_TRUSTED), scores.message
    fc = [r for r in report.results if r.target == "FullyConnectedNet" and r.max_score > 0]
    assert fc and all(r.status == "failed" and r.message == "raised Exception" + isolation.OVER_TRUSTED for r in fc), \
        [r.message for r in fc]
    assert all(r.status == "failed" for r in report.results
               if r.target in MODELS and r.max_score > 0 and "initialization" not in r.name
               and "initial parameters" not in r.name)  # the hostile models initialise their parameters correctly
    sandwich = by_name["affine_bn_relu_backward: numerical gradient: dx"].message
    assert re.fullmatch(r"raised KeyError at layer_utils\.py:\d+" + re.escape(isolation.OVER_TRUSTED), sandwich)


@pytest.mark.slow
def test_the_smuggling_test_sees_a_leak_when_replies_are_not_scrubbed(make_submission, monkeypatch):
    """The test above can fail: without scrubbing, the exception type, returned strings and form errors leak."""
    monkeypatch.setattr(isolation, "scrub_reply", lambda reply, *args, **kwargs: reply)
    _, _, leaks = _hostile_report(make_submission)
    assert leaks["results.json"] and leaks["feedback.md"]


@pytest.mark.slow
def test_without_trusted_layers_the_messages_say_so(tmp_path):
    """The students' pytest has no reference: models run over the student's own layers, and say so."""
    path = write_bug(tmp_path / "submission", *SOFTMAX_BUG)
    config = Config(profile="all", select=("FullyConnectedNet.notebook", "softmax_loss.*", "affine_relu_backward.*"))
    report = grade(path, config=config, trusted_layers=False)
    assert not own_lines(report)
    fc = [r for r in report.results if r.target == "FullyConnectedNet" and "gradient" in r.name]
    assert fc and all(r.status == "failed" for r in fc)
    assert all(r.message.endswith("the grader checks FullyConnectedNet over trusted layers too, so a bug in a "
                                  "layer it calls costs only that layer there)") for r in fc), fc[0].message
    softmax = [r for r in report.results if r.target == "softmax_loss" and r.status == "failed"]
    assert softmax and not any("trusted" in r.message for r in softmax)
    assert all(r.status == "passed" for r in report.results if r.target == "affine_relu_backward")


def test_the_plugin_grades_without_trusted_layers(monkeypatch):
    from autograder.editions import pytest_plugin

    seen = {}
    monkeypatch.setattr("autograder.grading.pipeline.grade", lambda *args, **kwargs: seen.update(kwargs))
    pytest_plugin.grade_subset("submission", Config())
    assert seen["trusted_layers"] is False
