"""The pages, signed in: caseload search (scoped), the person page, referring and moving a referral, the
group board with enrolment and attendance, programme results, analysts' exports."""

from __future__ import annotations

import re

from desist.domain.catalogue import Intensity
from desist.domain.risk.bands import Band, NeedLevel, Pathway
from tests.web.conftest import csrf_of
from tests.web.seed import USK, WHATTON, staff

REFERRER = staff("rita", "referrer")
TEAM = staff("tom", "programme_team")
USK_TEAM = staff("uma", "programme_team", org=USK)
ANALYST = staff("ann", "analyst", org=None, national=True)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_caseload_search_finds_only_men_of_my_prison(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    r = client.get("/people", params={"q": "a11"})
    assert r.status_code == 200
    assert f'href="/people/{world.whatton_man}">A1111AA</a>' in r.text
    assert "1 person found" in _text(r.text)
    r = client.get("/people", params={"q": "B22"})
    assert "B2222BB" not in r.text and "0 people found" in _text(r.text)


def test_search_too_short_is_an_error_summary(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    r = client.get("/people", params={"q": "A"})
    assert r.status_code == 400
    assert 'class="govuk-error-summary"' in r.text
    assert '<a href="#q">Enter 2 to 100 characters of a name, prison number or PNC number</a>' in r.text
    assert "<title>Error: Caseload" in r.text


def test_person_page_shows_scores_breakdown_pathway_and_recommendation(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    r = client.get(f"/people/{world.whatton_man}")
    assert r.status_code == 200
    text = _text(r.text)
    assert "A1111AA" in text and "17 May 1980" in text and "HMP Whatton" in text
    assert "OSP/DC band High" in text
    assert "Item points behind the OSP score" in text and "Current age" in text
    assert "PNI pathway: High intensity" in text or "PNI pathway: Moderate intensity" in text
    assert "Programmes not recommended, and why" in text
    assert "Start referral" in text and "KAIZEN at HMP Whatton" in text


#: a stored value shown as it is stored: MODERATE_INTENSITY, VERY_HIGH, or a band, pathway or intensity word
#: in capitals ("his risk is LOW"); programme codes (BC-HIGH, SOTP-BLB-LOW) and abbreviations (OSP, PNI)
#: are not
_ENUM_VALUES = {str(v) for e in (Band, Pathway, NeedLevel, Intensity) for v in e}
_WORD = re.compile(r"(?<![\w-])[A-Z][A-Z0-9_]*(?![\w-])")


def test_person_page_reasons_are_plain_words(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    html = client.get(f"/people/{world.whatton_man}").text
    section = html[html.index('id="recommendation"') : html.index('id="referrals"')]
    reasons = [_text(li) for li in re.findall(r"<li>(.*?)</li>", section, flags=re.S)]
    assert len(reasons) > 10  # the offered programmes' reasons and every other programme's
    assert any("his PNI pathway is" in r for r in reasons)  # the sentences that once read HIGH_INTENSITY
    enum_words = {
        (w, r) for r in [*reasons, _text(section)] for w in _WORD.findall(r) if "_" in w or w in _ENUM_VALUES
    }
    assert enum_words == set()


def test_a_man_of_another_prison_is_not_found(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    r = client.get(f"/people/{world.usk_man}")
    assert r.status_code == 404
    assert "Page not found" in r.text and "B2222BB" not in r.text


def test_refer_then_submit_with_confirmations(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    page = client.get(f"/people/{world.whatton_man}")
    r = client.post(
        f"/people/{world.whatton_man}/referrals",
        data={"csrf_token": csrf_of(page.text), "offering_id": str(world.kaizen_whatton)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    ref = r.headers["location"]
    assert re.fullmatch(r"/referrals/\d+", ref)
    page = client.get(ref)
    assert "Referral started" in _text(page.text)
    assert "Referral submitted" in _text(page.text)  # an allowed move
    form = client.get(f"{ref}/move/REFERRAL_SUBMITTED")
    assert form.status_code == 200
    # without the confirmations the state machine refuses, shown as an error summary
    r = client.post(
        f"{ref}/move/REFERRAL_SUBMITTED",
        data={
            "csrf_token": csrf_of(form.text),
            "version": re.search(r'name="version" value="(\d+)"', form.text).group(1),
            "current": "REFERRAL_STARTED",
            "needs_reason": "no",
        },
    )
    assert r.status_code == 409
    assert "cannot submit before assessment confirmed and programme history reviewed" in r.text
    r = client.post(
        f"{ref}/move/REFERRAL_SUBMITTED",
        data={
            "csrf_token": csrf_of(form.text),
            "version": re.search(r'name="version" value="(\d+)"', form.text).group(1),
            "current": "REFERRAL_STARTED",
            "needs_reason": "no",
            "assessment_confirmed": "yes",
            "programme_history_reviewed": "yes",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Referral submitted" in _text(client.get(ref).text)


def test_form_without_csrf_token_is_refused(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    r = client.post(f"/people/{world.whatton_man}/referrals", data={"offering_id": str(world.kaizen_whatton)})
    assert r.status_code == 403
    assert "security token is missing or out of date" in r.text
    r = client.post(
        f"/people/{world.whatton_man}/referrals",
        data={"offering_id": str(world.kaizen_whatton), "csrf_token": "forged"},
    )
    assert r.status_code == 403


def _referral_at(client, world, status_path: list[str]) -> str:  # type: ignore[no-untyped-def]
    """Refer the Whatton man and move the referral along ``status_path`` (programme team)."""
    page = client.get(f"/people/{world.whatton_man}")
    ref = client.post(
        f"/people/{world.whatton_man}/referrals",
        data={"csrf_token": csrf_of(page.text), "offering_id": str(world.kaizen_whatton)},
        follow_redirects=False,
    ).headers["location"]
    for target in status_path:
        form = client.get(f"{ref}/move/{target}")
        assert form.status_code == 200, (target, form.text)
        data = {
            "csrf_token": csrf_of(form.text),
            "version": re.search(r'name="version" value="(\d+)"', form.text)[1],
            "current": re.search(r'name="current" value="(\w+)"', form.text)[1],
            "needs_reason": re.search(r'name="needs_reason" value="(\w+)"', form.text)[1],
            "assessment_confirmed": "yes",
            "programme_history_reviewed": "yes",
        }
        r = client.post(f"{ref}/move/{target}", data=data, follow_redirects=False)
        assert r.status_code == 303, (target, _text(r.text)[:2000])
    return ref


SUITABLE = ["REFERRAL_SUBMITTED", "AWAITING_ASSESSMENT", "ASSESSMENT_STARTED", "ASSESSED_SUITABLE"]


def test_withdrawal_needs_a_reason_and_a_stale_version_is_refused(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(TEAM)
    ref = _referral_at(client, world, ["REFERRAL_SUBMITTED"])
    form = client.get(f"{ref}/move/WITHDRAWN")
    version = re.search(r'name="version" value="(\d+)"', form.text)[1]
    base = {
        "csrf_token": csrf_of(form.text),
        "version": version,
        "current": "REFERRAL_SUBMITTED",
        "needs_reason": "yes",
    }
    r = client.post(f"{ref}/move/WITHDRAWN", data=base)
    assert r.status_code == 400
    assert (
        '<a href="#reason_category">Select why</a>' in r.text
        and '<a href="#reason">Enter the reason</a>' in r.text
    )
    # someone else moves it first (put on hold): the old version is refused with the page reloaded
    _hold = client.get(f"{ref}/move/ON_HOLD_REFERRAL_SUBMITTED")
    client.post(
        f"{ref}/move/ON_HOLD_REFERRAL_SUBMITTED",
        data={**base, "reason_category": "personal", "reason": "in hospital"},
    )
    r = client.post(
        f"{ref}/move/WITHDRAWN", data={**base, "reason_category": "motivation", "reason": "declined"}
    )
    assert r.status_code == 409
    assert "was changed by someone else" in r.text
    assert "On hold referral submitted" in _text(r.text)


def test_group_board_enrol_and_attendance(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(TEAM)
    _referral_at(client, world, SUITABLE)
    board = client.get(f"/groups/{world.group}")
    assert board.status_code == 200
    text = _text(board.text)
    assert "0 of 8 taken" in text and "A1111AA (referral" in text
    rid = re.search(r'name="referral_id" type="radio" value="(\d+)"', board.text)[1]
    r = client.post(
        f"/groups/{world.group}/enrol",
        data={"csrf_token": csrf_of(board.text), "referral_id": rid},
        follow_redirects=False,
    )
    assert r.status_code == 303
    board = client.get(f"/groups/{world.group}")
    assert "1 of 8 taken" in _text(board.text)
    r = client.post(
        f"/groups/{world.group}/sessions", data={"csrf_token": csrf_of(board.text), "held_on": "not a date"}
    )
    assert r.status_code == 400 and '<a href="#held_on">Enter the date of the session' in r.text
    import datetime as dt

    today = dt.date.today().isoformat()
    r = client.post(
        f"/groups/{world.group}/sessions",
        data={
            "csrf_token": csrf_of(board.text),
            "held_on": today,
            "topic": "Session one",
            f"mark-{world.whatton_man}": "attended",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    board = client.get(f"/groups/{world.group}")
    text = _text(board.text)
    assert "1 of 10 held" in text and "1 of 1" in text  # attended 1 of 1 offered
    r = client.post(
        f"/groups/{world.group}/sessions/1/attendance",
        data={"csrf_token": csrf_of(board.text), f"mark-{world.whatton_man}": "excused"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert '<option value="excused" selected>' in client.get(f"/groups/{world.group}").text


def test_group_of_another_prison_is_not_found_and_groups_list_is_scoped(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(USK_TEAM)
    assert client.get(f"/groups/{world.group}").status_code == 404
    assert "Kaizen A" not in client.get("/groups").text


def test_referrer_sees_the_board_but_cannot_enrol(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    board = client.get(f"/groups/{world.group}")
    assert board.status_code == 200
    assert "Put him in this group" not in board.text and "Record session" not in board.text
    r = client.post(
        f"/groups/{world.group}/enrol", data={"csrf_token": csrf_of(board.text), "referral_id": "1"}
    )
    assert r.status_code == 403


def test_analyst_sees_no_casework(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(ANALYST)
    home = client.get("/")
    assert 'href="/programmes"' in home.text and 'href="/people"' not in home.text
    assert client.get(f"/people/{world.whatton_man}").status_code == 403
    assert client.get("/people", params={"q": "A1"}).status_code == 403


def test_programmes_page_without_results(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(ANALYST)
    r = client.get("/programmes")
    assert r.status_code == 200 and "No programme has a stored evaluation" in r.text
    assert client.get("/programmes/KAIZEN").status_code == 404


def test_nav_marks_the_current_page(client, world, login) -> None:  # type: ignore[no-untyped-def]
    login(TEAM)
    r = client.get("/groups")
    assert 'aria-current="page"' in r.text
    assert WHATTON in r.text


def test_group_view_counts_progress_as_the_completion_check_does(client, world, login, desist_app) -> None:  # type: ignore[no-untyped-def]
    """The group view (board and group services alike) counts every member's sessions in three queries; the
    completion check counts one member's (``enrolment_progress``): the same numbers, as entered."""
    import datetime as dt

    from desist.services.group_state import group_view
    from desist.services.referrals import enrolment_progress
    from tests.web.seed import SEEDER, uow_as

    login(TEAM)
    _referral_at(client, world, SUITABLE)
    board = client.get(f"/groups/{world.group}")
    rid = re.search(r'name="referral_id" type="radio" value="(\d+)"', board.text)[1]
    client.post(f"/groups/{world.group}/enrol", data={"csrf_token": csrf_of(board.text), "referral_id": rid})
    for mark in ("attended", "absent"):
        client.post(
            f"/groups/{world.group}/sessions",
            data={
                "csrf_token": csrf_of(board.text),
                "held_on": dt.date.today().isoformat(),
                f"mark-{world.whatton_man}": mark,
            },
        )
    with uow_as(desist_app, SEEDER) as u:
        g = u.groups.get(world.group)
        view = group_view(u, g)
        one_by_one = [enrolment_progress(u, e, bool(e.targets_met)) for e in u.groups.enrolments(g.id)]
    assert [(m.sessions_offered, m.sessions_attended) for m in view.members] == [
        (p.sessions_offered, p.sessions_attended) for p in one_by_one
    ]
    assert [m.attendance_rate for m in view.members] == [round(p.attendance_rate, 4) for p in one_by_one]
    first = view.members[0]
    assert (view.sessions_held, first.sessions_offered, first.sessions_attended) == (2, 2, 1)
