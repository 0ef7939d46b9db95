"""A stored man as the risk tools and ``recommend`` see him: score breakdowns of his assessments, and his
recommendation built from his latest OSP and PNI assessments, sentence, flags and programme history.

Pure functions on stored rows (no unit of work): :mod:`desist.services.caseload` calls them inside its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from desist.domain.errors import DesistError
from desist.domain.words import label

#: (label, path in the stored outputs) shown as a tool's scores
_SCORES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "osp": (
        ("OSP/DC band", ("osp_dc", "band")),
        ("OSP/DC points", ("osp_dc", "points")),
        ("OSP/DC probability (2 years)", ("osp_dc", "probability")),
        ("OSP/IIC band", ("osp_iic", "band")),
        ("OSP/IIC probability (2 years)", ("osp_iic", "probability")),
    ),
    "pni": (
        ("Pathway", ("pathway",)),
        ("Risk level", ("risk_level",)),
        ("Need level", ("need", "level")),
        ("Need score (0-8)", ("need", "overall")),
        ("Sex domain (0-2)", ("need", "sex")),
        ("Thinking domain (0-2)", ("need", "thinking")),
        ("Relationships domain (0-2)", ("need", "relationships")),
        ("Self-management domain (0-2)", ("need", "self_management")),
    ),
    "static99r": (("Total", ("total",)), ("Level", ("level",))),
    "rm2000": (
        ("RM2000/S category", ("s", "category")),
        ("RM2000/V category", ("v", "category")),
        ("RM2000/C category", ("c", "category")),
    ),
}


def _dig(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _shown(value: Any) -> str:
    if value is None:
        return "Not applicable"
    if isinstance(value, float):
        return f"{value:.1%}" if value < 1 else f"{value:.2f}"
    return label(value) if isinstance(value, str) else str(value)


def breakdown(tool: str, inputs: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """The item points behind a tool's total, recomputed from the stored inputs by the risk tool itself
    (OSP/DC items, Static-99R items, RM2000/S step 1); empty when the tool has none or the inputs do not
    validate any more."""
    from desist.domain.risk import registry

    try:
        _, result = registry.score_record(tool.lower(), dict(inputs))
    except (ValidationError, DesistError, KeyError, ValueError):
        return ()
    for holder in (getattr(result, "dc", None), result, getattr(result, "s", None)):
        items = getattr(holder, "items", None)
        if isinstance(items, Mapping) and items:
            return tuple((str(k), int(v)) for k, v in items.items())
    return ()


def assessment_view(a: Any) -> Any:
    """A stored assessment as the person page shows it."""
    from desist.services.caseload import AssessmentView

    outputs = a.outputs or {}
    rows = _SCORES.get(a.tool.lower(), ())
    scores = tuple(
        (label, _shown(_dig(outputs, path))) for label, path in rows if _dig(outputs, path) is not None
    )
    return AssessmentView(
        a.id, a.assessed_on, a.tool.upper(), a.assessor, scores, breakdown(a.tool, a.inputs or {})
    )


def _offence_type(osp: Mapping[str, Any]) -> str:
    if osp.get("contact_child_sanctions"):
        return "contact_child"
    if osp.get("contact_adult_sanctions") or osp.get("paraphilia_sanctions"):
        return "contact_adult"
    if osp.get("indecent_image_sanctions"):
        return "images_only"
    return "non_contact"


def recommendation_for(
    person: Any,
    assessments: Sequence[Any],
    sentences: Iterable[Mapping[str, Any]],
    history: Iterable[Any],
    day: dt.date,
) -> tuple[Any | None, str | None]:
    """His recommendation on ``day`` (menu of that day), or None and one line saying why there is none."""
    from desist.domain.pathways import recommend
    from desist.domain.profile import Profile

    osp = next((a for a in assessments if a.tool.lower() == "osp"), None)
    if osp is None:
        return None, "No OSP assessment is recorded, so no programme can be recommended yet."
    pni = next((a for a in assessments if a.tool.lower() == "pni"), None)
    inputs = dict(osp.inputs or {})
    sentences = list(sentences)
    release = max((s["release_date"] for s in sentences if s.get("release_date")), default=None)
    licence_end = max((s["licence_end_date"] for s in sentences if s.get("licence_end_date")), default=None)
    in_custody = release is not None and release > day
    until = release if in_custody else licence_end  # custody: to release; community: to the licence's end
    record: dict[str, Any] = {**inputs}
    if pni is not None:
        record.update({k: v for k, v in (pni.inputs or {}).items() if k != "sex"})
    age = (day - person.date_of_birth).days // 365.25
    record.update(
        id=person.prison_number,
        sex=person.sex,
        age=int(age),
        in_custody=in_custody,
        setting="custody" if in_custody else "community",
        ldc=bool(person.ldc),
        offence_type=_offence_type(inputs),
        maintains_innocence=bool(person.maintains_innocence),
        months_to_release=round(max((until - day).days, 0) / 30.44, 1) if until else 0,
        completed_programmes=[
            {"code": h.programme_code, "targets_met": bool(h.targets_met)}
            for h in history
            if h.result == "completed"
        ],
        as_of=day,
    )
    try:
        return recommend(Profile.model_validate(record), day), None
    except (ValidationError, DesistError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, f"No recommendation: his stored assessment does not give what the rules need ({first})."
