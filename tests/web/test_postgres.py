"""A few of the API and page journeys on PostgreSQL (DESIST_TEST_POSTGRES_URL; skipped without it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from desist.config import Settings
from tests.web.conftest import TestClient, make_login
from tests.web.seed import USK, seed_world, staff

pytestmark = pytest.mark.postgres
TEAM = staff("tom", "programme_team")
USK_TEAM = staff("uma", "programme_team", org=USK)


@pytest.fixture
def pg_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from sqlalchemy import text

    from desist.adapters.engine import make_engine
    from desist.adapters.migrate import upgrade
    from desist.entrypoints.web import create_app

    base = os.environ.get("DESIST_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("PostgreSQL tests need DESIST_TEST_POSTGRES_URL")
    schema = f"w_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    try:
        upgrade(url).dispose()
        with TestClient(
            create_app(Settings(database_url=url, cookie_secure=False)),  # type: ignore[call-arg]
            base_url="http://127.0.0.1",
        ) as c:
            yield c
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def test_search_person_and_referral_journey_on_postgresql(pg_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    c = pg_client
    world = seed_world(c.app.state.desist)
    login = make_login(c, c.app.state.desist, monkeypatch)
    login(TEAM)
    r = c.get("/people", params={"q": "a1"})
    assert r.status_code == 200 and f'href="/people/{world.whatton_man}">A1111AA</a>' in r.text
    assert "B2222BB" not in c.get("/people", params={"q": "b2"}).text
    assert c.get(f"/people/{world.whatton_man}").status_code == 200
    assert c.get(f"/people/{world.usk_man}").status_code == 404
    from tests.web.conftest import csrf_of

    page = c.get(f"/people/{world.whatton_man}")
    r = c.post(
        f"/people/{world.whatton_man}/referrals",
        data={"csrf_token": csrf_of(page.text), "offering_id": str(world.kaizen_whatton)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    board = c.get(f"/groups/{world.group}")
    assert board.status_code == 200 and "0 of 8 taken" in " ".join(board.text.split()).replace(
        '<dd class="govuk-summary-list__value">', ""
    )


def test_api_referral_moves_with_etags_on_postgresql(pg_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import make_bearer

    c = pg_client
    world = seed_world(c.app.state.desist)
    bearer = make_bearer(c.app.state.desist, monkeypatch)
    h = bearer(TEAM)
    r = c.post(
        "/api/v1/referrals",
        json={"person_id": world.whatton_man, "offering_id": world.kaizen_whatton},
        headers=h,
    )
    assert r.status_code == 201
    rid, etag = r.json()["id"], r.headers["etag"]
    body = {"target": "REFERRAL_SUBMITTED", "assessment_confirmed": True, "programme_history_reviewed": True}
    r = c.post(f"/api/v1/referrals/{rid}/moves", json=body, headers={**h, "If-Match": etag})
    assert r.status_code == 200 and r.json()["status"] == "REFERRAL_SUBMITTED"
    r = c.post(
        f"/api/v1/referrals/{rid}/moves",
        json={"target": "AWAITING_ASSESSMENT"},
        headers={**h, "If-Match": etag},
    )
    assert r.status_code == 412
    assert [x["id"] for x in c.get("/api/v1/referrals", headers=h).json()["referrals"]] == [rid]
    assert c.get("/api/v1/referrals", headers=bearer(USK_TEAM)).json()["referrals"] == []


def test_a_concurrent_change_during_a_move_is_409_and_a_stale_if_match_412(pg_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """If-Match names the version read: when it is no longer current the move is refused before anything is
    written (412 Precondition Failed). When it is current but another transaction commits a change to the
    referral while this move is being made (the UPDATE finds the row changed), the answer is 409 Conflict.
    Two real sessions on PostgreSQL (SQLite serialises the writers, so the second case cannot arise there)."""
    from desist.domain.referrals import Reason, ReasonCategory, ReferralStatus
    from desist.services import referrals
    from tests.web.conftest import make_bearer
    from tests.web.seed import SEEDER, uow_as

    c = pg_client
    app = c.app.state.desist
    world = seed_world(app)
    h = make_bearer(app, monkeypatch)(TEAM)
    new = {"person_id": world.whatton_man, "offering_id": world.kaizen_whatton}
    r = c.post("/api/v1/referrals", json=new, headers=h)
    rid, etag = r.json()["id"], r.headers["etag"]
    body = {"target": "REFERRAL_SUBMITTED", "assessment_confirmed": True, "programme_history_reviewed": True}
    r = c.post(f"/api/v1/referrals/{rid}/moves", json=body, headers={**h, "If-Match": etag})
    assert r.status_code == 200
    current = r.headers["etag"]
    # a stale If-Match: 412, nothing written
    r = c.post(f"/api/v1/referrals/{rid}/moves", json={"target": "AWAITING_ASSESSMENT"},
               headers={**h, "If-Match": etag})
    assert r.status_code == 412 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "The record changed since you read it"
    # the current If-Match, and another session withdraws the referral while the move is under way
    real = referrals.check_transition
    raced: list[str] = []

    def withdraw_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not raced:
            raced.append("withdrawn")
            referrals.move_referral(uow_as(app, SEEDER), rid, ReferralStatus.WITHDRAWN,
                                    reason=Reason(ReasonCategory.MOTIVATION, "declined"))
        return real(*args, **kwargs)

    monkeypatch.setattr(referrals, "check_transition", withdraw_meanwhile)
    r = c.post(f"/api/v1/referrals/{rid}/moves", json={"target": "AWAITING_ASSESSMENT"},
               headers={**h, "If-Match": current})
    assert raced == ["withdrawn"]
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json", r.text
    assert r.json()["status"] == 409 and "changed by someone else" in r.json()["detail"]
    monkeypatch.setattr(referrals, "check_transition", real)
    after = c.get(f"/api/v1/referrals/{rid}", headers=h).json()
    statuses = [x["to_status"] for x in after["history"]]
    assert statuses == ["REFERRAL_STARTED", "REFERRAL_SUBMITTED", "WITHDRAWN"]
