"""Set-up helpers for casework integration tests (plain data written in one unit of work)."""

from __future__ import annotations

import datetime as dt

from desist.adapters.orm import Assessment, Offering, Person, Referral, ReferralStatusChange, Sentence
from desist.domain.referrals import ReferralStatus


def suitable_referrals(
    uow_factory,
    n: int,
    *,
    status: ReferralStatus = ReferralStatus.ASSESSED_SUITABLE,
    risk_band: str = "medium",
    programme_code: str = "HORIZON",
    site: str = "HMP Test",
) -> tuple[list[int], int]:
    """Create an offering and ``n`` men, each with a sentence, an assessment and a referral at ``status``.

    Returns the referral ids (in creation order) and the offering id.
    """
    with uow_factory("setup") as uow:
        s = uow.session
        offering = Offering(programme_code=programme_code, site=site, active=True)
        s.add(offering)
        s.flush()
        ids = []
        for i in range(n):
            p = Person(
                prison_number=f"T{i:04d}XX",
                date_of_birth=dt.date(1970, 1, 1) + dt.timedelta(days=97 * i),
                sex="M",
                establishment=site,
            )
            s.add(p)
            s.flush()
            s.add(Sentence(person_id=p.id, start_date=dt.date(2010, 1, 1), release_date=dt.date(2028, 1, 1)))
            s.add(
                Assessment(
                    person_id=p.id,
                    assessed_on=dt.date(2024, 1, 1),
                    tool="OSP",
                    inputs={},
                    outputs={"risk_band": risk_band, "offence_type": "contact"},
                )
            )
            # referred long before the group events the tests date (nothing may happen before a referral)
            r = Referral(
                person_id=p.id,
                offering_id=offering.id,
                status=status.value,
                referrer="setup",
                created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            )
            s.add(r)
            s.flush()
            s.add(
                ReferralStatusChange(
                    referral_id=r.id, actor="setup", from_status=None, to_status=status.value
                )
            )
            ids.append(r.id)
        uow.commit()
        return ids, offering.id
