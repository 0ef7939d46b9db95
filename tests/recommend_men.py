"""Varied, valid ``desist recommend`` records for the tests that compare two ways of recommending.

Each fact is drawn from a few values, edges included, so that many men share most facts and differ in one
or two (what a memo keyed on too few facts, or a vectorised check, would get wrong): both eras and the days
the menus change, women and men without sexual sanctions, every offence type, ages at each programme's
minimum, months to release on each time rule's limit (and 1, 0 and 1200), PNI items full, partial or absent,
RM2000 and Static-99R items present or absent, completed programmes of every code, HSP items. Records are
synthetic.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from desist.domain.catalogue import default_catalogue, hsp_checklist
from desist.domain.risk.pni import OASYS_ITEMS

OFFENCES = ("contact_adult", "contact_child", "images_only", "non_contact")
_SANCTION = {
    "contact_adult": "contact_adult_sanctions",
    "contact_child": "contact_child_sanctions",
    "non_contact": "paraphilia_sanctions",
}
#: the days the menus change, and either side of them
DAYS = tuple(
    d + timedelta(days=k)
    for d in (
        date(2012, 6, 1),
        date(2016, 12, 31),
        date(2017, 1, 1),
        date(2017, 4, 30),
        date(2017, 12, 31),
        date(2024, 4, 1),
    )
    for k in (-1, 0, 1)
)
MONTHS = (0.0, 1.0, 1.5, 2.0, 3.0, 3.9, 4.0, 6.0, 8.0, 9.0, 11.9, 12.0, 12.1, 24.0, 30.5, 1200.0)
AGES = (10, 16, 17, 18, 20, 21, 22, 30, 45, 59, 60, 61, 80, 110)


def men_records(n: int, seed: int = 12) -> list[dict[str, Any]]:
    """``n`` valid records as a file gives them (Python values; missing fields left out)."""
    rng = np.random.default_rng(seed)
    codes = default_catalogue().codes
    hsp = list(hsp_checklist().items)

    def pick(values: Any) -> Any:
        return values[int(rng.integers(len(values)))]

    out = []
    for i in range(n):
        offence = pick(OFFENCES)
        age = int(pick(AGES))
        main = int(rng.integers(0, 3)) if rng.random() < 0.15 else int(rng.integers(1, 4))
        counts = dict.fromkeys((*_SANCTION.values(), "indecent_image_sanctions"), 0)
        if offence == "images_only":
            counts["indecent_image_sanctions"] = max(main, 1)
        else:
            counts[_SANCTION[offence]] = main
            counts["indecent_image_sanctions"] = int(rng.integers(0, 2))
        custody = bool(rng.random() < 0.6)
        sexual = sum(counts.values())
        rec: dict[str, Any] = {
            "id": f"M-{i:05d}",
            "sex": "F" if rng.random() < 0.05 else "M",
            "age": age,
            **counts,
            "total_sanctions": sexual + int(rng.integers(0, 4)),
            "stranger_victim": bool(rng.random() < 0.5),
            "in_custody": custody,
            "setting": "custody" if custody else "community",
            "offence_in_last_5_years": bool(rng.random() < 0.5),
            "sexual_offence_in_last_5_years": bool(rng.random() < 0.5),
            "ldc": bool(rng.random() < 0.2),
            "offence_type": offence,
            "maintains_innocence": bool(rng.random() < 0.15),
            "months_to_release": float(pick(MONTHS)),
            "as_of": pick(DAYS)
            if rng.random() < 0.8
            else date(2008, 1, 1) + timedelta(days=int(rng.integers(6900))),
            "completed_programmes": [
                {"code": str(pick(codes)), "targets_met": bool(rng.random() < 0.7)}
                for _ in range(int(pick((0, 0, 0, 1, 1, 2))))
            ],
            "hsp_items": hsp[: int(rng.integers(0, 4))],
        }
        if sexual:
            rec["age_at_last_sexual_offence"] = int(max(10, age - int(rng.integers(0, 15))))
        if not custody:
            rec["years_since_community_date"] = float(pick((0.0, 2.5, 5.0, 7.0)))
        pni = rng.random()
        if (
            pni < 0.5
        ):  # the sex items always (a man with an OSP level needs them), the other domains sometimes
            given = OASYS_ITEMS if pni < 0.35 else OASYS_ITEMS[:3] if pni < 0.42 else OASYS_ITEMS[:6]
            rec.update({k: int(rng.integers(0, 3)) for k in given})
            if rng.random() < 0.5:
                rec["ogrs3"] = float(pick((10.0, 49.99, 50.0, 75.0, 90.0)))
            if rng.random() < 0.3:
                rec["ovp"] = float(pick((5.0, 30.0, 60.0)))
            if rng.random() < 0.3:
                rec["sara_partner"] = pick(("LOW", "MEDIUM", "HIGH"))
        if rng.random() < 0.35:
            rec.update(
                age_at_commencement_of_risk=float(max(18, rec.get("age_at_last_sexual_offence") or 18)),
                sexual_appearances=max(main, 1),
                criminal_appearances=int(rng.integers(0, 8)),
                male_victim=bool(rng.random() < 0.3),
                never_married=bool(rng.random() < 0.5),
                noncontact_sexual_offence=offence == "non_contact",
                violent_appearances=int(rng.integers(0, 4)),
                burglary=bool(rng.random() < 0.2),
            )
        if rec["sex"] == "M" and rng.random() < 0.1:
            rec.update(
                age_at_release=int(max(18, age)),
                lived_with_partner_2y=bool(rng.random() < 0.5),
                index_nonsexual_violence=False,
                prior_nonsexual_violence=bool(rng.random() < 0.3),
                prior_sex_charges=int(rng.integers(0, 4)),
                prior_sex_convictions=int(rng.integers(0, 3)),
                prior_sentencing_dates=int(rng.integers(0, 5)),
                noncontact_sex_conviction=False,
                unrelated_victim=bool(rng.random() < 0.5),
                male_victim=bool(rng.random() < 0.3),
            )
        out.append(rec)
    return out
