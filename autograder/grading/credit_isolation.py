"""Credit isolation: one bug costs only the function that has it.

Models (TwoLayerNet, FullyConnectedNet, ThreeLayerConvNet, and their training runs), sandwich layers
(``affine_relu_*``, ``conv_relu_pool_*``...) and the spatial normalizations call the student's other layers, so a
missing 1/N in ``softmax_loss`` would also fail every model. Their checks first run as always, over the student's
own layers, in the submission's child. Each such case that fails there runs again in a second sandboxed child
that holds trusted copies of the layers (the reference's ``layers``, ``layer_utils``, ``fast_layers`` and
``optim`` modules, and nothing else of the reference) swapped in for the layers the student's model or sandwich
calls (:mod:`autograder.child.trusted`), those graded in the rubric only (a layer of an earlier homework, or one the
course provides, runs as submitted). A test passes if it passes either way, so a model is graded on its own
code; a 0-point line per model or sandwich says whether it also works with the student's own layers, and names
the first of those layers that fails its own checks. Provided sandwiches (no solution region in the reference)
keep their credit over trusted layers only once the layers they call earn points of their own.

Student code in the second child can read the trusted code, so nothing it controls reaches a report: its
replies are scrubbed before they are judged (:func:`scrub_reply`): no printed output (never collected), no
exception message (only the exception's type, if it is a built-in one, and the line in the student's file), no
returned string (unless it is one of the check's own inputs), no dict key or probe message with a word outside the
probes' and the catalog's own, no type name of a returned object. Numbers and arrays pass.

Switched off with ``isolate_dependencies = false`` in the course config; ``"always"`` runs every such case over
the trusted layers too (for tests and timing). The students' pytest plugin has no reference to ship: there the
checks run over the student's own layers and their failure messages say so.
"""
from __future__ import annotations

import ast
import functools
import builtins
import re
import shutil
import time
import uuid
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from .. import paths
from . import syntax
from ..model import TestResult

GROUPS = ("models", "training", "sandwich")
"""Catalog groups whose cases call other functions of the student (plus the spatial normalizations)."""
TRUSTED_FILES = ("layers.py", "layer_checks.py", "layer_utils.py", "fast_layers.py", "im2col.py", "optim.py")
"""Reference files staged in the isolated child (the compiled im2col extension goes with them)."""
PLACEHOLDER = "<text>"
OVER_TRUSTED = " (checked over the trusted layers)"
OWN_LAYERS = "also works with your own layers (not graded)"

# The layers in the order a forward and backward pass (then an update) calls them: the "first" failing layer.
PASS_ORDER = (
    "conv_relu_pool_forward", "conv_bn_relu_forward", "conv_relu_forward", "conv_forward_naive",
    "spatial_batchnorm_forward", "max_pool_forward_naive", "affine_relu_forward", "affine_bn_relu_forward",
    "affine_ln_relu_forward", "affine_forward", "batchnorm_forward", "layernorm_forward", "relu_forward",
    "dropout_forward", "softmax_loss", "svm_loss", "dropout_backward", "relu_backward", "layernorm_backward",
    "batchnorm_backward", "batchnorm_backward_alt", "affine_ln_relu_backward", "affine_bn_relu_backward",
    "affine_relu_backward", "affine_backward", "max_pool_backward_naive", "spatial_batchnorm_backward",
    "conv_relu_pool_backward", "conv_bn_relu_backward", "conv_relu_backward", "conv_backward_naive",
    "sgd", "sgd_momentum", "rmsprop", "adam",
)
_PARTS = {  # what a name part of a sandwich or model stands for
    "affine": ("affine_forward", "affine_backward"), "relu": ("relu_forward", "relu_backward"),
    "bn": ("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt"),
    "ln": ("layernorm_forward", "layernorm_backward"),
    "conv": ("conv_forward_naive", "conv_backward_naive"),
    "pool": ("max_pool_forward_naive", "max_pool_backward_naive"),
}
_OPTIM = ("sgd", "sgd_momentum", "rmsprop", "adam")
USES = {
    "TwoLayerNet": ("affine_relu_forward", "affine_relu_backward", *_PARTS["affine"], *_PARTS["relu"],
                    "softmax_loss", *_OPTIM),
    "FullyConnectedNet": ("affine_relu_forward", "affine_relu_backward", "affine_bn_relu_forward",
                          "affine_bn_relu_backward", "affine_ln_relu_forward", "affine_ln_relu_backward",
                          *_PARTS["affine"], *_PARTS["relu"], *_PARTS["bn"], *_PARTS["ln"], "dropout_forward",
                          "dropout_backward", "softmax_loss", *_OPTIM),
    "ThreeLayerConvNet": ("conv_relu_pool_forward", "conv_relu_pool_backward", "conv_relu_forward",
                          "conv_relu_backward", "affine_relu_forward", "affine_relu_backward", *_PARTS["conv"],
                          *_PARTS["pool"], *_PARTS["affine"], *_PARTS["relu"], "softmax_loss", *_OPTIM),
    "spatial_batchnorm": _PARTS["bn"],
    "spatial_groupnorm": _PARTS["ln"],
}


# ----------------------------------------------------------------------------- which cases, over what
def depends_on_layers(case):
    """Whether a case's target calls other layers the student wrote (a model, a sandwich, a spatial norm)."""
    return case.group in GROUPS or case.target.startswith("spatial_")


def kept(case):
    """The student's functions under test in an isolated run: the target and its forward/backward twin."""
    twin = case.target.replace("_backward", "_forward") if case.target.endswith("_backward") else \
        case.target.replace("_forward", "_backward")
    return sorted({case.target, twin})


def uses(target):
    """The layers ``target`` may call, in the order of a forward and backward pass."""
    family = target.rsplit("_", 1)[0] if target.endswith(("_forward", "_backward")) else target
    names = set(USES.get(family, ()))
    if not names and not target[:1].isupper():  # a sandwich: its name says what it chains
        for part in family.split("_"):
            names.update(_PARTS.get(part, ()))
    names.discard(target)
    return [n for n in PASS_ORDER if n in names]


def mode(config, *, runner=None, trusted_layers=True):
    """``off``, ``on``, ``always``, or ``unavailable`` (wanted, but this runner holds no trusted layers)."""
    wanted = config.isolate_dependencies
    if wanted is False or wanted == "off":
        return "off"
    if runner is not None or not trusted_layers or not _trusted_sources():
        return "unavailable"
    return "always" if wanted == "always" else "on"


def _trusted_sources():
    """File name -> trusted path of every module the isolated child holds (solutions from the reference, the
    rest from the provided tree), plus the compiled kernels; {} where the reference is not installed."""
    if paths.reference_dir(missing_ok=True) is None:
        return {}
    files = paths.reference_package_files()
    sources = {name: files[name] for name in TRUSTED_FILES if name in files}
    if len(sources) != len(TRUSTED_FILES):
        return {}
    sources.update({name: path for name, path in paths.provided_files().items() if name.startswith("im2col_cython")})
    return sources


# ----------------------------------------------------------------------------- the isolated run
class Isolation:
    """The isolated child's judged results for the cases it reran, and the own-layer results they replace."""

    def __init__(self, own, trusted, ran, outcome=None):
        self.own = own            # case id -> results judged over the student's own layers
        self.trusted = trusted    # case id -> results judged over the trusted layers (scrubbed replies)
        self.ran = ran            # ids of the dependent cases whose functions were all found
        self.reverted = {}        # case id of a provided sandwich -> the layers it calls that earn nothing yet
        self.outcome = outcome    # the isolated child's raw outcome (its timings and memory), None if none ran

    @classmethod
    def run(cls, how, cases, outcome, judge, *, layout, request, child_config, profile, limits, sandbox, started,
            found, followup=None):
        """Rerun over the trusted layers the dependent cases that failed (``how == 'always'``: all of them).

        ``judge(case, outcome)`` judges a case as the grader does; ``request(case, root)`` is the probe request
        ``(case id, request, seconds)`` for a case with the staged submission at ``root``; ``followup`` as for
        :func:`~autograder.sandbox.runner.run_cases` (the numerical gradients a reply could not spare).
        """
        from ..sandbox.runner import run_cases
        from ..sandbox.confinement import new_scratch
        from ..sandbox.submission import stage

        from .hangs import Hangs

        own = {c.id: judge(c, outcome) for c in cases if depends_on_layers(c)}
        ran = {c.id for c in cases if c.id in own and all(n in found for n in c.all_requires())}
        hung = set(outcome.hung)  # a function of the student's that ran out of time runs here too
        rerun = [c for c in cases if c.id in ran and not hung & set(kept(c))
                 and (how == "always" or any(r.status == "failed" for r in own[c.id]))]
        left = limits.submission_seconds - (time.monotonic() - started)
        if not rerun or left < 1.0:
            return cls(own, {}, ran)
        scratch = new_scratch()
        try:
            stage_dir, _ = stage(layout, scratch)
            package = _stage_trusted(scratch)
            config = {**child_config, "root": str(stage_dir), "prefix": child_config["prefix"] + "_trusted",
                      "trusted": {"package": package, "dropout_means": profile.dropout_means,
                                  # an optional helper the student wrote is theirs: a model calling a wrong one
                                  # loses its points as it would with any other code of the student's own
                                  "graded": sorted(profile.assigned - profile.unscored)}}
            requests = {}
            for case in rerun:
                case_id, req, seconds = request(case, stage_dir)
                requests[case_id] = ({**req, "keep": kept(case)}, seconds)
            items = [(case_id, req, seconds) for case_id, (req, seconds) in requests.items()]
            hangs = Hangs({c.id: c for c in rerun}, calls=kept, halt=False)  # only kept() is the student's here
            raw = run_cases(scratch, config, lambda manifest: items, replace(limits, submission_seconds=left),
                            sandbox, followup=followup, hangs=hangs)
            files = {p.name for p in stage_dir.rglob("*.py")}
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        from ..child.protocol import Reply

        vocabulary = _vocabulary()
        scrubbed = type(raw)(manifest=outcome.manifest)
        for case_id, reply in raw.replies.items():
            strings = frozenset(_input_strings(requests[case_id][0]))
            scrubbed.replies[case_id] = Reply.from_dict(scrub_reply(reply.to_dict(), files, vocabulary, strings))
        return cls(own, {c.id: judge(c, scrubbed) for c in rerun if c.id in scrubbed.replies}, ran, raw)

    def merge(self, case, results):
        """A test passes if it passes over the student's own layers or over the trusted ones."""
        trusted = self.trusted.get(case.id)
        if trusted is None:
            return results
        merged = []
        for own, over in zip(results, trusted):
            if own.status == "passed" or own.status == "not_applicable":
                merged.append(own)
            elif over.status == "passed":
                merged.append(over)
            else:
                merged.append(replace(over, message=(over.message or "failed") + OVER_TRUSTED))
        return merged

    def finish(self, results, cases):
        """The report's results once every case is judged: provided sandwiches keep their credit over trusted
        layers only where the layers they call earn points of their own (:func:`provided_calls`), and a 0-point
        line follows each dependent target."""
        by_id = {case.id: case for case in cases}
        earned = {}
        for r in results:
            earned[r.target] = earned.get(r.target, 0.0) + r.score
        calls = provided_calls()
        for case_id in self.trusted:
            layers = sorted({n for name in kept(by_id[case_id]) for n in calls.get(name, ())})
            idle = [name for name in layers if earned.get(name, 0.0) <= 0]
            if idle:
                self.reverted[case_id] = idle
        if self.reverted:
            own = {(r.case_id, r.name): r for case_id in self.reverted for r in self.own[case_id]}
            results = [own.get((r.case_id, r.name), r) for r in results]
        return self.own_layer_lines(results, cases)

    def own_layer_lines(self, results, cases):
        """``results`` with a 0-point line after each dependent target: does it also work with the student's
        own layers, and if not, which of them is the first to fail its own checks."""
        targets = {}
        for case in cases:
            if case.id in self.ran:
                targets.setdefault(case.target, []).append(case)
        lines = {target: self._line(target, group, results) for target, group in targets.items()}
        out, last = [], {}
        for index, r in enumerate(results):
            last[r.target] = index
        for index, r in enumerate(results):
            out.append(r)
            if r.target in lines and last[r.target] == index and lines[r.target] is not None:
                out.append(lines.pop(r.target))
        return out

    def _line(self, target, cases, results):
        own = [r for c in cases for r in self.own[c.id]]
        graded = {(r.case_id, r.name): r for r in results}
        failed = [r for r in own if r.status == "failed"]
        rescued = [r for r in failed if graded.get((r.case_id, r.name), r).status == "passed"]
        first = next(iter(failed), None)
        case, kind = cases[0], own[0].kind if own else "model"
        if first is None:
            status, message = "passed", "works with your own layers too"
        elif rescued:
            culprit = _first_failing(target, results)
            blame = (f"the first of your layers that fails its own checks is {culprit}" if culprit else
                     "although every layer it calls passes its own checks (does it rely on their caches?)")
            status = "failed"
            message = (f"passes over the trusted layers but {len(rescued)} check(s) fail with your own layers "
                       f"(first: {rescued[0].name}: {rescued[0].message}); {blame}")
        elif any(c.id in self.reverted for c in cases):
            idle = sorted({name for c in cases for name in self.reverted.get(c.id, ())})
            status, message = "failed", (f"fails with your own layers (first: {first.name}: {first.message}); this "
                                         f"code is provided, and over the trusted layers it counts once "
                                         f"{', '.join(idle)} earn points of their own")
        elif not any(c.id in self.trusted for c in cases):
            status, message = "failed", (f"fails with your own layers (first: {first.name}: {first.message}); "
                                         f"it could not be checked over the trusted layers")
        else:
            status, message = "failed", f"fails with your own layers too (first: {first.name}: {first.message})"
        return TestResult(case.id, f"{target}: {OWN_LAYERS}", target, kind, "public", case.group,
                          0.0, 0.0, status, message, "" if status == "passed" else
                          "Fix the layer named here; this line is not graded.")


@lru_cache(maxsize=1)
def provided_calls():
    """Functions the assignment provides (no solution region in the reference: ``affine_relu_forward``,
    ``conv_relu_pool_backward``...) -> the layers students write that they call. Their checks grade no code of the
    student's own, so over trusted layers they earn points only once those layers earn some of their own: an
    untouched template scores 0, and a bug in a layer costs only that layer."""
    ref = paths.reference_dir()
    written, provided = set(), {}
    for name in ("layers.py", "layer_utils.py"):
        text = (ref / name).read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in syntax.parse(text).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            if paths.SOLUTION_START in "\n".join(lines[node.lineno - 1:node.end_lineno]):
                written.add(node.name)
            else:
                provided[node.name] = {n.func.id for n in ast.walk(node)
                                       if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {name: tuple(sorted(called & written)) for name, called in provided.items()}


def _first_failing(target, results):
    failing = {r.target for r in results if r.status == "failed" and r.max_score > 0}
    return next((name for name in uses(target) if name in failing), None)


def unavailable(case, results, found):
    """Failure messages of a dependent case checked over the student's own layers where no trusted layers exist
    (the students' pytest): they say so."""
    if not depends_on_layers(case) or not all(n in found for n in case.all_requires()):
        return results
    note = (f" (checked here over your own layers; the grader checks {case.target} over trusted layers too, so "
            f"a bug in a layer it calls costs only that layer there)")
    return [replace(r, message=r.message + note) if r.status == "failed" else r for r in results]


def _stage_trusted(scratch):
    """Copy the trusted layer modules into ``scratch`` under a fresh private package name; return the name."""
    package = f"_agtrusted_{uuid.uuid4().hex[:12]}"
    target = Path(scratch) / package
    target.mkdir()
    (target / "__init__.py").write_text("")
    for name, path in _trusted_sources().items():
        shutil.copyfile(path, target / name)
    return package


# ----------------------------------------------------------------------------- scrubbing the replies
_WORD = re.compile(r"[A-Za-z]+")
_WHERE = re.compile(r"^(?P<file>[^,/\\]+\.py), line (?P<line>\d+)(?:, in .*)?$", re.S)
EXCEPTIONS = frozenset(n for n, o in vars(builtins).items() if isinstance(o, type) and issubclass(o, BaseException)) \
    | {"LinAlgError", "AxisError"}
_REPLY_FIELDS = ("id", "ok", "kind", "type", "where", "error", "outputs")


@lru_cache(maxsize=1)
def _vocabulary():
    """Words the probes' own messages and keys are made of: their strings (not their docstrings), the keyword
    names they build dicts with, and the catalog's names. A key or a message of the isolated child passes only if every word of it is here."""
    words = set()
    # the provided shape checks' messages too ("affine_forward: b has shape (1, 32), expected (32,) ..."), so that
    # an exception the trusted layers raise on a model's wrong shape still says which argument had which shape
    for source in (paths.package_dir() / "child/probes.py", paths.package_dir() / "child/boot.py",
                   paths.provided_dir() / "layer_checks.py"):
        if not source.is_file():
            continue
        tree = syntax.parse(source.read_text(encoding="utf-8"))
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                words.update(_WORD.findall(node.value))
            elif isinstance(node, ast.keyword) and node.arg:  # outputs.update(cache_after=...) names a key
                words.update(_WORD.findall(node.arg))
    from ..catalog import all_cases, wanted_names

    cases = all_cases()
    for text in [*wanted_names(cases), *(c.id for c in cases)]:
        words.update(_WORD.findall(text))
    return frozenset(words | {"W", "b", "gamma", "beta"})


def _input_strings(request):
    """Strings of the request's inputs (``"train"`` in bn_param must come back as itself)."""
    found = set()

    def walk(value):
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
    walk(request.get("inputs", {}))
    return found


def shape_message(text) -> bool:
    """Whether ``text`` is one of the provided shape checks' messages (``provided/layer_checks.py``): every f-string
    there as a pattern, its formatted parts made of names, numbers and shapes only (no operator, no ``=``), so an
    exception's text survives the scrub only when it reads like the trusted layers' own."""
    return any(p.fullmatch(text) for p in _shape_patterns())


@functools.lru_cache(maxsize=1)
def _shape_patterns():
    from .. import paths

    source = paths.provided_dir() / "layer_checks.py"
    if not source.is_file():
        return ()
    tree = syntax.parse(source.read_text(encoding="utf-8"))
    filler = r"[\w\s(),.\[\]:'-]{0,300}?"
    patterns = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [re.escape(v.value) if isinstance(v, ast.Constant) else filler for v in node.values]
            patterns.append("".join(parts))
    # a message is an f-string followed by the shapes f-string ("(x has shape (2, 3))"), or one on its own
    return tuple(re.compile(rf"{p}(?: {filler})?", re.S) for p in patterns if len(p) > 20)


def safe_text(text, vocabulary):
    return isinstance(text, str) and len(text) <= 2000 and all(w in vocabulary for w in _WORD.findall(text))


def scrub(value, vocabulary, strings=frozenset(), depth=0):
    """A decoded value without text the student's code chose: a string is kept only if it is one of the inputs'
    ``strings``, a dict key only if its words are in ``vocabulary``; type names of other objects go."""
    from ..child.codec import Opaque

    if depth > 40:
        return None
    if isinstance(value, str):
        return value if value in strings else PLACEHOLDER
    if isinstance(value, Opaque):
        return Opaque("object", value.shape)
    if isinstance(value, dict):
        return {k: scrub(v, vocabulary, strings, depth + 1) for k, v in value.items()
                if safe_text(k, vocabulary) or k in strings or k is None or isinstance(k, (bool, int, float))}
    if isinstance(value, tuple):
        return tuple(scrub(v, vocabulary, strings, depth + 1) for v in value)
    if isinstance(value, list):
        return [scrub(v, vocabulary, strings, depth + 1) for v in value]
    return value  # numbers, booleans, None, arrays of whitelisted dtypes


def scrub_reply(reply, files, vocabulary, strings=frozenset()):
    """A reply of the isolated child as the grader may judge and report it (``files``: the names of the staged
    submission's files; ``strings``: the strings of the request's inputs)."""
    if not isinstance(reply, dict):
        return {"ok": False, "kind": "form", "error": "the check sent back no usable result"}
    out = {"id": reply.get("id"), "ok": reply.get("ok") is True}
    if "outputs" in reply:
        out["outputs"] = scrub(reply["outputs"], vocabulary, strings)
    for key, value in reply.items():  # fields a probe may add: only safe words and numbers
        if key not in _REPLY_FIELDS and isinstance(key, str) and safe_text(key, vocabulary):
            out[key] = scrub(value, vocabulary, strings)
    if out["ok"]:
        return out
    if reply.get("kind") == "exception":
        where = _WHERE.match(str(reply.get("where", "")))
        error = reply.get("error", "")
        out.update(kind="exception", error=error if safe_text(error, vocabulary) and shape_message(error) else "",
                   type=reply.get("type") if reply.get("type") in EXCEPTIONS else "Exception",
                   where=f"{where['file']}:{where['line']}" if where and where["file"] in files else "")
    else:
        error = reply.get("error", "")
        out.update(kind="form", error=error if safe_text(error, vocabulary) else
                   "the code returned something of the wrong form")
    return out


