"""report.html in a real browser: it renders, prints, and axe-core finds no serious accessibility problem."""

from __future__ import annotations

import numpy as np
import pytest

from desist.evaluation import chart_data
from desist.evaluation.report_html import render_report
from desist.evaluation.wording import Wording
from tests.e2e.browser import browser_page, screenshot, serious_violations
from tests.unit.evaluation.report_fixtures import result


def _full_result() -> dict:
    r = result("imbalanced")
    rng = np.random.default_rng(3)
    tr = np.repeat([True, False], 300)
    r["charts"] = {
        "survival": chart_data.survival_curves(rng.exponential(1500, 600), rng.integers(0, 2, 600), tr,
                                               np.ones(600)),
        "overlap": chart_data.overlap(rng.beta(2, 5, 600), tr, np.ones(600)),
    }
    r["sensitivity"]["deniers"] = {
        "n_deniers": {"treated": 0, "control": 163},
        "table": [{"fraction": f, "estimate": 0.01 + 0.05 * f, "ci_low": -0.02 + 0.05 * f,
                   "ci_high": 0.04 + 0.05 * f, "p_value": 0.5} for f in np.linspace(0, 1, 11)],
    }
    return r


@pytest.mark.parametrize("kind", ["full", "too_few"])
def test_report_in_chromium_has_no_serious_accessibility_violation(tmp_path, kind: str) -> None:
    r = _full_result() if kind == "full" else result("too_few")
    path = tmp_path / "report.html"
    path.write_text(render_report(r, wording=Wording(programme="Core SOTP")), encoding="utf-8")
    with browser_page() as page:
        requests: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.goto(path.as_uri())
        assert page.locator("h1").inner_text().startswith("Did Core SOTP reduce")
        assert [u for u in requests if not u.startswith("file:") and not u.startswith("data:")] == []
        if kind == "full":
            assert page.locator("figure svg").count() == 5
            assert page.locator(".warning li").count() == 1
        assert serious_violations(page) == []
        shot = screenshot(page, f"report-{kind}")
        assert shot.stat().st_size > 10_000
        page.emulate_media(media="print")
        pdf = page.pdf()  # printable: Chromium lays it out on pages without error
        assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
