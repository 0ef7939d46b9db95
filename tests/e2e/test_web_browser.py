"""The referral journey in Debian's Chromium against a real server (``desist serve`` in a subprocess on a free
port, a temporary SQLite database with a synthetic population, a stored evaluation, two prisons and one user
per role): sign in, find a man, refer him; as the programme team move the referral through assessment, put
him in a group, record a session's attendance, open the programme page. axe-core runs on every page visited
(no serious or critical violation); screenshots go to build/test-artifacts. The core journey is repeated with
JavaScript disabled (without axe, which runs inside the page). The server's log must hold no prison number.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.browser import ARGS, CHROMIUM, _require, screenshot, serious_violations
from tests.web.matrix_world import PSEUDONYM_KEY, build_world, evaluated_database, settings_for
from tests.web.seed import PASSWORD, SEEDER, WHATTON, call, uow_as

REFERRER, TEAM = "referrer-w", "programme-team-w"
MAN = "A1111AA"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    _require()
    from desist.adapters.migrate import upgrade
    from desist.bootstrap import bootstrap
    from desist.domain.groups import GroupKind
    from desist.services.groups import create_group

    folder = tmp_path_factory.mktemp("browser")
    template = folder / "template.db"
    upgrade(f"sqlite:///{template}").dispose()
    path = evaluated_database(template, folder, men=1200)
    with bootstrap(settings_for(path)) as app:
        m = build_world(app)
        second = m.man(WHATTON)  # a man with no referral yet, for the journey without JavaScript
        second_number = _prison_number(app, second)
        call(
            create_group,
            uow_as(app, SEEDER),
            offering_id=m.offerings[WHATTON],
            kind=GroupKind.CLOSED,
            capacity=8,
            planned_sessions=10,
            label="Kaizen B",
        )
    port = _free_port()
    log = folder / "server.log"
    env = {
        **os.environ,
        "DESIST_COOKIE_SECURE": "false",
        "DESIST_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "PYTHONPATH": os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[2] / "src"),) if p),
    }
    cmd = [sys.executable, "-c", "from desist.entrypoints.cli import main; main()", "serve"]
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*cmd, "--db", f"sqlite:///{path}", "--port", str(port)],
            stdout=out,
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
        yield base, log, second_number
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    shutil.rmtree(folder, ignore_errors=True)


def _prison_number(app: Any, person_id: int) -> str:
    from desist.services.caseload import person_page

    return str(person_page(uow_as(app, SEEDER), person_id).person.prison_number)


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
        if (
            self.axe
        ):  # axe-core runs inside the page: not with JavaScript off (the JS run checks the same pages)
            found = serious_violations(page)
            assert found == [], f"{name} ({page.url}): {found}"
        self.visited.append(page.url.removeprefix(self.base))

    def go(self, path: str, name: str) -> None:
        self.page.goto(self.base + path)
        self.check(name)

    def submit(self, button: str, name: str) -> None:
        self.page.get_by_role("button", name=button).click()
        self.page.wait_for_load_state()
        self.check(name)

    def sign_in(self, username: str) -> None:
        self.go("/sign-in", "sign-in")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.submit("Sign in", "home")
        assert "Signed in as" in self.page.content()

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


def journey(page: Any, base: str, tag: str, man: str, group: str, axe: bool = True) -> Journey:
    """Refer ``man`` (as the referrer), then assess him, put him in ``group`` and record a session (as the
    programme team), then open the programme page. Navigation by links and forms only."""
    j = Journey(page, base, tag, axe)
    j.sign_in(REFERRER)
    page.get_by_role("link", name="Caseload").first.click()
    page.wait_for_load_state()
    j.check("caseload")
    page.fill("#q", man)
    j.submit("Search", "search-results")
    page.get_by_role("link", name=man).click()
    page.wait_for_load_state()
    j.check("person")
    page.select_option("#offering_id", label="KAIZEN at HMP Whatton")
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
    page.get_by_role("link", name="Groups").first.click()
    page.wait_for_load_state()
    j.check("groups")
    page.get_by_role("link", name=group).click()
    page.wait_for_load_state()
    j.check("group")
    number = referral.rsplit("/", 1)[1]
    page.locator(f"input[name=referral_id][value='{number}']").check()
    j.submit("Put him in this group", "enrolled")
    select = page.locator("select[id^='new-mark-']")
    assert select.count() == 1, "the new member is listed for the next session"
    select.first.select_option("attended")
    j.submit("Record session", "session")
    assert "Session 1" in page.content()
    assert page.locator("select[id^='s1-mark-']").first.input_value() == "attended"
    page.get_by_role("link", name="Programmes").first.click()
    page.wait_for_load_state()
    j.check("programmes")
    page.get_by_role("link", name=re.compile(r"\(SOTP-CORE\)")).click()
    page.wait_for_load_state()
    j.check("programme")
    assert "Evaluation run" in page.content()
    return j


def test_referral_journey_in_chromium(server: tuple[str, Path, str]) -> None:
    base, log, _ = server
    with chromium() as page:
        j = journey(page, base, "js", MAN, "Kaizen A")
    assert len(j.visited) >= 20
    text = log.read_text()
    assert MAN not in text and PASSWORD not in text, "personal data or a password in the server log"


def test_referral_journey_without_javascript(server: tuple[str, Path, str]) -> None:
    """Every core step works with JavaScript off (plain HTML forms and links), for a second man and group."""
    base, log, second = server
    with chromium(javascript=False) as page:
        j = journey(page, base, "nojs", second, "Kaizen B", axe=False)
    assert len(j.visited) >= 20
    assert second not in log.read_text()
