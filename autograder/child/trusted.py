"""Trusted layers in the child that checks models and sandwich layers over them (credit isolation).

The grader stages the reference's layer modules (layers, layer_utils, fast_layers, optim and what they import)
in this child's scratch folder under a private package name, and nothing else of the reference. They are
imported before the student's code. For each request that asks for it, every name of a trusted layer that a
student module holds (``from ..layers import *`` binds ``affine_forward`` in fc_net's namespace; ``import
layers as L`` reads it from the layers module) is rebound to the trusted function while the probe runs, and put
back afterwards. Only the functions the rubric grades are swapped (``graded``): a layer carried over from an
earlier homework, or one the course provides, runs as submitted. The functions under test (``keep``: the model, or the sandwich's forward and backward) stay
the student's.
"""
import contextlib
import importlib
import inspect

MODULES = ("layers", "fast_layers", "layer_utils", "optim")


class TrustedLayers:
    """The trusted layer functions, by name, and the means to swap them into a submission's modules."""

    def __init__(self, package, dropout_means="keep", graded=None):
        self.functions = {}
        for name in MODULES:
            module = importlib.import_module(f"{package}.{name}")
            for attr, obj in vars(module).items():
                if not attr.startswith("_") and inspect.isfunction(obj) and obj.__module__ == module.__name__:
                    self.functions[attr] = obj
        if graded is not None:  # only what this rubric grades: earlier homeworks' and provided code run as submitted
            self.functions = {name: fn for name, fn in self.functions.items() if name in graded}
        if dropout_means == "drop" and "dropout_forward" in self.functions:
            self.functions["dropout_forward"] = _dropping(self.functions["dropout_forward"])

    @contextlib.contextmanager
    def swapped(self, modules, api, keep=()):
        """While the block runs, the student's modules see the trusted layers; yields the api to probe with."""
        keep = set(keep)
        chosen = {name: fn for name, fn in self.functions.items() if name not in keep}
        saved = []
        try:
            for module in modules:
                namespace = vars(module)
                for name, fn in chosen.items():
                    if name in namespace and namespace[name] is not fn:
                        saved.append((namespace, name, namespace[name]))
                        namespace[name] = fn
            yield {**api, **{name: fn for name, fn in chosen.items() if name in api}}
        finally:
            for namespace, name, original in reversed(saved):
                namespace[name] = original


def _dropping(forward):
    """The trusted dropout for a course whose ``p`` is the probability of dropping a unit (CS231n 2016-2017)."""
    def dropout_forward(x, dropout_param):
        param = dict(dropout_param)
        if "p" in param:
            param["p"] = 1.0 - param["p"]
        return forward(x, param)
    return dropout_forward
