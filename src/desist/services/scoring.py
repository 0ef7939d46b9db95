"""Risk scoring use cases: score records with one tool, score imported assessment rows.

Every path asks :mod:`desist.domain.risk.registry` for the tool and its input rule (a PNI record with OSP
inputs gets its OSP bands computed), so ``desist risk``, ``desist import assessments``, the demo and a Python
caller give one man the same result. Bulk files go through :mod:`desist.services.scoring_stream`, which
validates and scores whole chunks with the vectorised path and hands doubtful rows to the same registry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from desist.domain.errors import InputError
from desist.domain.risk import registry
from desist.domain.risk.base import FieldError
from desist.domain.risk.osp import OspInput
from desist.domain.risk.rejects import Reject, every_problem, to_reject

if TYPE_CHECKING:
    import pandas as pd

    from desist.adapters.importers import Problem
    from desist.adapters.record_stream import Chunk

#: assessment-file columns that are not a tool's inputs
CORE_COLUMNS = ("person_id", "assessed_on", "tool", "inputs", "assessor")


@dataclass(frozen=True)
class Scores:
    """One chunk's results (flattened column names, in row order) and its refused records."""

    frame: pd.DataFrame
    rejects: list[Reject]


@dataclass(frozen=True)
class Scored:
    """Scored records (``{"id": ..., **result.to_dict()}`` in file order) and the refused ones."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def explain_models(tool: str) -> tuple[type[Any], ...]:
    """The models whose fields a refused record of ``tool`` may name (the PNI also reads OSP inputs)."""
    model = registry.get_tool(tool).model
    return (model, OspInput) if tool == "pni" else (model,)


def score_records(tool: str, records: Sequence[Mapping[str, Any]], on_error: str = "fail") -> Scored:
    """Validate and score every record with ``tool``, one record at a time.

    Parameters
    ----------
    tool : str
        ``osp``, ``static99r``, ``rm2000`` or ``pni``.
    records : sequence of mappings
        Field names as in docs/risk-tools.md.
    on_error : {"fail", "skip"}
        ``fail`` raises the first refused record's line; ``skip`` returns the refused records.

    Raises
    ------
    InputError
        ``on_error="fail"`` and a record is refused; or an unknown tool.
    """
    t = registry.get_tool(tool)
    out = Scored()
    for row, rec in enumerate(records, start=1):
        try:
            inp, result = registry.score_record(t.name, rec)
        except (ValidationError, FieldError) as exc:
            reject = to_reject(row, rec, exc, explain_models(t.name))
            if on_error == "fail":
                raise InputError(str(reject)) from None
            out.rejects.append(reject)
            continue
        out.rows.append({"id": getattr(inp, "id", None), **result.to_dict()})
    return out


def score_chunks(tool: str, chunks: Iterable[Chunk], on_error: str = "fail") -> Iterator[Scores]:
    """Validate and score a file chunk by chunk with the vectorised path; one :class:`Scores` per chunk.

    The rules are the record path's (:mod:`desist.domain.risk.frame_checks`), rows are numbered across
    chunks, and memory holds one chunk at a time.

    Raises
    ------
    InputError
        ``on_error="fail"`` and a record is refused (raised when met: callers spool their output).
    """
    from desist.domain.risk.frame import check_and_score

    name = registry.get_tool(tool).name
    for chunk in chunks:
        _, frame, rejects = check_and_score(
            name, chunk.columns, chunk.n, chunk.record, on_error=on_error, first_row=chunk.first_row
        )
        yield Scores(frame, rejects)


def score_assessment_rows(rows: pd.DataFrame, sexes: dict[int, str]) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate and score imported assessment rows: rows with ``inputs``/``outputs`` JSON, and problems.

    Each row names a tool and carries its inputs as a JSON object in ``inputs`` or as extra columns. A man's
    ``sex`` comes from his person record when the row does not give it. The rows of each tool are checked and
    scored together by the vectorised path ``desist risk`` uses (same rules, same results as one record at a
    time). The stored ``inputs`` are the validated values (so a re-import of the same facts compares equal),
    the ``outputs`` the tool's result, both as they were on the assessment date; a refused row lists every
    problem it has.
    """
    from desist.adapters.importers import Problem

    extra = [c for c in rows.columns if c not in CORE_COLUMNS]
    inputs_out = [""] * len(rows)
    outputs_out = [""] * len(rows)
    problems: list[Problem] = []
    by_tool: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, values in enumerate(rows.to_dict("records")):
        tool = values["tool"]
        if tool not in registry.TOOLS:  # already reported by the column check
            continue
        try:
            given = (
                json.loads(values["inputs"])
                if values["inputs"]
                else {c: values[c] for c in extra if values[c] != ""}
            )
        except ValueError:  # already reported by the column check (not JSON)
            continue
        if not isinstance(given, dict):
            problems.append(Problem(i + 1, "inputs", _shown(given), f"not a JSON object ({tool})"))
            continue
        sex = sexes.get(int(values["person_id"]))
        if sex is not None and "sex" not in given:
            given["sex"] = sex
        by_tool.setdefault(tool, []).append((i, given))
    for tool, items in by_tool.items():
        problems += _score_tool(tool, items, inputs_out, outputs_out)
    out = rows[[c for c in CORE_COLUMNS if c in rows.columns]].copy()
    out["inputs"] = inputs_out
    out["outputs"] = outputs_out
    return out, sorted(problems, key=lambda p: p.row)


def _score_tool(
    tool: str, items: list[tuple[int, dict[str, Any]]], inputs_out: list[str], outputs_out: list[str]
) -> list[Problem]:
    """Score one tool's rows vectorised, fill their inputs/outputs JSON, return the refused rows' problems."""
    from desist.adapters.importers import Problem
    from desist.adapters.result_writers import nested_rows
    from desist.domain.risk.frame import check_and_score
    from desist.domain.risk.frame_checks import field_rules

    records = [given for _, given in items]
    names = list(dict.fromkeys(k for r in records for k in r))
    columns = {k: [r.get(k) for r in records] for k in names}
    clean, scores, rejects = check_and_score(
        tool, columns, len(records), records.__getitem__, on_error="skip"
    )
    problems: list[Problem] = []
    refused = {r.row - 1 for r in rejects}
    for j in sorted(refused):
        i, given = items[j]
        try:
            registry.validate_record(tool, given)
        except (ValidationError, FieldError) as exc:
            for name, value, message in every_problem(given, exc, explain_models(tool)):
                problems.append(Problem(i + 1, f"inputs.{name}", _shown(value), f"{message} ({tool})"))
    kinds = {r.name: r.kind for r in field_rules(registry.get_tool(tool).model) if r.name != "id"}
    inputs = {k: clean[k].tolist() for k in kinds}
    kept = [items[j][0] for j in range(len(items)) if j not in refused]
    for pos, (i, result) in enumerate(zip(kept, nested_rows(scores, round_probabilities=False), strict=True)):
        result.pop("id", None)
        stored = {k: _stored(inputs[k][pos], kind) for k, kind in kinds.items()}
        inputs_out[i] = json.dumps(stored, sort_keys=True)
        outputs_out[i] = json.dumps(result, sort_keys=True)
    return problems


def _stored(value: Any, kind: str) -> Any:
    """A validated value as the record model dumps it to JSON (whole numbers as int, missing as None)."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return bool(value)
    return str(value)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)
