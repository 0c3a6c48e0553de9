"""Submissions from every platform grade the same, and the students' checker runs where POSIX is missing.

* The same correct submission (CRLF, a BOM, tab-indented code, spaces and non-ASCII in names, a Colab notebook)
  zipped as Windows Explorer, 7-Zip with backslashes, macOS Finder (``__MACOSX/``, ``.DS_Store``, NFD names),
  inline AppleDouble files, Linux Info-ZIP and a Google Drive download make it, unpacks to the plain folder's files
  and grades exactly like the plain folder.
* The portable child (Windows' way: no ``resource``, nothing forked, the protocol on stdin/stdout, time limits
  kept by the parent) gives the same verdicts as the POSIX child, also from paths with spaces.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import zipfile
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from autograder import paths
from autograder.sandbox import portable_child, runner
from autograder.config import load_config
from autograder.sandbox.limits import Limits
from autograder.grading.report import results_json
from autograder.sandbox.submission import SubmissionError, unpack
from conftest import grade_catalog_only
from corpus import platform_zips

# One check family of each kind the unpacking can disturb: a CRLF file (layers), a BOM file (optim), the
# tab-indented method (FullyConnectedNet), a subpackage (classifiers), the provided fast layers (conv).
SELECT = ["relu_forward*", "affine_relu_backward*", "adam*", "FullyConnectedNet.notebook*", "conv_relu_pool_forward*"]


def _files_under(folder: Path) -> dict:
    return {unicodedata.normalize("NFC", p.relative_to(folder).as_posix()): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("platform", sorted(platform_zips.PLATFORMS))
def test_every_platforms_zip_unpacks_to_the_plain_folders_files(tmp_path, platform):
    plain = _files_under(platform_zips.plain_folder(tmp_path / "plain"))
    archive = platform_zips.PLATFORMS[platform](tmp_path / f"{platform}.zip")
    unpacked = _files_under(unpack(archive, tmp_path / "scratch"))
    junk = {name for name in unpacked if Path(name).name in (".DS_Store", "Thumbs.db", "desktop.ini")
            or Path(name).name.startswith("._")}
    kept = {name: data for name, data in unpacked.items() if name not in junk}
    if platform == "windows-explorer":  # the OEM code page: what cp850 cannot write, Explorer writes as '?'
        plain = {name.encode("cp850", errors="replace").decode("cp850"): data for name, data in plain.items()}
    assert kept == plain
    assert not any(name.startswith("__MACOSX") for name in unpacked)


def _tests(report):
    data = results_json(report)
    return data["score"], data["max_score"], [(t["name"], t["status"], t["score"], t["output"]) for t in data["tests"]]


@pytest.mark.slow
def test_every_platforms_zip_grades_like_the_plain_folder(tmp_path):
    config = load_config(None, select=SELECT)
    baseline = _tests(grade_catalog_only(platform_zips.plain_folder(tmp_path / "plain"), config=config))
    score, max_score, tests = baseline
    assert score == max_score > 0 and len(tests) > 20 and all(status == "passed" for _, status, _, _ in tests)
    for platform, write in sorted(platform_zips.PLATFORMS.items()):
        archive = write(tmp_path / f"{platform} ü.zip")
        assert _tests(grade_catalog_only(archive, config=config)) == baseline, platform


def test_a_lone_colab_notebook_gets_one_clear_error_naming_it(tmp_path):
    notebook = tmp_path / "ConvolutionalNetworks (1).ipynb"
    notebook.write_text(platform_zips.colab_notebook(), encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"ConvolutionalNetworks \(1\)\.ipynb is a notebook alone"):
        unpack(notebook, tmp_path / "scratch")
    report = grade_catalog_only(notebook, config=load_config(None, select=["relu_forward*"]))
    assert "ConvolutionalNetworks (1).ipynb is a notebook alone" in report.error and report.score == 0


# ------------------------------------------------------------------------- the checker without POSIX

BLOCK_RESOURCE = "import sys; sys.modules['resource'] = None; "  # `import resource` raises ImportError


BUGS = {
    "layers.py": """
def relu_backward(dout, cache):
    return dout, cache


def affine_backward(dout, cache):
    import os
    os._exit(3)
""",
    "optim.py": """
def sgd_momentum(w, dw, config=None):
    while True:
        pass
""",
}


@pytest.mark.slow
def test_the_portable_child_gives_the_posix_childs_verdicts(tmp_path, monkeypatch, make_submission):
    """Windows simulated: `resource` cannot be imported in the child, the child is started without fork-only
    options (no preexec_fn, no pass_fds, no session), and the submission sits under a path with spaces."""
    submission = make_submission(BUGS, name="my work ü/hw 2")
    scratch = tmp_path / "temp files ü"  # the children's scratch folders under a path with spaces too
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    config = replace(load_config(None, select=["relu_*", "affine_*", "sgd_momentum*"], sandbox="limits"),
                     limits=replace(Limits(), check_seconds=3.0))
    posix = _tests(grade_catalog_only(submission, config=config))

    started = []
    real_popen = subprocess.Popen

    def spy(command, *args, **kwargs):
        started.append(kwargs)
        return real_popen(command, *args, **kwargs)

    monkeypatch.setenv(portable_child.FORCE_ENV, "1")
    monkeypatch.setattr(runner, "BOOT_PRELUDE", BLOCK_RESOURCE)
    monkeypatch.setattr(runner.subprocess, "Popen", spy)
    monkeypatch.setattr(portable_child, "sandbox_supported", lambda: False)  # no sh, no env: started unwrapped
    report = grade_catalog_only(submission, config=config)
    assert "sandbox: none on this platform" in " ".join(report.notes)
    assert all(k.get("stdin") == subprocess.PIPE for k in started)
    portable = _tests(report)
    assert started and all(not k.get("pass_fds") and not k.get("preexec_fn") and not k.get("start_new_session")
                           for k in started)
    assert portable == posix
    status = {}
    for name, verdict, _, output in portable[2]:
        status.setdefault(name.split(" ")[0].split(":")[0], set()).add(verdict)
    assert status["relu_forward"] == {"passed"} and "failed" in status["relu_backward"], status
    assert status["sgd_momentum"] == {"failed"} and status["affine_backward"] == {"failed"}, status
    loop = [output for name, _, _, output in portable[2] if name.startswith("sgd_momentum")]
    assert any("time limit" in output for output in loop), loop
    assert list(scratch.iterdir()) == [scratch / f"autograder-scratch-{os.getuid()}"]


def test_a_zip_member_that_cannot_be_read_is_one_error_naming_it(tmp_path):
    archive = platform_zips.colab_drive_download(tmp_path / "hw.zip")
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        info = z.getinfo(f"{platform_zips.TOP}/cs231n/layers.py")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)  # its compressed bytes
    for at in range(start + 100, start + info.compress_size - 100, 97):
        data[at] ^= 0x5A  # a damaged download
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(data))
    with pytest.raises(SubmissionError) as caught:
        unpack(corrupt, tmp_path / "scratch")
    message = str(caught.value)
    assert message.startswith("corrupt.zip could not be unpacked") and "layers.py" in message, message


def test_the_child_boots_without_resource(tmp_path):
    """The child's boot module imports and applies (no) limits where `resource` does not exist."""
    code = (BLOCK_RESOURCE + f"sys.path.insert(0, {str(paths.package_dir())!r}); "
            "import child.boot as b; b.apply_limits({'cpu_seconds': 5}); print(b.resource, b._LIMITS)")
    done = subprocess.run([os.sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.split() == ["None", "{}"], done.stderr


def test_the_checkers_modules_import_without_posix_only_modules():
    """What the students' pytest plugin imports needs no module Windows lacks (resource, fcntl, pwd, grp)."""
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name in ('resource', 'fcntl', 'pwd', 'grp', 'termios'):\n"
            "            raise ImportError('no ' + name + ' here')\n"
            "sys.meta_path.insert(0, Block())\n"
            "for name in ('resource', 'fcntl', 'pwd', 'grp', 'termios'):\n"
            "    sys.modules.pop(name, None)\n"
            "import autograder.editions.pytest_plugin, autograder.grading.pipeline, autograder.sandbox.runner, autograder.sandbox.portable_child\n"
            "print('ok')\n")
    done = subprocess.run([os.sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
