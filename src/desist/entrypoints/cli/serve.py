"""CLI: ``desist serve`` runs the web application (uvicorn); FastAPI is imported only when it runs."""

from __future__ import annotations

import typer

from desist.entrypoints.cli.options import DbOpt


def register(app: typer.Typer) -> None:
    """Add ``desist serve``."""

    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
        db: str | None = DbOpt,
        access_log: bool = typer.Option(
            False,
            "--access-log/--no-access-log",
            help="Log every request line (off by default: search addresses carry prison numbers).",
        ),
    ) -> None:
        """Serve the web pages and /api/v1 on the casework store (sign in with a user from `desist user`)."""
        import uvicorn

        from desist.config import get_settings
        from desist.entrypoints.web import create_app

        settings = get_settings(database_url=db)
        web = create_app(settings)  # a missing or old database is one line, exit 2, before listening
        typer.echo(f"desist: serving http://{host}:{port}/ (Ctrl+C to stop)", err=True)
        uvicorn.run(
            web,
            host=host,
            port=port,
            access_log=access_log,
            log_level="info",
            proxy_headers=False,
            server_header=False,
        )
