"""The plots of a fitted :class:`~desist.evaluation.evaluate.Evaluation` (they need the fitted frames,
which the frozen result does not keep)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desist.domain.errors import InputError
from desist.evaluation._plotting import PlotPath

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure, SubFigure

    from desist.evaluation.subgroups import SubgroupResult
    from desist.evaluation.survival import SurvivalResult


class EvaluationPlots:
    """Love plot, survival curves, innocent-deniers curve and subgroup forest plot."""

    survival_: SurvivalResult | None
    deniers_: pd.DataFrame | None
    subgroups_: SubgroupResult | None

    def _check_fitted(self) -> None:
        raise NotImplementedError

    @property
    def balance_(self) -> pd.DataFrame:
        raise NotImplementedError

    def plot_balance(self, path: PlotPath | None = None, threshold: float = 0.1) -> Any:
        """Love plot of SMDs before and after the design."""
        from desist.evaluation.balance import love_plot

        self._check_fitted()
        return love_plot(self.balance_, path=path, threshold=threshold)

    def plot_survival(self, path: PlotPath | None = None) -> Figure | SubFigure:
        """Weighted Kaplan-Meier curves of the two arms."""
        from desist.evaluation.survival import plot_survival

        self._check_fitted()
        if self.survival_ is None:
            raise InputError("plot_survival: no survival analysis; give time and event columns")
        return plot_survival(self.survival_, path=path)

    def plot_deniers(self, path: PlotPath | None = None) -> Figure | SubFigure:
        """The estimate as more men maintaining innocence are assumed innocent."""
        from desist.evaluation.sensitivity import plot_deniers

        self._check_fitted()
        if self.deniers_ is None:
            raise InputError("plot_deniers: no innocent-deniers scenario; give the deniers column")
        return plot_deniers(self.deniers_, path=path)

    def plot_subgroups(self, path: PlotPath | None = None) -> Figure | SubFigure:
        """Forest plot of the subgroup effects."""
        from desist.evaluation.subgroups import plot_subgroups

        self._check_fitted()
        if self.subgroups_ is None:
            raise InputError("plot_subgroups: no subgroup analysis; give the subgroup column")
        return plot_subgroups(self.subgroups_, path=path)
