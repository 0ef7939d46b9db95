"""The same record scores the same through every path: ``desist risk``, the import of assessments, the
scoring service, the vectorised frame path and the recommendation's assessment (issue 7, item 2).

The record below once scored HIGH / MODERATE_INTENSITY with ``desist risk --tool pni`` (which scored the OSP
inputs it carries) but LOW / ALTERNATIVE_PATHWAY through ``desist import assessments`` (which ignored them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from desist.adapters.orm import Assessment
from desist.services.imports import import_file
from desist.services.scoring import score_records
from tests.cli import run_cli
from tests.principals import importing

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "import"

#: a man with OSP inputs (35 points, OSP/DC HIGH) and PNI need items (MEDIUM need), no OSP band given
DIVERGING = {
    "id": "N-DIV",
    "sex": "M",
    "age": 30,
    "contact_adult_sanctions": 1,
    "contact_child_sanctions": 0,
    "paraphilia_sanctions": 0,
    "indecent_image_sanctions": 0,
    "total_sanctions": 2,
    "age_at_last_sexual_offence": 28,
    "stranger_victim": True,
    "in_custody": True,
    "offence_in_last_5_years": True,
    "sexual_offence_in_last_5_years": True,
    **dict.fromkeys(["oasys_11_11", "oasys_11_12", "oasys_6_12", "oasys_12_1", "oasys_6_1", "oasys_11_3"], 1),
    **dict.fromkeys(["oasys_12_9", "oasys_6_6", "oasys_7_3", "oasys_11_6", "oasys_10_1"], 0),
    **dict.fromkeys(["oasys_11_2", "oasys_11_4"], 1),
}
EXPECTED = {
    "need": {
        "sex": 1,
        "thinking": 1,
        "relationships": 1,
        "self_management": 1,
        "overall": 4,
        "level": "MEDIUM",
    },
    "risk_level": "HIGH",
    "pathway": "MODERATE_INTENSITY",
}


def test_service_and_cli_score_the_diverging_record_high(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert score_records("pni", [DIVERGING]).rows == [{"id": "N-DIV", **EXPECTED}]
    path = tmp_path / "pni.json"
    path.write_text(json.dumps([DIVERGING]))
    code, out, err = run_cli(["risk", "--tool", "pni", "--input", str(path), "--format", "json"], capsys)
    assert code == 0, err
    assert json.loads(out) == [{"id": "N-DIV", **EXPECTED}]


def test_frame_path_and_recommendation_read_the_same_bands() -> None:
    from datetime import date

    from desist.domain.assessment import assess
    from desist.domain.catalogue import default_catalogue
    from desist.domain.profile import Profile
    from desist.domain.risk.frame import score_frame

    scores, refused = score_frame("pni", pd.DataFrame([DIVERGING]))
    assert not refused
    assert scores[["risk_level", "pathway"]].astype(str).values.tolist() == [["HIGH", "MODERATE_INTENSITY"]]
    man = Profile.model_validate(
        {
            **DIVERGING,
            "setting": "custody",
            "ldc": False,
            "offence_type": "contact_adult",
            "maintains_innocence": False,
            "months_to_release": 30,
        }
    )
    a = assess(man, date(2020, 1, 1), default_catalogue())
    assert a.pni is not None and (str(a.pni.risk_level), str(a.pni.pathway)) == ("HIGH", "MODERATE_INTENSITY")


def test_import_scores_the_diverging_record_as_the_cli_does(session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_file(importing(session_factory), "people", EXAMPLES / "people.csv")
    number = pd.read_csv(EXAMPLES / "people.csv")["prison_number"].iloc[0]
    rows = tmp_path / "assessments.csv"
    inputs = {k: v for k, v in DIVERGING.items() if k != "id"}
    pd.DataFrame(
        [{"prison_number": number, "assessed_on": "2023-10-02", "tool": "pni", "inputs": json.dumps(inputs)}]
    ).to_csv(rows, index=False)
    import_file(importing(session_factory), "assessments", rows)
    with session_factory() as s:
        stored = s.scalars(select(Assessment).where(Assessment.tool == "pni")).one()
        outputs = stored.outputs if isinstance(stored.outputs, dict) else json.loads(stored.outputs)
        inputs_stored = stored.inputs if isinstance(stored.inputs, dict) else json.loads(stored.inputs)
    assert outputs == EXPECTED
    assert inputs_stored["osp_dc_band"] == "HIGH"  # computed from the OSP inputs, and stored as used
