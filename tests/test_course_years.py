"""The course-year tables (autograder/course_years.py): each is consistent and recorded with its source, the
untouched starter built from it scores 0, a deleted assigned function still costs its points, an absent optional
helper costs nothing and a present one is graded for 0 points, recognition says why, a year is pinnable, and
CS182's momentum convention passes on the values its own notebook prints."""
import json
import re

import numpy as np
import pytest

from autograder.catalog import all_cases
from autograder.catalog.optim import momentum_adds_gradient
from autograder.config import Config, ConfigError, load_config
from autograder.course_years import ALIASES, TABLES, table_for
from autograder.grading.pipeline import grade
from autograder.sandbox.inprocess import run_in_process
from autograder.notebook_checks import check_notebooks
from autograder.profiles import PROFILES, explain, profile_named

CATALOG = {n for c in all_cases() for n in c.all_requires()}
CLASSES = ("TwoLayerNet", "FullyConnectedNet", "ThreeLayerConvNet")
MODULE_OF = {"sgd_momentum": "optim", "rmsprop": "optim", "adam": "optim", "sgd": "optim",
             "TwoLayerNet": "classifiers/fc_net", "FullyConnectedNet": "classifiers/fc_net",
             "ThreeLayerConvNet": "classifiers/cnn"}


@pytest.mark.parametrize("table", TABLES.values(), ids=list(TABLES))
def test_a_table_is_consistent_and_says_where_it_was_learnt(table):
    assert table.learnt_from and all(re.fullmatch(r"[0-9a-f]{40}", s.commit) and "/" in s.repo
                                     for s in table.learnt_from)
    assert table.assigned <= CATALOG and table.optional <= CATALOG
    assert not table.assigned & table.provided and not table.assigned & table.optional
    assert not table.provided & table.optional
    assert set(table.helpers).isdisjoint(table.notebooks)
    assert all(set(group) <= set(table.notebooks) for group in table.either)
    assert PROFILES[table.id].assigned == table.assigned and PROFILES[table.id].table is table


def test_where_the_cs231n_starter_changed():
    assert "TwoLayerNet" in table_for("cs231n-2020").assigned and "TwoLayerNet" not in table_for("cs231n-2021").assigned
    assert "svm_loss" in table_for("cs231n-2020").provided
    assert "svm_loss" not in table_for("cs231n-2021").assigned | table_for("cs231n-2021").provided
    assert "softmax_loss" in table_for("cs231n-2021").assigned and "softmax_loss" in table_for("cs231n-2016").provided
    assert "layernorm_forward" in table_for("cs231n-2018").assigned and "layernorm_forward" not in TABLES["cs231n-2017"].assigned
    assert "conv_bn_relu_forward" in table_for("cs231n-2017").provided and "conv_bn_relu_forward" in TABLES["cs231n-2016"].optional
    assert all("affine_bn_relu_forward" not in t.assigned for t in TABLES.values())
    assert "batchnorm_backward_alt" not in TABLES["nndl"].assigned
    assert table_for("cs231n-2019") is TABLES["cs231n-2018"] and ALIASES["cs231n-2024"] == "cs231n-2022"
    assert TABLES["cs231n-2016"].dropout_means == "drop" and TABLES["cs231n-2018"].dropout_means == "keep"
    assert "Network_Visualization" in TABLES["cs231n-2022"].notebooks  # 2022's assignment 2 (lkck001, Chants77)


def _starter(root, table):
    """A submission shaped like the untouched starter of ``table``: every assigned function a stub that returns
    None or raises NotImplementedError, every class a constructor that sets nothing and a loss that returns None."""
    files = {}
    for i, name in enumerate(sorted(table.assigned)):
        module = MODULE_OF.get(name, "layers")
        if name in CLASSES:
            code = (f"class {name}(object):\n    def __init__(self, *args, **kwargs):\n        self.params = {{}}\n\n"
                    f"    def loss(self, X, y=None):\n        return None\n")
        else:
            body = "return None" if i % 2 else "raise NotImplementedError"
            code = f"def {name}(*args, **kwargs):\n    {body}\n"
        files.setdefault(module, []).append(code)
    for module, codes in files.items():
        path = root / "cs231n" / f"{module}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(codes))
    for folder in (root / "cs231n", root / "cs231n" / "classifiers"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").touch()
    return root


@pytest.mark.parametrize("table", TABLES.values(), ids=list(TABLES))
def test_the_untouched_starter_of_each_year_scores_zero(tmp_path, table):
    report = grade(_starter(tmp_path / "starter", table), config=Config(profile=table.id), runner=run_in_process)
    graded = [r for r in report.results if r.status != "not_applicable"]
    assert report.max_score > 0 and report.score == 0, [r.name for r in graded if r.score > 0]
    charged = {r.target for r in graded if r.max_score > 0}
    assert charged >= table.assigned - {"sgd"}, table.assigned - charged
    assert not charged & (table.provided | table.optional)


def test_a_deleted_assigned_function_still_costs_its_points(make_submission):
    sub = make_submission()
    layers = sub / "cs231n" / "layers.py"
    layers.write_text(layers.read_text().replace("def layernorm_backward(", "def _gone_layernorm_backward("))
    report = grade(sub, config=Config(profile="cs231n-2019", select=("layernorm_*",)), runner=run_in_process)
    lost = [r for r in report.results if r.target == "layernorm_backward"]
    assert lost and all(r.status == "failed" and r.max_score > 0 and "not found" in r.message for r in lost)


def test_an_optional_helper_costs_nothing_absent_and_is_a_warning_when_wrong(make_submission):
    wrong = make_submission({"layer_utils.py": "def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):\n"
                                               "    return x * 0, None\n"}, name="wrong")
    report = grade(wrong, config=Config(profile="cs231n-2021", select=("affine_bn_relu_*", "affine_forward")),
                   runner=run_in_process)
    helper = [r for r in report.results if r.target == "affine_bn_relu_forward"]
    assert helper and all(r.max_score == 0 for r in helper)
    assert any(r.status == "failed" and r.warning.startswith("optional helper") for r in helper)
    assert report.score == report.max_score > 0
    assert any("Optional helpers checked for 0 points" in n for n in report.notes)
    sub = make_submission(name="absent")
    utils = sub / "cs231n" / "layer_utils.py"
    utils.write_text(re.sub(r"def affine_(bn|ln)_relu_", r"def _unused_\1_relu_", utils.read_text()))
    absent = grade(sub, config=Config(profile="cs231n-2021", select=("affine_bn_relu_*",)), runner=run_in_process)
    assert {r.status for r in absent.results} == {"not_applicable"} and absent.max_score == 0


@pytest.mark.parametrize("packages, found, notebooks, profile", [
    (("cs231n",), {"FullyConnectedNet": ["cs231n.classifiers.fc_net", ["hidden_dims", "use_batchnorm"]]}, (),
     "cs231n-2016"),
    (("cs231n",), {"FullyConnectedNet": ["cs231n.classifiers.fc_net", ["hidden_dims", "use_batchnorm"]]},
     ("PyTorch", "TensorFlow"), "cs231n-2017"),
    (("cs231n",), {"FullyConnectedNet": ["cs231n.classifiers.fc_net", ["dropout", "normalization"]]}, (), "cs231n-2018"),
    (("cs231n",), {"FullyConnectedNet": ["cs231n.classifiers.fc_net", ["dropout", "normalization"]]},
     ("collect_submission",), "cs231n-2020"),
    (("cs231n",), {"FullyConnectedNet": ["cs231n.classifiers.fc_net", ["dropout_keep_ratio"]]},
     ("PyTorch", "TensorFlow"), "cs231n-2021"),
    (("cs231n",), {"FullyConnectedNet": ["cs231n.classifiers.fc_net", ["dropout_keep_ratio"]]},
     ("PyTorch", "FullyConnectedNets"), "cs231n-2022"),
    (("cs231n",), {"FullyConnectedNet": ["cs231n.classifiers.fc_net", ["dropout_keep_ratio"]]},
     ("RNN_Captioning_pytorch",), "cs231n-2025"),
    (("deeplearning",), {"FullyConnectedNet": ["deeplearning.classifiers.fc_net", ["use_batchnorm"]]},
     ("bn_drop", "cnn"), "cs182"),
    (("deeplearning",), {"FullyConnectedNet": ["deeplearning.classifiers.fc_net", ["use_batchnorm"]]},
     ("FullyConnectedNets", "Pytorch"), "cs182-2022"),
])
def test_recognition_uses_what_the_submission_shows_and_says_why(packages, found, notebooks, profile):
    chosen, why = explain(packages, found, False, notebooks)
    assert chosen.name == profile and why


def test_weak_evidence_prefers_the_year_that_charges_less():
    chosen, why = explain(("cs231n",), {"FullyConnectedNet": ["cs231n.classifiers.fc_net", ["use_batchnorm"]]})
    assert chosen.name == "cs231n-2016" and "nothing tells them apart" in why
    assert len(TABLES["cs231n-2016"].assigned) <= len(TABLES["cs231n-2017"].assigned)


def test_a_year_is_pinnable_and_an_unknown_one_is_a_one_line_error(tmp_path):
    config = tmp_path / "course.toml"
    config.write_text('profile = "cs231n-2019"\nexclude = ["affine_bn_relu_*"]\n')
    loaded = load_config(config)
    assert loaded.profile == "cs231n-2019" and loaded.exclude == ("affine_bn_relu_*",)
    assert profile_named("cs231n-2019").assigned == TABLES["cs231n-2018"].assigned
    config.write_text('profile = "cs231n-2031"\n')
    with pytest.raises(ConfigError, match="unknown profile 'cs231n-2031'"):
        load_config(config)
    config.write_text('exclude = ["affine_bn_rleu_*"]\n')
    with pytest.raises(ConfigError, match="exclude: affine_bn_rleu_\\* names no check or function") as error:
        load_config(config)
    assert "\n" not in str(error.value)


def test_exclude_takes_the_named_checks_out(make_submission):
    report = grade(make_submission(), config=Config(profile="all", select=("affine_*",), exclude=("affine_bn_relu_*",)),
                   runner=run_in_process)
    targets = {r.target for r in report.results}
    assert "affine_forward" in targets and not any(t.startswith("affine_bn_relu") for t in targets)


# CS182 hw2_optimizer_init.ipynb (Berkeley-CS182/cs182sp25_public@71d12bd): its sgd_momentum cell's inputs and the
# expected arrays it prints against (v = mu * v + dw; w -= lr * v, with the starter's default momentum 0.9).
CS182_NEXT_W = [[-0.39994, -0.347375263, -0.294810526, -0.242245789, -0.189681053],
                [-0.137116316, -0.084551579, -0.031986842, 0.020577895, 0.073142632],
                [0.125707368, 0.178272105, 0.230836842, 0.283401579, 0.335966316],
                [0.388531053, 0.441095789, 0.493660526, 0.546225263, 0.59879]]
CS182_VELOCITY = [[-0.06, 0.006842105, 0.073684211, 0.140526316, 0.207368421],
                  [0.274210526, 0.341052632, 0.407894737, 0.474736842, 0.541578947],
                  [0.608421053, 0.675263158, 0.742105263, 0.808947368, 0.875789474],
                  [0.942631579, 1.009473684, 1.076315789, 1.143157895, 1.21]]


def _cs182_cell():
    w = np.linspace(-0.4, 0.6, num=20).reshape(4, 5)
    dw = np.linspace(-0.6, 0.4, num=20).reshape(4, 5)
    return {"target": "sgd_momentum", "w": w, "dw": dw,
            "config": {"learning_rate": 1e-3, "velocity": np.linspace(0.6, 0.9, num=20).reshape(4, 5)}}


def test_cs182_momentum_reproduces_the_values_its_notebook_prints():
    assert momentum_adds_gradient(_cs182_cell()) is None  # not a convention of every course
    next_w, v = momentum_adds_gradient({**_cs182_cell(), "conventions": ("momentum_adds_gradient",)})
    assert np.allclose(next_w, CS182_NEXT_W, atol=1e-8) and np.allclose(v, CS182_VELOCITY, atol=1e-8)


def test_cs182_momentum_passes_under_cs182_and_fails_under_cs231n(make_submission):
    code = ("def sgd_momentum(w, dw, config=None):\n    config = config if config is not None else {}\n"
            "    config.setdefault('learning_rate', 1e-2)\n    config.setdefault('momentum', 0.9)\n"
            "    v = config['momentum'] * config.get('velocity', np.zeros_like(w)) + dw\n"
            "    config['velocity'] = v\n    return w - config['learning_rate'] * v, config\n")
    sub = make_submission({"optim.py": code})
    cs182 = grade(sub, config=Config(profile="cs182", select=("sgd_momentum*",)), runner=run_in_process)
    cs231n = grade(sub, config=Config(profile="cs231n-2021", select=("sgd_momentum*",)), runner=run_in_process)
    assert cs182.max_score > 0 and cs182.score == cs182.max_score, [r.message for r in cs182.results if r.score < r.max_score]
    assert cs231n.score < cs231n.max_score


def _notebook(path, executed):
    cells = [{"cell_type": "code", "metadata": {}, "source": [f"x = {i}"], "outputs": [],
              "execution_count": i + 1 if i < executed else None} for i in range(4)]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_helpers_and_the_undone_alternative_are_not_counted(tmp_path):
    for name, executed in (("Dropout", 4), ("PyTorch", 1), ("TensorFlow", 4), ("collect_submission", 0)):
        _notebook(tmp_path / f"{name}.ipynb", executed)
    results, _ = check_notebooks(tmp_path, settings={}, execute=False, course=TABLES["cs231n-2021"])
    counted = {r.target for r in results if r.max_score > 0}
    assert {"Dropout.ipynb", "TensorFlow.ipynb"} <= counted and not counted & {"PyTorch.ipynb", "collect_submission.ipynb"}
    helper = [r for r in results if r.target == "collect_submission.ipynb"]
    assert helper and all("helper of the course" in r.message for r in helper if r.status != "passed")
    everything, _ = check_notebooks(tmp_path, settings={}, execute=False)  # no course: every notebook counts
    assert {"PyTorch.ipynb", "collect_submission.ipynb"} <= {r.target for r in everything if r.max_score > 0}


def test_credit_isolation_swaps_in_only_what_the_rubric_grades(tmp_path, monkeypatch):
    from autograder.child.trusted import TrustedLayers
    from autograder.grading.credit_isolation import _stage_trusted

    monkeypatch.syspath_prepend(str(tmp_path))
    package = _stage_trusted(tmp_path)
    everything = TrustedLayers(package)
    graded = TrustedLayers(package, graded={"conv_forward_naive", "spatial_batchnorm_forward"})
    assert {"batchnorm_forward", "affine_forward", "affine_relu_forward"} <= set(everything.functions)
    assert set(graded.functions) == {"conv_forward_naive", "spatial_batchnorm_forward"}


def test_a_2016_dropout_that_keeps_with_probability_p_passes_as_the_starters_notebook_lets_it(make_submission):
    sub = make_submission()
    layers = sub / "cs231n" / "layers.py"
    text = layers.read_text()
    assert "We keep each neuron output with probability p" in text  # the reference keeps, as 2018+ starters say
    layers.write_text(text.replace("We keep each neuron output with probability p",
                                   "We drop each neuron output with probability p"))
    old = grade(sub, config=Config(profile="cs231n-2016", select=("dropout_forward*",)), runner=run_in_process)
    assert old.max_score > 0 and old.score == old.max_score, [r.message for r in old.results if r.score < r.max_score]


def test_the_keep_rate_check_reads_p_both_ways_only_where_the_course_passes_a_drop_probability():
    from autograder.catalog.norm import _keep_rate

    x = np.random.RandomState(0).randn(500, 500) + 10
    mask = np.random.RandomState(1).rand(*x.shape) < 0.25
    kept_quarter = {"result": (x * mask / 0.25, None)}
    drop_course = {"args": (x, {"mode": "train", "p": 0.25})}  # keep 0.75, passed as drop 0.25
    keep_course = {"args": (x, {"mode": "train", "p": 0.75})}
    assert _keep_rate(0.75)(kept_quarter, drop_course)[0]  # p = 0.25 read as keep: the 2016-2017 notebooks allow it
    assert not _keep_rate(0.75)(kept_quarter, keep_course)[0]  # 2018+: p keeps, a quarter kept is wrong


def _defines(*names):
    return {name: ("nndl.layers", []) for name in names}


HW4_2018 = _defines("affine_forward", "batchnorm_forward", "dropout_forward", "adam", "rmsprop", "FullyConnectedNet")


@pytest.mark.parametrize("found, notebooks, charged, not_charged", [
    # nndl HW4 of 2018-2019: fc_net.py has FullyConnectedNet only (Andreachen0707, EricMFischer): no TwoLayerNet
    (HW4_2018, (), {"FullyConnectedNet", "adam", "batchnorm_backward", "affine_forward"}, {"TwoLayerNet"}),
    # HW4 of 2022+ carries HW3's TwoLayerNet stub over, but its notebooks train FullyConnectedNet only
    ({**HW4_2018, **_defines("TwoLayerNet")}, ("Optimization", "Batch-Normalization", "Dropout"),
     {"FullyConnectedNet", "adam", "affine_forward"}, {"TwoLayerNet", "conv_forward_naive"}),
    # HW3 (every year 2018-2026 stubs TwoLayerNet in fc_net.py)
    (_defines("affine_forward", "TwoLayerNet", "FullyConnectedNet"), ("FC_nets", "two_layer_nn"),
     {"TwoLayerNet", "FullyConnectedNet", "affine_forward"}, {"adam", "batchnorm_forward"}),
    # HW3 whose TwoLayerNet the student deleted (no notebooks): no homework detected, so it is still charged
    (_defines("affine_forward", "FullyConnectedNet"), (), {"TwoLayerNet", "FullyConnectedNet"}, set()),
])
def test_nndl_charges_twolayernet_only_where_its_homework_and_year_stub_it(found, notebooks, charged, not_charged):
    profile = PROFILES["nndl"].scoped(found, notebooks=notebooks)
    assert all(profile.applies([name]) for name in charged)
    assert not any(profile.applies([name]) for name in not_charged)


@pytest.mark.parametrize("notebooks, charged, not_charged", [
    # CS182 hw02 (spring 2025 hw2_optimizer_init.ipynb, fall 2025 q_optimizer_init.ipynb): fc_net.py stubs both nets
    # again, the notebook trains FullyConnectedNet only
    (("hw2_optimizer_init",), {"rmsprop", "FullyConnectedNet"}, {"TwoLayerNet", "affine_forward"}),
    (("q_optimizer_init",), {"adam", "FullyConnectedNet"}, {"TwoLayerNet"}),
    (("networks",), {"TwoLayerNet", "affine_forward", "FullyConnectedNet"}, {"rmsprop"}),
    # spring 2022 hw2 (captioning, visualization, style transfer): its starter has no layers.py, optim.py or cnn.py
    (("RNN_Captioning", "StyleTransfer"), set(), {"ThreeLayerConvNet", "affine_forward", "sgd_momentum"}),
])
def test_a_cs182_homework_is_recognised_from_its_notebook(notebooks, charged, not_charged):
    found = _defines("affine_forward", "TwoLayerNet", "FullyConnectedNet", "sgd_momentum", "rmsprop", "adam")
    profile = PROFILES["cs182"].scoped(found, notebooks=notebooks)
    assert all(profile.applies([name]) for name in charged)
    assert not any(profile.applies([name]) for name in not_charged)
    assert "detected from its notebooks" in profile.description


def test_another_questions_notebook_and_a_starter_copy_are_not_counted(tmp_path):
    for name, executed in (("FC_nets", 4), ("two_layer_nn", 4), ("two_layer_nn_nosol", 0), ("coding_HW3", 0)):
        _notebook(tmp_path / f"{name}.ipynb", executed)
    results, _ = check_notebooks(tmp_path, settings={}, execute=False, course=TABLES["nndl"])
    counted = {r.target for r in results if r.max_score > 0}
    assert counted == {"FC_nets.ipynb", "two_layer_nn.ipynb"}
    copy = [r for r in results if r.target == "two_layer_nn_nosol.ipynb" and r.status != "passed"]
    assert copy and all("another copy of two_layer_nn.ipynb" in r.message for r in copy)
    other = [r for r in results if r.target == "coding_HW3.ipynb" and r.status != "passed"]
    assert other and all("not one of the course's notebooks" in r.message for r in other)


def test_a_renamed_course_notebook_still_counts(tmp_path):
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": ["# Test the affine_forward function\n", "print('Testing affine_forward function:')\n"]}]
    (tmp_path / "Q1_FullyConnectedNets.ipynb").write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    results, _ = check_notebooks(tmp_path, settings={}, execute=False, course=TABLES["cs231n-2022"])
    unexecuted = [r for r in results if r.target == "Q1_FullyConnectedNets.ipynb" and r.max_score > 0]
    assert unexecuted and any(r.status == "failed" for r in unexecuted)
