"""The programme catalogue: every accredited programme, its criteria and the source of each fact.

The catalogue is data (``desist/data/programmes.yaml``) validated on load; a bad entry stops the load with one
line naming the programme and the field. :meth:`Catalogue.as_of` gives the menu on a date, so a 2012 case sees
the legacy SOTP suite and a 2019 case the Horizon/Kaizen generation.

Example
-------
>>> from datetime import date
>>> cat = Catalogue.load()
>>> [p.code for p in cat.as_of(date(2012, 6, 1))][:3]
['C-SOGP', 'NSOGP', 'TVSOGP']
>>> cat["kaizen"].intensity.value
<Intensity.HIGH: 'HIGH'>
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from desist.domain.errors import InputError, NotFound
from desist.domain.groups import GroupKind
from desist.domain.risk.bands import ORDERED_BANDS, Band, Pathway

T = TypeVar("T")
_RANK = {band: i for i, band in enumerate(ORDERED_BANDS)}


class Era(StrEnum):
    LEGACY = "legacy"
    CURRENT = "current"


class Setting(StrEnum):
    CUSTODY = "custody"
    COMMUNITY = "community"


class Intensity(StrEnum):
    HIGH = "HIGH"
    MODERATE = "MODERATE"
    LOW = "LOW"
    HIGH_MODERATE = "HIGH_MODERATE"
    LOW_OR_HIGH = "LOW_OR_HIGH"


class ProgrammeRole(StrEnum):
    """What a programme is for in a man's pathway (not who is acting: that is
    :class:`desist.domain.referrals.Role`)."""

    TREATMENT = "treatment"
    FOLLOW_ON = "follow_on"
    SEXUAL_INTEREST = "sexual_interest"
    BOOSTER = "booster"


class Audience(StrEnum):
    CONTACT = "contact"
    IMAGES = "images"
    ANY = "any"


class LdcSuitability(StrEnum):
    STANDARD = "standard"
    ADAPTED = "adapted"
    BOTH = "both"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Fact(_Strict, Generic[T]):
    """One fact about a programme with where it came from and whether it was checked in that source."""

    value: T
    source: str
    verified: bool


class Range(_Strict):
    """An inclusive [min, max] range, written ``[min, max]`` in YAML."""

    min: float
    max: float

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, data: Any) -> Any:
        if isinstance(data, list | tuple):
            if len(data) != 2:
                raise ValueError("expected [min, max]")
            return {"min": data[0], "max": data[1]}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class RiskCriteria(_Strict):
    """Whose risk qualifies: a sexual-risk band range, or a set of PNI pathways."""

    basis: Literal["sexual", "pni_pathway"]
    min: Band | None = None
    max: Band | None = None
    pathways: tuple[Pathway, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> RiskCriteria:
        if self.basis == "sexual":
            if self.min is None or self.max is None or Band.NOT_APPLICABLE in (self.min, self.max):
                raise ValueError("basis 'sexual' needs min and max bands (LOW..VERY_HIGH)")
            if ORDERED_BANDS.index(self.min) > ORDERED_BANDS.index(self.max):
                raise ValueError(f"min band {self.min} is above max band {self.max}")
        elif not self.pathways:
            raise ValueError("basis 'pni_pathway' needs a list of pathways")
        return self

    def admits(self, band: Band) -> bool:
        """True when ``band`` lies within [min, max] (NOT_APPLICABLE never does)."""
        if band is Band.NOT_APPLICABLE or self.min is None or self.max is None:
            return False
        return _RANK[self.min] <= _RANK[band] <= _RANK[self.max]


class NeedCriteria(_Strict):
    sexual_interest: bool = False
    hsp_score_min: int | None = Field(default=None, ge=0)


class Ldc(_Strict):
    suitability: LdcSuitability
    equivalent: str | None = None


class Prerequisite(_Strict):
    """One of ``completed_any_of`` must have been completed (with targets met where required)."""

    completed_any_of: tuple[str, ...] = Field(min_length=1)
    targets_met: bool = False


class Length(_Strict):
    sessions: Range | None = None
    hours: Range | None = None
    weeks: Range | None = None
    sessions_per_week: Range | None = None


class TimeWindow(_Strict):
    """Months needed before release (per setting), and an optional latest point (pre-release programmes)."""

    min: dict[Setting, float] = Field(default_factory=dict)
    max: float | None = None


class Programme(_Strict):
    """An accredited programme as the catalogue describes it."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9-]*$")
    name: str = Field(min_length=1)
    era: Era
    role: ProgrammeRole
    available_from: Fact[date]
    available_to: Fact[date | None]
    settings: Fact[tuple[Setting, ...]]
    intensity: Fact[Intensity]
    risk: Fact[RiskCriteria]
    need: Fact[NeedCriteria]
    ldc: Fact[Ldc]
    audience: Fact[Audience]
    min_age: Fact[int]
    prerequisites: Fact[tuple[Prerequisite, ...]]
    maintains_innocence_allowed: Fact[bool]
    group_format: Fact[GroupKind]
    length: Fact[Length]
    group_size: Fact[Range]
    months_to_release: Fact[TimeWindow]
    note: str = ""

    @field_validator("settings")
    @classmethod
    def _some_setting(cls, v: Fact[tuple[Setting, ...]]) -> Fact[tuple[Setting, ...]]:
        if not v.value:
            raise ValueError("needs at least one setting")
        return v

    @model_validator(mode="after")
    def _dates(self) -> Programme:
        end = self.available_to.value
        if end is not None and end < self.available_from.value:
            raise ValueError(f"available_to {end} is before available_from {self.available_from.value}")
        return self

    def available_on(self, day: date) -> bool:
        """True if the programme was running on ``day`` (both ends inclusive)."""
        end = self.available_to.value
        return self.available_from.value <= day and (end is None or day <= end)

    def facts(self) -> Iterator[tuple[str, Fact[Any]]]:
        """Every (field name, fact) pair, for listing sources and unverified values."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, Fact):
                yield name, value


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(entry)"


class Catalogue:
    """The validated programme menu, in file order (the order recommendations break ties in)."""

    def __init__(self, programmes: tuple[Programme, ...], sources: dict[str, str], path: str) -> None:
        self.programmes = programmes
        self.sources = sources
        self.path = path
        self._by_code = {p.code: p for p in programmes}
        self._labels = {p.code: f"{p.name} ({p.code})" for p in programmes}
        self._codes = tuple(p.code for p in programmes)

    @classmethod
    def load(cls, path: Path | str | None = None) -> Catalogue:
        """Read and validate a catalogue file (default: the packaged ``programmes.yaml``).

        Raises
        ------
        InputError
            One line naming the file, the programme and the field when anything is malformed.
        """
        if path is None:
            text = resources.files("desist").joinpath("data/programmes.yaml").read_text(encoding="utf-8")
            name = "programmes.yaml"
        else:
            p = Path(path)
            try:
                text = p.read_text(encoding="utf-8")
            except OSError as exc:
                raise InputError(f"{p}: cannot read the catalogue ({exc.strerror})") from exc
            name = str(p)
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"{name}: not valid YAML ({str(exc).splitlines()[0]})") from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("programmes"), list):
            raise InputError(f"{name}: expected a mapping with a 'programmes' list and a 'sources' mapping")
        sources = raw.get("sources") or {}
        if not isinstance(sources, dict):
            raise InputError(f"{name}: 'sources' must map a key to a description")
        programmes = tuple(
            cls._programme(name, i, entry, sources) for i, entry in enumerate(raw["programmes"])
        )
        cat = cls(programmes, {str(k): str(v) for k, v in sources.items()}, name)
        cat._check_references()
        return cat

    @staticmethod
    def _programme(file: str, i: int, entry: Any, sources: dict[str, Any]) -> Programme:
        code = entry.get("code", f"#{i + 1}") if isinstance(entry, dict) else f"#{i + 1}"
        try:
            programme = Programme.model_validate(entry)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(f"{file}: programme {code} field '{_loc(err['loc'])}': {err['msg']}") from None
        for field, fact in programme.facts():
            if fact.source not in sources:
                raise InputError(
                    f"{file}: programme {code} field '{field}.source': unknown source '{fact.source}',"
                    f" expected one of the keys under 'sources'"
                )
        return programme

    def _check_references(self) -> None:
        seen: set[str] = set()
        for p in self.programmes:
            if p.code in seen:
                raise InputError(f"{self.path}: programme {p.code} field 'code': duplicate code")
            seen.add(p.code)
        for p in self.programmes:
            refs = [("ldc.value.equivalent", p.ldc.value.equivalent)]
            refs += [("prerequisites", c) for pre in p.prerequisites.value for c in pre.completed_any_of]
            for field, ref in refs:
                if ref is not None and ref not in self._by_code:
                    raise InputError(
                        f"{self.path}: programme {p.code} field '{field}': unknown programme code '{ref}'"
                    )
            extra = set(p.months_to_release.value.min) - set(p.settings.value)
            if extra:
                raise InputError(
                    f"{self.path}: programme {p.code} field 'months_to_release.value.min': setting"
                    f" {sorted(extra)[0]} is not one of the programme's settings"
                )

    def as_of(self, day: date) -> tuple[Programme, ...]:
        """The programmes running on ``day`` (the menu a programme manager had that day)."""
        return tuple(p for p in self.programmes if p.available_on(day))

    def __getitem__(self, code: str) -> Programme:
        try:
            return self._by_code[code.strip().upper()]
        except KeyError:
            raise NotFound(f"programme code '{code}' is not in the catalogue ({self.path})") from None

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().upper() in self._by_code

    def __iter__(self) -> Iterator[Programme]:
        return iter(self.programmes)

    def __len__(self) -> int:
        return len(self.programmes)

    def label(self, code: str) -> str:
        """``"Name (CODE)"`` for a catalogue code, as reasons name programmes."""
        return self._labels[code]

    @property
    def codes(self) -> tuple[str, ...]:
        """Every programme code, in file order."""
        return self._codes


@cache
def default_catalogue() -> Catalogue:
    """The packaged catalogue, loaded once per process."""
    return Catalogue.load()


class HspItem(_Strict):
    label: str
    weight: int = Field(ge=0)


class HspChecklist(_Strict):
    """The Healthy Sex Programme offence-details items (``desist/data/hsp_items.yaml``)."""

    source: str
    verified: bool
    threshold: int = Field(ge=0)
    items: dict[str, HspItem]

    def score(self, present: tuple[str, ...] | list[str]) -> int:
        """Sum of the weights of the items present (names must be keys of ``items``)."""
        return sum(self.items[name].weight for name in present)


@cache
def hsp_checklist() -> HspChecklist:
    """The packaged HSP checklist, loaded and validated once per process."""
    text = resources.files("desist").joinpath("data/hsp_items.yaml").read_text(encoding="utf-8")
    try:
        return HspChecklist.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"hsp_items.yaml: field '{_loc(err['loc'])}': {err['msg']}") from None
