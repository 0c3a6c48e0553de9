"""IPython startup file of the re-executing kernel: runs before the notebook's first cell.

Copied to ``$IPYTHONDIR/profile_default/startup/``. It patches the trusted provided modules as they are
imported (whatever package they are in: ``cs231n.data_utils``, ``libs.solver``...):

* ``get_CIFAR10_data``: CIFAR-10 is not shipped and there is no network, so when it raises
  ``FileNotFoundError`` the notebook gets ``get_digits_data()`` (the shipped handwritten digits in the same
  layout, at most the sizes asked for) and a printed note says so.
* quick rule (``AUTOGRADER_QUICK_EPOCHS`` set): every ``Solver`` trains at most that many epochs, and a note
  is printed once.
"""
import importlib.machinery
import os
import sys

_QUICK_EPOCHS = int(os.environ.get("AUTOGRADER_QUICK_EPOCHS") or 0)
_DIGITS = {"num_training": 1297, "num_validation": 250, "num_test": 250}
_told = set()


def _tell(key, text):
    if key not in _told:
        _told.add(key)
        print(text)


def _patch_data_utils(module):
    original, digits = getattr(module, "get_CIFAR10_data", None), getattr(module, "get_digits_data", None)
    if original is None or digits is None or getattr(original, "_autograder", False):
        return

    def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000, subtract_mean=True, **kwargs):
        try:
            return original(num_training, num_validation, num_test, subtract_mean, **kwargs)
        except FileNotFoundError:
            sizes = {k: min(v, _DIGITS[k]) for k, v in
                     (("num_training", num_training), ("num_validation", num_validation), ("num_test", num_test))}
            _tell("digits", "[autograder] CIFAR-10 is not available during re-execution: get_CIFAR10_data() "
                            f"returns the shipped digits instead (get_digits_data({sizes}))")
            return digits(subtract_mean=subtract_mean, **sizes)

    get_CIFAR10_data._autograder = True
    get_CIFAR10_data.__doc__ = original.__doc__
    module.get_CIFAR10_data = get_CIFAR10_data


def _patch_solver(module):
    solver = getattr(module, "Solver", None)
    if not _QUICK_EPOCHS or solver is None or getattr(solver.__init__, "_autograder", False):
        return
    original = solver.__init__

    def __init__(self, model, data, **kwargs):
        kwargs["num_epochs"] = min(int(kwargs.get("num_epochs", 10)), _QUICK_EPOCHS)
        _tell("quick", f"[autograder] quick re-execution: every Solver trains at most {_QUICK_EPOCHS} epoch(s)")
        original(self, model, data, **kwargs)

    __init__._autograder = True
    solver.__init__ = __init__


_PATCHES = {"data_utils": _patch_data_utils, "solver": _patch_solver}


class _PatchingFinder:
    """Finds ``*.data_utils`` and ``*.solver`` like the normal path finder, and patches them once loaded."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        patch = _PATCHES.get(name.rpartition(".")[2])
        if patch is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader_exec = spec.loader.exec_module

        def exec_module(module):
            loader_exec(module)
            patch(module)

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _PatchingFinder)
