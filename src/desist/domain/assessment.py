"""What the pathway engine needs to know about one man on one date: his risk band, need and era.

Risk-need-responsivity starts from risk, so this module decides *which* risk band drives intensity and says
so (the ``basis``) in every recommendation:

- image-only men: the higher of OSP/DC and OSP/IIC (OSP/IIC is the internet-offence scale; OSP/DC still
  counts if it is higher);
- legacy era (before the current programmes started): RM2000/S where the record gives RM2000 items, since
  the SOTP suite was allocated on RM2000; otherwise OSP/DC;
- otherwise OSP/DC.

The sexual-interest need that gates HSF/HSP is present when OASys 11.12 (offence-related sexual interests)
is scored 1 or 2, or the PNI sex domain is 2; it is unknown when the sex items were not given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from desist.domain.catalogue import Catalogue, Era, Intensity, hsp_checklist
from desist.domain.profile import ManFacts, OffenceType, Profile
from desist.domain.risk import osp, pni, rm2000, static99r
from desist.domain.risk.bands import ORDERED_BANDS, Band, Pathway

#: RNR: the programme intensity each sexual-risk band calls for
BAND_INTENSITY = {
    Band.LOW: Intensity.LOW,
    Band.MEDIUM: Intensity.MODERATE,
    Band.HIGH: Intensity.HIGH,
    Band.VERY_HIGH: Intensity.HIGH,
}
PATHWAY_INTENSITY = {
    Pathway.HIGH_INTENSITY: Intensity.HIGH,
    Pathway.MODERATE_INTENSITY: Intensity.MODERATE,
    Pathway.ALTERNATIVE_PATHWAY: None,
}
INTENSITY_PATHWAY = {
    Intensity.HIGH: Pathway.HIGH_INTENSITY,
    Intensity.MODERATE: Pathway.MODERATE_INTENSITY,
    Intensity.LOW: Pathway.ALTERNATIVE_PATHWAY,
    None: Pathway.ALTERNATIVE_PATHWAY,
}


@dataclass(frozen=True)
class AssessedRisk:
    """One man's risk and need as the pathway engine reads them on ``day``.

    ``rm2000`` and ``static99r`` hold the summary the recommendation reports (points and categories; the item
    breakdown is ``desist risk``'s job), so the scalar and the vectorised paths give identical output.
    """

    day: date
    era: Era
    band: Band
    basis: str
    osp: osp.OspResult
    rm2000: dict[str, Any] | None
    static99r: dict[str, Any] | None
    pni: pni.PniResult | None
    sexual_interest: bool | None
    hsp_score: int
    target: Intensity | None
    target_basis: str
    pathway: Pathway

    def to_dict(self) -> dict[str, Any]:
        """The ``risk`` block of a recommendation."""
        out: dict[str, Any] = {
            "band": str(self.band),
            "basis": self.basis,
            "era": str(self.era),
            "intensity": None if self.target is None else str(self.target),
            "intensity_basis": self.target_basis,
            "sexual_interest_need": self.sexual_interest,
            "hsp_score": self.hsp_score,
            **self.osp.to_dict(),
        }
        if self.rm2000 is not None:
            out["rm2000"] = self.rm2000
        if self.static99r is not None:
            out["static99r"] = self.static99r
        if self.pni is not None:
            out["pni"] = self.pni.to_dict()
        return out


@lru_cache(maxsize=8)
def _current_from(catalogue: Catalogue) -> date | None:
    starts = [p.available_from.value for p in catalogue if p.era is Era.CURRENT]
    return min(starts) if starts else None


def era_on(catalogue: Catalogue, day: date) -> Era:
    """CURRENT from the day the first current-era programme started, LEGACY before it."""
    start = _current_from(catalogue)
    return Era.CURRENT if start is not None and day >= start else Era.LEGACY


def _higher(a: Band, b: Band) -> Band:
    scale = [x for x in (a, b) if x is not Band.NOT_APPLICABLE]
    return max(scale, key=ORDERED_BANDS.index) if scale else Band.NOT_APPLICABLE


def _sexual_interest(profile: ManFacts, result: pni.PniResult | None) -> bool | None:
    items = (profile.oasys_11_11, profile.oasys_11_12, profile.oasys_6_12)
    if all(i is None for i in items):
        return None
    if profile.oasys_11_12 is not None and profile.oasys_11_12 >= 1:
        return True
    return bool(result is not None and result.need.sex == 2)


def _scale(points: Any, category: Any) -> dict[str, Any]:
    return {"points": None if points is None else int(points), "category": str(category)}


def combine(
    profile: ManFacts,
    day: date,
    era: Era,
    o: osp.OspResult,
    rm: dict[str, Any] | None,
    s99: dict[str, Any] | None,
    p: pni.PniResult | None,
) -> AssessedRisk:
    """Decide the band, intensity and pathway from the scored tools (shared by both paths)."""
    if profile.offence_type is OffenceType.IMAGES_ONLY:
        band = _higher(o.dc.band, o.iic.band)
        basis = "OSP/IIC" if band is o.iic.band else "OSP/DC"
    elif era is Era.LEGACY and rm is not None and profile.sex == "M":  # RM2000, like OSP, is for men
        band, basis = Band(rm["s"]["category"]), "RM2000/S"
    else:
        band, basis = o.dc.band, "OSP/DC"

    pathway: Pathway
    if era is Era.CURRENT and p is not None and p.pathway is not Pathway.MISSING_INFORMATION:
        target, target_basis, pathway = PATHWAY_INTENSITY[p.pathway], "PNI pathway", p.pathway
    else:
        target = BAND_INTENSITY.get(band)
        target_basis = f"{basis} band"
        pathway = INTENSITY_PATHWAY[target]
        if era is Era.CURRENT and p is not None:
            pathway = Pathway.MISSING_INFORMATION  # say so; intensity still follows his OSP band
    return AssessedRisk(
        day=day,
        era=era,
        band=band,
        basis=basis,
        osp=o,
        rm2000=rm,
        static99r=s99,
        pni=p,
        sexual_interest=_sexual_interest(profile, p),
        hsp_score=hsp_checklist().score(profile.hsp_items),
        target=target,
        target_basis=target_basis,
        pathway=pathway,
    )


def assess(profile: Profile, day: date, catalogue: Catalogue) -> AssessedRisk:
    """Score the man's risk tools and decide the band, intensity and pathway that drive his menu."""
    o = osp.score(profile)
    rm = None
    if profile.rm2000_input is not None:
        r = rm2000.score(profile.rm2000_input)
        rm = {k: _scale(x.points, x.category) for k, x in (("s", r.s), ("v", r.v), ("c", r.c))}
    s99 = None
    if profile.static99r_input is not None:
        s = static99r.score(profile.static99r_input)
        s99 = {"total": s.total, "level": s.level}
    p = None
    if profile.has_pni:
        p = pni.score(profile.model_copy(update={"osp_dc_band": o.dc.band, "osp_iic_band": o.iic.band}))
    return combine(profile, day, era_on(catalogue, day), o, rm, s99, p)


def __getattr__(name: str) -> Any:
    # the old name, kept for one release: "Assessment" now means only a stored assessment row
    if name == "Assessment":
        import warnings

        warnings.warn(
            "desist.domain.assessment.Assessment is deprecated; use AssessedRisk",
            DeprecationWarning,
            stacklevel=2,
        )
        return AssessedRisk
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
