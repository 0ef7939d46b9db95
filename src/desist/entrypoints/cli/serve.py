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
        workers: int = typer.Option(
            1, "--workers", min=1, max=64, help="Server processes (one per CPU core uses them all)."
        ),
    ) -> None:
        """Serve the web pages and /api/v1 on the casework store (sign in with a user from `desist user`)."""
        import os

        import uvicorn

        from desist.config import get_settings
        from desist.entrypoints.web import create_app

        settings = get_settings(database_url=db)
        web = create_app(settings)  # a missing or old database is one line, exit 2, before listening
        typer.echo(f"desist: serving http://{host}:{port}/ (Ctrl+C to stop)", err=True)
        common = {
            "host": host,
            "port": port,
            "access_log": access_log,
            "log_level": "info",
            "proxy_headers": False,
            "server_header": False,
        }
        if workers == 1:
            uvicorn.run(web, **common)  # type: ignore[arg-type]
            return
        # each worker process builds its own application (and engine) from the environment
        os.environ["DESIST_DATABASE_URL"] = settings.database_url
        web.state.desist.close()
        uvicorn.run(  # type: ignore[arg-type]
            "desist.entrypoints.web.app:create_app", factory=True, workers=workers, **common
        )
