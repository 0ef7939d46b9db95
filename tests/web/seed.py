"""A small world for the web tests: two prisons, a man in each, offerings, a group; and signed-in users.

``seed_world(app)`` writes through the casework services acting as a national treatment manager. ``staff``
builds principals. The access services decide how a test signs in (:func:`sign_in`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
from dataclasses import dataclass
from typing import Any

from desist.domain.access import Principal, StaffRole
from desist.domain.referrals import Role

WHATTON, USK = "HMP Whatton", "HMP Usk"
PASSWORD = "correct horse battery staple"

OSP_INPUTS = {
    "sex": "M",
    "age": 44,
    "contact_adult_sanctions": 1,
    "contact_child_sanctions": 0,
    "paraphilia_sanctions": 0,
    "indecent_image_sanctions": 0,
    "total_sanctions": 3,
    "age_at_last_sexual_offence": 40,
    "stranger_victim": True,
    "in_custody": True,
    "offence_in_last_5_years": True,
    "sexual_offence_in_last_5_years": True,
}
PNI_INPUTS = {
    "sex": "M",
    "ogrs3": 40,
    "ovp": 20,
    "osp_dc_band": "HIGH",
    "osp_iic_band": "LOW",
    **{k: 2 for k in ("oasys_11_11", "oasys_11_12", "oasys_6_12")},
    **{
        k: 1
        for k in (
            "oasys_12_1",
            "oasys_12_9",
            "oasys_6_1",
            "oasys_6_6",
            "oasys_7_3",
            "oasys_11_3",
            "oasys_11_2",
            "oasys_11_4",
            "oasys_11_6",
            "oasys_10_1",
        )
    },
}


def staff(name: str, *roles: str, org: str | None = WHATTON, national: bool = False) -> Principal:
    return Principal(name, frozenset(StaffRole(r) for r in roles), organisation=org, national=national)


SEEDER = staff("seed", "treatment_manager", org=None, national=True)


def uow_as(app: Any, principal: Principal) -> Any:
    """A unit of work acting as ``principal``."""
    return app.uow(principal)


def call(fn: Any, uow: Any, **kwargs: Any) -> Any:
    """Call a service, adding ``role=`` while services still take it."""
    if "role" in inspect.signature(fn).parameters:
        kwargs["role"] = Role.PROGRAMME_TEAM
    return fn(uow, **kwargs)


@dataclass(frozen=True)
class World:
    whatton_man: int
    usk_man: int
    kaizen_whatton: int
    horizon_usk: int
    group: int


def _assess(app: Any, person: str, tool: str, inputs: dict[str, Any], on: dt.date) -> None:
    from desist.services.casework import record_assessment
    from desist.services.scoring import score_records

    outputs = {k: v for k, v in score_records(tool, [inputs]).rows[0].items() if k != "id"}
    call(
        record_assessment,
        uow_as(app, SEEDER),
        person=person,
        assessed_on=on,
        tool=tool.upper(),
        inputs=inputs,
        outputs=outputs,
    )


def seed_world(app: Any) -> World:
    from desist.services.casework import record_sentence, register_person
    from desist.services.groups import create_group, create_offering

    ids = []
    for number, prison in (("A1111AA", WHATTON), ("B2222BB", USK)):
        v = call(
            register_person,
            uow_as(app, SEEDER),
            prison_number=number,
            date_of_birth=dt.date(1980, 5, 17),
            sex="M",
            establishment=prison,
        )
        ids.append(v.id if hasattr(v, "id") else v["id"])
        call(
            record_sentence,
            uow_as(app, SEEDER),
            person=number,
            start_date=dt.date(2024, 1, 10),
            release_date=dt.date(2031, 1, 10),
            custodial=True,
            index_offence="rape",
        )
        _assess(app, number, "osp", OSP_INPUTS, dt.date(2024, 3, 1))
        _assess(app, number, "pni", PNI_INPUTS, dt.date(2024, 3, 2))
    kaizen = call(create_offering, uow_as(app, SEEDER), programme_code="KAIZEN", site=WHATTON)["id"]
    horizon = call(create_offering, uow_as(app, SEEDER), programme_code="HORIZON", site=USK)["id"]
    from desist.domain.groups import GroupKind

    g = call(
        create_group,
        uow_as(app, SEEDER),
        offering_id=kaizen,
        kind=GroupKind.CLOSED,
        capacity=8,
        planned_sessions=10,
        label="Kaizen A",
    )
    return World(ids[0], ids[1], kaizen, horizon, g.id)


_ADMIN = "admin"


def add_account(app: Any, principal: Principal) -> None:
    """Store ``principal`` as an account with :data:`PASSWORD` (the first admin is created on first use)."""
    from desist.domain.errors import Conflict, Forbidden
    from desist.services import users

    with contextlib.suppress(Forbidden):  # there is already a user
        users.create_first_admin(lambda: app.uow("system:test"), username=_ADMIN, password=PASSWORD)
    admin = users.principal_for(app.uow("system:test"), _ADMIN)
    with contextlib.suppress(Conflict):  # stored already (a second token or sign-in of the same user)
        users.add_user(
            app.uow(admin),
            username=principal.username,
            password=PASSWORD,
            roles=[r.value for r in principal.roles],
            organisation=principal.organisation,
            national=principal.national,
        )


def issue_token(app: Any, principal: Principal) -> str:
    """Store ``principal`` as an account and issue an API token with every action its roles allow."""
    from desist.domain.access import Action
    from desist.services import users

    add_account(app, principal)
    me = users.principal_for(app.uow("system:test"), principal.username)
    scopes = {a for a in Action if me.can(a)}
    issued = users.issue_token(app.uow(me), username=principal.username, name="test", scopes=scopes)
    return str(issued.token)
