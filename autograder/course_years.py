"""What each course year's real starter assigned, as data: one :class:`CourseYear` per family and year.

Every table was learnt from a public starter or complete solution (``learnt_from``: repository, commit and folder;
read, never copied): a function or class whose body holds the starter's ``YOUR CODE HERE`` / ``TODO`` block is
*assigned*; one the starter ships solved is *provided* (never charged); the helpers the notebooks suggest ("you
might find it useful to define an additional helper layer ...") and that no starter has are *optional* (never
charged when absent; checked for 0 points, as warnings, when present, so every student of a class keeps the same
max_score). Notebooks: ``notebooks`` are the year's graded notebooks, ``either`` groups of which a student does
one (PyTorch.ipynb or TensorFlow.ipynb), ``helpers`` are never counted (collect_submission.ipynb).

Where the CS231n assignment-2 starter changed (all found in the starters' own files):

* 2016: ``FullyConnectedNet(use_batchnorm=...)``, dropout's ``p`` drops a unit, the loss layers are provided,
  layer_utils.py has the affine/conv ReLU sandwiches only; four notebooks.
* 2017: layer_utils.py also provides ``conv_bn_relu_*``; PyTorch.ipynb / TensorFlow.ipynb (either).
* 2018-2020: ``FullyConnectedNet(dropout=..., normalization=...)``, ``p`` keeps a unit, layer and group
  normalization assigned; 2020 adds collect_submission.ipynb.
* 2021-2025: TwoLayerNet moved to assignment 1, ``svm_loss`` gone from assignment 2, ``softmax_loss`` is a stub
  ("copy your assignment 1 solution"), ``FullyConnectedNet(dropout_keep_ratio=...)``; 2022 drops
  TensorFlow.ipynb; 2025 moves FullyConnectedNets.ipynb to assignment 1 and adds RNN_Captioning_pytorch.ipynb.

nndl (UCLA ECE C147/C247) and CS182 (Berkeley) split the work into homeworks; their tables list every homework's
stubs (the homework in scope is decided by :mod:`autograder.profiles`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Source:
    """A public repository a table was learnt from."""

    repo: str
    """``owner/name`` on GitHub."""
    commit: str
    """The commit read (40 hex digits)."""
    folder: str
    """The assignment's folder in that commit."""


@dataclass(frozen=True)
class CourseYear:
    """What one course family's starter of one year (or of identical years) hands out."""

    id: str
    """Profile id (``cs231n-2019``)."""
    family: str
    """``cs231n``, ``nndl`` or ``cs182``."""
    years: tuple
    """The years this starter stands for."""
    assigned: frozenset
    """Functions and classes with a stub to fill in: a missing one is charged."""
    provided: frozenset = frozenset()
    """Functions the starter ships solved: never charged, never graded."""
    optional: frozenset = frozenset()
    """Helpers the notebooks suggest but no starter has: 0-point checks when present, nothing when absent."""
    notebooks: tuple = ()
    """The year's graded notebooks (file stems)."""
    either: tuple = ()
    """Groups of notebooks of which a student does one (the executed one counts)."""
    helpers: tuple = ()
    """Notebooks that are never graded work (collect_submission)."""
    dropout_means: str = "keep"
    """What dropout's ``p`` means in this starter's docstring: ``keep`` or ``drop``."""
    conventions: frozenset = frozenset()
    """Course conventions of the starter (``momentum_adds_gradient``: CS182's ``v = mu * v + dw; w -= lr * v``)."""
    learnt_from: tuple = field(default_factory=tuple)
    """The public starters or complete solutions the table was read from (:class:`Source`)."""


LAYERS_2016 = frozenset((
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "batchnorm_forward", "batchnorm_backward",
    "batchnorm_backward_alt", "dropout_forward", "dropout_backward", "conv_forward_naive", "conv_backward_naive",
    "max_pool_forward_naive", "max_pool_backward_naive", "spatial_batchnorm_forward", "spatial_batchnorm_backward"))
NORMS = frozenset(("layernorm_forward", "layernorm_backward", "spatial_groupnorm_forward",
                   "spatial_groupnorm_backward"))
UPDATES = frozenset(("sgd_momentum", "rmsprop", "adam"))
MODELS = frozenset(("TwoLayerNet", "FullyConnectedNet", "ThreeLayerConvNet"))
LOSSES = frozenset(("svm_loss", "softmax_loss"))
PLAIN_SANDWICHES = frozenset((
    "affine_relu_forward", "affine_relu_backward", "conv_relu_forward", "conv_relu_backward",
    "conv_relu_pool_forward", "conv_relu_pool_backward"))
CONV_BN = frozenset(("conv_bn_relu_forward", "conv_bn_relu_backward"))
AFFINE_NORM = frozenset(("affine_bn_relu_forward", "affine_bn_relu_backward", "affine_ln_relu_forward",
                         "affine_ln_relu_backward"))
FOUR = ("FullyConnectedNets", "BatchNormalization", "Dropout", "ConvolutionalNetworks")

CS231N_2016 = CourseYear(
    "cs231n-2016", "cs231n", (2016,), LAYERS_2016 | UPDATES | MODELS,
    provided=LOSSES | PLAIN_SANDWICHES | {"sgd"}, optional=AFFINE_NORM | CONV_BN, notebooks=FOUR,
    dropout_means="drop",
    learnt_from=(Source("yunjey/cs231n", "03fbaeb8258098a4399cad5d4d6305ae84313e75", "assignment2"),))
CS231N_2017 = replace(
    CS231N_2016, id="cs231n-2017", years=(2017,), provided=CS231N_2016.provided | CONV_BN, optional=AFFINE_NORM,
    notebooks=FOUR + ("PyTorch", "TensorFlow"), either=(("PyTorch", "TensorFlow"),),
    learnt_from=(Source("Burton2000/CS231n-2017", "0a0bd0194d9d4606dc864272823c21dba7b0e0f9", "assignment2"),))
CS231N_2018 = replace(
    CS231N_2017, id="cs231n-2018", years=(2018, 2019), assigned=CS231N_2017.assigned | NORMS, dropout_means="keep",
    learnt_from=(Source("Tianji95/cs231n-2018-spring-solutions", "3e24b25227a0ad8d9fa57b4eb19f9ec9b4ca8583",
                        "assignment2"),
                 Source("zzzhou99/cs231n-2019-assignments", "fa906a66dc18fc44b382953bf0a184ee85752df2", "assignment2")))
CS231N_2020 = replace(
    CS231N_2018, id="cs231n-2020", years=(2020,), helpers=("collect_submission",),
    learnt_from=(Source("Riyuk-04/cs231n-2020-solutions", "0d30031434861f33061901ec5f1e260e63c46394",
                        "assignment2"),))
CS231N_2021 = replace(
    CS231N_2020, id="cs231n-2021", years=(2021,),
    assigned=(CS231N_2020.assigned - {"TwoLayerNet"}) | {"softmax_loss"},
    provided=(CS231N_2020.provided - LOSSES),
    learnt_from=(Source("fqhank/CS231n-2021spring", "6a20016d55b785923b0809ea4b17d3fdcf5cb5e3", "assignment2"),))
CS231N_2022 = replace(
    # Network_Visualization.ipynb is 2022's only (moved from assignment 3; the 2023-2024 starters have no such file,
    # and a table notebook a submission lacks is never charged)
    CS231N_2021, id="cs231n-2022", years=(2022, 2023, 2024), notebooks=FOUR + ("PyTorch", "Network_Visualization"),
    either=(),
    learnt_from=(Source("lkck001/CS231n-2022", "cd4cd3907601c7877eec74cfb3a5e5b6ad4b6717", "assignment2"),
                 Source("xxayt/CS231n-2023-Assignments", "e6fbf276c80c83a948779a106d5f5ae2284949be", "assignment2")))
CS231N_2025 = replace(
    CS231N_2022, id="cs231n-2025", years=(2025,),
    notebooks=("BatchNormalization", "Dropout", "ConvolutionalNetworks", "PyTorch", "RNN_Captioning_pytorch"),
    learnt_from=(Source("Kang-Jay/CS231n-2025", "0d352cb646b02ec81dfba4442926c008160c0b82",
                        "Assignments/assignment2"),))

NNDL = CourseYear(
    # HW3 (layers.py with affine and ReLU, softmax_loss provided, sgd provided), HW4 (updates, batchnorm without
    # the _alt variant, dropout; svm_loss and softmax_loss provided), HW5 (conv_layers.py; layers.py carried over)
    "nndl", "nndl", (),
    frozenset(("affine_forward", "affine_backward", "relu_forward", "relu_backward", "batchnorm_forward",
               "batchnorm_backward", "dropout_forward", "dropout_backward", "conv_forward_naive",
               "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
               "spatial_batchnorm_forward", "spatial_batchnorm_backward")) | UPDATES | MODELS,
    provided=LOSSES | PLAIN_SANDWICHES | {"sgd"}, optional=AFFINE_NORM | CONV_BN | {"batchnorm_backward_alt"},
    notebooks=("FC_nets", "two_layer_nn", "Optimization", "Batch-Normalization", "Dropout", "CNN-Layers",
               "CNN-BatchNorm", "CNN"),
    learnt_from=(Source("krish1925/ECE-147-", "bcb19f07e10c86579fd532ba898efd5ff438d088", "HW3_code"),
                 Source("krish1925/ECE-147-", "bcb19f07e10c86579fd532ba898efd5ff438d088", "HW4_code"),
                 Source("krish1925/ECE-147-", "bcb19f07e10c86579fd532ba898efd5ff438d088", "HW5_code")))

CS182 = CourseYear(
    # hw00 (networks.ipynb: affine, ReLU, the two nets), hw02 (update rules), hw04/hw05 (bn_drop.ipynb, cnn.ipynb);
    # layer_utils.py ships affine_bn_relu and affine_relu_do solved. Momentum adds the raw gradient to v.
    "cs182", "cs182", (2025,), LAYERS_2016 | UPDATES | MODELS,
    provided=LOSSES | PLAIN_SANDWICHES | {"sgd", "affine_bn_relu_forward", "affine_bn_relu_backward"},
    optional=CONV_BN | {"affine_ln_relu_forward", "affine_ln_relu_backward"},
    notebooks=("networks", "hw2_optimizer_init", "bn_drop", "cnn"), helpers=("pytorch_cnn",), dropout_means="drop",
    conventions=frozenset({"momentum_adds_gradient"}),
    learnt_from=(Source("Berkeley-CS182/cs182sp25_public", "71d12bd3de515064f4f866dd20070e98c62bdb4d", "hw00/code"),
                 Source("Berkeley-CS182/cs182sp25_public", "71d12bd3de515064f4f866dd20070e98c62bdb4d",
                        "hw02/q_coding_optimizer_init/code"),
                 Source("Berkeley-CS182/cs182sp25_public", "71d12bd3de515064f4f866dd20070e98c62bdb4d",
                        "hw04/q_coding_bn_drop_cnn/code")))

CS182_2022 = replace(
    # hw1 of spring 2022: the CS231n 2017 notebooks in one homework under deeplearning/ (Pytorch.ipynb), the
    # sandwiches with batch normalization and dropout shipped solved (affine_relu_bn_*, affine_relu_do_*)
    CS182, id="cs182-2022", years=(2022,), provided=LOSSES | PLAIN_SANDWICHES | {"sgd"},
    optional=AFFINE_NORM | CONV_BN, notebooks=FOUR + ("Pytorch",), helpers=(),
    learnt_from=(Source("cs182sp22/cs182_hw1_student", "532214bea27322b1201656ded21fe73de15f34c6", "."),))

TABLES = {t.id: t for t in (CS231N_2016, CS231N_2017, CS231N_2018, CS231N_2020, CS231N_2021, CS231N_2022,
                            CS231N_2025, NNDL, CS182, CS182_2022)}
"""Every table by id."""

ALIASES = {f"{t.family}-{year}": t.id for t in TABLES.values() if t.family == "cs231n" for year in t.years}
"""``cs231n-2019`` -> ``cs231n-2018``: a year whose starter equals an earlier year's table."""


def table_for(name):
    """The table of a profile name or year alias (``cs231n-2019``), or None."""
    return TABLES.get(ALIASES.get(name, name))
