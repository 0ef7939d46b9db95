"""The bulk path of ``desist recommend`` (records checked column by column, risk tools scored vectorised, rule
outcomes memoised) against the record path (one pydantic Profile and the scalar tools per man): the same
men accepted, the same recommendations and reasons, the same text written."""

from __future__ import annotations

import functools
import gc
import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from desist.adapters.recommendation_views import render_chunk
from desist.adapters.record_stream import read_chunks
from desist.domain.pathways import Policy, Recommendation, clear_memos, recommend, recommend_checked
from desist.domain.profile import Profile
from desist.domain.profile_columns import check_profiles
from desist.domain.risk.base import FieldError
from desist.services.recommendations import recommend_records, recommend_rendered
from tests.recommend_men import men_records

DAY = date(2019, 6, 1)


def _as_csv(records: list[dict[str, Any]], path: Path) -> Path:
    """The records as a file gives them: every cell text, lists in their CSV form, missing cells empty."""
    rows = []
    for r in records:
        row = dict(r)
        done = row.get("completed_programmes") or []
        row["completed_programmes"] = ";".join(
            f"{d['code']}:{'met' if d['targets_met'] else 'not_met'}" for d in done
        )
        row["hsp_items"] = ";".join(row.get("hsp_items") or [])
        rows.append({k: ("true" if v is True else "false" if v is False else v) for k, v in row.items()})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _comparable(rec: Recommendation) -> dict[str, Any]:
    d = rec.to_dict()
    for scale in ("osp_dc", "osp_iic"):  # numpy and math may differ in the last bit of a probability
        prob = d["risk"][scale]["probability"]
        d["risk"][scale]["probability"] = None if prob is None else round(prob, 12)
    return d


def _spelt_oddly(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Valid values in spellings the record model accepts, and some records it refuses."""
    odd: list[dict[str, Any]] = [dict(r) for r in records]
    edits = [
        {"sex": "m"},
        {"setting": " Custody ", "in_custody": "YES"},
        {"offence_type": "CONTACT_CHILD"},
        {"ldc": "1", "maintains_innocence": "no"},
        {"months_to_release": "12.50"},
        {"age": "44.0"},
        {"osp_dc_band": "low"},
        {"sara_partner": " high"},
        {"completed_programmes": [{"code": "kaizen", "targets_met": True}]},
        {"completed_programmes": "sotp-core:MET; HSP"},
        {"hsp_items": ["exhibitionism", "bestiality"]},
        {"as_of": "2017-01-01"},
        {"id": 12345},
        {"age": 7},  # refused: out of range
        {"setting": "hospital"},  # refused: not a setting
        {"completed_programmes": "NOPE:met"},  # refused: unknown code
        {"months_to_release": -0.0},  # "-0" months: accepted, written "-0"
        {"total_sanctions": 0, "contact_adult_sanctions": 2},  # refused: total below a count
    ]
    for i, edit in enumerate(edits):
        odd[i * 7].update(edit)
    return odd


def _reference(rec: dict[str, Any], policy: Policy) -> Recommendation | None:
    try:
        man = Profile.model_validate(rec)
    except (ValidationError, FieldError):
        return None
    return recommend(man, as_of=man.as_of or DAY, policy=policy)


@pytest.mark.parametrize("low_risk", [False, True])
def test_column_path_recommends_as_the_record_path(tmp_path: Path, low_risk: bool) -> None:
    policy = Policy(offer_low_risk=low_risk)
    records = _spelt_oddly(men_records(2500, seed=31 + low_risk))
    path = tmp_path / "men.json"
    path.write_text(json.dumps(records, default=str))
    plain_rows = 0
    for chunk in read_chunks(path, 700):
        checked = check_profiles(chunk.columns, chunk.n)
        fast = iter(recommend_checked(checked, DAY, policy))
        clear_memos()  # the reference below starts cold; the bulk path ran warm
        for i in range(chunk.n):
            expected = _reference(chunk.record(i), policy)
            if checked.plain[i]:  # accepted by the column checks: the model accepts it too, and agrees
                plain_rows += 1
                assert expected is not None, chunk.record(i)
                assert _comparable(next(fast)) == _comparable(expected), chunk.record(i)
    # most records take the column path (a chunk whose column mixes numbers and text, such as one number id
    # among text ids, is left to the model whole)
    assert plain_rows > 0.6 * len(records)


@pytest.mark.parametrize("kind", ["json", "csv", "parquet"])
def test_the_command_writes_the_record_paths_text(tmp_path: Path, kind: str) -> None:
    # the column path for the plain records, the Profile model for the others, merged in file order
    records = _spelt_oddly(men_records(1500, seed=3))
    if kind == "json":
        path = tmp_path / "men.json"
        path.write_text(json.dumps(records, default=str))
    else:
        records = [r for r in records if isinstance(r.get("completed_programmes", []), list)]
        path = _as_csv(records, tmp_path / "men.csv")
        if kind == "parquet":
            path = tmp_path / "men.parquet"
            pd.read_csv(tmp_path / "men.csv", dtype=str).to_parquet(path, index=False)
    whole = [r for chunk in read_chunks(path, 400) for r in chunk.records()]  # as the record path reads them
    done = recommend_records(whole, as_of=DAY, on_error="skip")
    for fmt in ("csv", "json"):
        pieces: list[str] = []
        rejects = []
        for got, refused in recommend_rendered(
            read_chunks(path, 400), DAY, None, "skip", functools.partial(render_chunk, fmt=fmt)
        ):
            pieces += got
            rejects += refused
        assert "".join(pieces) == "".join(render_chunk(done.recommendations, fmt))
        assert rejects == done.rejects
        assert len(rejects) >= 4  # the refused records of _spelt_oddly
    assert gc.isenabled()  # paused for each chunk only


def test_parallel_chunks_give_the_single_process_text(tmp_path: Path) -> None:
    path = tmp_path / "men.json"
    path.write_text(json.dumps(_spelt_oddly(men_records(600, seed=5)), default=str))
    render = functools.partial(render_chunk, fmt="csv")
    one = list(recommend_rendered(read_chunks(path, 200), DAY, None, "skip", render))
    two = list(recommend_rendered(read_chunks(path, 200), DAY, None, "skip", render, workers=2))
    assert two == one
    assert len(one) == 3


#: cell texts around the edges of what the record model accepts
TRICKY = [
    "",
    " ",
    "0",
    "1",
    "2",
    "3",
    "2.0",
    "2.5",
    " 2",
    "2 ",
    "-1",
    "-0",
    "+1",
    "1e1",
    "10",
    "18",
    "110",
    "111",
    "1200",
    "1200.0001",
    "true",
    "True",
    "YES",
    "no",
    "n",
    "t",
    "on",
    "x",
    "M",
    "m",
    "F",
    "X",
    "custody",
    "COMMUNITY",
    "Custody ",
    "contact_adult",
    "images_only",
    "non_contact",
    "LOW",
    "very_high",
    "NONE",
    "KAIZEN:met",
    "kaizen",
    "KAIZEN:nope",
    "HSP;KAIZEN:not_met",
    "2019-06-01",
    "2019-6-1",
    "20190601",
    "exhibitionism",
    "nonsense",
    "NaN",
    "inf",
    "１",
]
FIELDS = [
    "sex",
    "age",
    "setting",
    "in_custody",
    "offence_type",
    "ldc",
    "maintains_innocence",
    "months_to_release",
    "total_sanctions",
    "contact_adult_sanctions",
    "indecent_image_sanctions",
    "age_at_last_sexual_offence",
    "stranger_victim",
    "years_since_community_date",
    "oasys_11_11",
    "oasys_11_12",
    "oasys_12_1",
    "ogrs3",
    "osp_dc_band",
    "sara_others",
    "sexual_appearances",
    "burglary",
    "age_at_release",
    "completed_programmes",
    "hsp_items",
    "as_of",
    "id",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(FIELDS), st.sampled_from(TRICKY)), min_size=1, max_size=40))
def test_the_column_checks_accept_only_what_the_model_accepts(edits: list[tuple[str, str]]) -> None:
    records = []
    for rec, (field, value) in zip(men_records(len(edits), seed=len(edits)), edits, strict=True):
        rec["completed_programmes"] = None
        rec["hsp_items"] = None
        rec[field] = value
        # as the CSV reader gives the cells: text, stripped, an empty cell missing
        text = {k: "true" if v is True else "false" if v is False else v for k, v in rec.items()}
        records.append(
            {k: None if v is None or str(v).strip() == "" else str(v).strip() for k, v in text.items()}
        )
    columns = {k: [r.get(k) for r in records] for k in dict.fromkeys(k for r in records for k in r)}
    checked = check_profiles(columns, len(records))
    fast = iter(recommend_checked(checked, DAY))
    for i, rec in enumerate(records):
        if checked.plain[i]:
            expected = _reference(rec, Policy())
            assert expected is not None, rec
            assert _comparable(next(fast)) == _comparable(expected), rec


_RM2000 = dict(
    age_at_commencement_of_risk=30,
    sexual_appearances=1,
    criminal_appearances=2,
    male_victim=False,
    never_married=True,
    noncontact_sexual_offence=False,
    violent_appearances=0,
    burglary=False,
)
BREAKS = {
    "setting contradicts in_custody": dict(setting="community"),
    "images_only with a contact sanction": dict(offence_type="images_only"),
    "images_only without an image sanction": dict(
        offence_type="images_only",
        contact_adult_sanctions=0,
        total_sanctions=0,
        age_at_last_sexual_offence=None,
    ),
    "total below a count": dict(total_sanctions=0),
    "sexual sanctions without the age at the last one": dict(age_at_last_sexual_offence=None),
    "last offence after today": dict(age_at_last_sexual_offence=45),
    "PNI items without the sex items": dict(oasys_12_1=1),
    "half an RM2000 block": dict(sexual_appearances=2),
    "RM2000 without a sexual appearance": {**_RM2000, "sexual_appearances": 0},
    "unknown programme": dict(completed_programmes="NOPE:met"),
    "unknown HSP item": dict(hsp_items="nonsense"),
    "not a date": dict(as_of="2019-02-30"),
    "Static-99R items (valid: left to the model)": dict(age_at_release=40),
}


@pytest.mark.parametrize("edit", BREAKS.values(), ids=BREAKS.keys())
def test_records_breaking_a_cross_field_rule_are_left_to_the_model(edit: dict[str, Any]) -> None:
    base: dict[str, Any] = dict(
        id="X-1",
        sex="M",
        age=40,
        contact_adult_sanctions=1,
        contact_child_sanctions=0,
        paraphilia_sanctions=0,
        indecent_image_sanctions=0,
        total_sanctions=1,
        age_at_last_sexual_offence=39,
        stranger_victim=True,
        in_custody=True,
        setting="custody",
        offence_in_last_5_years=True,
        sexual_offence_in_last_5_years=True,
        ldc=False,
        offence_type="contact_adult",
        maintains_innocence=False,
        months_to_release=30,
    )
    for rec, plain in ((base, True), ({**base, **edit}, False)):
        columns = {k: [v] for k, v in rec.items()}
        assert bool(check_profiles(columns, 1).plain[0]) is plain, rec
