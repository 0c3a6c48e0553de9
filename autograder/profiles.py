"""Course profiles: what each course assigns and how its API differs.

Each course year's profile is made from its table in :mod:`autograder.course_years` (what that year's public
starter stubs, provides and only suggests, learnt from named public repositories); this module adds how a course
spells its API, recognises the year from a submission (:func:`explain`, with the reason the report quotes) and
resolves a pinned name or year alias (:func:`profile_named`: ``cs231n-2019``). Optional helpers a submission has
are graded for 0 points (:meth:`Profile.with_present`).

Real submissions differ by course and year: TwoLayerNet is gone from CS231n 2021+, layernorm and groupnorm
exist from 2018, dropout's ``p`` is the probability of keeping a unit from 2018 but of dropping it in
2016-2017, and FullyConnectedNet's constructor changed style twice. UCLA's nndl spells some constructor
arguments and optimizer state differently (``TwoLayerNet(hidden_dims=...)``, RMSProp's ``config['a']``, Adam's
``config['v']`` and ``config['a']``) and splits the assignment into homeworks (fully connected nets; optimizers,
batch normalization and dropout; convolutional nets), so a homework is graded only on what it assigns: the
homeworks in scope are detected from what the submission defines, or pinned with ``scope`` in the config. A
check for a function the course (or the homework) does not assign is not applicable, not zero.

Conventions every profile accepts because they are in the courses' starter code, not in what students write:
Adam's ``t`` starts at 0 (2016, 2018+) or at 1 (the 2017 starter), see ``adam.hidden.defaults`` in
:mod:`autograder.catalog.optim`; the provided cnn.py of nndl passes ``pad = (filter_size - 1) / 2``, a float,
which the trusted fast layers accept when it is integral.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .course_years import ALIASES, TABLES, table_for

LAYERS = (
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "svm_loss", "softmax_loss",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "dropout_forward", "dropout_backward",
    "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
    "spatial_batchnorm_forward", "spatial_batchnorm_backward",
)
NORMS = ("layernorm_forward", "layernorm_backward", "spatial_groupnorm_forward", "spatial_groupnorm_backward")
SANDWICHES = (
    "affine_relu_forward", "affine_relu_backward", "conv_relu_forward", "conv_relu_backward",
    "conv_relu_pool_forward", "conv_relu_pool_backward",
)
NORM_SANDWICHES = ("affine_bn_relu_forward", "affine_bn_relu_backward", "conv_bn_relu_forward", "conv_bn_relu_backward")
LN_SANDWICHES = ("affine_ln_relu_forward", "affine_ln_relu_backward")
OPTIM = ("sgd", "sgd_momentum", "rmsprop", "adam")
MODELS_2021 = ("FullyConnectedNet", "ThreeLayerConvNet")
PROVIDED = ("Solver", "eval_numerical_gradient", "eval_numerical_gradient_array",
            "conv_forward_fast", "conv_backward_fast", "max_pool_forward_fast", "max_pool_backward_fast")
PREFERRED = ("layers", "conv_layers", "layer_utils", "conv_layer_utils", "fc_net", "cnn", "optim", "solver",
             "fast_layers", "gradient_check")


@dataclass(frozen=True)
class Homework:
    """One homework of a course that splits the assignment (nndl): what it assigns and how to recognise it."""

    name: str
    """Id used in the config (``scope = ["cnn"]``)."""
    description: str
    """What the homework is about."""
    markers: tuple
    """Groups of names: the homework is in scope when the submission defines at least one name of every group
    (the starter code of a homework defines its stubs, so a stub counts)."""
    assigns: frozenset
    """Functions and classes the homework asks for."""
    notebooks: tuple = ()
    """The file stems of the homework's own notebooks: a submission holding one of them is that homework (a stub
    left over from another homework, such as CS182 hw02's TwoLayerNet, then does not bring that homework in)."""

    def detected(self, found):
        """Whether the submission defines a name of every marker group (never, for a homework without markers)."""
        return bool(self.markers) and all(any(name in found for name in group) for group in self.markers)


@dataclass(frozen=True)
class Profile:
    """What one course (and year) assigns and how its API is spelled."""

    name: str
    """Profile id used in the config (``profile = "nndl"``)."""
    description: str
    """Course and years it stands for."""
    assigned: frozenset
    """Functions and classes students write; checks of anything else are not applicable."""
    dropout_means: str = "keep"
    """What dropout's ``p`` means: ``keep`` (CS231n 2018+) or ``drop`` (2016-2017, some nndl years)."""
    homeworks: tuple = ()
    """The course's homeworks when it splits the assignment (:class:`Homework`); empty: one homework."""
    state_names: dict = field(default_factory=dict)
    """Update rule -> {the catalog's config key: the course's key}, e.g. nndl's RMSProp keeps ``cache`` as ``a``."""
    model_keywords: dict = field(default_factory=dict)
    """Class -> {the catalog's constructor keyword: the course's}, e.g. nndl's ``TwoLayerNet(hidden_dims=...)``."""
    provided: frozenset = frozenset()
    """Functions the course's starter ships solved: never charged, never graded, never swapped for trusted code."""
    optional: frozenset = frozenset()
    """Helpers the notebooks suggest but the starter lacks: checked for 0 points when present, else not applicable."""
    unscored: frozenset = frozenset()
    """The optional helpers this submission has (:meth:`with_present`): graded, for 0 points (warnings)."""
    table: object = None
    """The :class:`~autograder.course_years.CourseYear` the profile was made from (None: the project's own)."""
    conventions: frozenset = frozenset()
    """Course conventions the checks accept besides the catalog's (``momentum_adds_gradient``)."""
    recognised: str = ""
    """Why this profile was chosen (``FullyConnectedNet(dropout=...) and collect_submission.ipynb``), for the report."""

    def applies(self, names):
        return all(n in self.assigned or n in PROVIDED for n in names)

    def with_present(self, found):
        """The profile that also grades the optional helpers the submission defines (``found``), for 0 points."""
        present = self.optional & frozenset(found)
        if not present:
            return self
        return replace(self, assigned=self.assigned | present, unscored=present)

    def requiring(self, names):
        """The profile with ``names`` (the config's ``[required] functions``) assigned as well."""
        extra = frozenset(names) - self.assigned
        if not extra:
            return self
        return replace(self, assigned=self.assigned | extra,
                       description=f"{self.description}; also required by the course config: {', '.join(sorted(extra))}")

    def scoped(self, found=(), pinned=(), notebooks=()):
        """The profile restricted to the homeworks in scope: ``pinned`` (homework names from the config), else
        those whose own notebooks the submission holds (``notebooks``: file stems), else those whose markers the
        submission defines (``found``: names). Every homework when none is detected."""
        if not self.homeworks:
            return self
        by_notebook = [h for h in self.homeworks if set(h.notebooks) & set(notebooks)]
        if pinned:
            chosen = [h for h in self.homeworks if h.name in pinned]
            how = "set in the course config"
        elif by_notebook:
            chosen, how = by_notebook, "detected from its notebooks"
        else:
            chosen = [h for h in self.homeworks if h.detected(found)]
            how = "detected from what was submitted"
        if not chosen or len(chosen) == len(self.homeworks):
            return self
        names = ", ".join(h.name for h in chosen)
        return replace(self, assigned=frozenset().union(*(h.assigns for h in chosen)) & self.assigned,
                       description=f"{self.description}, homework {names} ({how})")


def check_scope(scope):
    """A clear error for a ``scope`` entry that names no homework of any profile (None when all are known)."""
    known = {h.name for p in PROFILES.values() for h in p.homeworks}
    unknown = [s for s in scope if s not in known]
    if unknown:
        return (f"unknown homework(s) {', '.join(unknown)} in scope; known homeworks: "
                + "; ".join(f"{p.name}: {', '.join(h.name for h in p.homeworks)}" for p in PROFILES.values() if p.homeworks))
    return None


def _profile(name, description, *groups, dropout_means="keep", **extra):
    return Profile(name, description, frozenset(n for g in groups for n in g), dropout_means, **extra)


BASIC = ("affine_forward", "affine_backward", "relu_forward", "relu_backward", "svm_loss", "softmax_loss")
BN_DROPOUT = ("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "dropout_forward",
              "dropout_backward")
CONV = ("conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
        "spatial_batchnorm_forward", "spatial_batchnorm_backward")
NNDL_FC = BASIC + ("affine_relu_forward", "affine_relu_backward", "FullyConnectedNet")
NNDL_HOMEWORKS = (
    # nndl's fully connected homework (HW3: layers.py with affine, ReLU and the losses, fc_net.py with TwoLayerNet
    # and FullyConnectedNet, neural_net.py, optim.py with sgd only; the same stubs 2018-2026), the optimization
    # homework (HW4: optimizers, batchnorm, dropout; its starter stubs HW3's layers and FullyConnectedNet again, and
    # from 2022 also HW3's TwoLayerNet, which the 2018-2019 fc_net.py does not have) and the convolutional one
    # (HW5: conv_layers.py, conv_layer_utils.py and cnn.py; layers.py is carried over, fc_net.py is not there).
    # TwoLayerNet marks HW3 (or a 2022+ HW4), so a 2018-2019 HW4 is never charged for it.
    Homework("fc-nets", "fully connected networks (nndl HW3)", (("TwoLayerNet",),),
             frozenset(NNDL_FC + ("TwoLayerNet",)), ("FC_nets", "two_layer_nn")),
    Homework("optimization", "optimizers, batch normalization and dropout (nndl HW4)",
             (("FullyConnectedNet", "TwoLayerNet"), ("sgd_momentum", "rmsprop", "adam") + BN_DROPOUT),
             frozenset(NNDL_FC + BN_DROPOUT + ("sgd", "sgd_momentum", "rmsprop", "adam", "affine_bn_relu_forward",
                                               "affine_bn_relu_backward")), ("Optimization", "Batch-Normalization")),
    Homework("cnn", "convolutional networks (nndl HW5)", (CONV + ("ThreeLayerConvNet",),),
             frozenset(CONV + ("conv_relu_forward", "conv_relu_backward", "conv_relu_pool_forward",
                               "conv_relu_pool_backward", "conv_bn_relu_forward", "conv_bn_relu_backward",
                               "ThreeLayerConvNet")), ("CNN-Layers", "CNN-BatchNorm", "CNN")),
)
# What student_template/ asks for: every function with a solution region in the reference (tests check this
# against the reference), TwoLayerNet included; the plain sandwiches and sgd are provided code there.
PROJECT = LAYERS + NORMS + ("affine_bn_relu_forward", "affine_bn_relu_backward") + LN_SANDWICHES + (
    "sgd_momentum", "rmsprop", "adam", "TwoLayerNet") + MODELS_2021

# The loss layers were given "for free" in CS231n 2016-2020 and in nndl (provided code in layers.py); CS231n
# 2021+ asks students to copy their assignment 1 solutions in.
LOSSES = ("svm_loss", "softmax_loss")
OWN_LAYERS = tuple(n for n in LAYERS if n not in LOSSES)

CS182_HOMEWORKS = (
    # Berkeley CS182: hw00 networks.ipynb (affine, ReLU, the two nets), hw02 the update rules, hw04/05 bn_drop.ipynb
    # and cnn.ipynb (batch normalization, dropout, convolution); each starter stubs the earlier layers again. hw02's
    # fc_net.py stubs TwoLayerNet and FullyConnectedNet, but its notebook (hw2_optimizer_init.ipynb in spring 2025,
    # q_optimizer_init.ipynb in fall 2025) trains only FullyConnectedNet: TwoLayerNet is not hw02's work.
    Homework("networks", "fully connected networks (CS182 networks.ipynb)", (("FullyConnectedNet", "TwoLayerNet"),),
             frozenset(("affine_forward", "affine_backward", "relu_forward", "relu_backward", "TwoLayerNet",
                        "FullyConnectedNet")), ("networks",)),
    Homework("optimizers", "update rules (CS182 hw2_optimizer_init.ipynb)", (("sgd_momentum", "rmsprop", "adam"),),
             frozenset(("sgd_momentum", "rmsprop", "adam", "FullyConnectedNet")),
             ("hw2_optimizer_init", "q_optimizer_init")),
    Homework("bn-drop-cnn", "batch normalization, dropout and convolutional nets (CS182 bn_drop.ipynb, cnn.ipynb)",
             ((*BN_DROPOUT, *CONV, "ThreeLayerConvNet"),),
             frozenset(BN_DROPOUT + CONV + ("ThreeLayerConvNet",)), ("bn_drop", "cnn")),
    # spring 2022 hw2 (its starter, the first commit of every cs182_hw2_student repository: rnn_layers.py stubs, no
    # layers.py, optim.py or cnn.py; students carry hw1's files over): nothing of this assignment is its work
    Homework("captioning", "RNN captioning, network visualization and style transfer (CS182 spring 2022 hw2: "
             "nothing of this assignment; hw1's layers carried over run as submitted)", (), frozenset(),
             ("RNN_Captioning", "LSTM_Captioning", "NetworkVisualization", "StyleTransfer")),
)
COURSE_EXTRAS = {  # what a family spells differently (its starter's API), besides what its table assigns
    "nndl": {"homeworks": NNDL_HOMEWORKS, "state_names": {"rmsprop": {"cache": "a"}, "adam": {"m": "v", "v": "a"}},
             "model_keywords": {"TwoLayerNet": {"hidden_dim": "hidden_dims"}}},
    "cs182": {"homeworks": CS182_HOMEWORKS},
}


def _from_table(table):
    """The profile of one course year's table (:mod:`autograder.course_years`)."""
    years = f"{table.years[0]}-{table.years[-1]}" if len(table.years) > 1 else "".join(map(str, table.years))
    return Profile(table.id, f"{COURSE_NAMES[table.family]} {years}".strip(), table.assigned,
                   table.dropout_means, provided=table.provided, optional=table.optional, table=table,
                   conventions=table.conventions, **COURSE_EXTRAS.get(table.family, {}))


COURSE_NAMES = {"cs231n": "CS231n", "nndl": "UCLA ECE C147/C247 (nndl)", "cs182": "Berkeley CS182"}

PROFILES = {p.name: p for p in (
    _profile("project", "this project's own assignment (student_template/): CS231n 2021+ with TwoLayerNet",
             PROJECT),
    *(_from_table(t) for t in TABLES.values()),
    _profile("all", "every function of the reference library (the reference itself grades against this)",
             LAYERS, NORMS, SANDWICHES, NORM_SANDWICHES, LN_SANDWICHES, OPTIM, MODELS_2021, ("TwoLayerNet",)),
)}
DEFAULT = "cs231n-2021"


def learnt_from(table):
    """The public repositories (repository@commit) a course year's table was read from."""
    return ", ".join(dict.fromkeys(f"{s.repo}@{s.commit[:7]}" for s in table.learnt_from))


def profile_named(name):
    """The profile of a config's ``profile`` (an id of ``autograder profiles`` or a year alias such as
    ``cs231n-2019``), or None."""
    if name in PROFILES:
        return PROFILES[name]
    table = table_for(name)
    if table is None:
        return None
    return replace(PROFILES[table.id], description=f"{PROFILES[table.id].description} (pinned as {name})")


def known_names():
    """Every name a config's ``profile`` may hold."""
    return sorted(set(PROFILES) | set(ALIASES))


def detect(packages, found, template=False, notebooks=()):
    """Pick a profile from the package names, the constructors the submission has (``found``: name ->
    ``[module, parameter names]``), whether it was made from this project's template (``template``: its
    main package holds the template's ``layer_checks.py``) and the notebooks it has (``notebooks``: file stems)."""
    return explain(packages, found, template, notebooks)[0]


def explain(packages, found, template=False, notebooks=()):
    """:func:`detect` with the reason: ``(profile, "detected from ...")``, what report notes and the warnings of a
    batch quote. Where the evidence cannot tell two years apart, the year that charges less is chosen and the
    reason says so."""
    fc = found.get("FullyConnectedNet", ("", []))
    fc_args = set(fc[1])
    notebooks = set(notebooks)
    if "nndl" in packages:
        return PROFILES["nndl"], "an nndl/ package"
    if "deeplearning" in packages and "dropout_keep_ratio" not in fc_args:
        if notebooks & {"FullyConnectedNets", "ConvolutionalNetworks", "Pytorch"}:
            return PROFILES["cs182-2022"], "a deeplearning/ package with the 2022 notebooks (FullyConnectedNets...)"
        return PROFILES["cs182"], "a deeplearning/ package (Berkeley CS182; 2022 and 2025 assign the same functions)"
    if "use_batchnorm" in fc_args:
        if notebooks & {"PyTorch", "TensorFlow"}:
            return PROFILES["cs231n-2017"], "FullyConnectedNet(use_batchnorm=...) and a PyTorch/TensorFlow notebook"
        if found.get("conv_bn_relu_forward", ("",))[0].endswith("layer_utils"):
            return PROFILES["cs231n-2017"], "FullyConnectedNet(use_batchnorm=...) and conv_bn_relu in layer_utils.py"
        return PROFILES["cs231n-2016"], ("FullyConnectedNet(use_batchnorm=...) (2016 or 2017: nothing tells them "
                                         "apart, graded as 2016, whose starter assigns the same functions)")
    if "dropout" in fc_args:
        if "collect_submission" in notebooks:
            return PROFILES["cs231n-2020"], "FullyConnectedNet(dropout=...) and collect_submission.ipynb"
        return PROFILES["cs231n-2018"], "FullyConnectedNet(dropout=...) (2018-2020 starters assign the same functions)"
    if "TwoLayerNet" in found and "dropout_keep_ratio" not in fc_args:
        return PROFILES["cs231n-2018"], "a TwoLayerNet without FullyConnectedNet(dropout_keep_ratio=...)"
    # The template's fc_net.py has both classes; CS231n 2021+ moved TwoLayerNet to assignment 1.
    if template:
        return PROFILES["project"], "the template's layer_checks.py"
    if "TwoLayerNet" in found and found["TwoLayerNet"][0] == fc[0]:
        return PROFILES["project"], "TwoLayerNet next to FullyConnectedNet"
    if "dropout_keep_ratio" in fc_args:
        if "RNN_Captioning_pytorch" in notebooks:
            return PROFILES["cs231n-2025"], "FullyConnectedNet(dropout_keep_ratio=...) and RNN_Captioning_pytorch.ipynb"
        if "TensorFlow" in notebooks:
            return PROFILES["cs231n-2021"], "FullyConnectedNet(dropout_keep_ratio=...) and TensorFlow.ipynb"
        if notebooks:
            return PROFILES["cs231n-2022"], "FullyConnectedNet(dropout_keep_ratio=...) without TensorFlow.ipynb"
        return PROFILES[DEFAULT], "FullyConnectedNet(dropout_keep_ratio=...) (2021-2025 assign the same functions)"
    if "svm_loss" in found or ("layernorm_forward" not in found and "batchnorm_forward" in found):
        return PROFILES["cs231n-2016"], ("no FullyConnectedNet and no other course's signs, but svm_loss or no "
                                         "layernorm: graded as 2016, the year that charges least")
    return PROFILES[DEFAULT], "no TwoLayerNet and no other course's signs"


_DROPOUT_DOC = re.compile(r"p: Dropout parameter\. We (keep|drop) each neuron output with probability p")


def submission_signs(root, packages):
    """What the submission's files say about its course, read before anything is imported: ``template``
    (its main package holds this project's own provided ``layer_checks.py``, which no course's starter has)
    and ``dropout_means`` (``keep`` or ``drop``, as the starter's dropout_forward docstring states it: CS231n
    2016-2017 and older nndl years drop with probability p, later years keep; None when no file says)."""
    root = Path(root)
    main = root / packages[0] if packages and packages[0] else root
    stated = set()
    for package in packages:
        folder = root / package if package else root
        for path in sorted(folder.rglob("*.py") if package else folder.glob("*.py"))[:200]:
            try:
                if path.stat().st_size < 2_000_000:
                    stated.update(_DROPOUT_DOC.findall(path.read_text(encoding="utf-8", errors="replace")))
            except OSError:
                continue
    return {"template": (main / "layer_checks.py").is_file(), "dropout_means": stated.pop() if len(stated) == 1 else None,
            "notebooks": notebook_stems(root)}


def notebook_stems(root):
    """The file stems of the notebooks in ``root`` and the folders under it (two levels, checkpoints skipped)."""
    root = Path(root)
    paths = [*root.glob("*.ipynb"), *root.glob("*/*.ipynb"), *root.parent.glob("*.ipynb")]
    return tuple(sorted({p.stem for p in paths if ".ipynb_checkpoints" not in p.parts}))


def choose(name, packages, manifest, signs=None, scope=(), required=()):
    """The profile a submission is graded under: ``name`` (the config's) or detected, restricted to the
    homeworks in scope and with the config's ``required`` functions, with dropout's convention as the starter
    states it (``signs``: see
    :func:`submission_signs`; ``manifest``: what the child found, with the names of files that do not import)."""
    signs = signs or {}
    found = manifest.found
    if name:
        profile, why = profile_named(name), "set in the course config"
    else:
        profile, why = explain(packages, found, signs.get("template", False), signs.get("notebooks", ()))
        why = f"recognised from {why}"
    profile = replace(profile, recognised=why)
    # A homework's functions count as submitted even when their file does not import: a syntax error in
    # conv_layers.py must cost the homework's points, not take it out of scope.
    defined = set(found).union(*manifest.broken_defines.values())
    profile = profile.scoped(defined, scope, signs.get("notebooks", ())).requiring(required).with_present(defined)
    means = signs.get("dropout_means")
    if means and means != profile.dropout_means:
        profile = replace(profile, dropout_means=means, description=(
            f"{profile.description}; dropout's p is the probability of {means}ing a unit, as the starter's "
            f"dropout_forward docstring says"))
    return profile


def describe_profiles():
    """Plain text for ``autograder profiles``: one block per profile."""
    blocks = []
    for profile in PROFILES.values():
        lines = [f"{profile.name}: {profile.description}",
                 f"  assigns {len(profile.assigned)} functions and classes; dropout p = probability to "
                 f"{profile.dropout_means} a unit (unless the starter's dropout_forward docstring says otherwise)"]
        lines += [f"  homework {h.name}: {h.description}; {len(h.assigns & profile.assigned)} functions"
                  for h in profile.homeworks]
        table = profile.table
        if table is not None:
            lines.append("  learnt from " + learnt_from(table))
            lines += [f"  provided by the starter (never charged): {len(table.provided)} functions; optional helpers "
                      f"(0 points when present): {', '.join(sorted(table.optional)) or 'none'}",
                      f"  notebooks: {', '.join(table.notebooks)}"
                      + "".join(f"; one of {' / '.join(g)}" for g in table.either)
                      + (f"; never counted: {', '.join(table.helpers)}" if table.helpers else ""),
                      *(f"  convention: {c}" for c in sorted(table.conventions))]
            aliases = sorted(a for a, t in ALIASES.items() if t == profile.name and a != profile.name)
            if aliases:
                lines.append(f"  also pinned as {', '.join(aliases)}")
        lines += [f"  {rule} keeps " + ", ".join(f"{ours} as config[{theirs!r}]" for ours, theirs in names.items())
                  for rule, names in profile.state_names.items()]
        lines += [f"  {cls}(" + ", ".join(f"{theirs}=... for {ours}" for ours, theirs in names.items()) + ")"
                  for cls, names in profile.model_keywords.items()]
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + f"\n(default when nothing is detected: {DEFAULT})"


def adapt_inputs(inputs, profile):
    """Translate the catalog's conventions into the course's (pure: returns a new object): dropout's keep
    probability, the names of an update rule's state in its config (the probe renames them back) and the
    constructor keywords of the models (``spec['keyword_names']``, read by the probe that builds the model)."""
    if isinstance(inputs, dict):
        out = {k: adapt_inputs(v, profile) for k, v in inputs.items()}
        if "p" in out and "mode" in out and profile.dropout_means == "drop":
            out["p"] = 1.0 - out["p"]
        if "dropout_keep" in out:
            out["dropout_means"] = profile.dropout_means
        if "config" in out and "w" in out and out.get("target") in profile.state_names:
            out["state_names"] = dict(profile.state_names[out["target"]])
        if "config" in out and "w" in out and "target" in out and profile.conventions:
            out["conventions"] = tuple(sorted(profile.conventions))
        if isinstance(out.get("spec"), dict) and out.get("cls") in profile.model_keywords:
            out["spec"] = {**out["spec"], "keyword_names": dict(profile.model_keywords[out["cls"]])}
        return out
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(adapt_inputs(v, profile) for v in inputs)
    return inputs
