"""Score imported assessment rows with the risk tools in :mod:`desist.domain.risk`.

Each row names a tool and carries that tool's inputs, either as a JSON object in ``inputs`` or as extra
columns. The inputs are validated with the tool's own pydantic model; the stored ``inputs`` are the
validated values (so a re-import of the same facts compares equal) and ``outputs`` the tool's
``to_dict()``, both frozen as they were on the assessment date. A man's ``sex`` is taken from his
person record when the row does not give it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

from desist.adapters.importers import Problem
from desist.domain.errors import InputError
from desist.domain.risk.base import FieldError

#: tool -> (module, input model class name)
TOOLS: dict[str, tuple[str, str]] = {
    "osp": ("desist.domain.risk.osp", "OspInput"),
    "static99r": ("desist.domain.risk.static99r", "Static99RInput"),
    "rm2000": ("desist.domain.risk.rm2000", "Rm2000Input"),
    "pni": ("desist.domain.risk.pni", "PniInput"),
}
CORE_COLUMNS = ("person_id", "assessed_on", "tool", "inputs", "assessor")


def _tool(name: str) -> tuple[type[BaseModel], Callable[[Any], Any]]:
    module = importlib.import_module(TOOLS[name][0])
    return getattr(module, TOOLS[name][1]), module.score


def score_rows(rows: pd.DataFrame, sexes: dict[int, str]) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate and score every row; return rows with canonical ``inputs``/``outputs`` JSON and problems."""
    extra = [c for c in rows.columns if c not in CORE_COLUMNS]
    inputs_out: list[str] = []
    outputs_out: list[str] = []
    problems: list[Problem] = []
    for i, values in enumerate(rows.to_dict("records")):
        given = (
            json.loads(values["inputs"])
            if values["inputs"]
            else {c: values[c] for c in extra if values[c] != ""}
        )
        sex = sexes.get(int(values["person_id"]))
        if sex is not None and "sex" not in given:
            given["sex"] = sex
        tool = values["tool"]
        if tool not in TOOLS:  # already reported by the column check
            inputs_out.append("")
            outputs_out.append("")
            continue
        model, score = _tool(tool)
        try:
            validated = model.model_validate(given)
            result = score(validated)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "?"
                problems.append(
                    Problem(i + 1, f"inputs.{where}", _shown(err.get("input")), f"{err['msg']} ({tool})")
                )
            inputs_out.append("")
            outputs_out.append("")
            continue
        except FieldError as exc:
            problems.append(
                Problem(i + 1, f"inputs.{exc.field}", _shown(exc.value), f"{exc.detail} ({tool})")
            )
            inputs_out.append("")
            outputs_out.append("")
            continue
        except InputError as exc:
            problems.append(Problem(i + 1, "inputs", "", f"{exc.message} ({tool})"))
            inputs_out.append("")
            outputs_out.append("")
            continue
        inputs_out.append(json.dumps(validated.model_dump(mode="json", exclude={"id"}), sort_keys=True))
        outputs_out.append(json.dumps(result.to_dict(), sort_keys=True))
    out = rows[[c for c in CORE_COLUMNS if c in rows.columns]].copy()
    out["inputs"] = inputs_out
    out["outputs"] = outputs_out
    return out, problems


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)
