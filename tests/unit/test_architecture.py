"""The import graph: entrypoints -> services -> (domain, adapters); no SQLAlchemy in services or domain.

Read from the source with ``ast`` (every ``import`` statement, at any depth, including ones inside functions
and ``TYPE_CHECKING`` blocks), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "desist"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("services"), ids=lambda p: p.name)
def test_services_import_no_sqlalchemy(path: Path) -> None:
    bad = sorted(m for m in _imports(path) if m == "sqlalchemy" or m.startswith("sqlalchemy."))
    assert bad == [], f"{path.name} imports {bad}; put the query in a repository (desist.adapters)"


@pytest.mark.parametrize("path", _modules("domain"), ids=lambda p: p.name)
def test_domain_imports_no_storage_services_or_entrypoints(path: Path) -> None:
    bad = sorted(
        m
        for m in _imports(path)
        if m.split(".")[0] in ("sqlalchemy", "alembic", "typer", "fastapi")
        or m.startswith(("desist.adapters", "desist.services", "desist.entrypoints", "desist.bootstrap"))
    )
    assert bad == [], f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", _modules("adapters"), ids=lambda p: p.name)
def test_adapters_do_not_depend_on_services_or_entrypoints(path: Path) -> None:
    bad = sorted(m for m in _imports(path) if m.startswith(("desist.services", "desist.entrypoints")))
    assert bad == [], f"{path.name} imports {bad}"


#: the command modules that hold no use case: they parse, call one service, print (the risk, recommend and
#: evaluate modules move as their owners port them)
#: (app.py is left out: it looks up the one-line explanation of a fault in the adapters when one escaped)
THIN_COMMANDS = ("casework.py", "casework_common.py", "casework_groups.py", "db.py", "options.py")


@pytest.mark.parametrize("name", THIN_COMMANDS)
def test_casework_commands_reach_the_store_only_through_services_and_bootstrap(name: str) -> None:
    bad = sorted(m for m in _imports(SRC / "entrypoints" / "cli" / name) if m.startswith("desist.adapters"))
    assert bad == [], f"{name} imports {bad}; call a service (the database comes from desist.bootstrap)"
