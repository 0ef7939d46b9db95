"""The programme page on a stored evaluation (1,500 synthetic men, evaluated once per module) and stored
monitoring reviews: headline, the report's charts as SVG, the full report under its own CSP, the monitoring
chart and alerts; the same through the API."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from desist.config import Settings
from tests.web.conftest import TestClient
from tests.web.seed import staff

END = dt.date(2024, 12, 31)
ANALYST = staff("ann", "analyst", org=None, national=True)


@pytest.fixture(scope="module")
def evaluated(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from desist.adapters.engine import make_engine, make_session_factory
    from desist.adapters.orm import MonitoringAlert, MonitoringReview
    from desist.bootstrap import bootstrap
    from desist.services.demo import load_population
    from desist.services.evaluations import evaluate_programme
    from desist.synth import generate_population
    from desist.synth.export import write_import_files
    from tests.web.seed import uow_as

    folder = tmp_path_factory.mktemp("evaluated")
    path = folder / "evaluated.db"
    shutil.copyfile(migrated_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    files = write_import_files(generate_population(1500, seed=3), END, folder / "files")
    load_population(engine, files, principal=staff("importer", "admin", org=None, national=True))
    with bootstrap(Settings(database_url=url)) as app:
        evaluate_programme("SOTP-CORE", END, None, uow_as(app, ANALYST))
    with make_session_factory(engine)() as s:
        for i, (hr, decision) in enumerate([(1.1, "continue"), (1.3, "continue"), (1.6, "harm")]):
            review = MonitoringReview(
                programme_code="SOTP-CORE",
                as_of=dt.date(2010 + i, 12, 31),
                method="group-sequential",
                design={},
                source="test",
                treated=200 * (i + 1),
                comparison=400 * (i + 1),
                events=30 * (i + 1),
                estimate=hr,
                ci_low=hr * 0.8,
                ci_high=hr * 1.25,
                z=1.0 + i,
                information=10.0 * (i + 1),
                information_fraction=0.3 * (i + 1),
                boundary=2.5,
                decision=decision,
                evidence={},
            )
            s.add(review)
            s.flush()
            if decision == "harm":
                s.add(
                    MonitoringAlert(
                        review_id=review.id,
                        programme_code="SOTP-CORE",
                        as_of=review.as_of,
                        direction="harm",
                        evidence={},
                    )
                )
        s.commit()
    engine.dispose()
    return path


@pytest.fixture
def results_client(evaluated: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    from desist.entrypoints.web import create_app

    path = tmp_path / "desist.db"
    shutil.copyfile(evaluated, path)
    with TestClient(
        create_app(Settings(database_url=f"sqlite:///{path}", cookie_secure=False)),  # type: ignore[call-arg]
        base_url="http://127.0.0.1",
    ) as c:
        yield c


@pytest.fixture
def results_login(results_client, monkeypatch):  # type: ignore[no-untyped-def]
    from tests.web.conftest import make_login

    return make_login(results_client, results_client.app.state.desist, monkeypatch)


def test_programme_page_shows_the_stored_evaluation_and_monitoring(results_client, results_login) -> None:  # type: ignore[no-untyped-def]
    c = results_client
    results_login(ANALYST)
    overview = c.get("/programmes")
    assert overview.status_code == 200
    assert 'href="/programmes/SOTP-CORE"' in overview.text
    page = c.get("/programmes/SOTP-CORE")
    assert page.status_code == 200
    assert "Evaluation run 1, data to 31 December 2024" in page.text
    assert 'class="govuk-inset-text"' in page.text  # the headline
    assert (
        "Monitoring raised 1 alert not yet acknowledged: evidence of harm at the review of 31 December 2012"
        in (" ".join(page.text.split()))
    )
    charts = [int(n) for n in __import__("re").findall(r"/programmes/SOTP-CORE/charts/(\d+)\.svg", page.text)]
    assert charts and charts == list(range(1, len(charts) + 1))
    svg = c.get("/programmes/SOTP-CORE/charts/1.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<?xml") and "<svg" in svg.text
    assert "script-src" not in svg.headers["content-security-policy"]
    assert c.get(f"/programmes/SOTP-CORE/charts/{len(charts) + 1}.svg").status_code == 404
    mon = c.get("/programmes/SOTP-CORE/monitoring.svg")
    assert mon.status_code == 200 and "<svg" in mon.text
    report = c.get("/programmes/SOTP-CORE/report")
    assert report.status_code == 200 and "<style>" in report.text and "<script" not in report.text
    assert report.headers["content-security-policy"].startswith(
        "default-src 'none'; style-src 'unsafe-inline'"
    )
