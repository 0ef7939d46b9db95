"""Which risk band and offence type a stored assessment gives, and so how the group mixing rules see a man.

An assessment row holds a tool's name, its inputs and its outputs as they were on the day. Explicit
``outputs["risk_band"]`` / ``outputs["offence_type"]`` (recorded by hand) win; otherwise a scored OSP gives
OSP/DC (for image-only men the higher of OSP/DC and OSP/IIC, as the catalogue does) and a scored RM2000 its
S scale.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Protocol

from desist.domain.groups import Member, OffenceContact
from desist.domain.risk.bands import ORDERED_BANDS, Band

#: keys of ``assessment.outputs`` the mixing rules read (documented contract with the importers)
RISK_BAND_KEY = "risk_band"
OFFENCE_TYPE_KEY = "offence_type"


class StoredAssessment(Protocol):
    """The parts of a stored assessment these rules read."""

    tool: str
    inputs: Mapping[str, Any] | None
    outputs: Mapping[str, Any] | None


def _band(value: Any) -> Band | None:
    # stored bands may be lower case (records made before one band word: "medium")
    try:
        band = Band(str(value).strip().upper())
    except ValueError:  # missing
        return None
    return None if band is Band.NOT_APPLICABLE else band


def assessment_band(tool: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> Band | None:
    """The sexual-reoffending band an assessment gives, or None if it gives none.

    Examples
    --------
    >>> assessment_band("OSP", {}, {"osp_dc": {"band": "HIGH"}})
    <Band.HIGH: 'HIGH'>
    """
    if outputs.get(RISK_BAND_KEY):
        return _band(outputs[RISK_BAND_KEY])
    name = tool.lower()
    if name == "osp":
        dc = _band((outputs.get("osp_dc") or {}).get("band"))
        iic = _band((outputs.get("osp_iic") or {}).get("band"))
        if assessment_offence_type(name, inputs, outputs) is OffenceContact.NON_CONTACT and iic is not None:
            return max((b for b in (dc, iic) if b is not None), key=ORDERED_BANDS.index)
        return dc
    if name == "rm2000":
        return _band((outputs.get("s") or {}).get("category"))
    return None


def assessment_offence_type(
    tool: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]
) -> OffenceContact | None:
    """Contact or non-contact: explicit ``outputs["offence_type"]``, else from OSP's sanction counts."""
    if outputs.get(OFFENCE_TYPE_KEY):
        return OffenceContact(str(outputs[OFFENCE_TYPE_KEY]))
    if tool.lower() != "osp":
        return None
    contact = int(inputs.get("contact_adult_sanctions") or 0) + int(
        inputs.get("contact_child_sanctions") or 0
    )
    other = int(inputs.get("indecent_image_sanctions") or 0) + int(inputs.get("paraphilia_sanctions") or 0)
    if contact > 0:
        return OffenceContact.CONTACT
    return OffenceContact.NON_CONTACT if other > 0 else None


def member_from(key: Hashable, newest_first: Iterable[StoredAssessment]) -> Member:
    """The mixing-rule view of a man from his assessments, newest first: the first band and the first offence
    type found, so a later tool without an offence type does not hide an earlier one."""
    band: Band | None = None
    offence: OffenceContact | None = None
    for a in newest_first:
        inputs, outputs = a.inputs or {}, a.outputs or {}
        band = band or assessment_band(a.tool, inputs, outputs)
        offence = offence or assessment_offence_type(a.tool, inputs, outputs)
        if band is not None and offence is not None:
            break
    return Member(key, band, offence)
