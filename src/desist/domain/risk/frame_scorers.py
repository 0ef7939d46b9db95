"""Vectorised scorers of whole pandas DataFrames: the scalar tools' rules and tables, for bulk work.

The scalar modules (:mod:`osp`, :mod:`static99r`, :mod:`rm2000`, :mod:`pni`) are the reference; these
functions exist because scoring a million records one pydantic model at a time takes minutes, while numpy does
it in well under a second per tool. Both read the same ``Cuts`` tables, and the test-suite checks that they
agree record by record on random data.

These scorers take *already validated* values (numbers, booleans, ``sex`` "M"/"F", NaN / None for missing
optional values); :mod:`desist.domain.risk.frame` is the public, validated way in.
Output frames use the flattened output names of ``desist risk --format csv`` (``osp_dc.points``,
``need.overall``, ...), with ``<NA>`` where a value does not apply.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from desist.domain.risk.bands import MISSING_INFORMATION, ORDERED_BANDS, Band, NeedLevel, Pathway
from desist.domain.risk.base import FieldError
from desist.domain.risk.osp import DC_COUNT_ITEMS, SEXUAL_SANCTION_FIELDS
from desist.domain.risk.static99r import FLAG_ITEMS
from desist.domain.risk.tables import cuts, load_table

_BAND_WORDS = [str(b) for b in ORDERED_BANDS]
_BAND_CATS = [*_BAND_WORDS, str(Band.NOT_APPLICABLE)]
_NA_CODE = len(_BAND_WORDS)  # code of NOT_APPLICABLE in _BAND_CATS


def _num(df: pd.DataFrame, name: str) -> np.ndarray:
    return pd.to_numeric(df[name], errors="raise").to_numpy(dtype=float, na_value=np.nan)


def _flag(df: pd.DataFrame, name: str) -> np.ndarray:
    return df[name].fillna(False).to_numpy().astype(bool)


def _optional(df: pd.DataFrame, name: str) -> np.ndarray:
    return _num(df, name) if name in df else np.full(len(df), np.nan)


def _categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    # pandas-stubs type from_codes' categories as an Index; a list is what pandas documents and accepts
    out: pd.Categorical = cast(Any, pd.Categorical).from_codes(
        np.asarray(codes, dtype=np.int16), categories=categories
    )
    return out


def _bands(codes: np.ndarray) -> pd.Categorical:
    return _categorical(codes, categories=_BAND_CATS)


def _word_codes(values: Any, categories: list[str]) -> np.ndarray:
    """Codes into ``categories`` for a column of validated (upper-case) words; anything else -> -1."""
    words = np.asarray(values)
    codes = np.full(len(words), -1, dtype=np.int16)
    for k, word in enumerate(categories):  # a handful of words: one vectorised comparison each
        codes[words == word] = k
    return codes


def _band_codes(values: Any) -> np.ndarray:
    """Codes into _BAND_CATS for a column of band words (missing -> -1)."""
    return _word_codes(values, _BAND_CATS)


def _ids(df: pd.DataFrame) -> pd.Series:
    return df["id"].reset_index(drop=True) if "id" in df else pd.Series([None] * len(df))


def _nullable_int(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(mask, values, 0).astype(np.int64), ~mask)


def _osp_frame(df: pd.DataFrame) -> pd.DataFrame:
    """OSP/DC and OSP/IIC for every row (same rules as :func:`desist.domain.risk.osp.score`)."""
    t = load_table("osp")["dc"]
    age = _num(df, "age")
    men = df["sex"].to_numpy() == "M"
    counts = {f: _num(df, f) for f in SEXUAL_SANCTION_FIELDS}
    sexual = sum(counts.values())
    points = sum(cuts(t[f]).lookup_array(counts[f]) for f in DC_COUNT_ITEMS)
    a = t["current_age"]
    points = points + np.where(
        age < a["under_age"],
        a["under_points"],
        np.where(age >= a["zero_from_age"], 0, np.ceil((a["zero_from_age"] - age) / a["step"])),
    )
    last = _optional(df, "age_at_last_sexual_offence")
    points = points + np.where(np.isnan(last), 0, cuts(t["age_at_last_sexual_offence"]).lookup_array(last))
    points = points + cuts(t["total_sanctions"]).lookup_array(_num(df, "total_sanctions"))
    points = (points + np.where(_flag(df, "stranger_victim"), t["stranger_victim"]["points"], 0)).astype(
        np.int64
    )

    applies = men & (sexual > 0)
    code = cuts(t["bands"], "labels").index_array(points)
    years = _optional(df, "years_since_community_date")
    drop = (
        ~_flag(df, "in_custody")
        & (years >= t["community_drop"]["min_years_since_community_date"])
        & ~_flag(df, "offence_in_last_5_years")
        & ~_flag(df, "sexual_offence_in_last_5_years")
    )
    code = np.where(drop, np.maximum(code - 1, 0), code)
    code = np.where(applies, code, _NA_CODE)
    p = t["probability"]
    prob = np.where(applies, 1.0 / (1.0 + np.exp(-(p["intercept"] + p["slope"] * points))), np.nan)

    conditions, bands, probs = [], [], []
    for rule in load_table("osp")["iic"]["rules"]:
        when = rule["when"]
        conditions.append(
            np.ones(len(df), bool)
            if when == "otherwise"
            else (sexual == 0)
            if when == "no_sexual_sanctions"
            else counts[when] >= rule["min"]
        )
        bands.append(_BAND_CATS.index(rule["band"]))
        probs.append(np.nan if rule["probability"] is None else rule["probability"])
    iic_code = np.where(men, np.select(conditions, bands), _NA_CODE)
    iic_prob = np.where(men, np.select(conditions, probs), np.nan)
    return pd.DataFrame(
        {
            "id": _ids(df),
            "osp_dc.points": _nullable_int(points, applies),
            "osp_dc.band": _bands(code),
            "osp_dc.probability": prob,
            "osp_iic.band": _bands(iic_code),
            "osp_iic.probability": iic_prob,
        }
    )


def _static99r_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Static-99R total, level and items for every row."""
    t = load_table("static99r")
    it = t["items"]
    items: dict[str, np.ndarray] = {
        "age_at_release": cuts(it["age_at_release"]).lookup_array(_num(df, "age_at_release")),
        "lived_with_partner_2y": np.where(
            _flag(df, "lived_with_partner_2y"), 0, it["lived_with_partner_2y"]["points_if_false"]
        ),
    }
    for name in FLAG_ITEMS[:2]:
        items[name] = np.where(_flag(df, name), it[name]["points"], 0)
    items["prior_sex_offences"] = np.maximum(
        cuts(it["prior_sex_charges"]).lookup_array(_num(df, "prior_sex_charges")),
        cuts(it["prior_sex_convictions"]).lookup_array(_num(df, "prior_sex_convictions")),
    )
    items["prior_sentencing_dates"] = cuts(it["prior_sentencing_dates"]).lookup_array(
        _num(df, "prior_sentencing_dates")
    )
    for name in FLAG_ITEMS[2:]:
        items[name] = np.where(_flag(df, name), it[name]["points"], 0)
    total: np.ndarray = np.asarray(np.sum(list(items.values()), axis=0, dtype=np.int64))
    level = _categorical(cuts(t["levels"], "labels").index_array(total), categories=t["levels"]["labels"])
    out = pd.DataFrame({"id": _ids(df), "total": total, "level": level})
    for name, pts in items.items():
        out[f"items.{name}"] = pts.astype(np.int64)
    return out


def _rm2000_frame(df: pd.DataFrame) -> pd.DataFrame:
    """RM2000/S, /V and /C points and categories for every row."""
    t = load_table("rm2000")
    s, v, c = t["s"], t["v"], t["c"]
    age = _num(df, "age_at_commencement_of_risk")
    s_points = (
        cuts(s["age_at_commencement_of_risk"]).lookup_array(age)
        + cuts(s["sexual_appearances"]).lookup_array(_num(df, "sexual_appearances"))
        + cuts(s["criminal_appearances"]).lookup_array(_num(df, "criminal_appearances"))
    ).astype(np.int64)
    factors = np.asarray(np.sum([_flag(df, f) for f in s["aggravating_factors"]], axis=0, dtype=np.int64))
    raise_by = cuts(s["step2_raise"], "steps").lookup_array(factors)
    s_code = np.minimum(
        cuts(s["step1_categories"], "labels").index_array(s_points) + raise_by, len(_BAND_WORDS) - 1
    )
    v_points = (
        cuts(v["age_at_commencement_of_risk"]).lookup_array(age)
        + cuts(v["violent_appearances"]).lookup_array(_num(df, "violent_appearances"))
        + np.where(_flag(df, "burglary"), v["burglary"]["points"], 0)
    ).astype(np.int64)
    v_code = cuts(v["categories"], "labels").index_array(v_points)
    per_band = np.array([c["category_points"][w] for w in _BAND_WORDS])
    c_points = per_band[s_code] + per_band[v_code]
    c_code = cuts(c["categories"], "labels").index_array(c_points)
    s_items = {
        "age_at_commencement_of_risk": cuts(s["age_at_commencement_of_risk"]).lookup_array(age),
        "sexual_appearances": cuts(s["sexual_appearances"]).lookup_array(_num(df, "sexual_appearances")),
        "criminal_appearances": cuts(s["criminal_appearances"]).lookup_array(
            _num(df, "criminal_appearances")
        ),
        "aggravating_factors": factors,
        "step2_raise": raise_by,
    }
    v_items = {
        "age_at_commencement_of_risk": cuts(v["age_at_commencement_of_risk"]).lookup_array(age),
        "violent_appearances": cuts(v["violent_appearances"]).lookup_array(_num(df, "violent_appearances")),
        "burglary": np.where(_flag(df, "burglary"), v["burglary"]["points"], 0),
    }
    return pd.DataFrame(
        {
            "id": _ids(df),
            "s.points": s_points,
            "s.category": _bands(s_code),
            **{f"s.items.{k}": np.asarray(x, dtype=np.int64) for k, x in s_items.items()},
            "v.points": v_points,
            "v.category": _bands(v_code),
            **{f"v.items.{k}": np.asarray(x, dtype=np.int64) for k, x in v_items.items()},
            "c.points": c_points.astype(np.int64),
            "c.category": _bands(c_code),
            "c.items.s": per_band[s_code].astype(np.int64),
            "c.items.v": per_band[v_code].astype(np.int64),
        }
    )


def _pni_domains(df: pd.DataFrame, has_osp: np.ndarray) -> dict[str, np.ndarray]:
    need = load_table("pni")["need"]
    ans = {
        d: np.column_stack([_optional(df, i) for i in need[d]["items"]])
        for d in ("sex", "thinking", "relationships", "self_management")
    }
    out: dict[str, np.ndarray] = {}
    sx, tx = need["sex"], need["thinking"]
    tot = ans["sex"].sum(axis=1)
    missing = np.isnan(tot)
    bad = missing & has_osp
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        item = sx["items"][int(np.flatnonzero(np.isnan(ans["sex"][row]))[0])]
        # the frame path scores validated data in bulk; a caller wanting skip semantics validates with the
        # records adapter first, so here the first offending row stops the run
        raise FieldError(
            item,
            None,
            f"missing in row {row + 1}, expected 0, 1 or 2 (sex items are required "
            f"for a man with an OSP level)",
        )
    high = (tot >= sx["high_total_from"]) | (_optional(df, sx["high_if_item_2"]) == 2)
    out["sex"] = np.where(missing, np.nan, np.where(high, 2, np.where(tot >= sx["medium_total_from"], 1, 0)))
    tot = ans["thinking"].sum(axis=1)
    high = (tot >= tx["high_total_from"]) | (_optional(df, tx["high_if_item_2"]) == 2)
    out["thinking"] = np.where(np.isnan(tot), np.nan, np.where(tot == 0, 0, np.where(high, 2, 1)))
    for d in ("relationships", "self_management"):
        tot = ans[d].sum(axis=1)
        out[d] = np.where(np.isnan(tot), np.nan, cuts(need[d], "scores").lookup_array(np.nan_to_num(tot)))
    return out


def _pni_risk_rule(
    rule: dict[str, Any], sc: dict[str, np.ndarray], men: np.ndarray, has_osp: np.ndarray
) -> np.ndarray:
    osp_hit = np.isin(sc["osp_dc"], [_BAND_CATS.index(b) for b in rule["osp_bands"]]) | np.isin(
        sc["osp_iic"], [_BAND_CATS.index(b) for b in rule["osp_bands"]]
    )
    sara_codes = [list(NeedLevel).index(NeedLevel(w)) for w in rule["sara"]]
    hit: np.ndarray = (
        (sc["ogrs3"] >= rule["ogrs3"])
        | (sc["ovp"] >= rule["ovp"])
        | (men & osp_hit)
        | ((sc["rsr"] >= rule["rsr"]) & ~has_osp)
        | np.isin(sc["sara_partner"], sara_codes)
        | np.isin(sc["sara_others"], sara_codes)
    )
    return hit


def _pni_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Need domains, overall need, risk level and pathway for every row (same rules as :mod:`pni`)."""
    t = load_table("pni")
    men = df["sex"].to_numpy() == "M"
    levels = list(NeedLevel)
    sc = {k: _optional(df, k) for k in ("ogrs3", "ovp", "rsr")}
    for k in ("osp_dc_band", "osp_iic_band"):
        sc[k[:-5]] = _band_codes(df[k]) if k in df else np.full(len(df), -1)
    for k in ("sara_partner", "sara_others"):
        sc[k] = _word_codes(df[k], [str(x) for x in levels]) if k in df else np.full(len(df), -1)
    has_osp = men & (
        ((sc["osp_dc"] >= 0) & (sc["osp_dc"] != _NA_CODE))
        | ((sc["osp_iic"] >= 0) & (sc["osp_iic"] != _NA_CODE))
    )
    dom = _pni_domains(df, has_osp)
    missing = np.isnan(dom["thinking"]) | np.isnan(dom["relationships"]) | np.isnan(dom["self_management"])
    overall = np.nan_to_num(dom["sex"]) + dom["thinking"] + dom["relationships"] + dom["self_management"]
    need_code = np.where(
        missing, len(levels), cuts(t["need"]["overall"], "labels").index_array(np.nan_to_num(overall))
    )
    risk = np.where(
        _pni_risk_rule(t["risk"]["high"], sc, men, has_osp),
        2,
        np.where(_pni_risk_rule(t["risk"]["medium"], sc, men, has_osp), 1, 0),
    )

    pw = t["pathway"]
    over = pw["override_high_intensity"]
    over_sara = [levels.index(NeedLevel(w)) for w in over["sara"]]
    low_sara = [levels.index(NeedLevel(w)) for w in pw["low_need_sara_moderate"]]
    override = (sc["ogrs3"] >= over["ogrs3"]) & (
        (sc["ovp"] >= over["ovp"])
        | np.isin(sc["sara_partner"], over_sara)
        | np.isin(sc["sara_others"], over_sara)
    )
    low_sara_hit = np.isin(sc["sara_partner"], low_sara) | np.isin(sc["sara_others"], low_sara)
    pathways = list(Pathway)
    matrix = np.array(
        [[pathways.index(Pathway(pw["matrix"][str(n)][str(r)])) for r in levels] for n in levels]
    )
    code = np.select(
        [override, missing, (need_code == 0) & low_sara_hit],
        [
            pathways.index(Pathway.HIGH_INTENSITY),
            pathways.index(Pathway.MISSING_INFORMATION),
            pathways.index(Pathway.MODERATE_INTENSITY),
        ],
        default=matrix[np.minimum(need_code, len(levels) - 1), risk],
    )
    out = pd.DataFrame({"id": _ids(df)})
    for d in ("sex", "thinking", "relationships", "self_management"):
        out[f"need.{d}"] = _nullable_int(np.nan_to_num(dom[d]), ~np.isnan(dom[d]))
    out["need.overall"] = _nullable_int(np.nan_to_num(overall), ~missing)
    out["need.level"] = _categorical(need_code, categories=[*map(str, levels), MISSING_INFORMATION])
    out["risk_level"] = _categorical(risk, categories=[str(x) for x in levels])
    out["pathway"] = _categorical(code, categories=[str(p) for p in pathways])
    return out


_FRAMES = {"osp": _osp_frame, "static99r": _static99r_frame, "rm2000": _rm2000_frame, "pni": _pni_frame}
