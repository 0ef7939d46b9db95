"""The hard rules of the pathway engine: does one programme fit one man, and if not, why not.

Each rule returns plain-language sentences a programme manager would accept, tagged with a machine-readable
kind. Every failing rule is reported (not just the first), except that a programme not running on the date
is excluded for that reason alone: its other criteria are moot. :func:`menu_reasons` applies them to a whole
menu, memoised on the facts each group of rules reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from desist.domain.assessment import AssessedRisk
from desist.domain.catalogue import (
    Audience,
    Catalogue,
    Intensity,
    LdcSuitability,
    Programme,
    ProgrammeRole,
    Setting,
    hsp_checklist,
)
from desist.domain.memos import make_room
from desist.domain.profile import ManFacts, OffenceType
from desist.domain.risk.bands import ORDERED_BANDS, Band, NeedLevel, Pathway
from desist.domain.words import plain


@dataclass(frozen=True)
class Policy:
    """Policy switches of the pathway engine.

    offer_low_risk
        Offer accredited programmes to men assessed as low risk. Off by default: NOMS did not routinely offer
        them (FOI 94074, 2014), and mixing low-risk men with higher-risk men may make offending seem
        acceptable.
    """

    offer_low_risk: bool = False


T = TypeVar("T")


class EligibilityReason(NamedTuple):
    """Why a programme is not offered to a man: a kind (``age``, ``setting``...) and a sentence."""

    kind: str
    text: str


#: the seed's "last year of sentence", when a booster run in either form takes its pre-release form
PRE_RELEASE_MONTHS = 12

_INTENSITY_WORDS = {
    Intensity.HIGH: "high",
    Intensity.MODERATE: "moderate",
    Intensity.LOW: "low",
    Intensity.HIGH_MODERATE: "high/moderate",
    Intensity.LOW_OR_HIGH: "low or high",
}
_OFFENCE_WORDS = {
    OffenceType.CONTACT_ADULT: "a contact offence against an adult",
    OffenceType.CONTACT_CHILD: "a contact offence against a child",
    OffenceType.IMAGES_ONLY: "indecent images only",
    OffenceType.NON_CONTACT: "a non-contact offence",
}


def intensity_word(intensity: Intensity) -> str:
    return _INTENSITY_WORDS[intensity]


def where_text(setting: Setting) -> str:
    """ "in custody" / "in the community"."""
    return "in custody" if setting is Setting.CUSTODY else "in the community"


_BAND_WORDS = {b: plain(b) for b in Band}


def band_text(band: Band) -> str:
    """A band as words: VERY_HIGH -> "very high"."""
    return _BAND_WORDS[band]


def months_text(m: float) -> str:
    """12 -> "12 months", 1 -> "1 month"."""
    return f"{m:g} month" + ("" if m == 1 else "s")


@dataclass(frozen=True)
class Menu:
    """The catalogue on one day: what runs, and the ready-made reason for each programme that does not."""

    day: date
    available: tuple[Programme, ...]
    unavailable: dict[str, EligibilityReason]
    internet: str  # "; use iHorizon (IHORIZON)" when an internet programme runs that day, else ""
    codes: tuple[str, ...]  # the available programmes' codes, the key the rules are memoised on
    age_limit: int  # the highest minimum age on the menu: a man this old fails no age rule


@lru_cache(maxsize=8192)
def menu_on(catalogue: Catalogue, day: date) -> Menu:
    """The menu on ``day`` (cached: a bulk run meets the same dates again and again)."""
    available = catalogue.as_of(day)
    running = {p.code for p in available}  # by code: comparing pydantic models field by field is slow
    unavailable = {}
    for p in catalogue:
        if p.code in running:
            continue
        end = p.available_to.value
        when = (
            f"it ran from {p.available_from.value.isoformat()} to {end.isoformat()}"
            if end is not None and end < day
            else f"it started on {p.available_from.value.isoformat()}"
        )
        unavailable[p.code] = EligibilityReason(
            "not_available", f"Not available on {day.isoformat()}: {when}."
        )
    internet = [catalogue.label(q.code) for q in available if q.audience.value is Audience.IMAGES]
    return Menu(
        day,
        available,
        unavailable,
        f"; use {' or '.join(internet)}" if internet else "",
        _shared(tuple(p.code for p in available)),
        max((p.min_age.value for p in available), default=0),
    )


Reasons = tuple[EligibilityReason, ...]
#: equal rule outcomes are one object, so later steps can be memoised on it (bounded: a full memo forgets
#: its older half)
_SHARED: dict[Any, Any] = {}
_RULES: dict[tuple[Any, ...], Any] = {}
_MEMO_LIMIT = 20_000  # (a key holds his facts: ~1 KB with the outcome; per worker process of a bulk run)


def clear_memos() -> None:
    """Forget every memoised rule outcome."""
    _SHARED.clear()
    _RULES.clear()
    for memo in (menu_on, _fixed_part, _need_part, _history_part, _time_part):
        memo.cache_clear()
    for rule in (_situation_reasons, _risk_reasons, _need_reasons, _history_reasons):
        rule.cache_clear()


def _shared(value: T) -> T:
    make_room(_SHARED, _MEMO_LIMIT)
    return _SHARED.setdefault(value, value)  # type: ignore[no-any-return]


class MenuReasons(NamedTuple):
    """Every hard rule each programme on a menu fails for one man, in menu order: a programme's reasons are
    ``rules[i]`` followed by ``time[i]`` (an empty tuple: it fits).

    Both are shared objects (equal outcomes are one object), so later steps can be memoised on them; the time
    rules are apart because their sentences quote his months to release (few men share those), and ``time``
    is None when no time rule fails, as for most men.
    """

    rules: tuple[Reasons, ...]  # situation, age, risk, need and history
    time: tuple[Reasons, ...] | None


def menu_reasons(
    catalogue: Catalogue, menu: Menu, man: ManFacts, a: AssessedRisk, policy: Policy
) -> MenuReasons:
    """Every hard rule each programme on ``menu`` fails for this man (see :class:`MenuReasons`).

    The rules are grouped by the facts they read: his situation, age and risk; his need; the programmes he has
    completed; his time to release. Each group is worked out once per menu and combination of its facts: a
    bulk run meets the same few combinations again and again, and the reasons are immutable.
    """
    codes = menu.codes
    pni_key = None if a.pni is None else (a.pni.pathway, a.pni.risk_level)
    young = man.age if man.age < menu.age_limit else None
    done = tuple([(c.code, c.targets_met) for c in man.completed_programmes])
    situation = (
        man.setting,
        man.offence_type,
        man.ldc,
        man.maintains_innocence,
        young,
        a.band,
        a.basis,
        pni_key,
        policy.offer_low_risk,
    )
    needs = (a.sexual_interest, man.oasys_11_12, a.hsp_score, man.hsp_items)
    # every fact the rules but the time rules read, so most men need one look-up
    key = (catalogue, codes, situation, needs, done)
    rules = _RULES.get(key)
    if rules is None:
        fixed = _fixed_part(catalogue, codes, menu.internet, *situation)
        need = _need_part(catalogue, codes, *needs)
        history = _history_part(catalogue, codes, done)
        rules = _shared(tuple([f + n + h for f, n, h in zip(fixed, need, history, strict=True)]))
        make_room(_RULES, _MEMO_LIMIT)
        _RULES[key] = rules
    left = man.months_to_release
    # -0.0 equals 0.0 but is written "-0": the sign is part of the key
    return MenuReasons(rules, _time_part(catalogue, codes, man.setting, left, math.copysign(1.0, left)))


@lru_cache(maxsize=65536)
def _fixed_part(
    catalogue: Catalogue,
    codes: tuple[str, ...],
    internet: str,
    setting: Setting,
    offence: OffenceType,
    ldc: bool,
    innocent: bool,
    young: int | None,
    band: Band,
    basis: str,
    pni_key: tuple[Pathway, NeedLevel] | None,
    offer_low_risk: bool,
) -> tuple[Reasons, ...]:
    """Situation, age (``young``: his age when some programme's minimum is above it) and risk rules."""
    return _shared(
        tuple(
            _shared(
                _situation_reasons(catalogue, code, setting, offence, ldc, innocent, internet)
                + _age_reasons(catalogue[code], young)
                + _risk_reasons(catalogue, code, band, basis, pni_key, offer_low_risk)
            )
            for code in codes
        )
    )


def _age_reasons(p: Programme, age: int | None) -> Reasons:
    if age is None or age >= p.min_age.value:
        return ()
    return (EligibilityReason("age", f"For men aged {p.min_age.value} or over; he is {age}."),)


@lru_cache(maxsize=65536)
def _need_part(
    catalogue: Catalogue,
    codes: tuple[str, ...],
    sexual_interest: bool | None,
    oasys_11_12: int | None,
    hsp_score: int,
    hsp_items: tuple[str, ...],
) -> tuple[Reasons, ...]:
    out = []
    for code in codes:
        need = catalogue[code].need.value
        reads = need.sexual_interest or need.hsp_score_min is not None
        out.append(
            _need_reasons(catalogue, code, sexual_interest, oasys_11_12, hsp_score, hsp_items)
            if reads
            else ()
        )
    return _shared(tuple(out))


@lru_cache(maxsize=65536)
def _history_part(
    catalogue: Catalogue, codes: tuple[str, ...], done: tuple[tuple[str, bool], ...]
) -> tuple[Reasons, ...]:
    """``done``: his completed programmes, (code, treatment targets met)."""
    finished = next((c for c, met in done if met and catalogue[c].role is ProgrammeRole.TREATMENT), None)
    return _shared(
        tuple(
            _history_reasons(catalogue, code, done, finished)
            if done or catalogue[code].prerequisites.value
            else ()
            for code in codes
        )
    )


@lru_cache(maxsize=65536)
def _time_part(
    catalogue: Catalogue, codes: tuple[str, ...], setting: Setting, left: float, sign: float
) -> tuple[Reasons, ...] | None:
    out = tuple(_time_reasons(catalogue[code], left, setting) for code in codes)
    return _shared(out) if any(out) else None


@lru_cache(maxsize=65536)
def _situation_reasons(
    catalogue: Catalogue,
    code: str,
    setting: Setting,
    offence: OffenceType,
    ldc: bool,
    innocent: bool,
    internet: str,
) -> tuple[EligibilityReason, ...]:
    p = catalogue[code]
    out: list[EligibilityReason] = []
    settings = p.settings.value
    if setting not in settings:
        where = " and ".join(str(s) for s in settings)
        here = "in custody" if setting is Setting.CUSTODY else "in the community"
        out.append(EligibilityReason("setting", f"Runs in {where} only; he is {here}."))

    audience = p.audience.value
    image_only = offence is OffenceType.IMAGES_ONLY
    if audience is Audience.IMAGES and not image_only:
        out.append(
            EligibilityReason(
                "audience",
                "For men whose only sexual offences are indecent images; his offence is"
                f" {_OFFENCE_WORDS[offence]}.",
            )
        )
    elif audience is Audience.CONTACT and image_only:
        out.append(
            EligibilityReason(
                "audience", f"Internet-only offence: this programme is for contact offending{internet}."
            )
        )

    spec = p.ldc.value
    if ldc and spec.suitability is LdcSuitability.STANDARD:
        out.append(
            EligibilityReason(
                "ldc",
                "Not adapted for learning disabilities or challenges (LDC); "
                + (
                    f"the adapted equivalent is {catalogue.label(spec.equivalent)}."
                    if spec.equivalent
                    else "no adapted equivalent is listed."
                ),
            )
        )
    elif not ldc and spec.suitability is LdcSuitability.ADAPTED:
        out.append(
            EligibilityReason(
                "ldc",
                "Adapted for men with learning disabilities or challenges (LDC) and he has none recorded"
                + (f"; the equivalent is {catalogue.label(spec.equivalent)}." if spec.equivalent else "."),
            )
        )

    if innocent and not p.maintains_innocence_allowed.value:
        out.append(
            EligibilityReason(
                "denial",
                "Denial not accepted: the programme requires discussing the offence, and he maintains his"
                " innocence.",
            )
        )
    return tuple(out)


@lru_cache(maxsize=65536)
def _risk_reasons(
    catalogue: Catalogue,
    code: str,
    band: Band,
    basis: str,
    pni_key: tuple[Pathway, NeedLevel] | None,
    offer_low_risk: bool,
) -> tuple[EligibilityReason, ...]:
    p = catalogue[code]
    crit = p.risk.value
    # Checked first, for PNI-allocated programmes too: every programme on this menu is for men with sexual
    # convictions, and OSP is what places a man on it (a woman or a man with no sexual sanction gets none).
    if band is Band.NOT_APPLICABLE:
        return (
            EligibilityReason(
                "risk_not_applicable",
                f"{basis} gives him no risk level (no sexual sanction recorded, or not a man), so his risk"
                " cannot be matched to this programme.",
            ),
        )
    if crit.basis == "pni_pathway":
        allowed = " or ".join(plain(x) for x in crit.pathways)
        if pni_key is None:
            return (
                EligibilityReason(
                    "pathway", f"Allocated by the PNI ({allowed}); the record has no PNI items."
                ),
            )
        pathway, risk_level = pni_key
        if pathway not in crit.pathways:
            detail = (
                " (a thinking, relationships or self-management answer is missing)"
                if pathway is Pathway.MISSING_INFORMATION
                else ""
            )
            text = f"For the {allowed} PNI pathway; his PNI pathway is {plain(pathway)}{detail}."
            return (EligibilityReason("pathway", text),)
        if risk_level is NeedLevel.LOW and not offer_low_risk:
            return (_low_risk("PNI"),)
        return ()
    if not crit.admits(band):
        lo, hi = band_text(crit.min), band_text(crit.max)  # type: ignore[arg-type]
        span = f"{lo} to {hi}" if lo != hi else lo
        too = "low" if ORDERED_BANDS.index(band) < ORDERED_BANDS.index(crit.min) else "high"
        return (
            EligibilityReason(
                f"risk_too_{too}",
                f"Risk too {too} for this {intensity_word(p.intensity.value)}-intensity programme: his"
                f" {basis} risk is {band_text(band)}, it is for {span} risk.",
            ),
        )
    if band is Band.LOW and not offer_low_risk:
        return (_low_risk(basis),)
    return ()


def _low_risk(basis: str) -> EligibilityReason:
    return EligibilityReason(
        "low_risk_policy",
        f"Low-risk policy: his {basis} risk is low, and men assessed as low risk are not routinely offered"
        " accredited programmes (NOMS FOI 94074); mixing them with higher-risk men can make offending seem"
        " acceptable.",
    )


@lru_cache(maxsize=65536)
def _need_reasons(
    catalogue: Catalogue,
    code: str,
    sexual_interest: bool | None,
    oasys_11_12: int | None,
    hsp_score: int,
    hsp_items: tuple[str, ...],
) -> tuple[EligibilityReason, ...]:
    need = catalogue[code].need.value
    out: list[EligibilityReason] = []
    if need.sexual_interest and not sexual_interest:
        detail = (
            "the OASys sexual-interest items (11.11, 11.12, 6.12) were not given"
            if sexual_interest is None
            else f"his OASys answers show none (11.12 = {oasys_11_12})"
        )
        text = f"Only where an offence-related sexual-interest need is present; {detail}."
        out.append(EligibilityReason("need", text))
    if need.hsp_score_min is not None and hsp_score < need.hsp_score_min:
        labels = hsp_checklist().items
        items = ", ".join(labels[i].label.lower() for i in hsp_items) or "no items recorded"
        out.append(
            EligibilityReason(
                "hsp_score",
                f"Needs an HSP offence-details score of at least {need.hsp_score_min}; his is {hsp_score}"
                f" ({items}).",
            )
        )
    return tuple(out)


@lru_cache(maxsize=65536)
def _history_reasons(
    catalogue: Catalogue, code: str, completed: tuple[tuple[str, bool], ...], finished_treatment: str | None
) -> tuple[EligibilityReason, ...]:
    p = catalogue[code]
    done = dict(completed)
    if done.get(p.code):
        return (EligibilityReason("completed", "Already completed, with its treatment targets met."),)
    out: list[EligibilityReason] = []
    if p.role is ProgrammeRole.TREATMENT and finished_treatment:
        out.append(
            EligibilityReason(
                "completed",
                f"He has already completed {catalogue.label(finished_treatment)} with its"
                " targets met; the next step is a follow-on or booster, not a second main programme.",
            )
        )
    for pre in p.prerequisites.value:
        if any(done.get(c) or (c in done and not pre.targets_met) for c in pre.completed_any_of):
            continue
        unmet = [c for c in pre.completed_any_of if c in done]
        if unmet:
            text = (
                f"Prerequisite missing: he completed {catalogue.label(unmet[0])} without meeting its"
                " treatment targets, which this programme requires."
            )
        else:
            names = " or ".join(catalogue.label(c) for c in pre.completed_any_of)
            met = " with its treatment targets met" if pre.targets_met else ""
            text = f"Prerequisite missing: needs a completed {names}{met}."
        out.append(EligibilityReason("prerequisite", text))
    return tuple(out)


def _time_reasons(p: Programme, left: float, setting: Setting) -> Reasons:
    window = p.months_to_release.value
    until = "release" if setting is Setting.CUSTODY else "the end of his supervision"
    need = window.min.get(setting)
    out: list[EligibilityReason] = []
    if need is not None and left < need:
        out.append(
            EligibilityReason(
                "time",
                f"Not enough time before {until}: he has {months_text(left)} left and it needs at least"
                f" {months_text(need)}.",
            )
        )
    if window.max is not None and left > window.max:
        out.append(
            EligibilityReason(
                "pre_release",
                f"Meant for the last {months_text(window.max)} before release;"
                f" he has {months_text(left)} left.",
            )
        )
    return tuple(out)
