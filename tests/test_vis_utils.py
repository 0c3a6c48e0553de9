"""cs231n.vis_utils: image grids (numpy only)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from cs231n.vis_utils import vis_grid, vis_nn, visualize_grid


def test_visualize_grid_places_and_rescales_each_image():
    rng = np.random.RandomState(0)
    Xs = rng.randn(5, 4, 3, 2)
    grid = visualize_grid(Xs, ubound=255.0, padding=1)
    assert grid.shape == (3 * 4 + 2, 3 * 3 + 2, 2)  # ceil(sqrt(5)) = 3 images per side
    for idx in range(5):
        y0, x0 = (idx // 3) * 5, (idx % 3) * 4
        tile = grid[y0:y0 + 4, x0:x0 + 3]
        assert tile.min() == 0 and np.isclose(tile.max(), 255)
        expected = 255 * (Xs[idx] - Xs[idx].min()) / (Xs[idx].max() - Xs[idx].min())
        assert np.allclose(tile, expected)
    assert np.all(grid[4, :] == 0) and np.all(grid[:, 3] == 0)  # padding
    assert np.all(grid[10:, 8:] == 0)  # the unused last cell


def test_visualize_grid_constant_image_gives_zeros_not_nan():
    grid = visualize_grid(np.ones((1, 2, 2, 3)), padding=0)
    assert grid.shape == (2, 2, 3) and np.all(grid == 0)


def test_vis_grid_and_vis_nn_scale_to_unit_range():
    rng = np.random.RandomState(1)
    Xs = rng.rand(4, 3, 3, 1) * 10
    G = vis_grid(Xs)
    assert G.shape == (2 * 3 + 2, 2 * 3 + 2, 1)
    assert G.min() == 0 and np.isclose(G.max(), 1)
    assert np.allclose(G[4:7, 0:3], (Xs[2] - Xs.min()) / (Xs.max() - Xs.min()))
    rows = [[Xs[0], Xs[1], Xs[2]], [Xs[3], Xs[0], Xs[1]]]
    G = vis_nn(rows)
    assert G.shape == (2 * 4, 3 * 4, 1)
    assert G.min() == 0 and np.isclose(G.max(), 1)


def test_does_not_import_matplotlib():
    code = "import sys, cs231n.vis_utils; assert 'matplotlib' not in sys.modules"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent / "reference"))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
