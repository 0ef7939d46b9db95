"""Vectorised assessment for bulk recommendations: every risk tool scored with numpy over all men at once.

Scoring one man at a time through the scalar tools costs more than all the programme rules together; the
risk-tools' DataFrame functions (:mod:`desist.domain.risk.frame`) apply the same tables to whole columns. The
results are turned back into the scalar result types and combined by the same code as
:func:`desist.domain.assessment.assess`, and a test checks both paths agree man by man.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

import pandas as pd

from desist.domain.assessment import AssessedRisk, combine, era_on
from desist.domain.catalogue import Catalogue
from desist.domain.profile import PNI_FIELDS, Profile
from desist.domain.risk import frame_scorers as frame
from desist.domain.risk import osp, pni
from desist.domain.risk.bands import MISSING_INFORMATION, Band, NeedLevel, Pathway
from desist.domain.risk.rm2000 import Rm2000Input
from desist.domain.risk.static99r import Static99RInput

OSP_FIELDS = tuple(name for name in osp.OspInput.model_fields if name != "id")
_BANDS = {str(b): b for b in Band}
T = TypeVar("T")


def _column(values: pd.Series) -> list[Any]:
    """A result column as Python values, with None for missing (NA / NaN)."""
    out = values.astype(object).where(values.notna(), None).tolist()
    return [x.item() if hasattr(x, "item") else x for x in out]


def _frame(objects: Sequence[Any], fields: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({f: [getattr(o, f) for o in objects] for f in fields})


def _osp(profiles: Sequence[Profile]) -> list[osp.OspResult]:
    f = frame._osp_frame(_frame(profiles, OSP_FIELDS))
    points = _column(f["osp_dc.points"])
    prob = _column(f["osp_dc.probability"])
    iic_prob = _column(f["osp_iic.probability"])
    dc_band = [_BANDS[b] for b in f["osp_dc.band"].astype(str)]
    iic_band = [_BANDS[b] for b in f["osp_iic.band"].astype(str)]
    return [
        osp.OspResult(
            dc=osp.OspDcResult(points=points[i], band=dc_band[i], probability=prob[i]),
            iic=osp.OspIicResult(band=iic_band[i], probability=iic_prob[i]),
        )
        for i in range(len(profiles))
    ]


def _pni(profiles: Sequence[Profile], osps: Sequence[osp.OspResult]) -> list[pni.PniResult]:
    df = _frame(profiles, ("sex", *PNI_FIELDS))
    df["osp_dc_band"] = [str(o.dc.band) for o in osps]
    df["osp_iic_band"] = [str(o.iic.band) for o in osps]
    f = frame._pni_frame(df)
    domains = [_column(f[f"need.{d}"]) for d in ("sex", "thinking", "relationships", "self_management")]
    overall = _column(f["need.overall"])
    levels = f["need.level"].astype(str).tolist()
    risk = f["risk_level"].astype(str).tolist()
    pathway = f["pathway"].astype(str).tolist()
    return [
        pni.PniResult(
            need=pni.NeedResult(
                sex=domains[0][i],
                thinking=domains[1][i],
                relationships=domains[2][i],
                self_management=domains[3][i],
                overall=overall[i],
                level=MISSING_INFORMATION if levels[i] == MISSING_INFORMATION else NeedLevel(levels[i]),
            ),
            risk_level=NeedLevel(risk[i]),
            pathway=Pathway(pathway[i]),
        )
        for i in range(len(profiles))
    ]


def _rm2000(inputs: Sequence[Rm2000Input]) -> list[dict[str, Any]]:
    f = frame._rm2000_frame(_frame(inputs, [n for n in Rm2000Input.model_fields if n != "id"]))
    cols = {k: (f[f"{k}.points"].tolist(), f[f"{k}.category"].astype(str).tolist()) for k in ("s", "v", "c")}
    return [
        {k: {"points": int(pts[i]), "category": cat[i]} for k, (pts, cat) in cols.items()}
        for i in range(len(inputs))
    ]


def _static99r(inputs: Sequence[Static99RInput]) -> list[dict[str, Any]]:
    f = frame._static99r_frame(_frame(inputs, [n for n in Static99RInput.model_fields if n != "id"]))
    return [{"total": int(t), "level": str(lv)} for t, lv in zip(f["total"], f["level"], strict=True)]


def _given(inp: T | None) -> T:
    assert inp is not None  # the index only holds men whose record gave the tool's fields
    return inp


def _subset(values: list[Any], index: list[int], results: list[Any]) -> None:
    for i, r in zip(index, results, strict=True):
        values[i] = r


def assess_many(
    profiles: Sequence[Profile], days: Sequence[date], catalogue: Catalogue
) -> list[AssessedRisk]:
    """:func:`~desist.domain.assessment.assess` for many men at once (``days[i]`` is man ``i``'s date)."""
    n = len(profiles)
    if n == 0:
        return []
    osps = _osp(profiles)
    pnis: list[Any] = [None] * n
    idx = [i for i, p in enumerate(profiles) if p.has_pni]
    if idx:
        _subset(pnis, idx, _pni([profiles[i] for i in idx], [osps[i] for i in idx]))
    rms: list[Any] = [None] * n
    idx = [i for i, p in enumerate(profiles) if p.rm2000_input is not None]
    if idx:
        _subset(rms, idx, _rm2000([_given(profiles[i].rm2000_input) for i in idx]))
    s99s: list[Any] = [None] * n
    idx = [i for i, p in enumerate(profiles) if p.static99r_input is not None]
    if idx:
        _subset(s99s, idx, _static99r([_given(profiles[i].static99r_input) for i in idx]))
    return [
        combine(p, days[i], era_on(catalogue, days[i]), osps[i], rms[i], s99s[i], pnis[i])
        for i, p in enumerate(profiles)
    ]


__all__ = ["assess_many"]
