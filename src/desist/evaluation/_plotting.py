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
    """A new headless figure, or the figure ``ax`` is drawn on.

    The new figure is a bare :class:`matplotlib.figure.Figure` on the Agg canvas: pyplot is not imported and
    the caller's backend is never changed (a notebook keeps its inline backend, a GUI keeps its windows).
    """
    from desist.evaluation.charts import new_axes

    return new_axes(ax, figsize)


def save(fig: Figure | SubFigure, path: PlotPath | None) -> None:
    """Save to ``path`` when one is given (a sub-figure saves through the figure that holds it)."""
    if path is not None:
        save_figure(fig.figure, path, bbox_inches="tight")


def save_figure(fig: Figure, path: PlotPath, **kwargs: object) -> None:
    """Save ``fig`` to ``path`` the way desist writes every file: atomically, and never onto a database.

    An existing file of that name is replaced (matplotlib's rule, kept for Python callers).
    """
    from desist.adapters.files import write_with  # writing files is the adapters' job; import when used

    write_with(path, lambda tmp: fig.savefig(tmp, **kwargs), force=True)  # type: ignore[arg-type]
