"""What the notebooks' test cells print and what each printed number must be: one declarative entry per kind
of printed result, with the text the notebook states and the seed notebooks it came from.

A :class:`Rule` finds its test cell by a regular expression on the cell's source (usually the header the cell
prints, ``Testing affine_backward function:``), then reads its :class:`Value` lines from the cell's printed
output (``dx error:  9.88e-10``), in the output section that starts with ``block`` when one is given. Sections
start at lines beginning with ``Testing``, ``Running``, ``After`` or ``Before``, so the two blocks of the
``svm_loss`` / ``softmax_loss`` cell, or the ``reg = 0`` and ``reg = 3.14`` blocks of a gradient check, are
told apart.

Thresholds. The notebooks state an order of magnitude ("The error should be around 1e-10", "less than 1e-10",
"on the order of e-12"); correct code routinely prints up to ten times more than stated (seed 000 states
"less than 1e-10" for affine_backward and prints 9.9e-10; seed 001 states "around 1e-8" for conv_relu_pool and
prints 2.7e-08), while a wrong gradient prints 1e-3 to 1. So an error passes below **100 times** the stated
order (:func:`around`). Losses "about 2.3" pass within a stated tolerance of the expected value (log 10 =
2.3026 for 10 classes), accuracies "at least 50%" pass at that value.

Seeds: ``000`` CS231n 2020 layers, ``001`` UCLA nndl 2025 CNN-Layers, ``002`` cs260 2022
ConvolutionalNetworks, ``003`` libs 2019 FullyConnectedNets (``/work/shared/seeds``); ``template``: the
course's own notebooks (``reference/notebooks/*.py``, CS231n 2021 layout).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

NUM = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)"
"""A printed number (``9.88e-10``, ``2.3``, ``0.``, ``nan``)."""
SECTION = re.compile(r"^\s*(?:Testing|Running|After|Before)\b")
"""A printed line that starts a new section of a cell's output."""
LOG_10 = math.log(10)
"""The initial softmax loss for 10 classes with small random weights: log(10) = 2.3026."""


def as_float(text):
    """A printed number as a float (NaN when it is not one)."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def label_value(lines, label):
    """The first number printed as ``<label>: <number>`` in ``lines`` (None when absent)."""
    pattern = re.compile(rf"^\s*{label}\s*:\s*({NUM})\s*$", re.I)
    for line in lines:
        match = pattern.match(line)
        if match:
            return as_float(match.group(1))
    return None


@dataclass(frozen=True)
class Below:
    """An error or difference: passes when strictly below ``limit``."""

    limit: float

    def check(self, value, section):
        return value < self.limit

    def describe(self):
        return f"below {self.limit:g}"

    def agree(self, a, b, exact=False):
        """Two printed errors agree when on the same side of the limit and within a factor of 10 (``exact``:
        values that reproduce up to rounding) or 1000 (numerical gradients, whose rounding noise differs between
        machines); values below the limit / 10^4 count as equal."""
        if self.check(a, ()) != self.check(b, ()) or math.isnan(a) != math.isnan(b):
            return False
        floor = self.limit * 1e-4
        decades = 1.0 if exact else 3.0
        return math.isnan(a) or abs(math.log10(max(abs(a), floor)) - math.log10(max(abs(b), floor))) <= decades


@dataclass(frozen=True)
class Near:
    """A value the notebook says should be about ``target``: passes within ``tol``."""

    target: float
    tol: float

    def check(self, value, section):
        return abs(value - self.target) <= self.tol

    def describe(self):
        return f"within {self.tol:g} of {self.target:.5g}" if self.tol else f"equal to {self.target:g}"

    def agree(self, a, b, exact=False):
        return self.check(a, ()) == self.check(b, ()) and abs(a - b) <= max(self.tol / 10, 1e-9 * abs(b))


@dataclass(frozen=True)
class AtLeast:
    """An accuracy the notebook asks for: passes at ``value`` or more."""

    value: float

    def check(self, value, section):
        return value >= self.value - 1e-12

    def describe(self):
        return f"at least {self.value:g}"

    def agree(self, a, b, exact=False):
        return self.check(a, ()) == self.check(b, ()) and abs(a - b) <= 1e-6


@dataclass(frozen=True)
class Above:
    """Larger than another value printed in the same section (``other`` is its label pattern)."""

    other: str
    other_name: str

    def check(self, value, section):
        other = label_value(section, self.other)
        return other is not None and value > other

    def describe(self):
        return f"above the {self.other_name}"

    def agree(self, a, b, exact=False):
        return abs(a - b) <= 1e-6 * max(1.0, abs(b))


@dataclass(frozen=True)
class NearOther:
    """Within a relative tolerance of another value printed in the same section."""

    other: str
    other_name: str
    rtol: float

    def check(self, value, section):
        other = label_value(section, self.other)
        return other is not None and abs(value - other) <= self.rtol * abs(other)

    def describe(self):
        if self.rtol <= 1e-6:
            return f"equal to the {self.other_name}"
        return f"within {100 * self.rtol:g}% of the {self.other_name}"

    def agree(self, a, b, exact=False):
        return abs(a - b) <= 1e-3 * max(1.0, abs(b))


@dataclass(frozen=True)
class Value:
    """One kind of printed number in a test cell's output."""

    name: str
    """What it is, as it appears in the check's name (``dx error``)."""
    pattern: str
    """Regular expression on one output line: group ``v`` the number (or ``a`` the start of a printed array),
    optional group ``k`` a key (the parameter ``W1`` of ``W1 relative error: 1.2e-08``)."""
    judge: object
    """:class:`Below`, :class:`Near`, :class:`AtLeast`, :class:`Above` or :class:`NearOther`."""
    aggregate: str = "each"
    """``each``: every printed occurrence must pass; ``max``: the largest; ``last``: the last one."""
    array: bool = False
    """The value is a printed numpy array (``means: [ 1.1e-16 -2.2e-17]``); every element must pass."""

    def regex(self):
        return re.compile(self.pattern, re.I)


def around(order):
    """The notebook says the error should be around (or less than, or on the order of) ``order``."""
    return Below(order * 100)


def printed(label, judge, name=None, aggregate="each"):
    """A ``<label>: <number>`` line."""
    return Value(name or label.replace("\\", ""), rf"^\s*{label}\s*:\s*(?P<v>{NUM})\s*$", judge, aggregate)


def errors(key, judge, name="relative errors"):
    """``<key> relative error: <number>`` lines of a gradient check (``W1 relative error: 1.22e-08``)."""
    return Value(name, rf"^\s*(?P<k>{key})\s+(?:max\s+)?relative\s+error\s*:\s*(?P<v>{NUM})\s*$", judge)


def array(label, judge, name=None):
    """A ``<label>: [n1 n2 ...]`` line (the array may continue on the next lines)."""
    return Value(name or label, rf"^\s*{label}\s*:\s*(?P<a>\[.*)$", judge, array=True)


def accuracy(which, judge, aggregate):
    """The Solver's ``(Epoch 1 / 10) train acc: 0.16; val_acc: 0.12`` lines (both CS231n formats)."""
    label = "train acc" if which == "train" else "val_acc"
    name = "training accuracy" if which == "train" else "validation accuracy"
    return Value(f"{'best' if aggregate == 'max' else 'final'} {name}",
                 rf"\b{label.replace(' ', r'[ _]')}\s*:\s*(?P<v>{NUM})", judge, aggregate)


def grad_errors(gradients, limit):
    """``dx error: <number>`` lines, one per gradient name, each below ``limit``."""
    return tuple(printed(f"{g} error", Below(limit)) for g in gradients)


@dataclass(frozen=True)
class Rule:
    """One kind of test cell and the printed values it must show."""

    id: str
    """Stable id; a key of ``[notebooks.points]``."""
    title: str
    """What the cell tests, the start of the check's name (``affine_backward``)."""
    source: str
    """Regular expression searched in a code cell's source: the cell is this test cell."""
    values: tuple
    """The printed :class:`Value` entries."""
    stated: str
    """What the notebook says the values should be."""
    seeds: str
    """Where this entry comes from."""
    block: str | None = None
    """Regular expression on the output line that opens this rule's section (None: the whole output)."""
    exclude: str | None = None
    """Regular expression; a cell whose source matches it is not this test cell."""
    fixed_inputs: bool = False
    """The cell's inputs are fixed (``np.linspace``), so it prints the same on every run; other cells are
    deterministic only when they seed numpy themselves (``np.random.seed(231)``) before drawing."""
    exact: bool = False
    """The printed values reproduce up to rounding on any machine (no numerical gradient): compared tightly."""
    compare: bool = True
    """Compare with a re-execution (False for training, data- and quick-rule-dependent, and for checks whose
    printed values are rounding noise)."""
    notebooks: tuple = ()
    """The course's notebooks (file stems) that contain this test cell: missing there, it fails."""

    def matches(self, source: str) -> bool:
        if not re.search(self.source, source):
            return False
        return not (self.exclude and re.search(self.exclude, source))


def _header(text):
    """The header a test cell prints, as a pattern for both its source and its output."""
    return rf"Testing {text}\b"


FC, BN, DROP, CNN = "FullyConnectedNets", "BatchNormalization", "Dropout", "ConvolutionalNetworks"
NOT_NORM_OR_DROPOUT = r"normalization\s*=|use_batchnorm|dropout"

RULES = (
    # FullyConnectedNets: layers, losses, the two-layer net, the solver, deep nets, update rules.
    Rule("affine_forward", "affine_forward", _header("affine_forward"), (printed("difference", around(1e-9)),),
         "The error should be around 1e-9 (template: around e-9 or less)", "000, 003, template",
         block=_header("affine_forward"), fixed_inputs=True, exact=True, notebooks=(FC,)),
    Rule("affine_backward", "affine_backward", _header("affine_backward"), grad_errors(("dx", "dw", "db"), 1e-8),
         "The error should be around 1e-10 / less than 1e-10 (template: around e-10 or less)",
         "000 (prints dx error 9.9e-10), 003, template", block=_header("affine_backward"), notebooks=(FC,)),
    Rule("relu_forward", "relu_forward", _header("relu_forward"), (printed("difference", around(1e-8)),),
         "The error should be around 1e-8 (on the order of e-8)", "000 (prints 5.0e-08), 003, template",
         block=_header("relu_forward"), fixed_inputs=True, exact=True, notebooks=(FC,)),
    Rule("relu_backward", "relu_backward", _header("relu_backward"), grad_errors(("dx",), 1e-10),
         "The error should be around 1e-12 (on the order of e-12)", "003 (prints 3.3e-12), template",
         block=_header("relu_backward"), notebooks=(FC,)),
    Rule("affine_relu", "affine_relu_forward/backward", _header("affine_relu_forward"),
         grad_errors(("dx", "dw", "db"), 1e-8), "Relative error should be around e-10 or less",
         "000, 003 (print 1.7e-10 and 2.5e-10), template", block=_header("affine_relu_forward"), notebooks=(FC,)),
    Rule("svm_loss", "svm_loss", _header("svm_loss"),
         (printed("loss", Near(9.0, 0.1)), printed("dx error", around(1e-9))),
         "Loss should be around 9 and dx error should be around the order of e-9",
         "000 (prints 8.9986, 3.0e-09), template", block=_header("svm_loss"), notebooks=(FC,)),
    Rule("softmax_loss", "softmax_loss", r"Testing softmax[_ ]loss\b",
         (printed("loss", Near(LOG_10, 0.05)), printed("dx error", around(1e-8))),
         "Loss should be close to 2.3 and dx error should be around e-8", "000, 003 (print 2.3025, 8.3e-09), template",
         block=r"Testing softmax[_ ]loss\b", notebooks=(FC,)),
    Rule("two_layer_net_gradients", "TwoLayerNet gradient check", r"Running numeric gradient check with reg",
         (errors(r"[Wb]\d+", around(1e-7)),), "Errors should be around e-7 or less",
         "003 (prints up to 3.1e-07), template", fixed_inputs=True, notebooks=(FC,)),
    Rule("two_layer_net_solver", "TwoLayerNet with Solver", r"(?s)(?=.*\bTwoLayerNet\()(?=.*\bSolver\()",
         (accuracy("val", AtLeast(0.5), "max"),),
         "use a Solver instance to train a TwoLayerNet that achieves at least 50% accuracy on the validation set",
         "003 (val_acc 0.512), template", compare=False, notebooks=(FC,)),
    Rule("fc_net_initial_loss", "FullyConnectedNet",
         r"(?s)(?=.*Running check with reg)(?=.*\bFullyConnectedNet\()",
         (printed("Initial loss", Near(LOG_10, 0.1), name="initial loss (reg = 0)"),),
         "check the initial loss ... Do the initial losses seem reasonable? (log 10 = 2.3 for 10 classes)",
         "003 (prints 2.3017), template", block=r"Running check with reg\s*=\s*0(?:\.0*)?\s*$",
         exclude=NOT_NORM_OR_DROPOUT, notebooks=(FC,)),
    Rule("fc_net_gradients", "FullyConnectedNet gradient check",
         r"(?s)(?=.*Running check with reg)(?=.*\bFullyConnectedNet\()", (errors(r"[Wb]\d+", around(1e-5)),),
         "errors around 1e-6 or less (template: e-7 or smaller, W2 on the order of e-5 for reg = 0)",
         "003 (prints up to 2.3e-06), template", exclude=NOT_NORM_OR_DROPOUT, notebooks=(FC,)),
    Rule("overfit_three_layer", "three-layer net on 50 examples",
         r"(?s)(?=.*FullyConnectedNet\(\s*\[\s*100\s*,\s*100\s*\])(?=.*\bSolver\()",
         (accuracy("train", AtLeast(1.0), "max"),), "achieve 100% training accuracy within 20 epochs",
         "003, template", compare=False, notebooks=(FC,)),
    Rule("overfit_five_layer", "five-layer net on 50 examples",
         r"(?s)(?=.*FullyConnectedNet\(\s*\[\s*100\s*,\s*100\s*,\s*100\s*,\s*100\s*\])(?=.*\bSolver\()",
         (accuracy("train", AtLeast(1.0), "max"),), "achieve 100% training accuracy within 20 epochs",
         "template", compare=False, notebooks=(FC,)),
    Rule("sgd_momentum", "sgd_momentum", r"\bexpected_velocity\b",
         (printed("next_w error", around(1e-8)), printed("velocity error", around(1e-8))),
         "You should see errors less than e-8", "template", fixed_inputs=True, exact=True, notebooks=(FC,)),
    Rule("rmsprop", "rmsprop", r"\bexpected_cache\b",
         (printed("next_w error", around(1e-7)), printed("cache error", around(1e-7))),
         "You should see relative errors around e-7 or less", "template", fixed_inputs=True, exact=True,
         notebooks=(FC,)),
    Rule("adam", "adam", r"\bexpected_m\b",
         (printed("next_w error", around(1e-7)), printed("v error", around(1e-7)), printed("m error", around(1e-7))),
         "You should see relative errors around e-7 or less", "template", fixed_inputs=True, exact=True,
         notebooks=(FC,)),
    Rule("best_model", "best fully connected model", r"Validation set accuracy",
         (printed("Validation set accuracy", AtLeast(0.5), name="validation accuracy"),),
         "You should achieve at least 50% accuracy on the validation set", "template", compare=False,
         notebooks=(FC,)),
    # BatchNormalization: batch and layer normalization, the normalized fully connected net.
    Rule("batchnorm_forward", "batchnorm_forward (train)", r"After batch normalization \(gamma=1, beta=0\)",
         (array("means", Near(0.0, 1e-4)), array("stds", Near(1.0, 1e-3))),
         "Means should be close to zero and stds close to one", "template",
         block=r"After batch normalization \(gamma=1, beta=0\)", notebooks=(BN,)),
    Rule("batchnorm_test", "batchnorm_forward (test)", r"After batch normalization \(test-time\)",
         (array("means", Near(0.0, 0.2)), array("stds", Near(1.0, 0.2))),
         "Means should be close to zero and stds close to one, but will be noisier than training-time forward "
         "passes", "template", block=r"After batch normalization \(test-time\)", notebooks=(BN,)),
    Rule("batchnorm_backward", "batchnorm_backward", r"\bbatchnorm_backward\(",
         grad_errors(("dx", "dgamma", "dbeta"), 1e-6), "You should expect to see relative errors between 1e-13 "
         "and 1e-8", "template", exclude=r"batchnorm_backward_alt\(", notebooks=(BN,)),
    Rule("batchnorm_backward_alt", "batchnorm_backward_alt", r"\bbatchnorm_backward_alt\(",
         tuple(printed(f"{g} difference", around(1e-10)) for g in ("dx", "dgamma", "dbeta")),
         "The two implementations should compute nearly identical results", "template", notebooks=(BN,)),
    Rule("batchnorm_net_gradients", "FullyConnectedNet with batchnorm gradient check",
         r"(?s)(?=.*Running check with reg)(?=.*normalization\s*=\s*['\"]batchnorm)",
         (errors(r"W\d+", Below(1e-2), "W relative errors"), errors(r"b\d+", Below(1e-6), "b relative errors"),
          errors(r"(?:gamma|beta)\d+", Below(1e-1), "gamma/beta relative errors")),
         "You should expect losses between 1e-4~1e-10 for W, losses between 1e-08~1e-10 for b, and losses "
         "between 1e-08~1e-09 for beta and gammas", "template", notebooks=(BN,)),
    Rule("layernorm_forward", "layernorm_forward", r"After layer normalization \(gamma=1, beta=0\)",
         (array("means", Near(0.0, 1e-4)), array("stds", Near(1.0, 1e-3))),
         "Means should be close to zero and stds close to one", "template",
         block=r"After layer normalization \(gamma=1, beta=0\)", notebooks=(BN,)),
    Rule("layernorm_backward", "layernorm_backward", r"\blayernorm_backward\(",
         grad_errors(("dx", "dgamma", "dbeta"), 1e-6), "You should expect to see relative errors between 1e-12 "
         "and 1e-8", "template", notebooks=(BN,)),
    # Dropout.
    Rule("dropout_forward", "dropout_forward", r"Running tests with p\s*=",
         (printed("Mean of train-time output", NearOther("Mean of input", "input mean", 0.05), name="train-time mean"),
          printed("Mean of test-time output", NearOther("Mean of input", "input mean", 1e-6), name="test-time mean"),
          printed("Fraction of test-time output set to zero", Near(0.0, 0.0), name="test-time fraction of zeros")),
         "the train-time output keeps the input's mean (inverted dropout); test time is the identity",
         "template", notebooks=(DROP,)),
    Rule("dropout_backward", "dropout_backward", r"dx relative error",
         (printed("dx relative error", around(1e-10)),), "Error should be around e-10 or less", "template",
         notebooks=(DROP,)),
    Rule("dropout_net_gradients", "FullyConnectedNet with dropout gradient check", r"Running check with dropout",
         (printed("Initial loss", Near(LOG_10, 0.1), name="initial loss"), errors(r"[Wb]\d+", around(1e-6))),
         "Relative errors should be around e-6 or less", "template", notebooks=(DROP,)),
    # ConvolutionalNetworks: naive and fast layers, sandwiches, the three-layer net, spatial normalization.
    Rule("conv_forward_naive", "conv_forward_naive", _header("conv_forward_naive"),
         (printed("difference", around(1e-8)),), "difference should be around 1e-8 (e-8)",
         "000, 001, 002 (print 2.2e-08), template", block=_header("conv_forward_naive"), fixed_inputs=True,
         exact=True, notebooks=(CNN,)),
    Rule("conv_backward_naive", "conv_backward_naive", _header("conv_backward_naive"),
         grad_errors(("dx", "dw", "db"), 1e-6), "Your errors should be around 1e-9 (template: e-8 or less)",
         "000, 001 (print up to 1.5e-09), template", block=_header("conv_backward_naive"), notebooks=(CNN,)),
    Rule("max_pool_forward_naive", "max_pool_forward_naive", r"Testing max[_ ]pool[_ ]forward[_ ]naive\b",
         (printed("difference", around(1e-8)),), "Difference should be around 1e-8 (on the order of e-8)",
         "000, 001, 002 (print 4.2e-08), template", block=r"Testing max[_ ]pool[_ ]forward[_ ]naive\b",
         fixed_inputs=True, exact=True, notebooks=(CNN,)),
    Rule("max_pool_backward_naive", "max_pool_backward_naive", r"Testing max[_ ]pool[_ ]backward[_ ]naive\b",
         grad_errors(("dx",), 1e-10), "Your error should be around 1e-12 (on the order of e-12)",
         "000, 001 (print 3.3e-12), template", block=r"Testing max[_ ]pool[_ ]backward[_ ]naive\b",
         notebooks=(CNN,)),
    Rule("conv_forward_fast", "conv_forward_fast", _header("conv_forward_fast"),
         (printed("Difference", around(1e-9), name="difference"),), "Rel errors should be around e-9 or less",
         "000, 001, 002 (print 1.4e-11 to 2.4e-11), template", block=_header("conv_forward_fast"),
         notebooks=(CNN,)),
    Rule("conv_backward_fast", "conv_backward_fast", _header("conv_backward_fast"),
         tuple(printed(f"{g} difference", around(1e-9)) for g in ("dx", "dw", "db")),
         "Rel errors should be around e-9 or less", "000, 001, 002 (002 prints dw difference: 1.0), template",
         block=_header("conv_backward_fast"), notebooks=(CNN,)),
    Rule("max_pool_forward_fast", "max_pool_forward_fast", _header("pool_forward_fast"),
         (printed("difference", Below(1e-10)),), "Relative errors should be close to 0.0",
         "000, 001, 002 (print 0.0), template", block=_header("pool_forward_fast"), notebooks=(CNN,)),
    Rule("max_pool_backward_fast", "max_pool_backward_fast", _header("pool_backward_fast"),
         (printed("dx difference", Below(1e-10)),), "Relative errors should be close to 0.0",
         "000, 001, 002 (print 0.0), template", block=_header("pool_backward_fast"), notebooks=(CNN,)),
    Rule("conv_relu_pool", "conv_relu_pool_forward/backward", _header("conv_relu_pool"),
         grad_errors(("dx", "dw", "db"), 1e-6), "Relative errors should be around e-8 or less",
         "000, 001 (prints dw error 2.7e-08), 002, template", block=_header("conv_relu_pool"), notebooks=(CNN,)),
    Rule("conv_relu", "conv_relu_forward/backward", r"Testing conv_relu(?:_forward)?\b",
         grad_errors(("dx", "dw", "db"), 1e-6), "Relative errors should be around e-8 or less",
         "000, 001, 002 (print up to 8.9e-09), template", block=r"Testing conv_relu(?:_forward)?\b",
         notebooks=(CNN,)),
    Rule("cnn_initial_loss", "ThreeLayerConvNet", r"Initial loss \(no regularization\)",
         (printed(r"Initial loss \(no regularization\)", Near(LOG_10, 0.1),
                  name="initial loss without regularization"),
          printed(r"Initial loss \(with regularization\)",
                  Above(r"Initial loss \(no regularization\)", "loss without regularization"),
                  name="initial loss with regularization")),
         "we expect the loss for random weights (and no regularization) to be about log(C) for C classes. When "
         "we add regularization the loss should go up slightly", "002 (prints 2.3026, 2.5092), template",
         notebooks=(CNN,)),
    Rule("cnn_gradients", "ThreeLayerConvNet gradient check", r"max relative error",
         (errors(r"\w+", Below(1.0), "max relative errors"),),
         "correct implementations may still have relative errors up to the order of e-1",
         "002 (prints W1 3.7e-01 where the reference prints 1.4e-04: rounding noise, so never compared)",
         compare=False, notebooks=(CNN,)),
    Rule("cnn_one_epoch", "ThreeLayerConvNet trained one epoch",
         r"(?s)(?=.*\bThreeLayerConvNet\()(?=.*num_epochs\s*=\s*1\b)", (accuracy("train", AtLeast(0.4), "last"),),
         "By training the three-layer convolutional network for one epoch, you should achieve greater than 40% "
         "accuracy on the training set", "002 (train acc 0.449), template", compare=False, notebooks=(CNN,)),
    Rule("spatial_batchnorm_forward", "spatial_batchnorm_forward (train)", r"After spatial batch normalization:",
         (array("means", Near(0.0, 1e-4)), array("stds", Near(1.0, 1e-3))),
         "Means should be close to zero and stds close to one", "002 (prints stds 0.99999974), template",
         block=r"After spatial batch normalization:", notebooks=(CNN,)),
    Rule("spatial_batchnorm_test", "spatial_batchnorm_forward (test)",
         r"After spatial batch normalization \(test-time\)",
         (array("means", Near(0.0, 0.2)), array("stds", Near(1.0, 0.2))),
         "Means should be close to zero and stds close to one, but will be noisier than training-time forward "
         "passes", "002 (prints means up to 0.089, stds 0.989 to 1.016), template",
         block=r"After spatial batch normalization \(test-time\)", notebooks=(CNN,)),
    Rule("spatial_batchnorm_backward", "spatial_batchnorm_backward", r"\bspatial_batchnorm_backward\(",
         grad_errors(("dx", "dgamma", "dbeta"), 1e-4), "You should expect errors of magnitudes between 1e-12 "
         "and 1e-06", "template", notebooks=(CNN,)),
    Rule("spatial_groupnorm_forward", "spatial_groupnorm_forward", r"After spatial group normalization:",
         (array("means", Near(0.0, 1e-4)), array("stds", Near(1.0, 1e-3))),
         "Means should be close to zero and stds close to one", "template",
         block=r"After spatial group normalization:", notebooks=(CNN,)),
    Rule("spatial_groupnorm_backward", "spatial_groupnorm_backward", r"\bspatial_groupnorm_backward\(",
         grad_errors(("dx", "dgamma", "dbeta"), 1e-5), "You should expect errors of magnitudes between 1e-12 "
         "and 1e-07", "template", notebooks=(CNN,)),
)
"""Every rule; ids are unique."""

RULES_BY_ID = {rule.id: rule for rule in RULES}
assert len(RULES_BY_ID) == len(RULES), "rule ids must be unique"
