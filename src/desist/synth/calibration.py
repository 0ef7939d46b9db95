"""The calibration figures (``data/calibration.yaml``): every number the synthetic population uses, with its
source and whether it was checked, read once and overridable by dotted path.

Example
-------
>>> cal = load_calibration()
>>> cal.value("maintains_innocence")
0.333
>>> cal.with_overrides({"maintains_innocence": 0.5}).value("maintains_innocence")
0.5
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from desist.domain.errors import InputError


def _is_fact(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and "source" in node


@dataclass(frozen=True)
class Calibration:
    """Parsed calibration figures. ``value("a.b")`` reads a figure; sources are in ``data["sources"]``."""

    data: dict[str, Any]

    def node(self, path: str) -> Any:
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise InputError(
                    f"calibration: no figure {path!r}, expected a path such as 'era.end_of_data'"
                )
            node = node[part]
        return node

    def value(self, path: str) -> Any:
        """The value at ``path`` (a fact's ``value``, or a block such as ``age_at_custody``)."""
        node = self.node(path)
        return node["value"] if _is_fact(node) else node

    def with_overrides(self, overrides: dict[str, Any] | None) -> Calibration:
        """A copy with some values replaced (dotted paths); an override is marked ``verified: false``."""
        if not overrides:
            return self
        data = copy.deepcopy(self.data)
        for path, value in overrides.items():
            *head, last = path.split(".")
            parent = Calibration(data).node(".".join(head)) if head else data
            if not isinstance(parent, dict) or last not in parent:
                raise InputError(f"calibration override {path!r}: no such figure in calibration.yaml")
            if _is_fact(parent[last]):
                parent[last] = {**parent[last], "value": value, "source": "override", "verified": False}
            else:
                parent[last] = value
        return Calibration(data)

    def facts(self) -> list[tuple[str, Any, str, bool]]:
        """Every figure as (path, value, source, verified), for reports."""
        out: list[tuple[str, Any, str, bool]] = []

        def walk(node: Any, path: str) -> None:
            if _is_fact(node):
                out.append((path, node["value"], node["source"], bool(node["verified"])))
            elif isinstance(node, dict) and "source" in node:  # a block sharing one source
                for key, child in node.items():
                    if key not in ("source", "verified"):
                        out.append((f"{path}.{key}", child, node["source"], bool(node.get("verified"))))
            elif isinstance(node, dict):
                for key, child in node.items():
                    walk(child, f"{path}.{key}" if path else key)

        walk({k: v for k, v in self.data.items() if k != "sources"}, "")
        return out


@cache
def _default_data() -> dict[str, Any]:
    text = resources.files("desist").joinpath("data", "calibration.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def load_calibration(overrides: dict[str, Any] | None = None) -> Calibration:
    """The packaged calibration, optionally with overrides (``{"maintains_innocence": 0.5}``)."""
    return Calibration(copy.deepcopy(_default_data())).with_overrides(overrides)
