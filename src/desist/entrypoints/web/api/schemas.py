"""The API's success bodies as pydantic models: what each 200/201 answer holds, published in the OpenAPI
document and checked against every answer (FastAPI validates and serialises the returned value through the
endpoint's ``response_model``).

Most bodies are the services' own view dataclasses (:class:`~desist.services.referrals.ReferralView`...),
so a field added to a view is in the document at once; :func:`view_model` extends a view with the fields
the API adds (a referral's ``moves``, a group's ``places_taken``). Errors are problem documents
(:mod:`desist.entrypoints.web.api.openapi_doc`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from desist.domain.records import AttendanceMark
from desist.domain.referrals import ReferralStatus
from desist.domain.risk.bands import Pathway
from desist.monitoring.record import Review
from desist.services.caseload import AssessmentView, Move, PersonSummary, ProgrammeRecord
from desist.services.casework import PersonView
from desist.services.group_board import GroupSummary, WaitingRow
from desist.services.group_state import GroupView
from desist.services.incentives import LevelChangeView
from desist.services.programme_results import ProgrammeLine
from desist.services.referrals import ReferralView


def view_model(
    name: str, view: type, doc: str, *, omit: tuple[str, ...] = (), **fields: Any
) -> type[BaseModel]:
    """A model with every field of the dataclass ``view`` but those in ``omit`` (all present in the answer),
    with ``fields`` (``name=(type, ...)``) added or replacing the view's."""
    hints = typing.get_type_hints(view)
    spec: dict[str, Any] = {
        f.name: (hints[f.name], ...) for f in dataclasses.fields(view) if f.name not in omit
    }
    spec.update(fields)
    return create_model(name, __doc__=doc, **spec)


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- people -----------------------------------------------------------------------------------------------


class PersonSearch(_Body):
    """Men whose prison number or PNC number starts with the query, within your organisation."""

    people: list[PersonSummary]


class Sentence(_Body):
    start_date: dt.date
    release_date: dt.date | None
    licence_end_date: dt.date | None
    custodial: bool | None
    index_offence: str | None


Assessment = view_model(
    "Assessment",
    AssessmentView,
    "A stored assessment: its scores by label and the item points behind the total.",
    scores=(dict[str, str], ...),
    items=(dict[str, int], ...),
)


class RecommendedProgramme(_Body):
    code: str
    name: str
    reasons: list[str] = Field(description="Why it fits him, in plain words")


class ExcludedProgramme(_Body):
    code: str
    reasons: list[str] = Field(description="Every rule it fails for him, in plain words")


class Recommendation(_Body):
    """The JSON shape of ``desist recommend`` (docs/recommend.md)."""

    id: str | None
    as_of: dt.date
    pathway: Pathway
    risk: dict[str, Any] = Field(description="The risk block: band, basis, era, intensity, the tools' scores")
    recommended: list[RecommendedProgramme]
    excluded: list[ExcludedProgramme]
    reason: str | None = Field(description="Why no programme is recommended (null when one is)")


Referral = view_model(
    "Referral",
    ReferralView,
    "A referral with its status history and the moves you may make now (GET /referrals lists them without"
    " history or moves).",
    status=(ReferralStatus, ...),
    moves=(list[Move], ...),
)


class PersonRecord(_Body):
    """A man's record as his page shows it."""

    person: PersonView
    sentences: list[Sentence]
    assessments: list[Assessment]  # type: ignore[valid-type]
    pathway: str | None = Field(description="His latest PNI pathway (null without a PNI assessment)")
    recommendation: Recommendation | None
    no_recommendation: str | None = Field(description="Why there is no recommendation (null when there is)")
    referrals: list[Referral]  # type: ignore[valid-type]
    incentives: list[LevelChangeView]
    programme_history: list[ProgrammeRecord]


# --- referrals --------------------------------------------------------------------------------------------

ReferralLine = view_model(
    "ReferralLine",
    ReferralView,
    "A referral in a list (its history is empty here: read the referral for it).",
    status=(ReferralStatus, ...),
)


class ReferralList(_Body):
    referrals: list[ReferralLine]  # type: ignore[valid-type]
    next_after_id: int | None = Field(description="Pass as after_id for the next page (null: last page)")


# --- groups -----------------------------------------------------------------------------------------------


class GroupList(_Body):
    groups: list[GroupSummary]


Group = view_model(
    "Group",
    GroupView,
    "A group with its members' progress.",
    places_taken=(int, Field(description="Members who have not left")),
)


class Session(_Body):
    number: int
    held_on: dt.date
    topic: str | None
    marks: dict[str, AttendanceMark] = Field(description="Attendance by enrolment id")


class GroupBoard(_Body):
    """The group board: places, members, waiting list (with mixing warnings), sessions and attendance."""

    group: Group  # type: ignore[valid-type]
    waiting: list[WaitingRow]
    sessions: list[Session]
    closed_to_joiners: str | None = Field(description="Why nobody can join now (null: places are open)")


# --- programmes -------------------------------------------------------------------------------------------


class ProgrammeList(_Body):
    programmes: list[ProgrammeLine]


class StoredEvaluation(_Body):
    """The latest stored evaluation run of a programme, with its full result (docs/evaluation.md)."""

    id: int
    programme: str
    as_of: dt.date
    actor: str
    created_at: str
    result: dict[str, Any]
    headline: str | None = Field(description="The answer in one sentence (null without an outcome)")


MonitoringReview = view_model(
    "MonitoringReview",
    Review,
    "One stored monitoring review (docs/monitoring.md).",
    omit=("information",),
    id=(int, ...),
    ci=(list[float] | None, ...),
    source=(str, ...),
)


class MonitoringAlert(_Body):
    id: int
    as_of: dt.date
    direction: str
    evidence: dict[str, Any]


class Monitoring(_Body):
    programme: str
    reviews: list[MonitoringReview]  # type: ignore[valid-type]
    open_alerts: list[MonitoringAlert]
