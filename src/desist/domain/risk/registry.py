"""The one registry of risk tools, and the one place a record is turned into a tool's validated input.

Every path that scores a record (``desist risk``, ``desist import assessments``, the demo, a Python caller
with a DataFrame) asks this module which input model and scorer a tool has, and applies the same rule:

*a PNI record that carries OSP inputs (any of the four sexual-sanction counts) gets its OSP bands computed
from them*, replacing any ``osp_dc_band`` / ``osp_iic_band`` it gives. The PNI's risk level reads those bands,
so the same man must not be HIGH / MODERATE_INTENSITY in one path and LOW / ALTERNATIVE_PATHWAY in another.

Examples
--------
>>> rec = {"id": "N-9", "sex": "M", "age": 30, "contact_adult_sanctions": 1, "contact_child_sanctions": 0,
...     "paraphilia_sanctions": 0, "indecent_image_sanctions": 0, "total_sanctions": 2,
...     "age_at_last_sexual_offence": 28, "stranger_victim": True, "in_custody": True,
...     "offence_in_last_5_years": True, "sexual_offence_in_last_5_years": True,
...     "oasys_11_11": 1, "oasys_11_12": 1, "oasys_6_12": 1}
>>> inp, result = score_record("pni", rec)
>>> str(inp.osp_dc_band), str(result.risk_level)
('HIGH', 'HIGH')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from desist.domain.errors import InputError
from desist.domain.risk import osp, pni, rm2000, static99r
from desist.domain.risk.base import RecordModel
from desist.domain.risk.osp import SEXUAL_SANCTION_FIELDS


@dataclass(frozen=True)
class RiskTool:
    """One risk tool: its name on the command line, its title, input model and scalar scorer."""

    name: str
    title: str
    model: type[RecordModel]
    score: Callable[[Any], Any]


TOOLS: dict[str, RiskTool] = {
    t.name: t
    for t in (
        RiskTool("osp", "OSP/DC and OSP/IIC", osp.OspInput, osp.score),
        RiskTool("static99r", "Static-99R", static99r.Static99RInput, static99r.score),
        RiskTool("rm2000", "Risk Matrix 2000", rm2000.Rm2000Input, rm2000.score),
        RiskTool("pni", "Programme Needs Identifier", pni.PniInput, pni.score),
    )
}


def get_tool(name: str) -> RiskTool:
    """The tool called ``name`` (any case).

    Raises
    ------
    InputError
        ``name`` is not a tool.
    """
    tool = TOOLS.get(str(name).strip().lower())
    if tool is None:
        raise InputError(f"tool {name!r}: unknown, expected one of {', '.join(TOOLS)}")
    return tool


def has_osp_inputs(record: Mapping[str, Any]) -> bool:
    """Whether a record carries OSP inputs: any of the four sexual-sanction counts is given."""
    return any(record.get(f) is not None and record.get(f) != "" for f in SEXUAL_SANCTION_FIELDS)


def with_osp_bands(inp: pni.PniInput, record: Mapping[str, Any]) -> pni.PniInput:
    """A PNI input whose OSP bands are scored from the record's OSP inputs (when it has them).

    Raises
    ------
    pydantic.ValidationError, FieldError
        The record's OSP inputs are not valid OSP inputs (the error names the OSP field).
    """
    if not has_osp_inputs(record):
        return inp
    o = osp.score(osp.OspInput.model_validate(dict(record)))
    return inp.model_copy(update={"osp_dc_band": o.dc.band, "osp_iic_band": o.iic.band})


def validate_record(name: str, record: Mapping[str, Any]) -> RecordModel:
    """The tool's validated input for one record, after the PNI + OSP rule.

    Raises
    ------
    pydantic.ValidationError, FieldError
        The record is not valid for the tool (or, for the PNI, its OSP inputs are not valid).
    """
    tool = get_tool(name)
    inp = tool.model.model_validate(dict(record))
    if isinstance(inp, pni.PniInput):
        inp = with_osp_bands(inp, record)
        # the PNI's own precondition (sex items for a man with an OSP level) now sees the computed bands
        pni.sex_domain(inp)
    return inp


def score_record(name: str, record: Mapping[str, Any]) -> tuple[RecordModel, Any]:
    """Validate one record and score it: ``(validated input, result)``.

    Raises
    ------
    pydantic.ValidationError, FieldError
        The record is not valid for the tool.
    """
    inp = validate_record(name, record)
    return inp, get_tool(name).score(inp)
