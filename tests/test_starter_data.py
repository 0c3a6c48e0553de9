"""The starter's own data files in notebook re-execution: the kitten and puppy photos of ConvolutionalNetworks.

Every recognised notebook version's ConvolutionalNetworks re-executes its image cell (as that version's starter
writes it: ``cs231n/notebook_images/kitten.jpg`` since 2020, ``kitten.jpg`` beside the notebook before) with the
grader's trusted copies; a starter file the grader has no copy of is the grader's problem (not applicable), and
every install hint names the real distribution.
"""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

import notebook_corpus as corpus
from autograder import paths
from autograder.notebook_checks import starter_data
from autograder.notebook_checks.checks import INSTALL_EXTRA, notebook_results
from autograder.notebook_checks.execute import CellRun, NotebookRun, run_notebook
from autograder.notebook_checks.rules import VERSIONS
from autograder.notebook_checks.settings import NotebookSettings
from autograder.notebook_checks.static import identify, load

IMAGES = paths.provided_dir() / starter_data.IMAGES
SHA256 = {"kitten.jpg": "39faf9635202", "puppy.jpg": "29dbe8606529"}  # CS231n's starters, 2016-2025


def test_the_provided_images_are_the_starters_with_their_licence():
    for name, digest in SHA256.items():
        assert hashlib.sha256((IMAGES / name).read_bytes()).hexdigest().startswith(digest)
    assert "MIT License" in (IMAGES / "LICENSE").read_text()


def test_images_go_where_each_version_and_each_literal_says(tmp_path):
    assert starter_data.wanted_paths([], "cs231n-2021", "cs231n") == ["cs231n/notebook_images/kitten.jpg",
                                                                      "cs231n/notebook_images/puppy.jpg"]
    assert starter_data.wanted_paths([], "cs260", "cs260")[0] == "cs260/notebook_images/kitten.jpg"
    assert starter_data.wanted_paths([], "cs231n-2018", "cs231n") == ["kitten.jpg", "puppy.jpg"]
    sources = ["kitten, puppy = imread('kitten.jpg'), imread(\"data\\\\puppy.jpg\")",
               "imread('/content/drive/kitten.jpg'); imread('../kitten.jpg'); imread('C:kitten.jpg')"]
    assert starter_data.wanted_paths(sources, None) == ["kitten.jpg", "data/puppy.jpg"]
    written = starter_data.supply(tmp_path, sources, "cs231n-2021", "cs231n")
    assert written == ["cs231n/notebook_images/kitten.jpg", "cs231n/notebook_images/puppy.jpg", "kitten.jpg",
                       "data/puppy.jpg"]
    assert (tmp_path / "data" / "puppy.jpg").read_bytes() == (IMAGES / "puppy.jpg").read_bytes()
    assert not (tmp_path / "cs231n" / "__init__.py").exists()  # never a package that would shadow the student's


@pytest.mark.parametrize("evalue, found", [
    ("No such file: '/tmp/s-1/work/cs231n/notebook_images/batchnorm_graph.png'",
     "cs231n/notebook_images/batchnorm_graph.png"),
    ("[Errno 2] No such file or directory: 'kitten.jpg'", "kitten.jpg"),
    ("[Errno 2] No such file or directory: 'my_weights.npy'", ""),
])
def test_a_starter_file_the_grader_lacks_is_not_charged(tmp_path, evalue, found):
    assert starter_data.missing_file("FileNotFoundError", evalue) == found
    nb = corpus.executed()
    path = tmp_path / "layers.ipynb"
    path.write_text(corpus.dumps(nb))
    loaded = load(path)
    identify(loaded)
    first = loaded.cells[0].index
    run = NotebookRun(cells={c.index: CellRun(c.index, "ok") for c in loaded.cells})
    run.cells[first] = CellRun(first, "error", ename="FileNotFoundError", evalue=evalue)
    results = {r.name.split(": ", 1)[1]: r for r in notebook_results(loaded, NotebookSettings(), run, True)}
    reexecuted = results["re-executes without errors"]
    if not found:
        assert reexecuted.status == "failed"
        return
    assert reexecuted.status == "not_applicable" and reexecuted.score == 0
    assert f"reads the starter's own file {found}, which the grader has no copy of" in reexecuted.message


def test_install_hints_name_the_real_distribution():
    from importlib import metadata

    assert INSTALL_EXTRA == "cs231n-autograder[notebooks]"
    assert metadata.metadata("cs231n-autograder")["Name"] == "cs231n-autograder"
    assert "notebooks" in (metadata.metadata("cs231n-autograder").get_all("Provides-Extra") or [])


def _image_cell(version):
    """The version's image cell, reading the photos where its starter has them; for a version in
    :data:`starter_data.FOLDERS` the path is built at run time (no literal), so the version's table places them."""
    folder = starter_data.FOLDERS.get(version.id)
    if folder is None:
        where = "kitten, puppy = 'kitten.jpg', 'puppy.jpg'"  # as the 2016-2019 starters and their forks
    else:
        base = folder.format(package=version.package)
        where = (f"kitten, puppy = (os.path.join({base!r}, 'kit' + 'ten.jpg'), "
                 f"os.path.join({base!r}, 'pup' + 'py.jpg'))")
    return ("import os\nimport numpy as np\nfrom PIL import Image\n" + where + "\n"
            "kitten, puppy = np.asarray(Image.open(kitten)), np.asarray(Image.open(puppy))\n"
            "print(kitten.shape, puppy.shape, kitten.dtype)")


def _cnn_stem(version):
    stems = [stem for stem, _ in version.notebooks]
    return next((s for s in stems if s in ("ConvolutionalNetworks", "CNN-Layers")), stems[-1])


@pytest.mark.slow
def test_every_versions_convolutional_networks_reexecutes_with_its_images(tmp_path):
    from PIL import Image

    from autograder.sandbox.confinement import make_sandbox

    expected = "{} {} uint8".format(*(tuple(Image.open(IMAGES / n).size[::-1]) + (3,) for n in SHA256))
    sandbox = make_sandbox("auto")
    settings = NotebookSettings.from_dict({"cell_seconds": 60})

    def one(version):
        folder = tmp_path / version.id
        stage = folder / "stage" / version.package
        stage.mkdir(parents=True)
        (stage / "__init__.py").write_text("")
        nb = corpus.notebook((_image_cell(version),))
        path = folder / "submission" / f"{_cnn_stem(version)}.ipynb"
        path.parent.mkdir()
        path.write_text(nbformat.writes(nb))
        return run_notebook(path, nb, stage_dir=folder / "stage", packages=(version.package,), settings=settings,
                            sandbox=sandbox, version_id=version.id)

    with ThreadPoolExecutor(max_workers=4) as pool:  # one kernel per version: side by side
        runs = dict(zip([v.id for v in VERSIONS], pool.map(one, VERSIONS)))
    for version_id, run in runs.items():
        cell = next(iter(run.cells.values()))
        assert not run.problem and cell.status == "ok", (version_id, run.problem, cell)
        printed = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
        assert printed.strip() == expected, (version_id, printed)
