"""The vectorised DataFrame path and the scalar reference agree record by record on random valid data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from desist.adapters.records import flatten
from desist.domain.errors import InputError
from desist.domain.risk import osp, pni, rm2000, static99r
from desist.domain.risk.frame import FRAMES
from desist.domain.risk.random_records import GENERATORS

MODELS = {
    "osp": (osp.OspInput, osp.score),
    "static99r": (static99r.Static99RInput, static99r.score),
    "rm2000": (rm2000.Rm2000Input, rm2000.score),
    "pni": (pni.PniInput, pni.score),
}


def _clean(v):
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


@pytest.mark.parametrize("tool", sorted(GENERATORS))
def test_scalar_and_vectorised_agree(tool):
    rng = np.random.default_rng(20261129)
    df = GENERATORS[tool](3000, rng)
    got = FRAMES[tool](df)
    model, score = MODELS[tool]
    records = [{k: _clean(v) for k, v in rec.items()} for rec in df.to_dict("records")]
    compared = 0
    for rec, (_, row) in zip(records, got.iterrows(), strict=True):
        expected = flatten({"id": rec["id"], **score(model.model_validate(rec)).to_dict()})
        for col in got.columns:
            e, g = expected[col], _clean(row[col])
            if isinstance(e, float):
                assert g == pytest.approx(e, rel=1e-12), (tool, rec["id"], col)
            else:
                assert (str(g) if g is not None else None) == (str(e) if e is not None else None), (
                    tool,
                    rec["id"],
                    col,
                    rec,
                )
            compared += 1
    assert compared >= 3000 * 5


def test_random_data_reaches_every_band():
    # the agreement test is only as good as its coverage: every band / level / pathway must occur
    rng = np.random.default_rng(7)
    o = FRAMES["osp"](GENERATORS["osp"](3000, rng))
    assert set(o["osp_dc.band"]) == {"LOW", "MEDIUM", "HIGH", "VERY_HIGH", "NOT_APPLICABLE"}
    assert set(o["osp_iic.band"]) == {"LOW", "MEDIUM", "HIGH", "NOT_APPLICABLE"}
    s = FRAMES["static99r"](GENERATORS["static99r"](3000, rng))
    assert set(s["level"]) == {"I", "II", "III", "IVa", "IVb"}
    r = FRAMES["rm2000"](GENERATORS["rm2000"](3000, rng))
    assert {c for col in ("s.category", "v.category", "c.category") for c in r[col]} == {
        "LOW",
        "MEDIUM",
        "HIGH",
        "VERY_HIGH",
    }
    p = FRAMES["pni"](GENERATORS["pni"](3000, rng))
    assert set(p["pathway"]) == {
        "HIGH_INTENSITY",
        "MODERATE_INTENSITY",
        "ALTERNATIVE_PATHWAY",
        "MISSING_INFORMATION",
    }
    assert set(p["need.level"]) == {"LOW", "MEDIUM", "HIGH", "MISSING_INFORMATION"}


def test_frame_refuses_missing_sex_items_with_osp_level():
    df = GENERATORS["pni"](50, np.random.default_rng(1))
    df.loc[3, ["sex", "osp_dc_band", "oasys_11_11"]] = ["M", "HIGH", np.nan]
    with pytest.raises(InputError, match="record 4 .*field 'oasys_11_11': missing"):
        FRAMES["pni"](df)
