"""report.html renders every kind of result, says only what its numbers say, and needs no network."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pytest

from desist.evaluation import chart_data
from desist.evaluation.report_html import glossary, render_report
from desist.evaluation.wording import Wording
from tests.unit.evaluation.report_fixtures import KINDS, result

W = Wording(programme="Core SOTP", outcome="proven sexual reoffending", window="within 5 years",
            labels={"osp_dc_points": "OSP/DC points", "risk_band": "OSP/DC band"})


def _text(html: str) -> str:
    body = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    body = re.sub(r"<style>.*?</style>", " ", body, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_without_code_words(kind: str) -> None:
    html = render_report(result(kind), wording=W)
    text = _text(html)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en-GB">' in html
    for leak in ("None", "nan", "ci_low", "p_value", "very_high", "e-0", "e+0"):
        assert leak not in text, leak
    assert "To reproduce this result" in text


def test_self_contained_no_network_no_script() -> None:
    r = result("harm")
    rng = np.random.default_rng(0)
    t, e, tr = rng.exponential(900, 400), rng.integers(0, 2, 400), np.repeat([True, False], 200)
    r["charts"] = {"survival": chart_data.survival_curves(t, e, tr, np.ones(400)),
                   "overlap": chart_data.overlap(rng.uniform(size=400), tr, np.ones(400))}
    html = render_report(r, wording=W)
    assert "<script" not in html
    assert not re.search(r'(src|href)="https?://', html)
    assert html.count("<svg") == 4  # love, overlap, survival, forest (no deniers scenario here)
    assert 'role="img" aria-label="Cumulative proven reoffending' in html


def test_numbers_match_the_result() -> None:
    text = _text(render_report(result("harm"), wording=W))
    assert "Proven to reoffend within 5 years, per 100 men 10 8.0 +2.0 (+0.4 to +3.6) 0.01" in text
    assert "1.27 (1.06 to 1.52)" in text
    assert "2,562 treated men in the cohort" in text and "13,219 eligible men" in text
    assert "Stored run 7" in text and "sha256:0f3a9c" in text and "2016-12-31" in text


def test_tiny_p_values_print_as_less_than() -> None:
    r = result("harm")
    r["outcome"]["p_value"] = 2.776e-17
    assert "< 0.001" in _text(render_report(r, wording=W))


def test_warnings_appear_in_their_own_words() -> None:
    text = _text(render_report(result("imbalanced"), wording=W))
    assert "Read with caution" in text
    assert "covariates still imbalanced after the design (|SMD| > 0.1): osp_dc_points" in text
    assert "1 covariate was still imbalanced" in text
    assert "Read with caution" not in _text(render_report(result("harm"), wording=W))


def test_too_few_men_says_so_and_shows_the_counts() -> None:
    text = _text(render_report(result("too_few"), wording=W))
    assert "too few men" in text and "41 treated men in the cohort" in text
    assert "The numbers" not in text


def test_subgroups_in_risk_order_not_alphabetical() -> None:
    text = _text(render_report(result("harm"), wording=W))
    assert text.index("Medium 1,181") < text.index("High 1,100") < text.index("Very high 217")


def test_glossary_lists_only_terms_used() -> None:
    html = render_report(result("null"), wording=W)
    text = _text(html)
    assert "Hazard ratio How much faster" in text
    r = result("null")
    del r["survival"]
    assert "Kaplan-Meier curve" not in _text(render_report(r, wording=W))
    assert set(glossary()) >= {"E-value", "Caliper", "Pair-robust"}


def test_user_text_is_escaped() -> None:
    r = result("harm")
    r["warnings"] = ["<script>alert(1)</script>"]
    html = render_report(r, wording=W)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_plots_leave_the_callers_backend_and_figures_alone(tmp_path) -> None:
    import matplotlib
    import matplotlib.pyplot as plt

    from desist.evaluation import charts

    before = matplotlib.get_backend()
    open_before = plt.get_fignums()
    fig = charts.forest_chart(result("harm")["subgroups"], result("harm")["outcome"])
    assert matplotlib.get_backend() == before and plt.get_fignums() == open_before
    own_fig, own_ax = plt.subplots()
    assert charts.love_chart(result("harm")["balance"], ax=own_ax) is own_fig  # draws into the caller's axes
    plt.close(own_fig)
    fig.savefig(tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 5000


def test_python_api_reads_well() -> None:
    import desist.evaluation as ev_pkg
    from desist.domain.errors import InputError
    from desist.evaluation import Evaluation
    from desist.evaluation.simulate import simulate_cohort

    assert {"Evaluation", "EvaluationSpec", "render_report", "Wording"} <= set(dir(ev_pkg))
    with pytest.raises(InputError, match="covariates 'age': expected a list of column names"):
        Evaluation("treated", "reoffended_2y", "age")
    ev = Evaluation("treated", "reoffended_2y", ["age", "risk_band"], caliper=0.2)
    assert repr(ev) == (
        "Evaluation(treatment='treated', outcome='reoffended_2y', covariates=['age', 'risk_band'], "
        "caliper=0.2)"
    )
    ev.fit(simulate_cohort(600, seed=4, intercept=-2.0))
    assert repr(ev).endswith(f"# fitted: treated {ev.n_['treated']}, comparison {ev.n_['control']}")
    assert " object at 0x" not in str(ev)
