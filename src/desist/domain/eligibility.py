"""The hard rules of the pathway engine: does one programme fit one man, and if not, why not.

Each rule returns plain-language sentences a programme manager would accept, tagged with a machine-readable
kind. Every failing rule is reported (not just the first), except that a programme not running on the date
is excluded for that reason alone: its other criteria are moot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from desist.domain.assessment import Assessment
from desist.domain.catalogue import (
    Audience,
    Catalogue,
    Intensity,
    LdcSuitability,
    Programme,
    Role,
    Setting,
    hsp_checklist,
)
from desist.domain.profile import OffenceType, Profile
from desist.domain.risk.bands import ORDERED_BANDS, Band, NeedLevel, Pathway


@dataclass(frozen=True)
class Policy:
    """Policy switches of the pathway engine.

    offer_low_risk
        Offer accredited programmes to men assessed as low risk. Off by default: NOMS did not routinely offer
        them (FOI 94074, 2014), and mixing low-risk men with higher-risk men may make offending seem
        acceptable.
    """

    offer_low_risk: bool = False


class Reason(NamedTuple):
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


def _where(setting: Setting) -> str:
    return "in custody" if setting is Setting.CUSTODY else "in the community"


_BAND_WORDS = {b: str(b).replace("_", " ") for b in Band}


def _band(band: Band) -> str:
    return _BAND_WORDS[band]


def _months(m: float) -> str:
    return f"{m:g} month" + ("" if m == 1 else "s")


@dataclass(frozen=True)
class Menu:
    """The catalogue on one day: what runs, and the ready-made reason for each programme that does not."""

    day: date
    available: tuple[Programme, ...]
    unavailable: dict[str, Reason]
    internet: str  # "; use iHorizon (IHORIZON)" when an internet programme runs that day, else ""


@lru_cache(maxsize=8192)
def menu_on(catalogue: Catalogue, day: date) -> Menu:
    """The menu on ``day`` (cached: a bulk run meets the same dates again and again)."""
    available = catalogue.as_of(day)
    unavailable = {}
    for p in catalogue:
        if p in available:
            continue
        end = p.available_to.value
        when = (
            f"it ran from {p.available_from.value.isoformat()} to {end.isoformat()}"
            if end is not None and end < day
            else f"it started on {p.available_from.value.isoformat()}"
        )
        unavailable[p.code] = Reason("not_available", f"Not available on {day.isoformat()}: {when}.")
    internet = [catalogue.label(q.code) for q in available if q.audience.value is Audience.IMAGES]
    return Menu(day, available, unavailable, f"; use {' or '.join(internet)}" if internet else "")


@dataclass(frozen=True)
class Situation:
    """Per-man facts every rule reads, worked out once per recommendation rather than once per programme."""

    done: dict[str, bool]  # completed programme code -> treatment targets met
    finished_treatment: str | None  # a main programme completed with targets met
    where: str  # "in custody" / "in the community"
    until: str  # "release" / "the end of his supervision"

    @classmethod
    def of(cls, man: Profile, catalogue: Catalogue) -> Situation:
        done = {c.code: c.targets_met for c in man.completed_programmes}
        finished = next((c for c, met in done.items() if met and catalogue[c].role is Role.TREATMENT), None)
        custody = man.setting is Setting.CUSTODY
        return cls(
            done,
            finished,
            "in custody" if custody else "in the community",
            "release" if custody else "the end of his supervision",
        )


def hard_reasons(
    p: Programme,
    man: Profile,
    a: Assessment,
    policy: Policy,
    catalogue: Catalogue,
    menu: Menu,
    situation: Situation,
) -> list[Reason]:
    """Every hard rule ``p`` (running on the day) fails for this man (empty when it fits)."""
    out: list[Reason] = []
    settings = p.settings.value
    if man.setting not in settings:
        where = " and ".join(str(s) for s in settings)
        out.append(Reason("setting", f"Runs in {where} only; he is {situation.where}."))

    audience = p.audience.value
    image_only = man.offence_type is OffenceType.IMAGES_ONLY
    if audience is Audience.IMAGES and not image_only:
        out.append(
            Reason(
                "audience",
                f"For men whose only sexual offences are indecent images; his offence is"
                f" {_OFFENCE_WORDS[man.offence_type]}.",
            )
        )
    elif audience is Audience.CONTACT and image_only:
        out.append(
            Reason(
                "audience", f"Internet-only offence: this programme is for contact offending{menu.internet}."
            )
        )

    ldc = p.ldc.value
    if man.ldc and ldc.suitability is LdcSuitability.STANDARD:
        out.append(
            Reason(
                "ldc",
                "Not adapted for learning disabilities or challenges (LDC); "
                + (
                    f"the adapted equivalent is {catalogue.label(ldc.equivalent)}."
                    if ldc.equivalent
                    else "no adapted equivalent is listed."
                ),
            )
        )
    elif not man.ldc and ldc.suitability is LdcSuitability.ADAPTED:
        out.append(
            Reason(
                "ldc",
                "Adapted for men with learning disabilities or challenges (LDC) and he has none recorded"
                + (f"; the equivalent is {catalogue.label(ldc.equivalent)}." if ldc.equivalent else "."),
            )
        )

    if man.age < p.min_age.value:
        out.append(Reason("age", f"For men aged {p.min_age.value} or over; he is {man.age}."))

    if man.maintains_innocence and not p.maintains_innocence_allowed.value:
        out.append(
            Reason(
                "denial",
                "Denial not accepted: the programme requires discussing the offence, and he maintains his"
                " innocence.",
            )
        )

    out += _risk_reasons(p, a, policy)
    need = p.need.value
    if need.sexual_interest or need.hsp_score_min is not None:
        out += _need_reasons(p, man, a)
    if situation.done or p.prerequisites.value:
        out += _history_reasons(p, catalogue, situation)
    out += _time_reasons(p, man, situation)
    return out


def _risk_reasons(p: Programme, a: Assessment, policy: Policy) -> list[Reason]:
    crit = p.risk.value
    if crit.basis == "pni_pathway":
        allowed = " or ".join(str(x) for x in crit.pathways)
        if a.pni is None:
            return [Reason("pathway", f"Allocated by the PNI ({allowed}); the record has no PNI items.")]
        if a.pni.pathway not in crit.pathways:
            detail = (
                " (a thinking, relationships or self-management answer is missing)"
                if a.pni.pathway is Pathway.MISSING_INFORMATION
                else ""
            )
            text = f"For the {allowed} pathway; his PNI pathway is {a.pni.pathway}{detail}."
            return [Reason("pathway", text)]
        if a.pni.risk_level is NeedLevel.LOW and not policy.offer_low_risk:
            return [_low_risk("PNI")]
        return []
    if a.band is Band.NOT_APPLICABLE:
        return [
            Reason(
                "risk_not_applicable",
                f"{a.basis} gives him no risk level (no sexual sanction recorded, or not a man), so his risk"
                " cannot be matched to this programme.",
            )
        ]
    if not crit.admits(a.band):
        lo, hi = _band(crit.min), _band(crit.max)  # type: ignore[arg-type]
        span = f"{lo} to {hi}" if lo != hi else lo
        too = "low" if ORDERED_BANDS.index(a.band) < ORDERED_BANDS.index(crit.min) else "high"
        return [
            Reason(
                f"risk_too_{too}",
                f"Risk too {too} for this {intensity_word(p.intensity.value)}-intensity programme: his"
                f" {a.basis} risk is {_band(a.band)}, it is for {span} risk.",
            )
        ]
    if a.band is Band.LOW and not policy.offer_low_risk:
        return [_low_risk(a.basis)]
    return []


def _low_risk(basis: str) -> Reason:
    return Reason(
        "low_risk_policy",
        f"Low-risk policy: his {basis} risk is LOW, and men assessed as low risk are not routinely offered"
        " accredited programmes (NOMS FOI 94074); mixing them with higher-risk men can make offending seem"
        " acceptable.",
    )


def _need_reasons(p: Programme, man: Profile, a: Assessment) -> list[Reason]:
    need = p.need.value
    out: list[Reason] = []
    if need.sexual_interest and not a.sexual_interest:
        detail = (
            "the OASys sexual-interest items (11.11, 11.12, 6.12) were not given"
            if a.sexual_interest is None
            else f"his OASys answers show none (11.12 = {man.oasys_11_12})"
        )
        text = f"Only where an offence-related sexual-interest need is present; {detail}."
        out.append(Reason("need", text))
    if need.hsp_score_min is not None and a.hsp_score < need.hsp_score_min:
        labels = hsp_checklist().items
        items = ", ".join(labels[i].label.lower() for i in man.hsp_items) or "no items recorded"
        out.append(
            Reason(
                "hsp_score",
                f"Needs an HSP offence-details score of at least {need.hsp_score_min}; his is {a.hsp_score}"
                f" ({items}).",
            )
        )
    return out


def _history_reasons(p: Programme, catalogue: Catalogue, situation: Situation) -> list[Reason]:
    done = situation.done
    if done.get(p.code):
        return [Reason("completed", "Already completed, with its treatment targets met.")]
    out: list[Reason] = []
    if p.role is Role.TREATMENT and situation.finished_treatment:
        out.append(
            Reason(
                "completed",
                f"He has already completed {catalogue.label(situation.finished_treatment)} with its"
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
        out.append(Reason("prerequisite", text))
    return out


def _time_reasons(p: Programme, man: Profile, situation: Situation) -> list[Reason]:
    window = p.months_to_release.value
    left = man.months_to_release
    until = situation.until
    need = window.min.get(man.setting)
    out: list[Reason] = []
    if need is not None and left < need:
        out.append(
            Reason(
                "time",
                f"Not enough time before {until}: he has {_months(left)} left and it needs at least"
                f" {_months(need)}.",
            )
        )
    if window.max is not None and left > window.max:
        out.append(
            Reason(
                "pre_release",
                f"Meant for the last {_months(window.max)} before release; he has {_months(left)} left.",
            )
        )
    return out


def positive_reasons(p: Programme, man: Profile, a: Assessment, catalogue: Catalogue) -> list[str]:
    """Why a programme that passed every rule is offered (two to four short sentences)."""
    out: list[str] = []
    crit = p.risk.value
    word = intensity_word(p.intensity.value)
    if crit.basis == "pni_pathway":
        out.append(f"His PNI pathway is {a.pathway}, which this {word}-intensity programme serves.")
    elif p.role is Role.TREATMENT and a.target is not None and p.intensity.value is not a.target:
        out.append(
            f"His {a.target_basis} calls for {intensity_word(a.target)} intensity; this {word}-intensity"
            f" programme is the nearest open to him {_where(man.setting)}."
        )
    elif p.role is Role.TREATMENT:
        pni = f" and his PNI pathway is {a.pathway}" if a.target_basis == "PNI pathway" else ""
        out.append(
            f"Intensity follows risk: his {a.basis} risk is {_band(a.band)}{pni}; this is a {word}-intensity"
            " programme."
        )
    else:
        span = f"{_band(crit.min)} to {_band(crit.max)}"  # type: ignore[arg-type]
        out.append(f"His {a.basis} risk is {_band(a.band)}, within the {span} range this programme is for.")
    if p.audience.value is Audience.IMAGES:
        out.append("The internet programme, for men whose only sexual offences are indecent images.")
    if man.ldc and p.ldc.value.suitability is LdcSuitability.ADAPTED:
        out.append("Adapted for men with learning disabilities or challenges.")
    if p.need.value.sexual_interest:
        out.append("He has an offence-related sexual-interest need.")
    if p.need.value.hsp_score_min is not None:
        out.append(f"HSP offence-details score {a.hsp_score} (at least {p.need.value.hsp_score_min} needed).")
    done = [c.code for c in man.completed_programmes]
    for pre in p.prerequisites.value:
        follows = next(c for c in pre.completed_any_of if c in done)
        out.append(f"Follows his completed {catalogue.label(follows)}.")
    if man.maintains_innocence:
        out.append("Open to men who maintain their innocence.")
    until = "release" if man.setting is Setting.CUSTODY else "the end of his supervision"
    if p.months_to_release.value.max is not None:
        out.append(f"He is in the last {_months(p.months_to_release.value.max)} before release.")
    elif p.intensity.value is Intensity.LOW_OR_HIGH:
        late = man.months_to_release <= PRE_RELEASE_MONTHS
        form = "high-intensity (pre-release)" if late else "low-intensity"
        out.append(f"With {_months(man.months_to_release)} to {until}, the {form} form.")
    else:
        left = _months(man.months_to_release)
        out.append(f"Runs {_where(man.setting)}; {left} to {until} leaves time to finish.")
    return out
