"""CLI command: demo (registered by app.build_app)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the demo command (filled in by the synthetic-population work)."""
