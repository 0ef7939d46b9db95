"""Programme Needs Identifier: four need domains, overall need, risk level and pathway.

Rules from domain.md section 3 (the HMPPS accredited-programmes service's engine); every threshold is in
``data/risk/pni.yaml``. Risk intervals are half-open (MEDIUM is 50 <= OGRS3 < 75, 30 <= OVP < 60, 1 <= RSR <
3).

Reading choices, stated here because the source leaves them open:
- sex domain: missing sex items for a man with an OSP level (any OSP/DC or OSP/IIC band other than
  NOT_APPLICABLE) is an error; otherwise missing sex items leave the domain unscored (None, counted as 0);
- the OGRS3/OVP/SARA high-intensity override is applied first and needs no need score; after it, a missing
  thinking, relationships or self-management answer gives MISSING_INFORMATION;
- with no risk score at all the risk level is LOW (the source's "else LOW").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from desist.domain.risk.bands import MISSING_INFORMATION, Band, NeedLevel, Pathway
from desist.domain.risk.base import FieldError, OasysItem, RecordModel, Sex, upper_word
from desist.domain.risk.tables import Cuts, cuts, load_table

BandWord = Annotated[Band | None, BeforeValidator(upper_word)]
SaraWord = Annotated[NeedLevel | None, BeforeValidator(upper_word)]
Percent = Annotated[float | None, Field(default=None, ge=0, le=100)]


class PniInput(RecordModel):
    """One person's PNI inputs (field names as in issue 2, item 5); every item may be missing."""

    sex: Sex
    ogrs3: Percent = None
    ovp: Percent = None
    rsr: Percent = None
    osp_dc_band: BandWord = None
    osp_iic_band: BandWord = None
    sara_partner: SaraWord = None
    sara_others: SaraWord = None
    oasys_11_11: OasysItem = None
    oasys_11_12: OasysItem = None
    oasys_6_12: OasysItem = None
    oasys_12_1: OasysItem = None
    oasys_12_9: OasysItem = None
    oasys_6_1: OasysItem = None
    oasys_6_6: OasysItem = None
    oasys_7_3: OasysItem = None
    oasys_11_3: OasysItem = None
    oasys_11_2: OasysItem = None
    oasys_11_4: OasysItem = None
    oasys_11_6: OasysItem = None
    oasys_10_1: OasysItem = None

    @property
    def has_osp_level(self) -> bool:
        """A man with an OSP/DC or OSP/IIC band on the LOW..VERY_HIGH scale."""
        return self.sex == "M" and any(
            b is not None and b is not Band.NOT_APPLICABLE for b in (self.osp_dc_band, self.osp_iic_band)
        )


#: the thirteen OASys answers the PNI reads, in the input's field order (the first three are the sex domain);
#: the one list that generators, builders and benchmarks draw on
OASYS_ITEMS: tuple[str, ...] = tuple(name for name in PniInput.model_fields if name.startswith("oasys_"))


@dataclass(frozen=True)
class NeedResult:
    """Domain scores 0-2 (None when unscored), overall 0-8 (None when missing) and the level word."""

    sex: int | None
    thinking: int | None
    relationships: int | None
    self_management: int | None
    overall: int | None
    level: NeedLevel | str

    def to_dict(self) -> dict[str, Any]:
        # the fields as they are (plain values): vars, not asdict's deep copy (17 us a call, 0.8 here; this
        # is on the per-man JSON path of `desist recommend`)
        return {**vars(self), "level": str(self.level)}


@dataclass(frozen=True)
class PniResult:
    need: NeedResult
    risk_level: NeedLevel
    pathway: Pathway

    def to_dict(self) -> dict[str, Any]:
        return {"need": self.need.to_dict(), "risk_level": str(self.risk_level), "pathway": str(self.pathway)}


def _answers(inp: PniInput, domain: str) -> list[int | None]:
    return [getattr(inp, item) for item in load_table("pni")["need"][domain]["items"]]


def sex_domain(inp: PniInput) -> int | None:
    """2 if total 4-6 or 11.12 = 2; 1 if total 2-3; else 0. None when unanswered and no OSP level."""
    t = load_table("pni")["need"]["sex"]
    answers = _answers(inp, "sex")
    if any(a is None for a in answers):
        if inp.has_osp_level:
            missing = next(i for i, a in zip(t["items"], answers, strict=True) if a is None)
            raise FieldError(
                missing,
                None,
                "missing, expected 0, 1 or 2 (sex items are required for a man with an OSP level)",
            )
        return None
    total = sum(answers)  # type: ignore[arg-type]
    if total >= t["high_total_from"] or getattr(inp, t["high_if_item_2"]) == 2:
        return 2
    return 1 if total >= t["medium_total_from"] else 0


def thinking_domain(inp: PniInput) -> int | None:
    """0 if total 0; 2 if total 3-4 or 12.1 = 2; else 1. None when an answer is missing."""
    t = load_table("pni")["need"]["thinking"]
    answers = _answers(inp, "thinking")
    if any(a is None for a in answers):
        return None
    total = sum(answers)  # type: ignore[arg-type]
    if total == 0:
        return 0
    return 2 if total >= t["high_total_from"] or getattr(inp, t["high_if_item_2"]) == 2 else 1


def summed_domain(inp: PniInput, domain: str) -> int | None:
    """Relationships / self-management: total 0-1 -> 0, 2-4 -> 1, 5-8 -> 2. None when an answer is missing."""
    answers = _answers(inp, domain)
    if any(a is None for a in answers):
        return None
    table = cuts(load_table("pni")["need"][domain], "scores")
    return int(table.lookup(sum(answers)))  # type: ignore[arg-type]


def need(inp: PniInput) -> NeedResult:
    """The four need domains, overall need and its level (MISSING_INFORMATION if a non-sex domain is
    missing)."""
    sex = sex_domain(inp)
    thinking = thinking_domain(inp)
    relationships = summed_domain(inp, "relationships")
    self_management = summed_domain(inp, "self_management")
    if thinking is None or relationships is None or self_management is None:
        return NeedResult(sex, thinking, relationships, self_management, None, MISSING_INFORMATION)
    overall = (sex or 0) + thinking + relationships + self_management
    levels: Cuts[str] = cuts(load_table("pni")["need"]["overall"], "labels")
    return NeedResult(
        sex, thinking, relationships, self_management, overall, NeedLevel(levels.lookup(overall))
    )


def _meets(inp: PniInput, rule: dict[str, Any]) -> bool:
    """Whether any score reaches the rule's thresholds (each threshold is `score >= x`)."""
    men_with_osp = inp.has_osp_level
    osp_bands = {str(b) for b in (inp.osp_dc_band, inp.osp_iic_band) if b is not None}
    return (
        (inp.ogrs3 is not None and inp.ogrs3 >= rule["ogrs3"])
        or (inp.ovp is not None and inp.ovp >= rule["ovp"])
        or (inp.sex == "M" and bool(osp_bands & set(rule["osp_bands"])))
        # RSR counts for women always, for men only when they have no OSP level
        or (inp.rsr is not None and inp.rsr >= rule["rsr"] and not men_with_osp)
        or any(s is not None and str(s) in rule["sara"] for s in (inp.sara_partner, inp.sara_others))
    )


def risk_level(inp: PniInput) -> NeedLevel:
    """HIGH / MEDIUM / LOW from OGRS3, OVP, OSP bands (men), RSR and SARA."""
    t = load_table("pni")["risk"]
    if _meets(inp, t["high"]):
        return NeedLevel.HIGH
    return NeedLevel.MEDIUM if _meets(inp, t["medium"]) else NeedLevel.LOW


def pathway(inp: PniInput, need_result: NeedResult, risk: NeedLevel) -> Pathway:
    """Override first, then MISSING_INFORMATION, the low-need SARA rule, and the need x risk matrix."""
    t = load_table("pni")["pathway"]
    over = t["override_high_intensity"]
    sara = {str(s) for s in (inp.sara_partner, inp.sara_others) if s is not None}
    if (
        inp.ogrs3 is not None
        and inp.ogrs3 >= over["ogrs3"]
        and ((inp.ovp is not None and inp.ovp >= over["ovp"]) or bool(sara & set(over["sara"])))
    ):
        return Pathway.HIGH_INTENSITY
    if need_result.level == MISSING_INFORMATION:
        return Pathway.MISSING_INFORMATION
    if need_result.level == NeedLevel.LOW and sara & set(t["low_need_sara_moderate"]):
        return Pathway.MODERATE_INTENSITY
    return Pathway(t["matrix"][str(need_result.level)][str(risk)])


def score(inp: PniInput) -> PniResult:
    """Score the PNI.

    Raises
    ------
    FieldError
        A man with an OSP level has a sex item missing.

    Examples
    --------
    >>> r = score(PniInput(sex="M", ogrs3=75, ovp=60))
    >>> r.pathway.value, r.need.level
    ('HIGH_INTENSITY', 'MISSING_INFORMATION')
    """
    need_result = need(inp)
    risk = risk_level(inp)
    return PniResult(need=need_result, risk_level=risk, pathway=pathway(inp, need_result, risk))
