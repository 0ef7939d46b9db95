"""The programme catalogue: every programme named in issue 2 is present, sourced, dated and validated."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from desist.domain.catalogue import (
    Audience,
    Catalogue,
    Era,
    Intensity,
    LdcSuitability,
    ProgrammeRole,
    Setting,
    default_catalogue,
    hsp_checklist,
)
from desist.domain.errors import InputError, NotFound
from desist.domain.groups import GroupKind
from desist.domain.risk.bands import Band, Pathway

LEGACY = [
    "C-SOGP",
    "NSOGP",
    "TVSOGP",
    "I-SOTP",
    "ASOTP-CV",
    "SOTP-CORE",
    "SOTP-BNM",
    "SOTP-BLB-LOW",
    "SOTP-BLB-HIGH",
    "SOTP-ABLB",
    "SOTP-EXT",
    "SOTP-HSF",
    "SOTP-ROLLING",
]
CURRENT = ["KAIZEN", "HORIZON", "IHORIZON", "BNM-PLUS", "NMS", "HSP", "LANM", "BC-HIGH", "BC-MOD"]
DATA = Path(__file__).resolve().parents[2] / "src" / "desist" / "data" / "programmes.yaml"


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return Catalogue.load()


def test_every_programme_named_in_the_issue_is_in_the_catalogue(cat: Catalogue) -> None:
    assert list(cat.codes) == LEGACY + CURRENT
    assert {p.code for p in cat if p.era is Era.LEGACY} == set(LEGACY)
    assert {p.code for p in cat if p.era is Era.CURRENT} == set(CURRENT)


def test_menu_on_a_date_gives_each_era(cat: Catalogue) -> None:
    assert [p.code for p in cat.as_of(date(2012, 6, 1))] == LEGACY
    assert [p.code for p in cat.as_of(date(2019, 6, 1))] == CURRENT[:-2]  # Building Choices is later
    assert [p.code for p in cat.as_of(date(2025, 1, 1))] == CURRENT


def test_core_and_extended_end_april_2017_horizon_and_kaizen_start_2017(cat: Catalogue) -> None:
    for code in ("SOTP-CORE", "SOTP-EXT"):
        assert cat[code].available_to.value == date(2017, 4, 30)
        assert cat[code].available_to.verified is True
        assert cat[code].available_on(date(2017, 4, 30)) and not cat[code].available_on(date(2017, 5, 1))
    for code in ("HORIZON", "KAIZEN"):
        assert cat[code].available_from.value.year == 2017
        assert cat[code].available_to.value is None


def test_current_programme_criteria_match_the_service(cat: Catalogue) -> None:
    kaizen, horizon, bnm = cat["KAIZEN"], cat["HORIZON"], cat["BNM-PLUS"]
    assert kaizen.intensity.value is Intensity.HIGH and kaizen.settings.value == (Setting.CUSTODY,)
    assert (kaizen.risk.value.min, kaizen.risk.value.max) == (Band.HIGH, Band.VERY_HIGH)
    assert kaizen.ldc.value.suitability is LdcSuitability.STANDARD
    assert kaizen.ldc.value.equivalent == "BNM-PLUS"
    assert kaizen.maintains_innocence_allowed.value is True
    assert horizon.risk.value.min is Band.MEDIUM
    assert horizon.months_to_release.value.min == {Setting.CUSTODY: 6, Setting.COMMUNITY: 12}
    assert bnm.ldc.value.suitability is LdcSuitability.ADAPTED and bnm.ldc.value.equivalent == "KAIZEN"
    assert bnm.months_to_release.value.min[Setting.CUSTODY] == 12
    assert cat["NMS"].risk.value.min is cat["NMS"].risk.value.max is Band.MEDIUM
    assert cat["IHORIZON"].audience.value is Audience.IMAGES
    assert cat["BC-HIGH"].risk.value.pathways == (Pathway.HIGH_INTENSITY,)
    assert cat["BC-MOD"].length.value.weeks is not None and cat["BC-MOD"].length.value.weeks.max == 13


def test_prerequisites(cat: Catalogue) -> None:
    (ext,) = cat["SOTP-EXT"].prerequisites.value
    assert ext.completed_any_of == ("SOTP-CORE",) and ext.targets_met is True
    (ablb,) = cat["SOTP-ABLB"].prerequisites.value
    assert ablb.completed_any_of == ("SOTP-BNM",)
    (blb,) = cat["SOTP-BLB-HIGH"].prerequisites.value
    assert "SOTP-CORE" in blb.completed_any_of and "SOTP-BNM" not in blb.completed_any_of
    (hsp,) = cat["HSP"].prerequisites.value
    assert set(hsp.completed_any_of) == {"KAIZEN", "BNM-PLUS", "HORIZON", "NMS"}
    assert cat["HSP"].need.value.hsp_score_min == 3 and cat["HSP"].need.value.sexual_interest


def test_legacy_programme_facts(cat: Catalogue) -> None:
    assert cat["SOTP-ROLLING"].group_format.value is GroupKind.ROLLING
    assert cat["SOTP-CORE"].group_format.value is GroupKind.CLOSED
    assert cat["SOTP-CORE"].maintains_innocence_allowed.value is False
    assert cat["NSOGP"].min_age.value == 21 and cat["TVSOGP"].min_age.value == 18
    assert cat["NSOGP"].group_size.value.min == 8 and cat["NSOGP"].group_size.value.max == 10
    assert cat["I-SOTP"].available_from.value == date(2005, 12, 1)
    assert cat["SOTP-BLB-HIGH"].months_to_release.value.max == 12
    assert cat["SOTP-HSF"].role is ProgrammeRole.SEXUAL_INTEREST
    assert cat["SOTP-HSF"].need.value.sexual_interest
    core = cat["SOTP-CORE"].length.value
    assert core.sessions is not None and (core.sessions.min, core.sessions.max) == (86, 90)
    for code in ("SOTP-CORE", "SOTP-BLB-LOW", "C-SOGP"):
        assert cat[cat[code].ldc.value.equivalent or ""].ldc.value.suitability is LdcSuitability.ADAPTED


def test_every_fact_has_a_known_source_and_unverified_ones_are_flagged(cat: Catalogue) -> None:
    unverified_sources = {"assumption", "domain_u", "domain_p"}
    n = 0
    for p in cat:
        for field, fact in p.facts():
            n += 1
            assert fact.source in cat.sources, (p.code, field)
            if fact.source in unverified_sources:
                assert fact.verified is False, (p.code, field)
    assert n == len(cat) * 15


def test_lookup_is_case_insensitive_and_unknown_codes_are_not_found(cat: Catalogue) -> None:
    assert cat["kaizen"].code == "KAIZEN" and " horizon " in cat
    with pytest.raises(NotFound, match="'NOPE'"):
        cat["NOPE"]
    assert default_catalogue() is default_catalogue()


def _write(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(DATA.read_text())
    edit(raw)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _programme(raw: dict, code: str) -> dict:  # type: ignore[type-arg]
    return next(p for p in raw["programmes"] if p["code"] == code)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda r: _programme(r, "KAIZEN")["risk"]["value"].update(min="SEVERE"),
            r"programme KAIZEN field 'risk\.value\.min'",
        ),
        (
            lambda r: _programme(r, "HORIZON")["risk"]["value"].update(min="HIGH", max="MEDIUM"),
            r"programme HORIZON field 'risk\.value'.*min band HIGH is above max band MEDIUM",
        ),
        (
            lambda r: _programme(r, "NMS")["settings"].update(source="rumour"),
            r"programme NMS field 'settings\.source': unknown source 'rumour'",
        ),
        (
            lambda r: _programme(r, "SOTP-CORE")["ldc"]["value"].update(equivalent="BNM"),
            r"programme SOTP-CORE field 'ldc\.value\.equivalent': unknown programme code 'BNM'",
        ),
        (lambda r: _programme(r, "HSP").pop("intensity"), r"programme HSP field 'intensity': Field required"),
        (
            lambda r: _programme(r, "LANM")["available_to"].update(value="2001-01-01"),
            r"programme LANM field .*available_to 2001-01-01 is before available_from",
        ),
        (
            lambda r: _programme(r, "KAIZEN")["months_to_release"]["value"]["min"].update(community=3),
            r"programme KAIZEN field 'months_to_release\.value\.min': setting community",
        ),
        (
            lambda r: r["programmes"].append(dict(_programme(r, "NMS"))),
            r"programme NMS field 'code': duplicate",
        ),
    ],
)
def test_a_bad_catalogue_fails_with_one_line_naming_programme_and_field(tmp_path, edit, message) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, edit)
    with pytest.raises(InputError, match=message) as info:
        Catalogue.load(path)
    assert "\n" not in str(info.value)


def test_unreadable_or_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        Catalogue.load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("programmes: [unclosed")
    with pytest.raises(InputError, match="not valid YAML"):
        Catalogue.load(bad)
    bad.write_text("- just a list\n")
    with pytest.raises(InputError, match="'programmes' list"):
        Catalogue.load(bad)


def test_hsp_checklist_weights_from_domain_reference() -> None:
    hsp = hsp_checklist()
    assert hsp.threshold == 3 and len(hsp.items) == 20 and hsp.source
    weights = {k: v.weight for k, v in hsp.items.items()}
    assert weights["self_reported_attraction_to_under_18s"] == 3
    assert weights["exhibitionism"] == weights["voyeurism"] == weights["frotteurism"] == 2
    assert weights["necrophilia"] == weights["bestiality"] == weights["sexual_murder"] == 3
    assert sum(weights.values()) == 35
    assert hsp.score(["victim_aged_12_or_under", "exhibitionism"]) == 3
