"""The shipped example submissions (examples/submissions/) are exactly what tests/corpus/make_examples.py writes."""
import io
import zipfile
from pathlib import Path

from corpus.make_examples import DEFAULT_OUT, make


def _content(path: Path):
    """A file's bytes; for a zip, its entries' names and bytes (compressed bytes vary with the zlib build)."""
    data = path.read_bytes()
    if path.suffix != ".zip":
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, info.date_time, archive.read(info)) for info in archive.infolist()]


def _files(folder: Path):
    return {p.relative_to(folder).as_posix(): _content(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_examples_are_up_to_date(tmp_path):
    expected = _files(make(tmp_path / "examples"))
    committed = _files(DEFAULT_OUT)
    stale = sorted(name for name in expected.keys() & committed.keys() if expected[name] != committed[name])
    assert committed.keys() == expected.keys() and not stale, (
        f"examples/submissions/ is out of date (missing {sorted(expected.keys() - committed.keys())}, "
        f"extra {sorted(committed.keys() - expected.keys())}, changed {stale}); "
        f"run: python tests/corpus/make_examples.py")


def test_examples_are_small():
    assert sum(p.stat().st_size for p in DEFAULT_OUT.rglob("*") if p.is_file()) < 200_000
