"""The recommend command's CSV and JSON views write exactly what the csv and json modules would write."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from desist.adapters import recommendation_views as views
from desist.adapters.spreadsheet import safe_row
from desist.domain.pathways import Recommendation, recommend_many
from desist.domain.profile import Profile
from tests.recommend_men import men_records

CELL = st.none() | st.text(alphabet=st.sampled_from("ab ,\"\n\r\t\x00=+-@'é€|;:"), max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(CELL, min_size=1, max_size=12))
def test_csv_line_is_what_csv_writer_writes(cells: list[str | None]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    assert views._csv_line(cells) == buf.getvalue()


def _row(rec: Recommendation) -> list[str | None]:
    """The CSV row, made plainly (the view memoises the exclusions' text)."""
    a = rec.assessment
    return [
        rec.id,
        rec.as_of.isoformat(),
        str(rec.pathway),
        a.basis,
        str(a.band),
        None if a.target is None else str(a.target),
        ";".join(r.code for r in rec.recommended),
        " | ".join(f"{r.code}: {' '.join(r.reasons)}" for r in rec.recommended),
        " | ".join(f"{e.code}: {' '.join(e.reasons)}" for e in rec.excluded),
        rec.reason,
    ]


def test_csv_and_json_views_match_the_csv_and_json_modules() -> None:
    records = men_records(600, seed=5)
    odd = ["a,b", 'quote "q"', "line\nbreak", "=1+1", "-x", "'=y", "tab\there", "é€"]
    for i, text in enumerate(odd):  # ids are the user's text: quoting and formula neutralisation apply
        records[i]["id"] = text
    recs = recommend_many([Profile.model_validate(r) for r in records], default_as_of=date(2019, 6, 1))
    for _ in range(2):  # the second time from the memoised exclusions
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(safe_row(_row(r)) for r in recs)
        assert "".join(views.render_chunk(recs, "csv")) == buf.getvalue()
        assert views.render_chunk(recs, "json") == [json.dumps(r.to_dict()) for r in recs]
