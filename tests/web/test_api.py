"""/api/v1: every endpoint, with bearer tokens, scoping, ETag/If-Match and problem+json errors."""

from __future__ import annotations

import datetime as dt

from tests.web.seed import USK, staff

REFERRER = staff("rita", "referrer")
TEAM = staff("tom", "programme_team")
USK_TEAM = staff("uma", "programme_team", org=USK)
ANALYST = staff("ann", "analyst", org=None, national=True)
PROBLEM = "application/problem+json"


def test_no_token_is_401_problem(client, world) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/people", params={"q": "A1"})
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"] == 'Bearer realm="desist"'
    assert r.json()["status"] == 401 and r.json()["title"] == "Sign in required"


def test_people_search_and_read_are_scoped(client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    h = bearer(REFERRER)
    r = client.get("/api/v1/people", params={"q": "a1"}, headers=h)
    assert r.status_code == 200
    assert [p["prison_number"] for p in r.json()["people"]] == ["A1111AA"]
    assert client.get("/api/v1/people", params={"q": "B2"}, headers=h).json() == {"people": []}
    r = client.get(f"/api/v1/people/{world.whatton_man}", headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["person"]["prison_number"] == "A1111AA"
    assert r.headers["etag"] == f'"person-{world.whatton_man}-v{body["person"]["version"]}"'
    osp = next(a for a in body["assessments"] if a["tool"] == "OSP")
    assert osp["scores"]["OSP/DC band"] == "High" and osp["items"]["current_age"] >= 0
    assert body["recommendation"]["pathway"] in ("HIGH_INTENSITY", "MODERATE_INTENSITY")
    assert {e["code"] for e in body["recommendation"]["excluded"]} >= {"SOTP-CORE"}
    r = client.get(f"/api/v1/people/{world.usk_man}", headers=h)
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["detail"] == f"person #{world.usk_man}: not found"


def test_search_validation_is_422_problem(client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/people", params={"q": "A"}, headers=bearer(REFERRER))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert r.json()["detail"].startswith("query.q: ")


def test_analyst_may_not_read_people(client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"/api/v1/people/{world.whatton_man}", headers=bearer(ANALYST))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    assert "read person: ann (analyst) may not" in r.json()["detail"]


def _create(client, world, h):  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/referrals",
        json={"person_id": world.whatton_man, "offering_id": world.kaizen_whatton},
        headers=h,
    )
    assert r.status_code == 201, r.text
    return r


def _move(client, rid, etag, h, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/referrals/{rid}/moves", json=body, headers={**h, "If-Match": etag})


def test_referral_create_move_list_with_etags(client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    h = bearer(TEAM)
    r = _create(client, world, h)
    rid = r.json()["id"]
    assert r.headers["location"] == f"/api/v1/referrals/{rid}"
    assert r.json()["status"] == "REFERRAL_STARTED"
    assert {m["target"] for m in r.json()["moves"]} >= {"REFERRAL_SUBMITTED", "WITHDRAWN"}
    etag = r.headers["etag"]
    assert etag == f'"referral-{rid}-v{r.json()["version"]}"'
    # a duplicate open referral for the same programme is a conflict
    dup = client.post(
        "/api/v1/referrals",
        json={"person_id": world.whatton_man, "offering_id": world.kaizen_whatton},
        headers=h,
    )
    assert dup.status_code == 409 and dup.headers["content-type"] == PROBLEM
    # no If-Match: 428
    r = client.post(f"/api/v1/referrals/{rid}/moves", json={"target": "REFERRAL_SUBMITTED"}, headers=h)
    assert r.status_code == 428 and r.headers["content-type"] == PROBLEM
    # the state machine's refusal: 409
    r = _move(client, rid, etag, h, target="REFERRAL_SUBMITTED")
    assert r.status_code == 409 and "cannot submit before" in r.json()["detail"]
    r = _move(
        client,
        rid,
        etag,
        h,
        target="REFERRAL_SUBMITTED",
        assessment_confirmed=True,
        programme_history_reviewed=True,
    )
    assert r.status_code == 200 and r.json()["status"] == "REFERRAL_SUBMITTED"
    new_etag = r.headers["etag"]
    assert new_etag != etag
    # the old ETag is stale: 412
    r = _move(client, rid, etag, h, target="WITHDRAWN", reason_category="motivation", reason="declined")
    assert r.status_code == 412 and r.headers["content-type"] == PROBLEM
    assert "changed by someone else" in r.json()["detail"]
    # a withdrawal without a reason: 422
    r = _move(client, rid, new_etag, h, target="WITHDRAWN")
    assert r.status_code == 422 and "needs a reason" in r.json()["detail"]
    r = client.get(f"/api/v1/referrals/{rid}", headers=h)
    assert r.status_code == 200 and r.headers["etag"] == new_etag
    assert [c["to_status"] for c in r.json()["history"]] == ["REFERRAL_STARTED", "REFERRAL_SUBMITTED"]
    listed = client.get("/api/v1/referrals", params={"status": "REFERRAL_SUBMITTED"}, headers=h).json()
    assert [x["id"] for x in listed["referrals"]] == [rid] and listed["next_after_id"] is None
    # another prison's team sees none of it
    other = bearer(USK_TEAM)
    assert client.get("/api/v1/referrals", headers=other).json()["referrals"] == []
    assert client.get(f"/api/v1/referrals/{rid}", headers=other).status_code == 404
    r = client.post(
        f"/api/v1/referrals/{rid}/moves",
        json={"target": "AWAITING_ASSESSMENT"},
        headers={**other, "If-Match": new_etag},
    )
    assert r.status_code == 404


def test_referrer_may_not_make_a_team_move(client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    h = bearer(REFERRER)
    r = _create(client, world, h)
    rid, etag = r.json()["id"], r.headers["etag"]
    r = _move(
        client,
        rid,
        etag,
        h,
        target="REFERRAL_SUBMITTED",
        assessment_confirmed=True,
        programme_history_reviewed=True,
    )
    assert r.status_code == 200
    r = _move(client, rid, r.headers["etag"], h, target="AWAITING_ASSESSMENT")
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM


def test_bad_bodies_are_422(client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    h = bearer(TEAM)
    r = client.post("/api/v1/referrals", json={"person_id": "x"}, headers=h)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    r = client.post("/api/v1/referrals", json={"person_id": 1, "offering_id": 1, "extra": 1}, headers=h)
    assert r.status_code == 422
    r = client.post(
        "/api/v1/referrals/1/moves", json={"target": "NOPE"}, headers={**h, "If-Match": '"referral-1-v1"'}
    )
    assert r.status_code == 422


def test_groups_board_enrol_session_attendance(client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    h = bearer(TEAM)
    rid = _create(client, world, h).json()["id"]
    for target in ("REFERRAL_SUBMITTED", "AWAITING_ASSESSMENT", "ASSESSMENT_STARTED", "ASSESSED_SUITABLE"):
        etag = client.get(f"/api/v1/referrals/{rid}", headers=h).headers["etag"]
        r = _move(
            client, rid, etag, h, target=target, assessment_confirmed=True, programme_history_reviewed=True
        )
        assert r.status_code == 200, r.text
    groups = client.get("/api/v1/groups", headers=h).json()["groups"]
    assert [(g["id"], g["programme_code"], g["members"]) for g in groups] == [(world.group, "KAIZEN", 0)]
    board = client.get(f"/api/v1/groups/{world.group}", headers=h)
    assert board.status_code == 200 and board.headers["etag"].startswith(f'"group-{world.group}-v')
    waiting = board.json()["waiting"]
    assert [(w["referral_id"], w["warning"]) for w in waiting] == [(rid, None)]
    r = client.post(f"/api/v1/groups/{world.group}/enrolments", json={"referral_id": rid}, headers=h)
    assert r.status_code == 201 and r.json()["group"]["places_taken"] == 1
    assert client.get(f"/api/v1/referrals/{rid}", headers=h).json()["status"] == "ON_PROGRAMME"
    today = dt.date.today().isoformat()
    r = client.post(
        f"/api/v1/groups/{world.group}/sessions",
        json={"held_on": today, "topic": "one", "attendance": {str(world.whatton_man): "attended"}},
        headers=h,
    )
    assert r.status_code == 201
    assert r.json()["sessions"] == [
        {
            "number": 1,
            "held_on": today,
            "topic": "one",
            "marks": {str(r.json()["group"]["members"][0]["enrolment_id"]): "attended"},
        }
    ]
    r = client.put(
        f"/api/v1/groups/{world.group}/sessions/1/attendance",
        json={"attendance": {str(world.whatton_man): "absent"}},
        headers=h,
    )
    assert r.status_code == 200 and list(r.json()["sessions"][0]["marks"].values()) == ["absent"]
    r = client.put(
        f"/api/v1/groups/{world.group}/sessions/2/attendance",
        json={"attendance": {str(world.whatton_man): "absent"}},
        headers=h,
    )
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    r = client.put(
        f"/api/v1/groups/{world.group}/sessions/1/attendance",
        json={"attendance": {str(world.whatton_man): "asleep"}},
        headers=h,
    )
    assert r.status_code == 422
    # the referrer reads the board but may not change it; another prison does not see it
    assert client.get(f"/api/v1/groups/{world.group}", headers=bearer(REFERRER)).status_code == 200
    r = client.post(
        f"/api/v1/groups/{world.group}/enrolments", json={"referral_id": rid}, headers=bearer(REFERRER)
    )
    assert r.status_code == 403
    assert client.get(f"/api/v1/groups/{world.group}", headers=bearer(USK_TEAM)).status_code == 404


def test_programmes_without_results(client, world, bearer) -> None:  # type: ignore[no-untyped-def]
    h = bearer(ANALYST)
    assert client.get("/api/v1/programmes", headers=h).json() == {"programmes": []}
    r = client.get("/api/v1/programmes/KAIZEN/evaluations/latest", headers=h)
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert client.get("/api/v1/programmes/KAIZEN/monitoring", headers=h).status_code == 404
    assert client.get("/api/v1/programmes/bad%20code/monitoring", headers=h).status_code == 422


def test_openapi_lists_every_endpoint(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert sorted(paths) == [
        "/groups",
        "/groups/{group_id}",
        "/groups/{group_id}/enrolments",
        "/groups/{group_id}/sessions",
        "/groups/{group_id}/sessions/{number}/attendance",
        "/people",
        "/people/{person_id}",
        "/programmes",
        "/programmes/{code}/evaluations/latest",
        "/programmes/{code}/monitoring",
        "/referrals",
        "/referrals/{referral_id}",
        "/referrals/{referral_id}/moves",
    ]


def test_a_monitoring_review_in_the_api_is_the_review_record_plus_id_and_source(client) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from desist.monitoring.record import Review

    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["MonitoringReview"]
    record = {f.name for f in dataclasses.fields(Review)}
    assert set(schema["required"]) == set(schema["properties"]) == record - {"information"} | {"id", "source"}
    assert schema["properties"]["ci"]["anyOf"][0] == {"items": {"type": "number"}, "type": "array"}


def test_the_api_words_are_the_domain_vocabularies(client) -> None:  # type: ignore[no-untyped-def]
    from desist.domain.records import AttendanceMark, values
    from desist.domain.referrals import ReasonCategory

    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schemas["AttendanceMark"]["enum"] == list(values(AttendanceMark))
    assert schemas["ReasonCategory"]["enum"] == list(values(ReasonCategory))
    mark = {"$ref": "#/components/schemas/AttendanceMark"}
    for body, field in (("NewSession", "attendance"), ("Attendance", "attendance"), ("Session", "marks")):
        assert schemas[body]["properties"][field]["additionalProperties"] == mark, body
    category = schemas["ReferralMove"]["properties"]["reason_category"]["anyOf"]
    assert category == [{"$ref": "#/components/schemas/ReasonCategory"}, {"type": "null"}]


def test_token_scopes_and_revocation(client, world, desist_app) -> None:  # type: ignore[no-untyped-def]
    from desist.domain.access import Action
    from desist.services import users
    from tests.web.seed import add_account

    add_account(desist_app, TEAM)
    me = users.principal_for(desist_app.uow("system:test"), TEAM.username)
    issued = users.issue_token(
        desist_app.uow(me), username=me.username, name="groups only", scopes={Action.GROUP_READ}
    )
    h = {"Authorization": f"Bearer {issued.token}"}
    assert client.get("/api/v1/groups", headers=h).status_code == 200
    r = client.get(f"/api/v1/people/{world.whatton_man}", headers=h)
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    users.revoke_token(desist_app.uow(me), issued.id)
    r = client.get("/api/v1/groups", headers=h)
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert (
        client.get("/api/v1/people", params={"q": "A1"}, headers={"Authorization": "Basic x"}).status_code
        == 401
    )
