"""Open a submission (a folder or a .zip), find the student's packages, and stage them for a child.

Staging copies only the student's Python source into a fresh scratch directory, then puts the trusted
copies of the provided files (fast layers, im2col and its compiled extension, gradient_check, solver,
data_utils, vis_utils) over whatever the student sent, so an edited or missing provided file never changes
the grade and no compiled file from a submission is ever loaded.
"""
from __future__ import annotations

import re
import json
import shutil
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .. import paths

KNOWN_PACKAGES = ("cs231n", "nndl", "libs", "cs260", "deeplearning", "utils", "assignment")
STUDENT_MARKERS = ("layers.py", "conv_layers.py", "fc_net.py", "cnn.py", "optim.py", "layer_utils.py")
MAX_FILES = 5000
MAX_BYTES = 200 * 1024**2
MAX_SOURCE_BYTES = 5 * 1024**2


class SubmissionError(Exception):
    """The submission cannot be graded at all (not a folder or zip, empty, unsafe...).

    ``folder`` is the unpacked submission when unpacking worked and only finding or staging the package failed
    (its notebooks can still be checked as submitted); None otherwise."""

    def __init__(self, message, folder=None):
        super().__init__(message)
        self.folder = folder


@dataclass(frozen=True)
class Layout:
    """Where the student's code is inside a submission."""

    root: Path
    """The folder that holds the packages (after unpacking and descending into a single top folder)."""
    packages: tuple
    """Package folder names, main package first (e.g. ``('nndl', 'cs231n')``)."""
    inside: bool = False
    """The main package's files sit directly in ``root`` (a zip made inside the package folder: ``layers.py``,
    ``classifiers/``... at its top); they are staged as the package ``packages[0]``."""


@dataclass(frozen=True)
class OpenedSubmission:
    """A submission unpacked, its packages found and staged for a child: what :func:`open_submission` returns."""

    folder: Path
    """The unpacked submission (the folder itself, or the zip's contents); its notebooks are found under it."""
    layout: Layout
    """Where the student's packages are inside ``folder``."""
    stage_dir: Path
    """The staged copy of the packages with the trusted provided files, which a child imports."""
    packages: tuple
    """The staged package names, main package first (provided homes such as ``cs231n`` added)."""

    @property
    def stage(self) -> tuple:
        """``(stage_dir, packages)``, as :func:`stage` returns them."""
        return self.stage_dir, self.packages


def open_submission(source, scratch, packages=None) -> OpenedSubmission:
    """Unpack ``source`` (a folder or zip) into ``scratch``, find its layout (``packages``: the config's package
    names, or detected) and stage it there. Raises :class:`SubmissionError`, whose ``folder`` is the unpacked
    submission when only finding or staging failed."""
    folder = unpack(Path(source), Path(scratch))
    try:
        layout = find_layout(folder, packages)
        stage_dir, staged = stage(layout, Path(scratch))
    except SubmissionError as exc:
        raise SubmissionError(str(exc), folder=folder) from None
    return OpenedSubmission(folder, layout, stage_dir, staged)


def unpack(source: Path, scratch: Path) -> Path:
    """A folder is used as it is; a zip is extracted safely into ``scratch/unpacked``."""
    source = Path(source)
    if source.is_dir():
        return source
    if not source.exists():
        raise SubmissionError(f"{source} does not exist; pass a submission folder or a .zip file")
    if source.suffix.lower() == ".ipynb":
        raise SubmissionError(_notebook_alone(source))
    if not zipfile.is_zipfile(source):
        raise SubmissionError(f"{source.name} is neither a folder nor a valid .zip archive (corrupt or wrong type)")
    target = Path(scratch) / "unpacked"
    target.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            if len(members) > MAX_FILES:
                raise SubmissionError(f"{source.name} holds {len(members)} files; at most {MAX_FILES} are accepted")
            if sum(m.file_size for m in members) > MAX_BYTES:
                raise SubmissionError(f"{source.name} unpacks to more than {MAX_BYTES // 1024**2} MiB")
            for member in members:
                try:
                    _extract(archive, member, target)
                except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # a damaged member: name it
                    raise SubmissionError(f"{source.name} could not be unpacked: its file {member_name(member)} is "
                                          f"damaged ({exc}); make the zip again and resubmit") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise SubmissionError(f"{source.name} could not be unpacked: {exc}") from None
    return target


def _notebook_alone(source):
    try:
        json.loads(source.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return f"{source.name} is not a valid notebook (not JSON: {exc}); submit the folder or zip with your code"
    return f"{source.name} is a notebook alone; submit the folder or zip that holds your code package as well"


def member_name(member) -> str:
    """A zip entry's name as its maker meant it: ``/``-separated (Windows tools may write ``\\``), decoded as UTF-8
    when it is UTF-8 without the flag saying so (Info-ZIP on Linux, older macOS tools; :mod:`zipfile` decodes such
    names as cp437), in Unicode's composed form (macOS writes decomposed names: ``e`` + accent)."""
    name = member.filename
    if not member.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass  # a legacy code page name (Windows Explorer): cp437 is the best reading there is
    return unicodedata.normalize("NFC", name.replace("\\", "/"))


def _extract(archive, member, target):
    name = member_name(member)
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        raise SubmissionError(f"the zip entry {member.filename!r} points outside the submission folder")
    if stat.S_ISLNK(member.external_attr >> 16):
        raise SubmissionError(f"the zip entry {member.filename!r} is a symbolic link; links are not accepted")
    if not parts or "__MACOSX" in parts:
        return
    dest = target.joinpath(*parts)
    if name.endswith("/"):
        dest.mkdir(parents=True, exist_ok=True)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(member) as src, open(dest, "wb") as dst:
        shutil.copyfileobj(src, dst)


def find_layout(folder: Path, packages=None) -> Layout:
    """Find the student's packages; ``packages`` (a course config) names the folders the code may be in, main
    first: those present are used. Otherwise they are detected. A submission whose student files sit at its top
    (zipped inside the package folder) is the package itself, named as its absolute imports name it."""
    folder = Path(folder)
    root = _descend(folder, packages or ())
    if packages:
        present = tuple(p for p in packages if (root / p).is_dir())
        if present:
            return Layout(root, present)
        if _student_files(root):
            name = _imported_name(root, packages[0])
            return Layout(root, (name if name in packages else packages[0],), inside=True)
        raise SubmissionError(f"none of the configured package folders ({', '.join(p + '/' for p in packages)}) "
                              f"is in {folder.name}")
    found = [d.name for d in sorted(root.iterdir()) if d.is_dir() and _is_package(d)]
    if _student_files(root) > max(map(_student_files, (root / d for d in found)), default=0):
        return Layout(root, (_imported_name(root, "cs231n"),), inside=True)
    if not found:
        raise SubmissionError(
            f"no student package found in {folder.name}: expected a folder such as cs231n/, nndl/ or libs/ "
            f"holding {', '.join(STUDENT_MARKERS[:3])}...")
    found.sort(key=lambda name: (-_student_files(root / name), KNOWN_PACKAGES.index(name) if name in KNOWN_PACKAGES else 99, name))
    return Layout(root, tuple(found))


def _imported_name(root, default):
    """The package name that the absolute imports of files sitting at ``root`` give their own folder
    (``from cs260.layers import *`` next to layers.py: ``cs260``), else ``default``."""
    own = {p.stem for p in root.glob("*.py")} | {d.name for d in root.iterdir() if d.is_dir()}
    votes = {}
    for path in root.glob("*.py"):
        for source, _, plain in _IMPORT.findall(path.read_text(errors="replace")):
            for module in ([source] if source else [m.strip().split(" ")[0] for m in plain.split(",")]):
                parts = module.split(".")
                if len(parts) > 1 and parts[0].isidentifier() and parts[1] in own and parts[0] not in own:
                    votes[parts[0]] = votes.get(parts[0], 0) + 1
    return max(sorted(votes), key=lambda name: votes[name]) if votes else default


def _descend(folder, packages=()):
    """Go down through single folders (a zip's top folder, Canvas's submission/<student>/) to the packages, or to
    the student's files themselves."""
    current = folder
    for _ in range(3):
        if packages and any((current / p).is_dir() for p in packages):
            return current
        entries = [e for e in current.iterdir() if not e.name.startswith((".", "__MACOSX"))]
        if any(e.name in STUDENT_MARKERS for e in entries) or (
                not packages and any(e.is_dir() and _is_package(e) for e in entries)):
            return current
        dirs = [e for e in entries if e.is_dir()]
        if len(dirs) == 1:
            current = dirs[0]
            continue
        break
    return current


def _student_files(folder):
    return sum((folder / name).is_file() for name in STUDENT_MARKERS) + sum(
        (folder / "classifiers" / name).is_file() for name in ("fc_net.py", "cnn.py"))


def _is_package(folder):
    return folder.name.isidentifier() and (_student_files(folder) > 0 or (
        folder.name in KNOWN_PACKAGES and any(folder.glob("*.py"))))


def stage(layout: Layout, scratch: Path) -> tuple:
    """Copy the student's sources and the trusted provided files into ``scratch/stage``.

    Returns ``(stage_dir, packages)``.
    """
    stage_dir = Path(scratch) / "stage"
    stage_dir.mkdir(parents=True, exist_ok=True)
    packages = []
    for package in layout.packages:
        source = layout.root if layout.inside and not packages else layout.root / package
        _copy_sources(source, stage_dir / package)
        packages.append(package)
    packages.extend(_install_provided(stage_dir, packages))
    return stage_dir, tuple(packages)


def _copy_sources(src, dst):
    """Every ``.py`` file of the package, in its subpackages too (folders that cannot be imported are skipped)."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in src.rglob("*.py"):
        rel = path.relative_to(src)
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
            continue
        if any(part.startswith(".") for part in rel.parts) or any(
                part == "__pycache__" or not part.isidentifier() for part in rel.parts[:-1]):
            continue
        out = dst / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
    for folder in [dst, *[p for p in dst.rglob("*") if p.is_dir()]]:
        init = folder / "__init__.py"
        if not init.exists():
            init.write_text("")


_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+([\w ,()*]+)|import[ \t]+([\w., ]+))", re.M)


def _provided_homes_imported(stage_dir, packages, provided_modules):
    """Top-level packages the code imports provided modules from but the submission does not have.

    ``from cs231n.fast_layers import *`` in an nndl/ submission without cs231n/, or ``from utils import
    solver`` without utils/: the trusted files are installed there. Mentions in comments or docstrings
    (``cs231n.stanford.edu``) do not count.
    """
    wanted = set()
    for package in packages:
        for path in (stage_dir / package).rglob("*.py"):
            for source, names, plain in _IMPORT.findall(path.read_text(errors="replace")):
                modules = [source + "." + n.strip(" ()") for n in names.split(",")] if source else []
                modules += [m.strip().split(" ")[0] for m in plain.split(",")] if plain else []
                for module in modules:
                    parts = module.split(".")
                    if parts[0].isidentifier() and any(p in provided_modules for p in parts[1:]):
                        wanted.add(parts[0])
    return sorted(wanted - set(packages))


def _install_provided(stage_dir, packages):
    """Trusted provided modules replace the student's copies wherever they are, and fill in missing ones.

    Returns the provided packages that had to be created because the code imports from them.
    """
    provided = paths.provided_files()
    homes = set()
    for package in packages:
        for name, trusted in provided.items():
            for existing in (stage_dir / package).rglob(name):
                shutil.copyfile(trusted, existing)
                homes.add(existing.parent)
    main = stage_dir / packages[0]
    homes.add(main)
    modules = {Path(name).stem for name in provided if name.endswith(".py")}
    extra = _provided_homes_imported(stage_dir, packages, modules)
    for package in extra:
        (stage_dir / package).mkdir(exist_ok=True)
        (stage_dir / package / "__init__.py").write_text("")
        homes.add(stage_dir / package)
    for home in homes:
        for name, trusted in provided.items():
            if not (home / name).exists():
                shutil.copyfile(trusted, home / name)
    return extra
