"""Moving a man's referral to another site: a transfer, its own recorded and audited action.

One programme, one open referral (:func:`desist.domain.referrals.check_no_open_referral`): when a man moves
prison his referral follows him to the programme's offering at the new site, keeping its status and
history, instead of a second referral being opened there. Each transfer is a ``referral_transfer`` row
(who, when, from, to, why) and, like every write, an audit row.
"""

from __future__ import annotations

from desist.adapters.orm import ReferralTransfer
from desist.domain.access import Action
from desist.domain.referrals import Reason, ReferralStatus, check_transfer
from desist.domain.versions import check_version
from desist.services.referrals import ReferralView, referral_view
from desist.services.unit_of_work import AbstractUnitOfWork as UnitOfWork


def transfer_referral(
    uow: UnitOfWork,
    referral_id: int,
    *,
    to_offering_id: int,
    reason: Reason | None = None,
    expected_version: int | None = None,
) -> ReferralView:
    """Move an open referral (not ON_PROGRAMME) to another offering of the same programme.

    Parameters
    ----------
    referral_id : int
    to_offering_id : int
        The programme's offering at the man's new site.
    reason : Reason, optional
        Why (e.g. operational: transferred to another prison).
    expected_version : int, optional
        The referral version the caller saw; a different one is a :class:`Conflict`.

    Raises
    ------
    NotFound
        No such referral or offering.
    InvalidTransition, InputError
        From :func:`desist.domain.referrals.check_transfer`.
    Conflict
        Someone changed the referral first.
    """
    from desist.services.scope import referral_for

    with uow:
        r = referral_for(
            uow, referral_id, Action.REFERRAL_TRANSFER, f"transfer referral {referral_id}", lock=True
        )
        check_version(f"referral {referral_id}", r.version, expected_version)
        source = uow.offerings.get(r.offering_id)
        target = uow.offerings.get(to_offering_id)  # any site: the man may move out of this organisation
        check_transfer(
            ReferralStatus(r.status),
            source.programme_code,
            source.id,
            target.programme_code,
            target.id,
            target.active,
            where=f"referral {r.id}",
        )
        r.offering_id = target.id
        uow.referrals.add_transfer(
            ReferralTransfer(
                referral_id=r.id,
                from_offering_id=source.id,
                to_offering_id=target.id,
                status=r.status,
                actor=f"{uow.actor} (programme_team)",  # the policy: only the team's roles transfer
                reason_category=reason.category.value if reason else None,
                reason=reason.text if reason else None,
            )
        )
        uow.referrals.add(r)  # flush: the new offering and version
        view = referral_view(uow, r)
        uow.commit()
    return view
