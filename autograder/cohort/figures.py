"""The class's figures, drawn with matplotlib (Agg) from the students' finished reports as PNG bytes: the score
histogram, the pass rate of every function and a student-by-function heat map. Exporters of
:mod:`autograder.cohort.exporters` write them into ``figures/`` next to the gradebook, and report.html shows them inline.

The same reports give the same bytes: the sizes depend only on the class (how many students and functions), the
fonts are matplotlib's own, and the PNG carries no date or software version.
"""
from __future__ import annotations

import io

from . import stats as class_stats

DPI = 100
"""Pixels per inch of every figure."""
LABELLED_STUDENTS = 80
"""Up to this many students the heat map names each row; beyond, rows are numbered in gradebook order."""
FIGURES = (("score_histogram.png", "Score histogram"), ("function_pass_rates.png", "Pass rate per function"),
           ("heat_map.png", "Score per student and function"))
"""File name (in ``figures/``) and title of each figure, in the order report.html shows them."""


def _axes(width, height):
    """A figure of ``width`` x ``height`` inches and its axes, drawn by Agg without pyplot: no display, no global
    state (a notebook's backend is left alone), the same pixels everywhere."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _colormap(name):
    import matplotlib

    return matplotlib.colormaps[name]


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _empty(title, size=(6.4, 2.0)):
    fig, ax = _axes(*size)
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"{title}: no graded submission yet", ha="center", va="center")
    return _png(fig)


def score_histogram_png(reports, out_dir=None) -> bytes:
    """Students per 5 % bin of the score (share of each student's maximum); those that could not be graded are
    stacked in grey at 0 %."""
    finished = {s: r for s, r in reports.items() if r is not None}
    if not finished:
        return _empty("Score histogram")
    graded = [100 * class_stats.score_fraction(r) for r in finished.values() if not r.error]
    failed = [100 * class_stats.score_fraction(r) for r in finished.values() if r.error]
    fig, ax = _axes(6.4, 3.6)
    bins = [5 * k for k in range(21)]
    data, colors, labels = [graded], ["#3b75af"], ["graded"]
    if failed:
        data, colors, labels = [graded, failed], ["#3b75af", "#a0a0a0"], ["graded", "could not be graded"]
    ax.hist(data, bins=bins, stacked=True, color=colors, label=labels, edgecolor="white")
    fractions = graded + failed
    median = class_stats.quantile(fractions, 0.5)
    ax.axvline(median, color="#c0392b", linestyle="--", linewidth=1.2, label=f"median {median:.1f}%")
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (% of the maximum)")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"Score histogram ({len(fractions)} submissions)")
    ax.legend(loc="upper left", frameon=False)
    return _png(fig)


def function_pass_rates_png(reports, out_dir=None) -> bytes:
    """One bar per function: the share of graded submissions that pass every check of it, with the mean score."""
    stats = class_stats.function_stats(reports)
    if not stats:
        return _empty("Pass rate per function")
    fig, ax = _axes(7.0, 1.2 + 0.22 * len(stats))
    positions = list(range(len(stats)))[::-1]  # the catalog's first function on top
    rates = [100 * s.pass_rate for s in stats]
    ax.barh(positions, rates, color=[_colormap("RdYlGn")(r / 100) for r in rates], height=0.7, label="passed every check")
    ax.plot([100 * s.mean_fraction for s in stats], positions, "k|", markersize=8, label="mean score")
    ax.set_yticks(positions, [s.name for s in stats], fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, len(stats) - 0.4)
    ax.set_xlabel("% of graded submissions passing every check (bar); mean score (tick)")
    ax.set_title(f"Pass rate per function ({len(class_stats.graded_reports(reports))} graded submissions)")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    return _png(fig)


def heat_map_png(reports, out_dir=None) -> bytes:
    """Students (rows, gradebook order) by functions (columns, catalog order): the share of each function's points
    earned; grey where a student has no check of that function."""
    import numpy as np

    students, names, rows = class_stats.heat_map(reports)
    if not students or not names:
        return _empty("Score per student and function")
    values = np.ma.masked_invalid(np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float))
    labelled = len(students) <= LABELLED_STUDENTS
    height = 2.2 + (0.18 * len(students) if labelled else min(0.06 * len(students), 14.0))
    fig, ax = _axes(max(4.5, 2.0 + 0.22 * len(names)), height)
    cmap = _colormap("RdYlGn").with_extremes(bad="#d0d0d0")
    image = ax.imshow(values, cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest",
                      extent=(-0.5, len(names) - 0.5, len(students) + 0.5, 0.5))  # rows numbered from 1
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    if labelled:
        ax.set_yticks(range(1, len(students) + 1), [s.replace("$", r"\$") for s in students], fontsize=7)  # no mathtext
    else:
        ax.set_ylabel(f"students 1-{len(students)} (gradebook order)")
    ax.set_title("Share of each function's points earned")
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, format=lambda v, _: f"{100 * v:.0f}%")
    return _png(fig)


EXPORTERS = tuple((f"figures/{name}", function) for (name, _), function in
                  zip(FIGURES, (score_histogram_png, function_pass_rates_png, heat_map_png)))
"""The figures as exporters: path in the results folder -> function of the reports returning PNG bytes."""
