"""Fixtures and the student template are generated, never hand-edited: regenerating must give the same bytes."""
import shutil

import numpy as np
import pytest
from conftest import shared_once

from autograder.catalog import fixtures
from autograder.editions import template
from autograder.editions.template import TemplateError, stub_source


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """One ``fixtures.build`` (default seed) per test session, shared by the tests below (read-only: copy to change)."""
    return shared_once(tmp_path_factory, "fixtures-build", fixtures.build)


@pytest.fixture
def rebuilt(built, tmp_path):
    """A writable copy of the shared build."""
    return shutil.copytree(built, tmp_path / "fixtures")


@pytest.fixture
def render_of_the_build(built, monkeypatch):
    """``fixtures.render`` answers the default seed with the shared build's bytes, so that a check compares
    against one rendering instead of rendering again (a second, real rendering is compared with it in
    test_a_rebuild_is_bit_identical_on_the_same_machine)."""
    render = fixtures.render

    def cached(hidden_seed=fixtures.DEFAULT_HIDDEN_SEED):
        if hidden_seed != fixtures.DEFAULT_HIDDEN_SEED:
            return render(hidden_seed)
        return {path.name: path.read_bytes() for path in sorted(built.iterdir())}

    monkeypatch.setattr(fixtures, "render", cached)


def test_committed_fixtures_equal_a_rebuild(render_of_the_build):
    """Bit for bit on the machine that built them; up to last-bit rounding on another CPU or BLAS. The rebuild is
    the session's shared one (``built``)."""
    assert fixtures.check() == []


def test_a_rebuild_is_bit_identical_on_the_same_machine(built):
    result = fixtures.check_result(built)  # renders again and compares with the shared build
    assert result.problems == [] and result.bitwise and result.max_rounding == 0.0


def test_values_beyond_rounding_are_a_mismatch(rebuilt, render_of_the_build):
    tmp_path = rebuilt
    with np.load(tmp_path / "public.npz") as npz:
        arrays = {key: npz[key] for key in npz.files}
    key = next(k for k, v in sorted(arrays.items()) if v.dtype == np.float64 and v.size and np.abs(v).max() > 0.1)
    rounded = dict(arrays, **{key: arrays[key] * (1 + 1e-15)})
    moved = dict(arrays, **{key: arrays[key] * (1 + 1e-9)})
    (tmp_path / "public.npz").write_bytes(fixtures._npz_bytes(rounded))
    result = fixtures.check_result(tmp_path)
    assert result.problems == [] and not result.bitwise and 0 < result.max_rounding < 1e-12
    (tmp_path / "public.npz").write_bytes(fixtures._npz_bytes(moved))
    problems = fixtures.check(tmp_path)
    assert len(problems) == 1 and key in problems[0] and "more than rounding" in problems[0]


def test_a_course_can_rebuild_the_hidden_fixtures_from_its_own_seed(built, tmp_path):
    # `built` was built on this machine too, so that only the seed differs (not the CPU's rounding)
    fixtures.build(tmp_path / "course", hidden_seed=12345)
    ours, theirs = fixtures.load(built), fixtures.load(tmp_path / "course")
    assert theirs.hidden_seed == 12345
    public = [k for k in ours.arrays if k.split(":")[0] in {c.id for c in fixtures.all_cases() if c.visibility == "public"}]
    hidden = sorted(set(ours.arrays) - set(public))
    assert all(np.array_equal(ours.arrays[k], theirs.arrays[k]) for k in public)
    assert any(not np.array_equal(ours.arrays[k], theirs.arrays[k]) for k in hidden)


def test_hidden_and_public_fixtures_are_kept_apart():
    public_ids = {c.id for c in fixtures.all_cases() if c.visibility == "public"}
    store = fixtures.load(include_hidden=False)
    assert not store.has_hidden
    assert all(key.split(":")[0] in public_ids for key in store.arrays)


def test_tampered_fixtures_are_refused(rebuilt):
    tmp_path = rebuilt
    data = bytearray((tmp_path / "public.npz").read_bytes())
    data[-30] ^= 0xFF
    (tmp_path / "public.npz").write_bytes(bytes(data))
    with pytest.raises(fixtures.FixtureError, match="hash"):
        fixtures.load(tmp_path)


def test_committed_template_matches_the_reference():
    assert template.check() == []


def test_stubbing_replaces_regions_and_keeps_everything_else():
    start, end = template.START, template.END
    source = f"def f(x):\n    out = None\n    {start}\n    out = x + 1\n    {end}\n    return out\n"
    stubbed = stub_source(source)
    assert "x + 1" not in stubbed and "    pass\n" in stubbed and stubbed.endswith("return out\n")
    namespace = {}
    exec(stubbed, namespace)
    assert namespace["f"](1) is None


@pytest.mark.parametrize("source", [f"{template.END}\n", f"{template.START}\n", f"{template.START}\n{template.START}\n"])
def test_malformed_regions_are_errors(source):
    with pytest.raises(TemplateError):
        stub_source(source)
