"""The figure plumbing the evaluation plots share: a new headless figure or the caller's Axes, and saving.

Kept apart so each plot function holds only what it draws.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

#: where a plot may be saved (the format follows the suffix, as matplotlib's savefig)
PlotPath = str | os.PathLike[str]


def figure_and_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure | SubFigure, Axes]:
    """A new figure on the Agg backend (no display needed), or the figure ``ax`` is drawn on."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if ax is None:
        fig, new_ax = plt.subplots(figsize=figsize)
        return fig, new_ax
    return ax.figure, ax


def save(fig: Figure | SubFigure, path: PlotPath | None) -> None:
    """Save to ``path`` when one is given (a sub-figure saves through the figure that holds it)."""
    if path is not None:
        fig.figure.savefig(path, bbox_inches="tight")
