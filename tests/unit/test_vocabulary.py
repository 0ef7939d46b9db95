"""One word per concept: the ORM's allowed values are the domain enums' values; no two domain types share a
name with different meanings."""

from __future__ import annotations

import ast
import warnings
from collections import defaultdict
from pathlib import Path

import pytest

from desist.adapters import orm
from desist.domain.groups import GroupKind
from desist.domain.incentives import IncentiveLevel
from desist.domain.records import AttendanceMark, HistoryResult, OutcomeKind, Sex
from desist.domain.referrals import CLOSED_STATUSES
from desist.domain.risk.bands import Band

DOMAIN = Path(__file__).resolve().parents[2] / "src" / "desist" / "domain"


@pytest.mark.parametrize(
    ("stored", "enum_values"),
    [
        (orm.SEXES, {s.value for s in Sex}),
        (orm.GROUP_KINDS, {k.value for k in GroupKind}),
        (orm.ATTENDANCE, {a.value for a in AttendanceMark}),
        (orm.HISTORY_RESULTS, {r.value for r in HistoryResult}),
        (orm.OUTCOME_KINDS, {k.value for k in OutcomeKind}),
        (orm.INCENTIVE_LEVELS, {lv.value.capitalize() for lv in IncentiveLevel}),
        (orm.CLOSED_REFERRAL_STATUSES, {s.value for s in CLOSED_STATUSES}),
    ],
    ids=["sex", "group-kind", "attendance", "history-result", "outcome-kind", "incentive-level", "closed"],
)
def test_orm_allowed_values_are_the_domain_enums(stored, enum_values) -> None:
    assert len(stored) == len(set(stored))
    assert set(stored) == enum_values


def test_orm_check_constraints_use_them() -> None:
    checks = {
        str(c.sqltext)
        for table in orm.Base.metadata.tables.values()
        for c in table.constraints
        if c.__class__.__name__ == "CheckConstraint"
    }
    assert "kind IN ('closed', 'rolling')" in checks
    assert "status IN ('attended', 'absent', 'excused')" in checks


def test_no_two_domain_classes_share_a_name() -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for path in DOMAIN.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                seen[node.name].append(str(path.relative_to(DOMAIN)))
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}


def test_old_names_still_work_for_one_release_with_a_warning() -> None:
    from desist.domain import assessment, groups

    with pytest.warns(DeprecationWarning, match="use Band"):
        assert groups.RiskBand is Band
    with pytest.warns(DeprecationWarning, match="use OffenceContact"):
        assert groups.OffenceType is groups.OffenceContact
    with pytest.warns(DeprecationWarning, match="use AssessedRisk"):
        assert assessment.Assessment is assessment.AssessedRisk
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert groups.Band is Band  # the current names do not warn


def test_offence_type_groups_into_contact_and_non_contact() -> None:
    from desist.domain.groups import OffenceContact
    from desist.domain.profile import OffenceType

    assert {t: t.contact for t in OffenceType} == {
        OffenceType.CONTACT_ADULT: OffenceContact.CONTACT,
        OffenceType.CONTACT_CHILD: OffenceContact.CONTACT,
        OffenceType.IMAGES_ONLY: OffenceContact.NON_CONTACT,
        OffenceType.NON_CONTACT: OffenceContact.NON_CONTACT,
    }
