# Source of Dropout.ipynb (percent format; `autograder template build` writes the notebook).

# %% [markdown]
# # Dropout
# Dropout [1] is a technique for regularizing neural networks by randomly setting some output activations to
# zero during the forward pass. In this exercise, you will implement a dropout layer and modify your
# fully connected network to optionally use dropout.
#
# [1] [Geoffrey E. Hinton et al, "Improving neural networks by preventing co-adaptation of feature
# detectors", arXiv 2012](https://arxiv.org/abs/1207.0580)

# %%
# Setup cell.
import os
import time

import matplotlib.pyplot as plt
import numpy as np

from cs231n.classifiers.fc_net import *
from cs231n.data_utils import get_CIFAR10_data, get_digits_data
from cs231n.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array
from cs231n.layers import *
from cs231n.solver import Solver

# %matplotlib inline
plt.rcParams["figure.figsize"] = (10.0, 8.0)  # Set default size of plots.
plt.rcParams["image.interpolation"] = "nearest"
plt.rcParams["image.cmap"] = "gray"

# Reload the cs231n modules when you edit them (see https://stackoverflow.com/questions/1907993).
# %load_ext autoreload
# %autoreload 2

# CS231N_QUICK=1 makes every training cell short, to check that the notebook runs (see README.md).
QUICK = os.environ.get("CS231N_QUICK") == "1"


def rel_error(x, y):
    """Returns relative error."""
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


# %%
# Load the (preprocessed) CIFAR-10 data; without it, the shipped digits in the same layout.
try:
    data = get_CIFAR10_data()
except FileNotFoundError as error:
    print(error)
    print("CIFAR-10 is not available, so this notebook uses the offline digits data instead "
          "(3x32x32 images of handwritten digits, 10 classes): accuracies differ from CIFAR-10's.")
    data = get_digits_data()
if QUICK:
    data = {k: v[:200] if k.endswith("_train") else v[:100] for k, v in data.items()}
for k, v in list(data.items()):
    print(f"{k}: {v.shape}")

# %% [markdown]
# # Dropout: forward
# In the file `cs231n/layers.py`, implement the forward pass for dropout. Since dropout behaves differently
# during training and testing, make sure to implement the operation for both modes.
#
# Once you have done so, run the cell below to test your implementation.

# %%
np.random.seed(231)
x = np.random.randn(500, 500) + 10

for p in [0.25, 0.4, 0.7]:
    out, _ = dropout_forward(x, {"mode": "train", "p": p})
    out_test, _ = dropout_forward(x, {"mode": "test", "p": p})

    print("Running tests with p = ", p)
    print("Mean of input: ", x.mean())
    print("Mean of train-time output: ", out.mean())
    print("Mean of test-time output: ", out_test.mean())
    print("Fraction of train-time output set to zero: ", (out == 0).mean())
    print("Fraction of test-time output set to zero: ", (out_test == 0).mean())
    print()

# %% [markdown]
# # Dropout: backward
# In the file `cs231n/layers.py`, implement the backward pass for dropout. After doing so, run the following
# cell to numerically gradient-check your implementation.

# %%
np.random.seed(231)
x = np.random.randn(10, 10) + 10
dout = np.random.randn(*x.shape)

dropout_param = {"mode": "train", "p": 0.2, "seed": 123}
out, cache = dropout_forward(x, dropout_param)
dx = dropout_backward(dout, cache)
dx_num = eval_numerical_gradient_array(lambda xx: dropout_forward(xx, dropout_param)[0], x, dout)

# Error should be around e-10 or less.
print("dx relative error: ", rel_error(dx, dx_num))

# %% [markdown]
# ## Inline Question 1:
# What happens if we do not divide the values being passed through inverse dropout by `p` in the dropout
# layer? Why does that happen?
#
# ## Answer:
# *Fill this in.*

# %% [markdown]
# # Fully connected networks with dropout
# In the file `cs231n/classifiers/fc_net.py`, modify your implementation to use dropout. Specifically, if the
# constructor of the network receives a value that is not 1 for the `dropout_keep_ratio` parameter, then the
# net should add a dropout layer immediately after every ReLU nonlinearity. After doing so, run the following
# to numerically gradient-check your implementation.

# %%
np.random.seed(231)
N, D, H1, H2, C = 2, 15, 20, 30, 10
X = np.random.randn(N, D)
y = np.random.randint(C, size=(N,))

for dropout_keep_ratio in [1, 0.75, 0.5]:
    print("Running check with dropout = ", dropout_keep_ratio)
    model = FullyConnectedNet(
        [H1, H2],
        input_dim=D,
        num_classes=C,
        weight_scale=5e-2,
        dtype=np.float64,
        dropout_keep_ratio=dropout_keep_ratio,
        seed=123
    )

    loss, grads = model.loss(X, y)
    print("Initial loss: ", loss)

    # Relative errors should be around e-6 or less.
    # Note that it's fine if for dropout_keep_ratio=1 you have W2 error be on the order of e-5.
    for name in sorted(grads):
        f = lambda _: model.loss(X, y)[0]
        grad_num = eval_numerical_gradient(f, model.params[name], verbose=False, h=1e-5)
        print("%s relative error: %.2e" % (name, rel_error(grad_num, grads[name])))
    print()

# %% [markdown]
# # Regularization experiment
# As an experiment, we will train a pair of two-layer networks on 500 training examples: one will use no
# dropout, and one will use a keep probability of 0.25. We will then visualize the training and validation
# accuracies of the two networks over time.

# %%
# Train two identical nets, one with dropout and one without.
np.random.seed(231)
num_train = 500
small_data = {
    "X_train": data["X_train"][:num_train],
    "y_train": data["y_train"][:num_train],
    "X_val": data["X_val"],
    "y_val": data["y_val"],
}

solvers = {}
dropout_choices = [1, 0.25]
for dropout_keep_ratio in dropout_choices:
    model = FullyConnectedNet(
        [500],
        dropout_keep_ratio=dropout_keep_ratio
    )
    print(dropout_keep_ratio)

    solver = Solver(
        model,
        small_data,
        num_epochs=2 if QUICK else 25,
        batch_size=100,
        update_rule="adam",
        optim_config={"learning_rate": 5e-4},
        verbose=True,
        print_every=100
    )
    solver.train()
    solvers[dropout_keep_ratio] = solver
    print()

# %%
# Plot train and validation accuracies of the two models.
train_accs = []
val_accs = []
for dropout_keep_ratio in dropout_choices:
    solver = solvers[dropout_keep_ratio]
    train_accs.append(solver.train_acc_history[-1])
    val_accs.append(solver.val_acc_history[-1])

plt.subplot(3, 1, 1)
for dropout_keep_ratio in dropout_choices:
    plt.plot(
        solvers[dropout_keep_ratio].train_acc_history, "o", label="%.2f dropout_keep_ratio" % dropout_keep_ratio)
plt.title("Train accuracy")
plt.xlabel("Epoch")
plt.ylabel("Accuracy")
plt.legend(ncol=2, loc="lower right")

plt.subplot(3, 1, 2)
for dropout_keep_ratio in dropout_choices:
    plt.plot(
        solvers[dropout_keep_ratio].val_acc_history, "o", label="%.2f dropout_keep_ratio" % dropout_keep_ratio)
plt.title("Val accuracy")
plt.xlabel("Epoch")
plt.ylabel("Accuracy")
plt.legend(ncol=2, loc="lower right")

plt.gcf().set_size_inches(15, 15)
plt.show()

# %% [markdown]
# ## Inline Question 2:
# Compare the validation and training accuracies with and without dropout -- what do your results suggest
# about dropout as a regularizer?
#
# ## Answer:
# *Fill this in.*

# %% [markdown]
# ## Inline Question 3:
# Suppose we are training a deep fully connected network for image classification, with dropout after hidden
# layers (parameterized by keep probability p). If we are concerned about overfitting, how should we modify p
# (if at all) when we decide to decrease the size of the hidden layers (that is, the number of nodes in each
# layer)?
#
# ## Answer:
# *Fill this in.*
