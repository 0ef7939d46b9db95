"""Records I/O: reading JSON and CSV, one-line validation errors, on_error, rejects file, output writers."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from pydantic import BaseModel

from desist.adapters.records import (
    Reject,
    flatten,
    read_records,
    validate_records,
    write_output,
    write_rejects,
)
from desist.domain.errors import InputError
from desist.domain.risk.osp import OspInput
from desist.domain.risk.pni import PniInput

from .conftest import OSP_BASE


class Dated(BaseModel):
    id: str | None = None
    as_of: dt.date


def one(records, model=OspInput):
    return str(validate_records(records, model, on_error="skip").rejects[0])


def test_read_json_and_csv(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{"id": "A", "age": 30}, {"id": "B", "age": None}]))
    assert read_records(tmp_path / "a.json") == [{"id": "A", "age": 30}, {"id": "B", "age": None}]
    (tmp_path / "a.csv").write_text("id,age,ogrs3\nA,30,\nB, 41 ,12.5\n")
    assert read_records(tmp_path / "a.csv") == [
        {"id": "A", "age": "30", "ogrs3": None},
        {"id": "B", "age": "41", "ogrs3": "12.5"},
    ]


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        (
            "x.json",
            "[{'id': 1}]",
            r"x.json: invalid JSON at line 1 column 3 .*expected a JSON list of objects",
        ),
        ("x.json", '{"id": 1}', "top level is a dict, expected a JSON list of objects"),
        ("x.json", "[1, 2]", "record 1 is a int, expected an object"),
        ("x.csv", "", "no header row"),
        ("x.csv", "id,age\nA,30,extra\n", "record 1 has 3 cells, expected 2"),
    ],
)
def test_malformed_files(tmp_path, name, text, match):
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError, match=match) as info:
        read_records(tmp_path / name)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_records(tmp_path / "nope.json")


def test_contract_example_line():
    bad = {**OSP_BASE, "id": "P-003", "age": 7}
    assert (
        one([OSP_BASE, OSP_BASE, bad])
        == "record 3 (id P-003): field 'age': 7 is out of range, expected 10 to 110"
    )


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"age": None}, "record 1 (id O-1): field 'age': missing, expected a whole number 10 to 110"),
        ({"age": "7"}, "record 1 (id O-1): field 'age': 7 is out of range, expected 10 to 110"),
        (
            {"age": "old"},
            "record 1 (id O-1): field 'age': 'old' is not valid, expected a whole number 10 to 110",
        ),
        ({"sex": "X"}, "record 1 (id O-1): field 'sex': 'X' is not a known value, expected one of M, F"),
        (
            {"in_custody": "maybe"},
            "record 1 (id O-1): field 'in_custody': 'maybe' is not valid, "
            "expected true or false (or yes/no, 1/0)",
        ),
        (
            {"id": None, "paraphilia_sanctions": -1},
            "record 1: field 'paraphilia_sanctions': -1 is out of range, expected 0 to 500",
        ),
    ],
)
def test_osp_field_errors(change, line):
    rec = {**OSP_BASE, **change}
    if change.get("age", 0) is None:
        del rec["age"]
    assert one([rec]) == line


def test_pni_item_and_band_errors():
    assert one([{"id": "N-9", "sex": "M", "oasys_11_11": 3}], PniInput) == (
        "record 1 (id N-9): field 'oasys_11_11': 3 is out of range, expected 0 to 2"
    )
    assert one([{"id": "N-9", "sex": "M", "osp_dc_band": "SEVERE"}], PniInput) == (
        "record 1 (id N-9): field 'osp_dc_band': 'SEVERE' is not a known value, "
        "expected one of LOW, MEDIUM, HIGH, VERY_HIGH, NOT_APPLICABLE"
    )
    assert one([{"id": "N-9", "sex": "M", "sara_others": "v high"}], PniInput).endswith(
        "expected one of LOW, MEDIUM, HIGH"
    )
    ok = validate_records([{"sex": "m", "osp_dc_band": " very_high ", "sara_partner": "medium"}], PniInput)
    assert ok.valid[0][1].osp_dc_band == "VERY_HIGH"


def test_malformed_date():
    assert one([{"id": "D-1", "as_of": "2019-13-01"}], Dated) == (
        "record 1 (id D-1): field 'as_of': '2019-13-01' is not a valid date, expected a date YYYY-MM-DD"
    )


def test_csv_strings_validate(tmp_path):
    header = ",".join(OSP_BASE)
    row = ",".join(
        "" if v is None else ("yes" if v is True else "no" if v is False else str(v))
        for v in OSP_BASE.values()
    )
    (tmp_path / "o.csv").write_text(f"{header}\n{row}\n")
    valid = validate_records(read_records(tmp_path / "o.csv"), OspInput).valid
    assert valid[0][1] == OspInput.model_validate(OSP_BASE)


def test_fail_checks_all_then_raises_first():
    recs = [OSP_BASE, {**OSP_BASE, "id": "B", "age": 7}, {**OSP_BASE, "id": "C", "sex": "Q"}]
    with pytest.raises(InputError, match=r"^record 2 \(id B\): field 'age'"):
        validate_records(recs, OspInput, on_error="fail")
    v = validate_records(recs, OspInput, on_error="skip")
    assert [r for r, _ in v.valid] == [1] and [(r.row, r.id, r.field) for r in v.rejects] == [
        (2, "B", "age"),
        (3, "C", "sex"),
    ]


def test_numeric_ids_become_text():
    v = validate_records(
        [{**OSP_BASE, "id": 17}, {**OSP_BASE, "id": 17.0, "age": 5}], OspInput, on_error="skip"
    )
    assert v.valid[0][1].id == "17" and v.rejects[0].id == "17"


def test_write_rejects(tmp_path):
    write_rejects(tmp_path / "r.csv", [Reject(2, "B", "age", 7, "7 is out of range, expected 10 to 110")])
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert rows == [
        {
            "row": "2",
            "id": "B",
            "field": "age",
            "value": "7",
            "message": "record 2 (id B): field 'age': 7 is out of range, expected 10 to 110",
        }
    ]


def test_flatten_and_writers(capsys):
    rows = [{"id": "A", "osp_dc": {"points": 3, "band": "LOW"}, "items": [1, 2]}]
    assert flatten(rows[0]) == {"id": "A", "osp_dc.points": 3, "osp_dc.band": "LOW", "items": "[1, 2]"}
    write_output(rows, "csv", "t")
    assert capsys.readouterr().out == 'id,osp_dc.points,osp_dc.band,items\nA,3,LOW,"[1, 2]"\n'
    write_output(rows, "json", "t")
    assert json.loads(capsys.readouterr().out) == rows
    write_output(rows, "table", "My title")
    out = capsys.readouterr().out
    assert "My title" in out and "osp_dc.band" in out and "LOW" in out


@pytest.mark.parametrize(
    ("model", "change", "line"),
    [
        (OspInput, {"age": True}, "field 'age': true is a yes/no value, expected a whole number 10 to 110"),
        (OspInput, {"age": False}, "field 'age': false is a yes/no value, expected a whole number 10 to 110"),
        (OspInput, {"total_sanctions": True},
         "field 'total_sanctions': true is a yes/no value, expected a whole number 0 to 500"),
        (PniInput, {"oasys_11_11": True},
         "field 'oasys_11_11': true is a yes/no value, expected a whole number 0 to 2"),
    ],
    ids=["age-true", "age-false", "count-true", "optional-item-true"],
)
def test_a_boolean_for_a_number_is_refused_not_read_as_1(model, change, line):
    # pydantic's lax mode would read true as 1 (a count of one sanction) or report "true is out of range"
    rec = {**(OSP_BASE if model is OspInput else {"id": "O-1", "sex": "M"}), **change}
    assert one([rec], model) == f"record 1 (id O-1): {line}"
    with pytest.raises(Exception, match="yes/no value|true/false value"):
        model.model_validate(rec)  # Python users of the domain models get the refusal too
