"""A new user's first hour, in Debian's Chromium: ``desist demo``, then ``desist serve`` on its database (the
command the demo prints, in a subprocess on a free port), then the referral journey as the documented demo
users (README and docs/demo.md: password ``desist-demo-password``).

As ``rita.whatton`` (referrer, HMP Whatton): find a Whatton man in the caseload, refer him to Kaizen and
submit the referral. As ``tom.whatton`` (programme team): move it through assessment, put him in the demo's
next group (Kaizen 2), record a session's attendance, open the programme page with the demo's stored
evaluation. As ``rhys.usk`` and ``tara.usk`` (HMP Usk): the man, his referral and the group are "not found"
and cannot be changed. axe-core runs on every page visited (no serious or critical violation); screenshots
go to build/test-artifacts. The journey is repeated with JavaScript disabled (without axe, which runs inside
the page) for a second man. The server's log must hold no prison number and no password.

The demo is the session's shared run (tests/e2e/conftest.py); the server gets a copy of its database.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from desist.services.demo import DEMO_PASSWORD, DEMO_USERS
from tests.e2e.browser import ARGS, CHROMIUM, _require, screenshot, serious_violations

ROOT = Path(__file__).resolve().parents[2]
REFERRER, TEAM = "rita.whatton", "tom.whatton"
USK_REFERRER, USK_TEAM = "rhys.usk", "tara.usk"
GROUP, OFFERING = "Kaizen 2", "KAIZEN at HMP Whatton"


@dataclass(frozen=True)
class Served:
    base: str
    log: Path
    men: tuple[str, str]  # two Whatton men the journeys refer (no referral yet; the mixing rules let both in)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _men_to_refer(db: Path) -> tuple[str, str]:
    """Two men held at HMP Whatton with no referral whom the group's mixing rules let in together: a risk
    band that is not low (high-risk men first) and the same offence contact."""
    from desist.domain.risk_member import assessment_band, assessment_offence_type

    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT p.prison_number, a.inputs, a.outputs"
            " FROM person p JOIN assessment a ON a.person_id = p.id"
            " WHERE p.establishment = 'HMP Whatton' AND a.tool = 'osp'"
            " AND NOT EXISTS (SELECT 1 FROM referral r WHERE r.person_id = p.id) ORDER BY p.prison_number"
        ).fetchall()
    finally:
        con.close()
    order = ("VERY_HIGH", "HIGH", "MEDIUM")
    by_contact: dict[Any, list[tuple[int, str]]] = {}
    for number, inputs, outputs in rows:
        i, o = json.loads(inputs or "{}"), json.loads(outputs or "{}")
        band, contact = str(assessment_band("osp", i, o)), assessment_offence_type("osp", i, o)
        if band in order and contact is not None:
            by_contact.setdefault(contact, []).append((order.index(band), number))
    pairs = sorted(sorted(men)[:2] for men in by_contact.values() if len(men) >= 2)
    assert pairs, f"the demo holds no two unreferred men at HMP Whatton who may join one group: {by_contact}"
    return pairs[0][0][1], pairs[0][1][1]


@pytest.fixture(scope="module")
def server(
    demo_run: tuple[Path, int, str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    _require()
    demo_folder, code, out, err = demo_run
    assert code == 0, err
    # the demo ends by printing the command to run next: the test runs it (on a copy, on a free port)
    printed = re.search(r"next: (DESIST_COOKIE_SECURE=false) desist serve --db (sqlite:///\S+)", out)
    assert printed, out[-500:]
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "desist-demo.db"
    shutil.copyfile(demo_folder / printed[2].removeprefix("sqlite:///"), db)
    men = _men_to_refer(db)
    port = _free_port()
    log = folder / "server.log"
    env = {**os.environ, "DESIST_COOKIE_SECURE": "false", "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-c", "from desist.entrypoints.cli import main; main()", "serve"]
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [*cmd, "--db", f"sqlite:///{db}", "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail(f"desist serve exited: {log.read_text()}")
            time.sleep(0.1)
        else:
            pytest.fail("desist serve did not answer within 30 s")
        yield Served(base, log, men)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    shutil.rmtree(folder, ignore_errors=True)


def test_the_journey_uses_the_documented_demo_users() -> None:
    """The users the journey signs in as are the ones README and docs/demo.md give (with the password)."""
    stored = {name: (roles, org) for name, roles, org, _ in DEMO_USERS}
    assert stored[REFERRER] == (("referrer",), "HMP Whatton")
    assert stored[TEAM] == (("programme_team",), "HMP Whatton")
    assert stored[USK_REFERRER] == (("referrer",), "HMP Usk")
    assert stored[USK_TEAM] == (("programme_team",), "HMP Usk")
    for doc in (ROOT / "README.md", ROOT / "docs" / "demo.md"):
        text = doc.read_text(encoding="utf-8")
        assert DEMO_PASSWORD in text, doc
        for name in (REFERRER, TEAM, USK_REFERRER, USK_TEAM):
            assert name in text, (doc, name)


@contextmanager
def chromium(javascript: bool = True) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1100, "height": 900}, java_script_enabled=javascript
            )
            yield context.new_page()
        finally:
            browser.close()


class Journey:
    """Steps through the pages, checking each with axe and keeping a screenshot."""

    def __init__(self, page: Any, base: str, tag: str, axe: bool = True) -> None:
        self.page, self.base, self.tag, self.n, self.axe = page, base, tag, 0, axe
        self.visited: list[str] = []

    def check(self, name: str) -> None:
        self.n += 1
        page = self.page
        assert page.url.startswith(self.base), page.url
        assert "There is a problem with the service" not in page.content()
        screenshot(page, f"web-{self.tag}-{self.n:02d}-{name}")
        if self.axe:  # axe runs inside the page: not with JavaScript off (the JS run checks the same pages)
            found = serious_violations(page)
            assert found == [], f"{name} ({page.url}): {found}"
        self.visited.append(page.url.removeprefix(self.base))

    def go(self, path: str, name: str) -> None:
        self.page.goto(self.base + path)
        self.check(name)

    def submit(self, button: str | re.Pattern[str], name: str) -> None:
        self.page.get_by_role("button", name=button).click()
        self.page.wait_for_load_state()
        self.check(name)

    def follow(self, link: str | re.Pattern[str], name: str) -> None:
        self.page.get_by_role("link", name=link).first.click()
        self.page.wait_for_load_state()
        self.check(name)

    def sign_in(self, username: str) -> str:
        """Sign in; returns the session's form token (from the home page's sign-out form)."""
        self.go("/sign-in", f"sign-in-{username}")
        self.page.fill("#username", username)
        self.page.fill("#password", DEMO_PASSWORD)
        self.submit("Sign in", "home")
        assert f"Signed in as {username}" in " ".join(self.page.inner_text("main").split())
        return str(self.page.locator("input[name=csrf_token]").first.get_attribute("value"))

    def sign_out(self) -> None:
        self.page.get_by_role("button", name=re.compile("^Sign out")).click()
        self.page.wait_for_load_state()
        self.check("signed-out")

    def move(self, referral: str, target: str, label: str) -> None:
        self.go(f"{referral}/move/{target}", f"move-{target.lower()}")
        for box in ("#assessment_confirmed", "#programme_history_reviewed"):
            if self.page.locator(box).count():
                self.page.check(box)
        self.submit(re.compile("^Move to"), f"moved-{target.lower()}")
        assert label in self.page.content(), (target, self.page.url)


@dataclass(frozen=True)
class Done:
    journey: Journey
    person: str  # /people/ID
    name: str  # as his page heads it (his name, or his prison number when none is recorded)
    referral: str  # /referrals/ID
    group: str  # /groups/ID


def journey(page: Any, base: str, tag: str, man: str, axe: bool = True) -> Done:
    """Refer ``man`` (as the referrer), then assess him, put him in the demo's next group and record a
    session (as the programme team), then open the programme page. Navigation by links and forms only."""
    j = Journey(page, base, tag, axe)
    j.sign_in(REFERRER)
    j.follow("Caseload", "caseload")
    page.fill("#q", man)
    j.submit("Search", "search-results")
    assert "1 person found" in " ".join(page.inner_text("main").split())
    page.locator("main tr", has_text=man).get_by_role("link").first.click()  # his name, or his number
    page.wait_for_load_state()
    j.check("person")
    person = page.url.removeprefix(base)
    name = page.locator("main h1").inner_text()
    assert re.fullmatch(r"/people/\d+", person), person
    text = " ".join(page.inner_text("main").split())
    assert "HMP Whatton" in text and "Recommended programmes" in text
    assert not re.search(r"\b[A-Z]+_[A-Z_]+\b", text), "a stored value shown as it is stored"
    page.select_option("#offering_id", label=OFFERING)
    j.submit("Start referral", "referral")
    referral = page.url.removeprefix(base)
    assert re.fullmatch(r"/referrals/\d+", referral), referral
    j.move(referral, "REFERRAL_SUBMITTED", "Referral submitted")
    j.sign_out()
    j.sign_in(TEAM)
    for target, label in (
        ("AWAITING_ASSESSMENT", "Awaiting assessment"),
        ("ASSESSMENT_STARTED", "Assessment started"),
        ("ASSESSED_SUITABLE", "Assessed suitable"),
    ):
        j.move(referral, target, label)
    j.follow("Groups", "groups")
    j.follow(GROUP, "group")
    group = page.url.removeprefix(base)
    number = referral.rsplit("/", 1)[1]
    page.locator(f"input[name=referral_id][value='{number}']").check()
    j.submit("Put him in this group", "enrolled")
    person_id = person.rsplit("/", 1)[1]
    mark = page.locator(f"select#new-mark-{person_id}")
    assert mark.count() == 1, "the new member is listed for the next session"
    mark.select_option("attended")
    j.submit("Record session", "session")
    recorded = page.locator(f"select[id^='s'][id$='-mark-{person_id}']")
    assert recorded.count() == 1 and recorded.first.input_value() == "attended"
    j.follow("Programmes", "programmes")
    j.follow(re.compile(r"\(SOTP-CORE\)"), "programme")
    assert "Evaluation run" in page.content()
    j.sign_out()
    return Done(j, person, name, referral, group)


def other_prison_cannot_see_or_change(page: Any, base: str, done: Done, man: str) -> None:
    """HMP Usk's staff find the Whatton man, his referral and his group "not found", and a change they post
    anyway (with a valid form token of their own session) is refused the same way, changing nothing."""
    j = done.journey
    token = j.sign_in(USK_REFERRER)
    j.follow("Caseload", "usk-caseload")
    page.fill("#q", man)
    j.submit("Search", "usk-search")
    assert "0 people found" in " ".join(page.inner_text("main").split())
    for path in (done.person, done.referral, f"{done.referral}/move/WITHDRAWN"):
        answer = page.goto(base + path)
        assert answer is not None and answer.status == 404, path
        assert "Page not found" in page.content(), path
        assert man not in page.content() and done.name not in page.content(), path
    screenshot(page, f"web-{j.tag}-usk-not-found")
    posted = page.request.post(
        f"{base}{done.referral}/move/WITHDRAWN",
        form={"csrf_token": token, "reason_category": "other", "reason": "not ours", "needs_reason": "yes"},
        max_redirects=0,
    )
    assert posted.status in (403, 404), posted.status
    j.sign_out()
    token = j.sign_in(USK_TEAM)
    answer = page.goto(base + done.group)
    assert answer is not None and answer.status == 404
    posted = page.request.post(
        f"{base}{done.group}/enrol",
        form={"csrf_token": token, "referral_id": done.referral.rsplit("/", 1)[1]},
        max_redirects=0,
    )
    assert posted.status in (403, 404), posted.status
    j.sign_out()
    # Whatton's referrer still sees the referral as the programme team left it
    j.sign_in(REFERRER)
    j.go(done.referral, "referral-after-usk")
    assert page.locator("main .govuk-summary-list strong.govuk-tag").first.inner_text() == "On programme"
    changes = page.locator("#history ~ table td:nth-child(3)").all_inner_texts()
    assert changes[-1] == "Assessed suitable to On programme" and not any("Withdrawn" in c for c in changes)


def test_demo_journey_in_chromium(server: Served) -> None:
    man = server.men[0]
    with chromium() as page:
        done = journey(page, server.base, "js", man)
        other_prison_cannot_see_or_change(page, server.base, done, man)
    assert len(done.journey.visited) >= 25
    text = server.log.read_text()
    assert man not in text and done.name not in text, "personal data in the server log"
    assert DEMO_PASSWORD not in text, "a password in the server log"


def test_demo_journey_without_javascript(server: Served) -> None:
    """Every core step works with JavaScript off (plain HTML forms and links), for a second man."""
    man = server.men[1]
    with chromium(javascript=False) as page:
        done = journey(page, server.base, "nojs", man, axe=False)
    assert len(done.journey.visited) >= 20
    assert man not in server.log.read_text() and done.name not in server.log.read_text()
