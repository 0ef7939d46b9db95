"""Vectorised assessment for bulk recommendations: every risk tool scored with numpy over all men at once.

Scoring one man at a time through the scalar tools costs more than all the programme rules together; the
risk-tools' DataFrame functions (:mod:`desist.domain.risk.frame`) apply the same tables to whole columns. The
results are turned back into the scalar result types and combined by the same code as
:func:`desist.domain.assessment.assess`, and a test checks both paths agree man by man.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from desist.domain.assessment import AssessedRisk, combine, era_on
from desist.domain.catalogue import Catalogue
from desist.domain.profile import PNI_FIELDS, ManFacts, Profile
from desist.domain.profile_columns import CheckedProfiles
from desist.domain.risk import frame_scorers as frame
from desist.domain.risk import osp, pni
from desist.domain.risk.bands import MISSING_INFORMATION, Band, NeedLevel, Pathway
from desist.domain.risk.rm2000 import Rm2000Input
from desist.domain.risk.static99r import Static99RInput

OSP_FIELDS = tuple(name for name in osp.OspInput.model_fields if name != "id")
_BANDS = {str(b): b for b in Band}


def _column(values: pd.Series) -> list[Any]:
    """A result column as Python values, with None for missing (NA / NaN)."""
    out = values.astype(object).where(values.notna(), None).tolist()
    return [x.item() if hasattr(x, "item") else x for x in out]


def _frame(objects: Sequence[Any], fields: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({f: [getattr(o, f) for o in objects] for f in fields})


#: a tool's inputs for some of the men (all of them for None), as a DataFrame of validated values
FrameOf = Callable[[Sequence[str], Sequence[int] | None], pd.DataFrame]


def _osp(df: pd.DataFrame) -> list[osp.OspResult]:
    f = frame._osp_frame(df)
    made: dict[tuple[Any, ...], osp.OspResult] = {}  # equal results are one (immutable) object
    out = []
    for key in zip(
        _column(f["osp_dc.points"]),
        f["osp_dc.band"].astype(str).tolist(),
        _column(f["osp_dc.probability"]),
        f["osp_iic.band"].astype(str).tolist(),
        _column(f["osp_iic.probability"]),
        strict=True,
    ):
        r = made.get(key)
        if r is None:
            points, dc_band, prob, iic_band, iic_prob = key
            r = made[key] = osp.OspResult(
                dc=osp.OspDcResult(points=points, band=_BANDS[dc_band], probability=prob),
                iic=osp.OspIicResult(band=_BANDS[iic_band], probability=iic_prob),
            )
        out.append(r)
    return out


def _pni(df: pd.DataFrame, osps: Sequence[osp.OspResult]) -> list[pni.PniResult]:
    df["osp_dc_band"] = [str(o.dc.band) for o in osps]
    df["osp_iic_band"] = [str(o.iic.band) for o in osps]
    f = frame._pni_frame(df)
    made: dict[tuple[Any, ...], pni.PniResult] = {}
    out = []
    for key in zip(
        *(_column(f[f"need.{d}"]) for d in ("sex", "thinking", "relationships", "self_management")),
        _column(f["need.overall"]),
        f["need.level"].astype(str).tolist(),
        f["risk_level"].astype(str).tolist(),
        f["pathway"].astype(str).tolist(),
        strict=True,
    ):
        r = made.get(key)
        if r is None:
            sex, thinking, relationships, self_management, overall, level, risk, pathway = key
            r = made[key] = pni.PniResult(
                need=pni.NeedResult(
                    sex=sex,
                    thinking=thinking,
                    relationships=relationships,
                    self_management=self_management,
                    overall=overall,
                    level=MISSING_INFORMATION if level == MISSING_INFORMATION else NeedLevel(level),
                ),
                risk_level=NeedLevel(risk),
                pathway=Pathway(pathway),
            )
        out.append(r)
    return out


def _rm2000(df: pd.DataFrame) -> list[dict[str, Any]]:
    f = frame._rm2000_frame(df)
    cols = {k: (f[f"{k}.points"].tolist(), f[f"{k}.category"].astype(str).tolist()) for k in ("s", "v", "c")}
    return [
        {k: {"points": int(pts[i]), "category": cat[i]} for k, (pts, cat) in cols.items()}
        for i in range(len(df))
    ]


def _static99r(df: pd.DataFrame) -> list[dict[str, Any]]:
    f = frame._static99r_frame(df)
    return [{"total": int(t), "level": str(lv)} for t, lv in zip(f["total"], f["level"], strict=True)]


_PNI_INPUTS = ("sex", *PNI_FIELDS)
_RM2000_INPUTS = tuple(n for n in Rm2000Input.model_fields if n != "id")
_STATIC99R_INPUTS = tuple(n for n in Static99RInput.model_fields if n != "id")


def _scored(
    men: Sequence[ManFacts],
    days: Sequence[date],
    catalogue: Catalogue,
    frame_of: FrameOf,
    with_pni: list[int],
    with_rm2000: list[int],
    with_static99r: list[int],
) -> list[AssessedRisk]:
    """Score every tool for the men who gave its inputs (``with_*``: their positions) and combine."""
    n = len(men)
    osps = _osp(frame_of(OSP_FIELDS, None))
    pnis: list[Any] = [None] * n
    if with_pni:
        _subset(pnis, with_pni, _pni(frame_of(_PNI_INPUTS, with_pni), [osps[i] for i in with_pni]))
    rms: list[Any] = [None] * n
    if with_rm2000:
        _subset(rms, with_rm2000, _rm2000(frame_of(_RM2000_INPUTS, with_rm2000)))
    s99s: list[Any] = [None] * n
    if with_static99r:
        _subset(s99s, with_static99r, _static99r(frame_of(_STATIC99R_INPUTS, with_static99r)))
    return [
        combine(m, days[i], era_on(catalogue, days[i]), osps[i], rms[i], s99s[i], pnis[i])
        for i, m in enumerate(men)
    ]


def _subset(values: list[Any], index: list[int], results: list[Any]) -> None:
    for i, r in zip(index, results, strict=True):
        values[i] = r


def assess_many(
    profiles: Sequence[Profile], days: Sequence[date], catalogue: Catalogue
) -> list[AssessedRisk]:
    """:func:`~desist.domain.assessment.assess` for many men at once (``days[i]`` is man ``i``'s date)."""
    if not profiles:
        return []

    def frame_of(fields: Sequence[str], index: Sequence[int] | None) -> pd.DataFrame:
        return _frame(profiles if index is None else [profiles[i] for i in index], fields)

    return _scored(
        profiles,
        days,
        catalogue,
        frame_of,
        [i for i, p in enumerate(profiles) if p.has_pni],
        [i for i, p in enumerate(profiles) if p.rm2000_input is not None],
        [i for i, p in enumerate(profiles) if p.static99r_input is not None],
    )


def assess_checked(
    checked: CheckedProfiles, rows: np.ndarray, days: Sequence[date], catalogue: Catalogue
) -> list[AssessedRisk]:
    """:func:`assess_many` for the plain records ``rows`` of a chunk checked column by column
    (:mod:`desist.domain.profile_columns`; ``days[k]`` is man ``rows[k]``'s date). They give no Static-99R
    items (those records are left to the Profile model)."""
    if not len(rows):
        return []
    col = checked.columns

    def frame_of(fields: Sequence[str], index: Sequence[int] | None) -> pd.DataFrame:
        at = rows if index is None else rows[np.asarray(index, dtype=np.int64)]
        return pd.DataFrame({f: col[f][at] for f in fields})

    men: list[ManFacts] = [m for i in rows.tolist() if (m := checked.men[i]) is not None]
    assert len(men) == len(rows), "every plain row has its man"
    return _scored(
        men,
        days,
        catalogue,
        frame_of,
        np.flatnonzero(checked.has_pni[rows]).tolist(),
        np.flatnonzero(checked.has_rm2000[rows]).tolist(),
        [],
    )


__all__ = ["assess_checked", "assess_many"]
