"""One correct submission as each platform's tools zip it (generated at test time with :mod:`zipfile`).

The submission is the reference package in a student's layout (``cs231n/`` with its ``classifiers/``), a Colab
notebook (Colab's metadata: ``colab``, ``accelerator``, cell ids and ``outputId``s) and a notes file whose name has
spaces and non-ASCII letters, inside a top folder named like a real student's. Its text is written the ways
editors on each system leave it: ``layers.py`` with CRLF line endings, ``optim.py`` with a UTF-8 byte-order mark,
``layer_utils.py`` with one function indented by tabs and the rest by spaces.

:func:`plain_folder` writes it as a folder (the baseline); each entry of :data:`PLATFORMS` writes the same files as
that platform's zip tool would: its path separator, how it encodes names (the UTF-8 flag, or the legacy code page
bytes that every unzip decodes as cp437), which junk it adds (``__MACOSX/`` with AppleDouble ``._`` files,
``.DS_Store``, ``Thumbs.db``, ``desktop.ini``), whether folders get entries of their own, and the Unicode form of
names (macOS writes NFD).
"""
from __future__ import annotations

import json
import unicodedata
import zipfile
from pathlib import Path

from . import ZIP_TIME, reference_sources

TOP = "Zoë Müller – HW2 (final)"
NOTES = "notes – résumé ü.txt"
NOTEBOOK = "FullyConnectedNets.ipynb"
TAB_FUNCTION = ("layer_utils.py", "def affine_relu_backward(dout, cache):")


def _tabbed(text, header):
    """``text`` with the function starting at ``header`` indented by tabs (one per four spaces), the rest as is."""
    lines = text.split("\n")
    start = lines.index(header)
    indent = len(header) - len(header.lstrip())
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) <= indent), len(lines))
    for i in range(start, end):
        stripped = lines[i].lstrip(" ")
        lines[i] = "\t" * ((len(lines[i]) - len(stripped)) // 4) + " " * ((len(lines[i]) - len(stripped)) % 4) + stripped
    return "\n".join(lines)


def colab_notebook() -> str:
    """A notebook as Colab downloads it (File > Download > .ipynb): Colab's metadata, ids, two-space JSON."""
    cells = [
        {"cell_type": "markdown", "metadata": {"id": "Zq1"}, "source": ["# Fully-connected nets (Colab)"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {"id": "Zq2", "colab": {"base_uri": "https://localhost:8080/"},
                                                                   "outputId": "5d1c-7a"},
         "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ready\n"]}],
         "source": ["import numpy as np\n", "print('ready')"]},
    ]
    nb = {"nbformat": 4, "nbformat_minor": 0,
          "metadata": {"colab": {"provenance": [], "collapsed_sections": [], "toc_visible": True},
                       "kernelspec": {"name": "python3", "display_name": "Python 3"},
                       "language_info": {"name": "python"}, "accelerator": "GPU", "gpuClass": "standard"},
          "cells": cells}
    return json.dumps(nb, indent=2, ensure_ascii=False) + "\n"


def submission_files() -> dict:
    """Relative path (``/``-separated, NFC) -> bytes of the submission, its files as each editor left them."""
    files = {}
    for rel, text in reference_sources().items():
        if rel.endswith(".pyx"):
            continue
        if rel == "layers.py":
            data = text.replace("\n", "\r\n").encode()
        elif rel == "optim.py":
            data = b"\xef\xbb\xbf" + text.encode()
        elif rel == TAB_FUNCTION[0]:
            data = _tabbed(text, TAB_FUNCTION[1]).encode()
        else:
            data = text.encode()
        files[f"{TOP}/cs231n/{rel}"] = data
    files[f"{TOP}/{NOTEBOOK}"] = colab_notebook().encode()
    files[f"{TOP}/{NOTES}"] = "Fertig. Ça marche.\r\n".encode()
    return files


def plain_folder(dest: Path) -> Path:
    """The submission as a plain folder (what every zip below must grade exactly like)."""
    for rel, data in submission_files().items():
        path = Path(dest).joinpath(*rel.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return Path(dest)


def _folders(names):
    found = []
    for name in names:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i]) + "/"
            if folder not in found:
                found.append(folder)
    return found


class _LegacyName(zipfile.ZipInfo):
    """A zip entry whose name is stored as given bytes without the UTF-8 flag (:mod:`zipfile` itself would flag
    any non-ASCII name as UTF-8)."""

    __slots__ = ("raw",)

    def _encodeFilenameFlags(self):
        return self.raw, self.flag_bits & ~0x800


def _write(dest, entries, *, utf8_flag=True, legacy="cp437", create_system=3):
    """Write ``entries`` (name -> bytes; a name ending in ``/`` is a folder) with names UTF-8 flagged, or stored as
    ``legacy`` code page bytes without the flag (how Explorer and old zip tools store them)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = (zipfile.ZipInfo if utf8_flag else _LegacyName)(name, date_time=ZIP_TIME)
            if not utf8_flag:
                info.raw = name.encode(legacy, errors="replace")
            info.create_system = create_system
            info.external_attr = ((0o40755 << 16) | 0x10) if name.endswith(("/", "\\")) else (0o100644 << 16)
            info.compress_type = zipfile.ZIP_STORED if name.endswith(("/", "\\")) else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return Path(dest)


def windows_explorer(dest):
    """Explorer's "Send to > Compressed folder": folder entries, names in the OEM code page without the UTF-8
    flag (cp850 in western Europe), Thumbs.db and desktop.ini picked up, MS-DOS as the system."""
    files = submission_files()
    entries = {f: b"" for f in _folders(files)}
    entries.update(files)
    entries[f"{TOP}/Thumbs.db"] = b"\xd0\xcf\x11\xe0"
    entries[f"{TOP}/desktop.ini"] = b"[.ShellClassInfo]\r\n"
    return _write(dest, entries, utf8_flag=False, legacy="cp850", create_system=0)


def windows_7zip_backslashes(dest):
    """An old 7-Zip / .NET ``ZipFile`` archive: backslash separators, folder entries ending in a backslash."""
    files = submission_files()
    entries = {f.replace("/", "\\"): b"" for f in _folders(files)}
    entries.update({name.replace("/", "\\"): data for name, data in files.items()})
    return _write(dest, entries, create_system=0)


def macos_finder(dest):
    """Finder's "Compress": NFD names (UTF-8 flagged), ``__MACOSX/`` with an AppleDouble ``._`` file for every
    file, ``.DS_Store`` files, folder entries."""
    files = submission_files()
    entries = {}
    for folder in _folders(files):
        entries[unicodedata.normalize("NFD", folder)] = b""
    for name, data in files.items():
        nfd = unicodedata.normalize("NFD", name)
        entries[nfd] = data
        head, _, tail = nfd.rpartition("/")
        entries[f"__MACOSX/{head}/._{tail}"] = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "
    entries[unicodedata.normalize("NFD", f"{TOP}/.DS_Store")] = b"\x00\x00\x00\x01Bud1"
    entries[unicodedata.normalize("NFD", f"{TOP}/cs231n/.DS_Store")] = b"\x00\x00\x00\x01Bud1"
    return _write(dest, entries)


def macos_appledouble_inline(dest):
    """A zip made on macOS onto a FAT/exFAT drive or by ``zip -r`` of such a folder: the ``._`` AppleDouble files
    sit next to the real ones (``cs231n/._layers.py``), no ``__MACOSX/``."""
    files = submission_files()
    entries = dict(files)
    for name in files:
        head, _, tail = name.rpartition("/")
        entries[f"{head}/._{tail}"] = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "
    return _write(dest, entries)


def linux_infozip(dest):
    """Info-ZIP's ``zip -r`` on Linux: UTF-8 name bytes without the UTF-8 flag, Unix as the system, folders."""
    files = submission_files()
    entries = {f: b"" for f in _folders(files)}
    entries.update(files)
    return _write(dest, entries, utf8_flag=False, legacy="utf-8")


def colab_drive_download(dest):
    """A folder downloaded from Google Drive (Colab's storage): no folder entries, UTF-8 flagged names, the top
    folder as Drive names it, and the notebook beside the package."""
    return _write(dest, dict(submission_files()))


PLATFORMS = {
    "windows-explorer": windows_explorer,
    "windows-7zip-backslashes": windows_7zip_backslashes,
    "macos-finder": macos_finder,
    "macos-appledouble-inline": macos_appledouble_inline,
    "linux-infozip": linux_infozip,
    "colab-drive": colab_drive_download,
}
"""Platform name -> ``writer(dest) -> Path`` of the zip it makes."""
