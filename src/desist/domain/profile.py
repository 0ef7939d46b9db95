"""The record ``desist recommend`` reads: one man's risk-tool inputs plus his situation.

Field names are issue 2's (item 5). The OSP fields are required (OSP/DC drives programme intensity);
Static-99R, RM2000 and PNI fields are optional, but a tool whose own fields are partly given is an error
naming the first missing field, so a half-entered RM2000 never silently falls back to OSP. Cross-field rules
raise :class:`~desist.domain.risk.base.FieldError`, which the records adapter turns into one line naming the
record and the field.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Protocol

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from desist.domain.catalogue import Setting, default_catalogue, hsp_checklist
from desist.domain.groups import OffenceContact
from desist.domain.risk.base import AdultAge, Count, FieldError, lower_word
from desist.domain.risk.osp import OspInput
from desist.domain.risk.pni import PniInput
from desist.domain.risk.rm2000 import Rm2000Input
from desist.domain.risk.static99r import Static99RInput
from desist.domain.risk.tables import load_table


class OffenceType(StrEnum):
    """The man's offence type (the coarse contact / non-contact grouping is :attr:`contact`)."""

    CONTACT_ADULT = "contact_adult"
    CONTACT_CHILD = "contact_child"
    IMAGES_ONLY = "images_only"
    NON_CONTACT = "non_contact"

    @property
    def contact(self) -> OffenceContact:
        """Contact or non-contact, as the group mixing rules group offences."""
        if self in (OffenceType.CONTACT_ADULT, OffenceType.CONTACT_CHILD):
            return OffenceContact.CONTACT
        return OffenceContact.NON_CONTACT


class CompletedProgramme(BaseModel):
    """A programme the man has completed, and whether he met its treatment targets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    targets_met: bool


def _split(value: Any, field: str = "hsp_items") -> Any:
    """CSV cells carry lists as ``a;b``; an empty cell is no items."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    if not isinstance(value, list | tuple):
        raise FieldError(
            field, value, f"{value!r} is not valid, expected a list (in CSV: items separated by ;)"
        )
    return value


_MET_WORDS = {"met": True, "not_met": False, "true": True, "false": False, "yes": True, "no": False}


def _completed(value: Any) -> Any:
    """Accept ``[{"code", "targets_met"}]``, or the CSV form ``CODE:met;CODE:not_met``."""
    items = _split(value, "completed_programmes")
    out: list[Any] = []
    for item in items:
        if isinstance(item, dict) and not {"code", "targets_met"} <= set(item):
            raise FieldError(
                "completed_programmes",
                item,
                f'{item!r} is not valid, expected {{"code": ..., "targets_met": true/false}}',
            )
        if isinstance(item, str):
            code, _, met = item.partition(":")
            word = met.strip().lower() or "met"
            if word not in _MET_WORDS:
                raise FieldError(
                    "completed_programmes", item, f"'{item}' is not valid, expected CODE:met or CODE:not_met"
                )
            out.append({"code": code.strip(), "targets_met": _MET_WORDS[word]})
        else:
            out.append(item)
    return out


def catalogue_spelling(done: tuple[CompletedProgramme, ...]) -> tuple[CompletedProgramme, ...]:
    """Completed programmes with their codes spelt as the catalogue spells them.

    Raises
    ------
    FieldError
        A code is not in the catalogue.
    """
    catalogue = default_catalogue()
    out = []
    for d in done:
        if d.code not in catalogue:
            raise FieldError(
                "completed_programmes",
                d.code,
                f"unknown programme code '{d.code}', expected one of {', '.join(catalogue.codes)}",
            )
        out.append(CompletedProgramme(code=catalogue[d.code].code, targets_met=d.targets_met))
    return tuple(out)


def check_hsp_items(names: tuple[str, ...]) -> None:
    """Raise FieldError for a name that is not an item of the HSP checklist."""
    items = hsp_checklist().items
    for name in names:
        if name not in items:
            raise FieldError(
                "hsp_items",
                name,
                f"unknown HSP item '{name}', expected a name from hsp_items.yaml such as {next(iter(items))}",
            )


SettingWord = Annotated[Setting, BeforeValidator(lower_word)]
OffenceWord = Annotated[OffenceType, BeforeValidator(lower_word)]

#: fields only Static-99R uses (stranger_victim and male_victim are shared, so they do not switch it on)
STATIC99R_FIELDS = (
    "age_at_release",
    "lived_with_partner_2y",
    "index_nonsexual_violence",
    "prior_nonsexual_violence",
    "prior_sex_charges",
    "prior_sex_convictions",
    "prior_sentencing_dates",
    "noncontact_sex_conviction",
    "unrelated_victim",
)
RM2000_FIELDS = (
    "age_at_commencement_of_risk",
    "sexual_appearances",
    "criminal_appearances",
    "never_married",
    "noncontact_sexual_offence",
    "violent_appearances",
    "burglary",
)
PNI_FIELDS = tuple(name for name in PniInput.model_fields if name not in ("id", "sex"))


class ManFacts(Protocol):
    """What the pathway engine reads of a man once his record is valid: a :class:`Profile`, or the lighter
    record a bulk run builds from checked columns (:mod:`desist.domain.recommend_columns`)."""

    @property
    def id(self) -> str | None: ...
    @property
    def sex(self) -> str: ...
    @property
    def age(self) -> int: ...
    @property
    def setting(self) -> Setting: ...
    @property
    def offence_type(self) -> OffenceType: ...
    @property
    def ldc(self) -> bool: ...
    @property
    def maintains_innocence(self) -> bool: ...
    @property
    def months_to_release(self) -> float: ...
    @property
    def completed_programmes(self) -> tuple[CompletedProgramme, ...]: ...
    @property
    def hsp_items(self) -> tuple[str, ...]: ...
    @property
    def oasys_11_11(self) -> int | None: ...
    @property
    def oasys_11_12(self) -> int | None: ...
    @property
    def oasys_6_12(self) -> int | None: ...


class Profile(OspInput, PniInput):
    """One man as ``desist recommend`` sees him (OSP and PNI fields inherited from the risk tools).

    Examples
    --------
    >>> p = Profile.model_validate({"id": "P-1", "sex": "M", "age": 40, "contact_adult_sanctions": 1,
    ...     "contact_child_sanctions": 0, "paraphilia_sanctions": 0, "indecent_image_sanctions": 0,
    ...     "total_sanctions": 1, "age_at_last_sexual_offence": 39, "stranger_victim": "no",
    ...     "in_custody": "yes", "offence_in_last_5_years": 1, "sexual_offence_in_last_5_years": 1,
    ...     "setting": "custody", "ldc": "no", "offence_type": "contact_adult",
    ...     "maintains_innocence": "no", "months_to_release": 30,
    ...     "completed_programmes": "SOTP-CORE:met"})
    >>> p.completed_programmes[0].code, p.completed_programmes[0].targets_met
    ('SOTP-CORE', True)
    """

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    # --- Static-99R (optional as a block) ---
    age_at_release: AdultAge | None = None
    lived_with_partner_2y: bool | None = None
    index_nonsexual_violence: bool | None = None
    prior_nonsexual_violence: bool | None = None
    prior_sex_charges: Count | None = None
    prior_sex_convictions: Count | None = None
    prior_sentencing_dates: Count | None = None
    noncontact_sex_conviction: bool | None = None
    unrelated_victim: bool | None = None
    male_victim: bool | None = None
    # --- RM2000 (optional as a block) ---
    age_at_commencement_of_risk: AdultAge | None = None
    sexual_appearances: Count | None = None
    criminal_appearances: Count | None = None
    never_married: bool | None = None
    noncontact_sexual_offence: bool | None = None
    violent_appearances: Count | None = None
    burglary: bool | None = None
    # --- recommend's own ---
    setting: SettingWord
    ldc: bool
    offence_type: OffenceWord
    maintains_innocence: bool
    months_to_release: float = Field(ge=0, le=1200)
    completed_programmes: Annotated[tuple[CompletedProgramme, ...], BeforeValidator(_completed)] = ()
    hsp_items: Annotated[tuple[str, ...], BeforeValidator(_split)] = ()
    as_of: date | None = None

    _static99r: Static99RInput | None = PrivateAttr(default=None)
    _rm2000: Rm2000Input | None = PrivateAttr(default=None)
    _has_pni: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _recommend_rules(self) -> Profile:
        if self.in_custody != (self.setting is Setting.CUSTODY):
            raise FieldError(
                "setting",
                str(self.setting),
                f"'{self.setting}' contradicts in_custody={str(self.in_custody).lower()},"
                " expected custody exactly when in_custody is true",
            )
        contact = self.contact_adult_sanctions + self.contact_child_sanctions + self.paraphilia_sanctions
        if self.offence_type is OffenceType.IMAGES_ONLY and (contact or not self.indecent_image_sanctions):
            raise FieldError(
                "offence_type",
                "images_only",
                "'images_only' contradicts the sanction counts, expected at least one indecent image"
                " sanction and no contact or paraphilia sanctions",
            )
        # codes in the catalogue's spelling (the model is frozen)
        object.__setattr__(self, "completed_programmes", catalogue_spelling(self.completed_programmes))
        check_hsp_items(self.hsp_items)
        self._has_pni = any(getattr(self, name) is not None for name in PNI_FIELDS)
        if self._has_pni and self.sex == "M" and self.sexual_sanctions > 0:
            # the PNI's own precondition, checked here so a bulk run refuses the record at validation
            for item in load_table("pni")["need"]["sex"]["items"]:
                if getattr(self, item) is None:
                    raise FieldError(
                        item,
                        None,
                        "missing, expected 0, 1 or 2 (sex items are required for a man with an OSP level)",
                    )
        self._static99r = self._block(Static99RInput, STATIC99R_FIELDS)
        self._rm2000 = self._block(Rm2000Input, RM2000_FIELDS)
        return self

    def _block(self, model: type[BaseModel], own: tuple[str, ...]) -> Any:
        """Validate an optional tool's inputs when any of its own fields is given (else None)."""
        if all(getattr(self, name) is None for name in own):
            return None
        data = {name: getattr(self, name) for name in model.model_fields}
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            field = str(err["loc"][0]) if err["loc"] else own[0]
            value = data.get(field)
            tool = "Static-99R" if model is Static99RInput else "RM2000"
            if value is None:
                raise FieldError(
                    field, None, f"missing, expected a value when other {tool} fields are given"
                ) from None
            msg = f"{value!r} is not valid for {tool} ({err['msg'].lower()})"
            raise FieldError(field, value, msg) from None

    @property
    def static99r_input(self) -> Static99RInput | None:
        """The Static-99R inputs, if the record gave them."""
        return self._static99r

    @property
    def rm2000_input(self) -> Rm2000Input | None:
        """The RM2000 inputs, if the record gave them."""
        return self._rm2000

    @property
    def has_pni(self) -> bool:
        """Whether any PNI field (OGRS3, OVP, RSR, SARA, OASys items, bands) was given."""
        return self._has_pni
