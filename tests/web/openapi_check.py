"""Check an API answer against the published OpenAPI document: its body must match the schema the document
gives for that operation and status (JSON Schema 2020-12, formats such as ``date`` checked)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker


def response_schema(doc: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    """The body schema of ``method path`` answering ``status`` (``path`` as in the document)."""
    responses = doc["paths"][path][method.lower()]["responses"]
    content = responses[str(status)]["content"]
    media = "application/json" if "application/json" in content else next(iter(content))
    return {**content[media]["schema"], "components": doc["components"]}


def problems(doc: dict[str, Any], method: str, path: str, status: int, body: Any) -> list[str]:
    """Where ``body`` departs from the document (empty: it conforms)."""
    schema = response_schema(doc, method, path, status)
    errors = Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(body)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in errors]
