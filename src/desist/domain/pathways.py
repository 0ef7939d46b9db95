"""The pathway engine: which programmes to offer a man on a date, best first, and why not the others.

``recommend`` accounts for *every* programme in the catalogue: each is either recommended (with the reasons it
fits) or excluded (with every reason it does not), never both. It works in two steps:

1. hard rules, one programme at a time (:mod:`desist.domain.eligibility`): availability on the date, setting,
   offence type, LDC, age, denial, risk range, the low-risk policy, need, prerequisites and time to release;
2. risk-need-responsivity across the survivors: intensity follows risk (the programmes nearest his risk
   level win, the rest are excluded naming the one that won), and image-only men get the internet programme.

Example
-------
>>> from desist.domain.profile import Profile
>>> man = Profile.model_validate({"id": "P-1", "sex": "M", "age": 30, "contact_adult_sanctions": 1,
...     "contact_child_sanctions": 0, "paraphilia_sanctions": 0, "indecent_image_sanctions": 0,
...     "total_sanctions": 2, "age_at_last_sexual_offence": 28, "stranger_victim": True, "in_custody": True,
...     "offence_in_last_5_years": True, "sexual_offence_in_last_5_years": True, "setting": "custody",
...     "ldc": False, "offence_type": "contact_adult", "maintains_innocence": False, "months_to_release": 30})
>>> [r.code for r in recommend(man, as_of=date(2019, 6, 1)).recommended]
['KAIZEN']
>>> [r.code for r in recommend(man, as_of=date(2012, 6, 1)).recommended]
['SOTP-CORE']
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import chain, groupby
from typing import TYPE_CHECKING, Any

from desist.domain import eligibility, fit_reasons
from desist.domain.assessment import AssessedRisk, assess
from desist.domain.catalogue import (
    Audience,
    Catalogue,
    Intensity,
    Programme,
    ProgrammeRole,
    default_catalogue,
)
from desist.domain.eligibility import (
    EligibilityReason,
    Menu,
    Policy,
    Reasons,
    intensity_word,
    menu_on,
    menu_reasons,
)
from desist.domain.fit_reasons import positive_reasons
from desist.domain.memos import make_room
from desist.domain.profile import ManFacts, OffenceType, Profile
from desist.domain.risk.bands import Band, Pathway
from desist.domain.words import plain

if TYPE_CHECKING:
    from desist.domain.profile_columns import CheckedProfiles

__all__ = [
    "Excluded",
    "Policy",
    "Recommendation",
    "Recommended",
    "recommend",
    "recommend_checked",
    "recommend_many",
]

#: recommended programmes are listed main programme first, then sexual-interest work, then boosters
ROLE_ORDER = {
    ProgrammeRole.TREATMENT: 0,
    ProgrammeRole.FOLLOW_ON: 0,
    ProgrammeRole.SEXUAL_INTEREST: 1,
    ProgrammeRole.BOOSTER: 2,
}
_RANKED = (Intensity.LOW, Intensity.MODERATE, Intensity.HIGH)


@dataclass(frozen=True)
class Recommended:
    code: str
    name: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "reasons": list(self.reasons)}

    @property
    def line(self) -> str:
        """``CODE: reason reason ...`` on one line."""
        return f"{self.code}: {' '.join(self.reasons)}"


@dataclass(frozen=True)
class Excluded:
    code: str
    reasons: tuple[str, ...]
    kinds: tuple[str, ...] = ()  # machine-readable reason kinds, for summaries

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "reasons": list(self.reasons)}

    @property
    def line(self) -> str:
        """``CODE: reason reason ...`` on one line."""
        return f"{self.code}: {' '.join(self.reasons)}"


@dataclass(frozen=True)
class Recommendation:
    """The programmes recommended (best first) and every other programme with why it was excluded."""

    id: str | None
    as_of: date
    pathway: Pathway
    assessment: AssessedRisk
    recommended: tuple[Recommended, ...]
    excluded: tuple[Excluded, ...]
    reason: str | None  # why nothing was recommended (None when something was)
    policy: Policy
    #: ``excluded`` as the runs it was put together from: a bulk run shares each run between many men, so a
    #: view can make each run's text once
    excluded_runs: tuple[tuple[Excluded, ...], ...] = field(compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``desist recommend``."""
        return {
            "id": self.id,
            "as_of": self.as_of.isoformat(),
            "pathway": str(self.pathway),
            "risk": self.assessment.to_dict(),
            "recommended": [r.to_dict() for r in self.recommended],
            "excluded": [e.to_dict() for e in self.excluded],
            "reason": self.reason,
        }


def recommend(
    profile: Profile,
    as_of: date | None = None,
    policy: Policy | None = None,
    catalogue: Catalogue | None = None,
) -> Recommendation:
    """Recommend programmes for one man on a date, with reasons for every programme in the catalogue.

    Parameters
    ----------
    profile : Profile
        The man's risk-tool inputs and situation.
    as_of : date, optional
        The date whose menu applies; defaults to ``profile.as_of``, then today.
    policy : Policy, optional
        Policy switches (``offer_low_risk``); default: low-risk men are not offered programmes.
    catalogue : Catalogue, optional
        Default: the packaged ``programmes.yaml``.

    Returns
    -------
    Recommendation
    """
    policy = policy or Policy()
    catalogue = catalogue or default_catalogue()
    day = as_of or profile.as_of or date.today()
    return _decide(profile, assess(profile, day, catalogue), policy, catalogue)


def recommend_many(
    profiles: Sequence[Profile],
    default_as_of: date | None = None,
    policy: Policy | None = None,
    catalogue: Catalogue | None = None,
) -> list[Recommendation]:
    """Recommend for many men at once, scoring their risk tools vectorised (same results as ``recommend``).

    Parameters
    ----------
    profiles : sequence of Profile
    default_as_of : date, optional
        The date for men whose record has no ``as_of`` (default today).
    policy, catalogue
        As for :func:`recommend`.
    """
    from desist.domain.assess_bulk import assess_many  # pandas: only for bulk work

    policy = policy or Policy()
    catalogue = catalogue or default_catalogue()
    fallback = default_as_of or date.today()
    days = [p.as_of or fallback for p in profiles]
    # A bulk run allocates millions of small acyclic objects; the cyclic garbage collector would rescan them
    # over and over (doubling the run time) with nothing to free, so it is paused for the batch.
    paused = gc.isenabled()
    gc.disable()
    try:
        assessments = assess_many(profiles, days, catalogue)
        return [_decide(p, a, policy, catalogue) for p, a in zip(profiles, assessments, strict=True)]
    finally:
        if paused:
            gc.enable()


def recommend_checked(
    checked: CheckedProfiles,
    default_as_of: date | None = None,
    policy: Policy | None = None,
    catalogue: Catalogue | None = None,
) -> list[Recommendation]:
    """:func:`recommend_many` for the plain records of a chunk checked column by column
    (:func:`desist.domain.profile_columns.check_profiles`), in row order; the other records are for the
    Profile model and :func:`recommend_many`."""
    import numpy as np  # numpy and pandas: only for bulk work

    from desist.domain.assess_bulk import assess_checked

    policy = policy or Policy()
    catalogue = catalogue or default_catalogue()
    fallback = default_as_of or date.today()
    rows = np.flatnonzero(checked.plain)
    days = [d or fallback for d in (checked.as_of[i] for i in rows.tolist())]
    paused = gc.isenabled()  # as in recommend_many
    gc.disable()
    try:
        assessments = assess_checked(checked, rows, days, catalogue)
        return [
            _decide(a_man, a, policy, catalogue)
            for a_man, a in zip(_men(checked, rows), assessments, strict=True)
        ]
    finally:
        if paused:
            gc.enable()


def _men(checked: CheckedProfiles, rows: Any) -> list[ManFacts]:
    return [m for i in rows.tolist() if (m := checked.men[i]) is not None]


def _decide(man: ManFacts, a: AssessedRisk, policy: Policy, catalogue: Catalogue) -> Recommendation:
    """Apply the hard rules and RNR to one assessed man."""
    day = a.day
    menu = menu_on(catalogue, day)
    found = menu_reasons(catalogue, menu, man, a, policy)
    sifted = _sift(catalogue, menu, found.rules, man.offence_type, a.target, a.target_basis)
    time = found.time
    if time is not None:
        if sifted.stands(time):  # only programmes already ruled out fail on time: they gain its reasons
            sifted = _timed(sifted, time)
        else:  # a programme that passed the other rules fails on time
            sifted = _resift(menu, sifted, time, man.offence_type, a.target, a.target_basis)
    recommended = tuple(
        [Recommended(p.code, p.name, positive_reasons(p, man, a, catalogue)) for p in sifted.chosen]
    )
    # every programme in catalogue order: runs of the day's off-menu exclusions and of those on the menu
    runs = tuple([x if isinstance(x, tuple) else sifted.run(x) for x in _layout(catalogue, day)])
    reason = None if recommended else _why_none(a, sifted, policy)
    excluded = tuple(chain.from_iterable(runs))
    return Recommendation(man.id, day, a.pathway, a, recommended, excluded, reason, policy, runs)


@lru_cache(maxsize=8192)
def _layout(catalogue: Catalogue, day: date) -> tuple[tuple[Excluded, ...] | range, ...]:
    """Every catalogue programme in order, in runs of neighbours: the day's "not available" exclusions (a
    tuple), or the positions on the day's menu of programmes that run (a range: the menu keeps catalogue
    order).

    The same day's exclusions recur across a bulk run; they are immutable, so they are shared."""
    menu = menu_on(catalogue, day)
    off = menu.unavailable
    runs: list[tuple[Excluded, ...] | range] = []
    for running, codes in groupby(catalogue.codes, key=lambda code: code not in off):
        if running:
            first = menu.codes.index(next(codes))
            runs.append(range(first, first + 1 + sum(1 for _ in codes)))
        else:
            runs.append(tuple(Excluded(c, (off[c].text,), (off[c].kind,)) for c in codes))
    return tuple(runs)


class _Sifted:
    """The programmes offered and why each other programme on the menu is not, for one set of outcomes."""

    __slots__ = ("_commonest", "_runs", "chosen", "keep", "rules", "ruled_out")

    def __init__(
        self,
        keep: Any,
        rules: tuple[Reasons, ...],
        chosen: tuple[Programme, ...],
        ruled_out: tuple[Excluded | None, ...],
    ) -> None:
        self.keep = keep  # the objects this was memoised on (by id): held, so their ids are not reused
        self.rules = rules  # the outcomes of every rule but the time rules
        self.chosen = chosen  # in the order they are listed
        self.ruled_out = ruled_out  # by menu position: the exclusion, or None for a programme offered
        self._commonest: str | None = None
        self._runs: dict[range, tuple[Excluded, ...]] = {}

    def run(self, positions: range) -> tuple[Excluded, ...]:
        """The exclusions of the programmes at menu ``positions`` (made once per run)."""
        hit = self._runs.get(positions)
        if hit is None:
            hit = self._runs[positions] = tuple(
                [e for e in self.ruled_out[positions.start : positions.stop] if e is not None]
            )
        return hit

    def stands(self, time: tuple[Reasons, ...]) -> bool:
        """Whether the offer stands with the time rules' outcomes: only programmes the other rules rule out
        fail on time."""
        return all([r for r, t in zip(self.rules, time, strict=True) if t])

    @property
    def commonest(self) -> str:
        """The three commonest kinds of reason among the programmes ruled out (for the no-offer sentence)."""
        if self._commonest is None:
            self._commonest = _commonest([e for e in self.ruled_out if e is not None])
        return self._commonest


def _commonest(running: list[Excluded]) -> str:
    counts: dict[str, int] = {}
    for e in running:
        for k in dict.fromkeys(e.kinds):
            counts[k] = counts.get(k, 0) + 1
    # as Counter.most_common: by count, ties in the order first met
    top = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)[:3]
    return ", ".join(f"{_SUMMARY.get(k, k)} ({n})" for k, n in top)


#: entries per memo: most keys recur within a few thousand men, and each entry holds its exclusions (a
#: bulk run's worker processes hold these memos each, so their size is its memory); a full memo forgets its
#: older half (:func:`make_room`)
_MEMO_LIMIT = 20_000
_SIFTED: dict[tuple[Any, ...], _Sifted] = {}
_RESIFTED: dict[tuple[int, int], _Sifted] = {}
_TIMED: dict[tuple[int, int], _Sifted] = {}
#: few men share his months to release, so few time outcomes recur: a small memo (each entry holds its own
#: exclusions, ~2 KB)
_TIMED_LIMIT = 10_000
#: (code, id of its shared reasons) -> (reasons, exclusion): one exclusion object for equal outcomes
_EXCLUSIONS: dict[tuple[Any, ...], tuple[Any, Excluded]] = {}


def _excluded(code: str, why: Reasons) -> Excluded:
    """The exclusion of ``code`` for ``why`` (memoised on the shared reasons, held by the entry)."""
    hit = _EXCLUSIONS.get((code, id(why)))
    if hit is None:
        make_room(_EXCLUSIONS, _MEMO_LIMIT)
        e = Excluded(code, tuple([r.text for r in why]), tuple([r.kind for r in why]))
        hit = _EXCLUSIONS[code, id(why)] = (why, e)
    return hit[1]


def _later(e: Excluded, more: Reasons) -> Excluded:
    """``e`` with the time rules' reasons ``more`` added (memoised on both, held by the entry)."""
    hit = _EXCLUSIONS.get((id(e), id(more)))
    if hit is None:
        make_room(_EXCLUSIONS, _MEMO_LIMIT)
        later = Excluded(
            e.code, e.reasons + tuple([r.text for r in more]), e.kinds + tuple([r.kind for r in more])
        )
        hit = _EXCLUSIONS[id(e), id(more)] = ((e, more), later)
    return hit[1]


def clear_memos() -> None:
    """Forget every memoised rule outcome (each call is answered afresh until the memos fill again)."""
    _SIFTED.clear()
    _RESIFTED.clear()
    _TIMED.clear()
    _EXCLUSIONS.clear()
    _layout.cache_clear()
    fit_reasons.clear_memos()
    eligibility.clear_memos()


def _sift(
    catalogue: Catalogue,
    menu: Menu,
    rules: tuple[Reasons, ...],
    offence: OffenceType,
    target: Intensity | None,
    target_basis: str,
) -> _Sifted:
    """:func:`_sifted` for the rule outcomes but the time rules' (memoised: ``rules`` is one object for every
    man with the same outcomes, see :func:`menu_reasons`)."""
    key = (catalogue, menu.codes, id(rules), offence, target, target_basis)
    hit = _SIFTED.get(key)
    if hit is None:
        make_room(_SIFTED, _MEMO_LIMIT)
        hit = _SIFTED[key] = _sifted(menu, rules, rules, rules, offence, target, target_basis)
    return hit


def _resift(
    menu: Menu,
    sifted: _Sifted,
    time: tuple[Reasons, ...],
    offence: OffenceType,
    target: Intensity | None,
    target_basis: str,
) -> _Sifted:
    """:func:`_sifted` again with the time rules' outcomes too (memoised on both objects)."""
    key = (id(sifted), id(time))
    hit = _RESIFTED.get(key)
    if hit is None:
        make_room(_RESIFTED, _MEMO_LIMIT)
        reasons = tuple([r + t for r, t in zip(sifted.rules, time, strict=True)])
        hit = _RESIFTED[key] = _sifted(
            menu, (sifted, time), sifted.rules, reasons, offence, target, target_basis
        )
    return hit


def _timed(sifted: _Sifted, time: tuple[Reasons, ...]) -> _Sifted:
    """``sifted`` where the offer stands with the time rules' outcomes ``time``: the same offer, and each
    programme ruled out gains its time reasons (memoised on both objects)."""
    key = (id(sifted), id(time))
    hit = _TIMED.get(key)
    if hit is None:
        make_room(_TIMED, _TIMED_LIMIT)
        ruled_out = tuple(
            [
                _later(e, more) if e is not None and more else e
                for e, more in zip(sifted.ruled_out, time, strict=True)
            ]
        )
        hit = _TIMED[key] = _Sifted((sifted, time), sifted.rules, sifted.chosen, ruled_out)
    return hit


def _sifted(
    menu: Menu,
    keep: Any,
    rules: tuple[Reasons, ...],
    reasons: tuple[Reasons, ...],
    offence: OffenceType,
    target: Intensity | None,
    target_basis: str,
) -> _Sifted:
    """The programmes offered and an exclusion for each other programme on the menu, from every hard rule's
    outcome (``reasons``, in menu order) and RNR."""
    failed = {p.code: why for p, why in zip(menu.available, reasons, strict=True) if why}
    passed = [p for p in menu.available if p.code not in failed]
    chosen, dropped = _responsivity(passed, offence, target, target_basis)
    failed.update(dropped)
    chosen.sort(key=lambda p: ROLE_ORDER[p.role])  # stable: catalogue order within a role
    ruled_out = tuple(
        [_excluded(p.code, why) if (why := failed.get(p.code)) else None for p in menu.available]
    )
    return _Sifted(keep, rules, tuple(chosen), ruled_out)


def _responsivity(
    passed: list[Programme], offence: OffenceType, target: Intensity | None, target_basis: str
) -> tuple[list[Programme], dict[str, tuple[EligibilityReason, ...]]]:
    """Among programmes that pass every hard rule, keep the main programmes that fit his risk and offence."""
    dropped: dict[str, tuple[EligibilityReason, ...]] = {}
    main = [p for p in passed if p.role is ProgrammeRole.TREATMENT]
    others = [p for p in passed if p.role is not ProgrammeRole.TREATMENT]
    if not main:
        return others, dropped

    if offence is OffenceType.IMAGES_ONLY:
        internet = [p for p in main if p.audience.value is Audience.IMAGES]
        if internet:
            names = _names(internet)
            for p in main:
                if p.audience.value is not Audience.IMAGES:
                    dropped[p.code] = (
                        EligibilityReason(
                            "internet_programme",
                            f"Image-only offence: the internet programme {names} is the better fit for him.",
                        ),
                    )
            main = internet

    if target is None:  # the PNI found low need: no main programme is indicated
        for p in main:
            dropped[p.code] = (
                EligibilityReason(
                    "pathway",
                    f"His PNI pathway is {plain(Pathway.ALTERNATIVE_PATHWAY)} (his assessed need is low), so"
                    " a main accredited programme is not indicated; consider alternative interventions.",
                ),
            )
        return others, dropped

    ranked = [p for p in main if p.intensity.value in _RANKED]
    if ranked:
        want = _RANKED.index(target)
        # nearest intensity to the one his risk calls for; on a tie the less intensive (do no harm)
        best = min({_RANKED.index(p.intensity.value) for p in ranked}, key=lambda i: (abs(i - want), i))
        winners = [p for p in ranked if _RANKED.index(p.intensity.value) == best]
        for p in ranked:
            if _RANKED.index(p.intensity.value) == best:
                continue
            level = _RANKED.index(p.intensity.value)
            too = "high" if level < best else "low"
            dropped[p.code] = (
                EligibilityReason(
                    f"risk_too_{too}",
                    f"Risk too {too} for {intensity_word(p.intensity.value)} intensity: intensity follows"
                    f" risk, and the {intensity_word(_RANKED[best])}-intensity {_names(winners)} matches his"
                    f" {target_basis} better.",
                ),
            )
        main = winners + [p for p in main if p.intensity.value not in _RANKED]
    return main + others, dropped


def _names(programmes: list[Programme]) -> str:
    return " or ".join(f"{p.name} ({p.code})" for p in programmes)


_SUMMARY = {
    "not_available": "not running on that date",
    "setting": "not run in his setting",
    "audience": "for a different offence type",
    "ldc": "a learning-disability mismatch",
    "age": "below the minimum age",
    "denial": "denial not accepted",
    "risk_too_low": "risk too low",
    "risk_too_high": "risk too high",
    "risk_not_applicable": "no OSP level",
    "pathway": "the PNI pathway",
    "low_risk_policy": "the low-risk policy",
    "need": "no sexual-interest need",
    "hsp_score": "HSP offence score too low",
    "prerequisite": "a missing prerequisite",
    "time": "not enough time before release",
    "pre_release": "not yet in the pre-release window",
    "completed": "already completed",
    "internet_programme": "the internet programme fits better",
}


def _why_none(a: AssessedRisk, sifted: _Sifted, policy: Policy) -> str:
    """One sentence a programme manager can act on, saying why no programme fits (``sifted``: the outcome the
    exclusions of the programmes on the menu were made from, whose summary is memoised)."""
    if a.band is Band.NOT_APPLICABLE:
        return (
            "No programme fits: OSP does not give him a risk level (no sexual sanction recorded, or not a"
            " man), so no sexual-offending programme can be matched to his risk."
        )
    if a.target is None:
        return (
            f"No programme fits: his PNI pathway is {plain(Pathway.ALTERNATIVE_PATHWAY)} (low assessed need);"
            " consider alternative interventions."
        )
    if a.band is Band.LOW and not policy.offer_low_risk:
        return (
            f"No programme recommended: his {a.basis} risk is low, and men assessed as low risk are not"
            " routinely offered accredited programmes (NOMS FOI 94074); the low-risk policy switch"
            " changes this."
        )
    # nothing offered: every programme on the menu is ruled out
    running, commonest = len(sifted.ruled_out), sifted.commonest
    if not commonest:
        return f"No programme fits: none in the catalogue was running on {a.day.isoformat()}."
    return (
        f"No programme fits: of the {running} programmes running on {a.day.isoformat()},"
        f" the commonest reasons were {commonest}."
    )
