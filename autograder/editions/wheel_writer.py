"""Write a wheel (PEP 427) directly from its files: a zip with a ``.dist-info`` folder whose ``RECORD`` lists every
file with its hash. Reproducible: fixed timestamps, members in the order given.

Used for the student edition (:mod:`autograder.editions.student_bundle`) and to repack the installed grader for the Gradescope
bundle when there is no source checkout to build its wheel from (:func:`installed_wheel`).
"""
from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from importlib import metadata
from pathlib import Path

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
INSTALL_ONLY = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
"""Files of an installed ``.dist-info`` that the installer wrote, not the wheel (RECORD is written anew)."""


class WheelError(Exception):
    """The installed distribution cannot be repacked into a wheel."""


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_bytes(files: dict, info: str, modes: dict | None = None) -> bytes:
    """A wheel holding ``files`` (path in the wheel -> bytes, the ``info`` dist-info's METADATA and WHEEL among
    them) plus its RECORD; ``modes`` gives a member's permission bits (default 0o644)."""
    files = dict(files)
    record = "".join(f"{name},{record_hash(data)},{len(data)}\n" for name, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            member = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = (modes or {}).get(name, 0o644) << 16
            archive.writestr(member, data)
    return buffer.getvalue()


def installed_wheel(distribution: str, out_dir) -> Path:
    """Repack the installed ``distribution`` (a regular, non-editable install) into a wheel in ``out_dir``: every
    file its RECORD lists inside site-packages (no byte-code, no console scripts, which the installer makes again
    from ``entry_points.txt``), under the tags of its ``WHEEL`` file. Returns the wheel's path."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise WheelError(f"{distribution} is not installed") from None
    files, modes, info = {}, {}, None
    for entry in dist.files or ():
        name = entry.as_posix()
        if name.startswith("..") or "__pycache__" in entry.parts or name.endswith(".pyc"):
            continue
        if entry.parts[0].endswith(".dist-info"):
            info = entry.parts[0]
            if entry.name in INSTALL_ONLY:
                continue
        path = Path(dist.locate_file(entry))
        if not path.is_file():
            raise WheelError(f"the installed {distribution} is incomplete: {path} is missing")
        files[name] = path.read_bytes()
        modes[name] = 0o755 if path.stat().st_mode & 0o111 else 0o644
    if info is None or f"{info}/WHEEL" not in files:
        raise WheelError(f"the installed {distribution} has no WHEEL file (an editable or egg install?)")
    if any(name.endswith(".pth") or name.startswith("__editable__") for name in files):
        raise WheelError(f"{distribution} is installed in editable mode: build from its source checkout instead")
    tags = [line.split(":", 1)[1].strip() for line in files[f"{info}/WHEEL"].decode().splitlines()
            if line.startswith("Tag:")]
    if not tags:
        raise WheelError(f"the installed {distribution}'s WHEEL file names no tag")
    name, version = info[: -len(".dist-info")].rsplit("-", 1)
    target = Path(out_dir) / f"{name}-{version}-{tags[0]}.whl"
    target.write_bytes(wheel_bytes(files, info, modes))
    return target
