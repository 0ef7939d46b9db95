"""The validated frame path and the record path agree on the score or both refuse (issue 7, item 7).

Hypothesis draws valid records from the random generators and corrupts some fields with values of every kind
a file can hold: out of range, missing, blank, odd spellings (" 3", "3.0", "m", "yes", "Low "), a yes/no where
a number belongs, a fraction where a whole number belongs, text. Both paths then see the same records: the
record path one dict at a time (:func:`desist.domain.risk.registry.score_record`), the frame path as a
DataFrame (:func:`desist.domain.risk.frame.score_frame`) and as raw columns (what ``desist risk`` streams).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from desist.adapters.records import flatten
from desist.domain.errors import InputError
from desist.domain.risk import registry
from desist.domain.risk.base import FieldError
from desist.domain.risk.frame import FRAMES, score_frame
from desist.domain.risk.frame_checks import check_columns, field_rules
from desist.domain.risk.osp import OspInput
from desist.domain.risk.random_records import GENERATORS

ODD = [
    None,
    "",
    " ",
    "abc",
    True,
    False,
    -1,
    -3,
    0,
    1,
    2,
    3,
    7,
    200,
    501,
    3.5,
    3.0,
    "3",
    " 3",
    "3.0",
    "3.5",
    "-3",
    "1e2",
    "yes",
    "NO",
    "y",
    "maybe",
    "m",
    " f ",
    "F",
    "x",
    "low",
    "High ",
    "EXTREME",
    "not_applicable",
    "medium",
    17.5,
    110,
    111,
    10,
    9,
]


def _py(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


@st.composite
def records(draw: st.DrawFn, tool: str) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    base = GENERATORS[tool](n, np.random.default_rng(seed))
    out = [{k: _py(v) for k, v in rec.items()} for rec in base.to_dict("records")]
    names = [r.name for r in field_rules(registry.get_tool(tool).model)]
    if tool == "pni" and draw(st.booleans()):  # the PNI + OSP rule: some records carry OSP inputs
        osp = GENERATORS["osp"](n, np.random.default_rng(seed + 1)).to_dict("records")
        for rec, o in zip(out, osp, strict=True):
            if draw(st.booleans()):
                rec.update({k: _py(v) for k, v in o.items() if k not in ("id", "sex")})
        names += [r.name for r in field_rules(OspInput) if r.name not in names]
    for rec in out:
        for _ in range(draw(st.integers(0, 3))):
            rec[draw(st.sampled_from(names))] = draw(st.sampled_from(ODD))
    return out


def _record_path(tool: str, rec: dict[str, Any]) -> dict[str, Any] | None:
    try:
        inp, result = registry.score_record(tool, rec)
    except (ValidationError, FieldError):
        return None
    return flatten({"id": getattr(inp, "id", None), **result.to_dict()})


def _same(tool: str, recs: list[dict[str, Any]], got: pd.DataFrame, refused: set[int]) -> None:
    expected = [_record_path(tool, r) for r in recs]
    assert {i for i, e in enumerate(expected) if e is None} == refused, (recs, refused)
    rows = got.to_dict("records")
    kept = [e for e in expected if e is not None]
    assert len(rows) == len(kept)
    for e, g in zip(kept, rows, strict=True):
        for col, want in e.items():
            have = _py(g[col]) if col in g else "absent"
            have = None if str(have) == "<NA>" else have
            if isinstance(want, float):
                assert have == pytest.approx(want, rel=1e-12), (col, e, g)
            else:
                assert (None if have is None else str(have)) == (None if want is None else str(want)), (
                    col,
                    e,
                    g,
                )


@pytest.mark.parametrize("tool", sorted(registry.TOOLS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_frame_and_record_paths_agree_or_both_refuse(tool: str, data: st.DataObject) -> None:
    recs = data.draw(records(tool))
    # as a DataFrame (the public Python API): pandas may turn whole numbers into floats, None into NaN
    df = pd.DataFrame.from_records(recs)
    got, rejects = score_frame(tool, df, on_error="skip")
    _same(tool, recs, got, {r.row - 1 for r in rejects})
    # as raw columns of Python values (what desist risk streams from a JSON file)
    names = sorted({k for r in recs for k in r})
    checked = check_columns(tool, {c: [r.get(c) for r in recs] for c in names}, len(recs), lambda i: recs[i])
    assert {r.row - 1 for r in checked.rejects} == {r.row - 1 for r in rejects}
    for r in checked.rejects:  # the same one-line message as the record path
        with pytest.raises((ValidationError, FieldError)):
            registry.validate_record(tool, recs[r.row - 1])


def test_bad_values_the_old_frame_path_scored_are_refused() -> None:
    # issue 7: age 7 got 39 points, age 200 was MEDIUM, -3 sanctions NOT_APPLICABLE, "m" NOT_APPLICABLE
    df = GENERATORS["osp"](5, np.random.default_rng(3))
    for field, value, line in [
        ("age", 7, "record 2 (id O-0000002): field 'age': 7 is out of range, expected 10 to 110"),
        ("age", 200, "record 2 (id O-0000002): field 'age': 200 is out of range, expected 10 to 110"),
        (
            "contact_adult_sanctions",
            -3,
            "field 'contact_adult_sanctions': -3 is out of range, expected 0 to 500",
        ),
    ]:
        bad = df.copy()
        bad.loc[1, field] = value
        with pytest.raises(InputError) as info:
            FRAMES["osp"](bad)
        assert line in str(info.value)
    men = df.assign(sex="m")
    assert (
        FRAMES["osp"](men)["osp_dc.band"].tolist()
        == FRAMES["osp"](df.assign(sex="M"))["osp_dc.band"].tolist()
    )
    assert FRAMES["osp"](men)["osp_dc.band"].ne("NOT_APPLICABLE").any()  # "m" was NOT_APPLICABLE before
