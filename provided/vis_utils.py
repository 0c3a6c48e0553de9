"""Arrange batches of images into one image for plotting (numpy only; plot the result yourself)."""
from math import ceil, sqrt

import numpy as np


def _rescale(x, ubound):
    """Map the values of x linearly onto [0, ubound]; a constant x maps to zeros."""
    low, high = np.min(x), np.max(x)
    if high == low:
        return np.zeros_like(x, dtype=np.float64)
    return ubound * (x - low) / (high - low)


def visualize_grid(Xs, ubound=255.0, padding=1):
    """
    Reshape a 4D tensor of image data to a grid for easy visualization.

    Inputs:
    - Xs: Data of shape (N, H, W, C)
    - ubound: Output grid will have values scaled to the range [0, ubound]
    - padding: The number of blank pixels between elements of the grid

    Returns:
    - grid: Array of shape (G * H + (G - 1) * padding, G * W + (G - 1) * padding, C) with
      G = ceil(sqrt(N)); each image is rescaled to [0, ubound] on its own, in row-major order
    """
    (N, H, W, C) = Xs.shape
    grid_size = int(ceil(sqrt(N)))
    grid_height = H * grid_size + padding * (grid_size - 1)
    grid_width = W * grid_size + padding * (grid_size - 1)
    grid = np.zeros((grid_height, grid_width, C))
    for idx in range(N):
        y0 = (idx // grid_size) * (H + padding)
        x0 = (idx % grid_size) * (W + padding)
        grid[y0:y0 + H, x0:x0 + W] = _rescale(Xs[idx], ubound)
    return grid


def vis_grid(Xs):
    """
    Visualize a grid of images, separated by one pixel of the smallest value, scaled to [0, 1].

    Inputs:
    - Xs: Data of shape (N, H, W, C)

    Returns:
    - G: Array of shape (A * (H + 1), A * (W + 1), C) with A = ceil(sqrt(N))
    """
    (N, H, W, C) = Xs.shape
    A = int(ceil(sqrt(N)))
    G = np.full((A * H + A, A * W + A, C), np.min(Xs), dtype=np.float64)
    for n in range(N):
        y, x = divmod(n, A)
        G[y * H + y:(y + 1) * H + y, x * W + x:(x + 1) * W + x, :] = Xs[n]
    return _rescale(G, 1.0)


def vis_nn(rows):
    """
    Visualize an array of arrays of images, scaled to [0, 1].

    Inputs:
    - rows: List of N lists of D images, each of shape (H, W, C)

    Returns:
    - G: Array of shape (N * (H + 1), D * (W + 1), C); the separating pixels hold 1 before the
      rescaling, as in CS231n
    """
    N = len(rows)
    D = len(rows[0])
    H, W, C = rows[0][0].shape
    G = np.ones((N * H + N, D * W + D, C), dtype=np.float64)
    for y in range(N):
        for x in range(D):
            G[y * H + y:(y + 1) * H + y, x * W + x:(x + 1) * W + x, :] = rows[y][x]
    return _rescale(G, 1.0)
