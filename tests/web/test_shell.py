"""The application shell: layout, security headers, error pages, problem+json, assets, `desist serve`."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from desist.config import Settings


def test_sign_in_page_has_the_layout_and_the_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/sign-in")
    assert r.status_code == 200
    html = r.text
    assert '<html lang="en"' in html
    assert 'class="govuk-skip-link"' in html and 'href="#main-content"' in html
    assert 'govuk-header__product-name">desist<' in html
    assert "govuk-phase-banner" in html and "govuk-footer" in html
    assert '<label class="govuk-label" for="username">Username</label>' in html
    assert re.search(r'<input type="hidden" name="csrf_token" value="[\w-]{40,}">', html)
    # no inline script: every <script> has a src
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    h = r.headers
    csp = h["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "script-src 'self'" in csp
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    assert h["x-content-type-options"] == "nosniff"
    assert h["cache-control"] == "no-store"
    if "cookie_secure" in Settings.model_fields:  # the access helper's setting (step 1)
        assert "strict-transport-security" not in h  # cookie_secure off (http://127.0.0.1)


def test_hsts_when_secure(web_url: str) -> None:
    from desist.config import Settings
    from desist.entrypoints.web import create_app
    from tests.web.conftest import TestClient

    with TestClient(create_app(Settings(database_url=web_url))) as c:
        assert c.get("/sign-in").headers["strict-transport-security"].startswith("max-age=31536000")


def test_pages_need_sign_in(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/?q=A1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/sign-in?next=%2F%3Fq%3DA1"


def test_unknown_page_is_a_gov_uk_404(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in r.text
    assert "Traceback" not in r.text


def test_api_errors_are_problem_json(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json() == {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "Not Found"}


def test_openapi_is_published(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.json()["info"]["title"] == "desist API"
    assert r.headers["x-frame-options"] == "DENY"  # the middleware covers the mounted API too


@pytest.mark.parametrize(
    ("path", "kind", "marker"),
    [
        ("/static/desist.min.css", "text/css", b".govuk-header"),
        ("/static/govuk-frontend.min.js", "javascript", b"initAll"),
        ("/static/desist-init.js", "javascript", b"govuk-frontend-supported"),
        ("/static/desist.js", "javascript", b"initAll()"),
    ],
)
def test_static_assets_are_served_from_the_package(client, path: str, kind: str, marker: bytes) -> None:  # type: ignore[no-untyped-def]
    r = client.get(path)
    assert r.status_code == 200
    assert kind in r.headers["content-type"]
    assert marker in r.content


def test_compiled_css_uses_no_gds_transport_font_and_no_missing_font_file(client) -> None:  # type: ignore[no-untyped-def]
    css = client.get("/static/desist.min.css").text
    assert "GDS Transport" not in css and "@font-face" not in css
    assert "font-family:arial,sans-serif" in css


def test_missing_database_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from desist.config import Settings
    from desist.domain.errors import InputError
    from desist.entrypoints.web import create_app

    with pytest.raises(InputError, match="does not exist; run `desist db init` first"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'none.db'}"))


def test_serve_refuses_a_missing_database_in_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from desist.entrypoints.cli import main; main()",
            "serve",
            "--db",
            f"sqlite:///{tmp_path / 'none.db'}",
            "--port",
            "8765",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"error: database sqlite:///{tmp_path / 'none.db'} does not exist; run `desist db init` first"
    ]


def test_cli_start_up_does_not_import_fastapi() -> None:
    code = (
        "import sys; from desist.entrypoints.cli.app import build_app; build_app(); "
        "print('fastapi' in sys.modules, 'uvicorn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "False"]


def test_desist_serve_answers_over_http(web_url: str) -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from desist.entrypoints.cli import main; main()",
            "serve",
            "--db",
            web_url,
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=5) as r:
                    assert r.status == 200
                    assert r.headers["X-Frame-Options"] == "DENY"
                    assert "Sign in to desist" in r.read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "desist serve did not answer within 60 s"
                time.sleep(0.3)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert f"desist: serving http://127.0.0.1:{port}/" in err
    assert "GET /sign-in" not in err + out  # no access log by default


def test_every_handler_that_reaches_the_database_runs_off_the_event_loop(client) -> None:  # type: ignore[no-untyped-def]
    """A coroutine handler runs on the event loop, which serves every request: its database work (or the
    sign-in's password hashing, tens of milliseconds) would hold them all up. desist's handlers are plain
    functions, run in the thread pool; forms are read before them (``pages.forms.FORM``)."""
    import inspect

    from desist.entrypoints.web.route_actions import app_endpoints

    ours = [(m, p, fn) for m, p, fn in app_endpoints(client.app) if fn.__module__.startswith("desist.")]
    assert len(ours) > 30  # every page and API route (FastAPI's own OpenAPI route is not desist's)
    assert sorted((m, p) for m, p, fn in ours if inspect.iscoroutinefunction(fn)) == []
