"""Why an offered programme fits: the positive reasons listed with each recommended programme.

Two to four short sentences a programme manager can check against the record: how its intensity matches his
risk (or PNI pathway), what makes him suitable (internet offence, LDC, sexual-interest need, HSP score, the
programme he completed before), that deniers may attend, and the timing.
"""

from __future__ import annotations

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
from desist.domain.profile import Profile
from desist.domain.words import plain


def positive_reasons(p: Programme, man: Profile, a: AssessedRisk, catalogue: Catalogue) -> list[str]:
    """Why a programme that passed every rule is offered (two to four short sentences)."""
    out: list[str] = []
    crit = p.risk.value
    word = intensity_word(p.intensity.value)
    if crit.basis == "pni_pathway":
        out.append(f"His PNI pathway is {plain(a.pathway)}, which this {word}-intensity programme serves.")
    elif p.role is ProgrammeRole.TREATMENT and a.target is not None and p.intensity.value is not a.target:
        out.append(
            f"His {a.target_basis} calls for {intensity_word(a.target)} intensity; this {word}-intensity"
            f" programme is the nearest open to him {where_text(man.setting)}."
        )
    elif p.role is ProgrammeRole.TREATMENT:
        pni = f" and his PNI pathway is {plain(a.pathway)}" if a.target_basis == "PNI pathway" else ""
        out.append(
            f"Intensity follows risk: his {a.basis} risk is {band_text(a.band)}{pni};"
            f" this is a {word}-intensity programme."
        )
    else:
        span = f"{band_text(crit.min)} to {band_text(crit.max)}"  # type: ignore[arg-type]
        out.append(
            f"His {a.basis} risk is {band_text(a.band)}, within the {span} range this programme is for."
        )
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
        out.append(f"He is in the last {months_text(p.months_to_release.value.max)} before release.")
    elif p.intensity.value is Intensity.LOW_OR_HIGH:
        late = man.months_to_release <= PRE_RELEASE_MONTHS
        form = "high-intensity (pre-release)" if late else "low-intensity"
        out.append(f"With {months_text(man.months_to_release)} to {until}, the {form} form.")
    else:
        left = months_text(man.months_to_release)
        out.append(f"Runs {where_text(man.setting)}; {left} to {until} leaves time to finish.")
    return out
