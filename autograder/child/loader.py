"""Import a staged submission under fresh module names and find the functions a course assigns.

The staged root holds the student's packages (``cs231n/``, ``nndl/``, ``libs/``...) with the trusted provided
files already in place. Each package is imported as ``<prefix>.<package>``; absolute imports inside the
student's code (``from cs231n.layers import *``) are redirected to the fresh modules, so two submissions
loaded one after the other in one process never share a module.
"""
import importlib
import importlib.machinery
import importlib.util
import inspect
import re
import sys
import traceback
import types
from pathlib import Path


class _Alias:
    """Loads ``cs231n.layers`` as the module already imported as ``<prefix>.cs231n.layers`` (the protocol of
    ``importlib.abc.Loader``, without importing that module: it imports ``importlib.resources``, ``tempfile`` and
    more, which every child would then load before it can answer)."""

    def __init__(self, real_name):
        self.real_name = real_name

    def create_module(self, spec):
        return importlib.import_module(self.real_name)

    def exec_module(self, module):
        """Nothing to run: the real module has been executed already."""


class _AliasFinder:
    """A meta path finder (``importlib.abc.MetaPathFinder``'s protocol) of the submission's top-level names."""

    def __init__(self, prefix, tops):
        self.prefix, self.tops = prefix, set(tops)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] not in self.tops:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(f"{self.prefix}.{fullname}"))

    def invalidate_caches(self):
        """Nothing cached."""


def _error_text(exc, root, prefix=""):
    """Short description of an exception with the last frame inside the submission.

    Module names are shown as the student wrote them (``cs231n.layers``, not ``<prefix>.cs231n.layers``).
    """
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(str(root)):
            where = f" ({Path(frame.filename).relative_to(root)}, line {frame.lineno})"
    if isinstance(exc, SyntaxError) and exc.filename:
        try:
            where = f" ({Path(exc.filename).relative_to(root)}, line {exc.lineno})"
        except ValueError:
            where = f" (line {exc.lineno})"
    text = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)  # the location is in ``where``
    message = text.strip().splitlines()[0][:300] if text.strip() else ""
    if prefix:
        message = message.replace(f"{prefix}.", "").replace(str(root) + "/", "")
    return f"{type(exc).__name__}{': ' + message if message else ''}{where}"


def _defined_names(path):
    """Top-level function and class names of a file that may not even parse (read with a regex)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return sorted(set(re.findall(r"^(?:def|class)\s+([A-Za-z_]\w*)", text, flags=re.MULTILINE)))


class Submission:
    """The imported modules of one submission and the objects found in them."""

    def __init__(self, root, packages, prefix):
        self.root = Path(root)
        self.packages = list(packages)
        self.prefix = prefix
        self.modules = {}          # dotted name relative to the root -> module
        self.import_errors = {}    # dotted name -> error text
        self.broken_defines = {}   # dotted name of a module that failed -> names it defines (read as text)
        self._finder = _AliasFinder(prefix, self.packages)

    def load(self):
        """Import every module of every package; a module that fails costs only its own functions."""
        root_pkg = types.ModuleType(self.prefix)
        root_pkg.__path__ = [str(self.root)]
        root_pkg.__spec__ = importlib.machinery.ModuleSpec(self.prefix, None, is_package=True)
        root_pkg.__spec__.submodule_search_locations = [str(self.root)]
        sys.modules[self.prefix] = root_pkg
        # Modules of the same top-level names already imported in this process (the grader's own
        # ``cs231n``, another submission) step aside while this submission is loaded, and come back after.
        self._saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.split(".")[0] in self.packages}
        sys.meta_path.insert(0, self._finder)
        for name in self._module_names():
            try:
                self.modules[name] = importlib.import_module(f"{self.prefix}.{name}")
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything, even SystemExit
                folder = self.root / name.replace(".", "/")
                # A package's error is keyed by its __init__ module, so that it reads as the file it is in.
                key = f"{name}.__init__" if folder.is_dir() else name
                self.import_errors[key] = _error_text(exc, self.root, self.prefix)
                self.broken_defines[key] = _defined_names(self.root / (key.replace(".", "/") + ".py"))
                if folder.is_dir():
                    self._empty_package(name, folder)
        return self

    def _empty_package(self, name, folder):
        """Stand in for a package whose ``__init__.py`` failed, so that its other modules still import."""
        full = f"{self.prefix}.{name}"
        if full in sys.modules:
            return
        module = types.ModuleType(full)
        module.__path__ = [str(folder)]
        module.__spec__ = importlib.machinery.ModuleSpec(full, None, is_package=True)
        module.__spec__.submodule_search_locations = [str(folder)]
        sys.modules[full] = module
        parent, _, child = full.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)

    def unload(self):
        """Forget every module of this submission (for grading several in one process)."""
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        for key in list(sys.modules):
            if key == self.prefix or key.startswith(self.prefix + ".") or key.split(".")[0] in self.packages:
                del sys.modules[key]
        sys.modules.update(getattr(self, "_saved", {}))
        self._saved = {}

    def _module_names(self):
        names = []
        for package in self.packages:
            base = self.root / package
            names.append(package)
            for path in sorted(base.rglob("*.py")):
                rel = path.relative_to(self.root).with_suffix("")
                if path.name == "__init__.py":
                    rel = rel.parent
                dotted = ".".join(rel.parts)
                if dotted != package and all(p.isidentifier() for p in rel.parts) and path.name != "setup.py":
                    names.append(dotted)
        return names

    def find(self, wanted, pinned=None, preferred_modules=()):
        """Map each wanted name to an object, preferring a definition over a re-export.

        Returns ``(found, where)``: ``found`` maps name -> object, ``where`` maps name -> module path.
        """
        pinned = pinned or {}
        found, where = {}, {}
        rank = {m: i for i, m in enumerate(preferred_modules)}
        for name in wanted:
            candidates = []
            for mod_name, module in self.modules.items():
                obj = getattr(module, name, None)
                if obj is None or not callable(obj):
                    continue
                if name in pinned and not _matches(mod_name, pinned[name]):
                    continue
                defined_here = getattr(obj, "__module__", None) == module.__name__
                leaf = mod_name.split(".")[-1]
                candidates.append((not defined_here, rank.get(leaf, len(rank)), mod_name, obj))
            if candidates:
                candidates.sort(key=lambda c: c[:3])
                found[name], where[name] = candidates[0][3], candidates[0][2]
        return found, where


def _matches(mod_name, pin):
    return mod_name == pin or mod_name.endswith("." + pin) or mod_name.split(".")[-1] == pin


def describe(obj):
    """A short, safe description of a found object's signature (for course-profile detection)."""
    try:
        target = obj.__init__ if inspect.isclass(obj) else obj
        return [p for p in inspect.signature(target).parameters if p != "self"]
    except (TypeError, ValueError):
        return []
