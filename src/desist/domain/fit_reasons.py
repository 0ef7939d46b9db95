"""Why an offered programme fits: the positive reasons listed with each recommended programme.

Two to four short sentences a programme manager can check against the record: how its intensity matches his
risk (or PNI pathway), what makes him suitable (internet offence, LDC, sexual-interest need, HSP score, the
programme he completed before), that deniers may attend, and the timing.
"""

from __future__ import annotations

from functools import lru_cache

from desist.domain.assessment import AssessedRisk
from desist.domain.catalogue import (
    Audience,
    Catalogue,
    Intensity,
    LdcSuitability,
    Programme,
    ProgrammeRole,
    Setting,
)
from desist.domain.eligibility import PRE_RELEASE_MONTHS, band_text, intensity_word, months_text, where_text
from desist.domain.profile import ManFacts
from desist.domain.risk.bands import Band, Pathway
from desist.domain.words import plain


def positive_reasons(p: Programme, man: ManFacts, a: AssessedRisk, catalogue: Catalogue) -> tuple[str, ...]:
    """Why a programme that passed every rule is offered (two to four short sentences)."""
    need = p.need.value
    fit = _fit(
        catalogue,
        p.code,
        a.pathway,
        a.target,
        a.target_basis,
        a.basis,
        a.band,
        man.setting,
        man.ldc,
        a.hsp_score if need.hsp_score_min is not None else None,
        tuple(c.code for c in man.completed_programmes) if p.prerequisites.value else (),
        man.maintains_innocence,
    )
    return (*fit, _timing(p, man.months_to_release, man.setting))


@lru_cache(maxsize=65536)
def _fit(
    catalogue: Catalogue,
    code: str,
    pathway: Pathway,
    target: Intensity | None,
    target_basis: str,
    basis: str,
    band: Band,
    setting: Setting,
    ldc: bool,
    hsp_score: int | None,
    done: tuple[str, ...],
    innocent: bool,
) -> tuple[str, ...]:
    """Every sentence but the timing one (memoised on the facts it reads; ``hsp_score`` None and ``done``
    empty where the programme does not read them)."""
    p = catalogue[code]
    out: list[str] = []
    crit = p.risk.value
    word = intensity_word(p.intensity.value)
    if crit.basis == "pni_pathway":
        out.append(f"His PNI pathway is {plain(pathway)}, which this {word}-intensity programme serves.")
    elif p.role is ProgrammeRole.TREATMENT and target is not None and p.intensity.value is not target:
        out.append(
            f"His {target_basis} calls for {intensity_word(target)} intensity; this {word}-intensity"
            f" programme is the nearest open to him {where_text(setting)}."
        )
    elif p.role is ProgrammeRole.TREATMENT:
        pni = f" and his PNI pathway is {plain(pathway)}" if target_basis == "PNI pathway" else ""
        out.append(
            f"Intensity follows risk: his {basis} risk is {band_text(band)}{pni};"
            f" this is a {word}-intensity programme."
        )
    else:
        span = f"{band_text(crit.min)} to {band_text(crit.max)}"  # type: ignore[arg-type]
        out.append(f"His {basis} risk is {band_text(band)}, within the {span} range this programme is for.")
    if p.audience.value is Audience.IMAGES:
        out.append("The internet programme, for men whose only sexual offences are indecent images.")
    if ldc and p.ldc.value.suitability is LdcSuitability.ADAPTED:
        out.append("Adapted for men with learning disabilities or challenges.")
    if p.need.value.sexual_interest:
        out.append("He has an offence-related sexual-interest need.")
    if p.need.value.hsp_score_min is not None:
        out.append(f"HSP offence-details score {hsp_score} (at least {p.need.value.hsp_score_min} needed).")
    for pre in p.prerequisites.value:
        follows = next(c for c in pre.completed_any_of if c in done)
        out.append(f"Follows his completed {catalogue.label(follows)}.")
    if innocent:
        out.append("Open to men who maintain their innocence.")
    return tuple(out)


def _timing(p: Programme, left: float, setting: Setting) -> str:
    until = "release" if setting is Setting.CUSTODY else "the end of his supervision"
    if p.months_to_release.value.max is not None:
        return f"He is in the last {months_text(p.months_to_release.value.max)} before release."
    if p.intensity.value is Intensity.LOW_OR_HIGH:
        late = left <= PRE_RELEASE_MONTHS
        form = "high-intensity (pre-release)" if late else "low-intensity"
        return f"With {months_text(left)} to {until}, the {form} form."
    return f"Runs {where_text(setting)}; {months_text(left)} to {until} leaves time to finish."


def clear_memos() -> None:
    """Forget the memoised sentences."""
    _fit.cache_clear()
