"""app_user, app_user_role, user_session, api_token, login_attempt: who may sign in and act.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Passwords are stored as argon2id hashes, session and API tokens as SHA-256 hashes of random tokens; no
plaintext secret is ever stored. User names are lower-case (unique without regard to case). Every write
is audited by the unit of work like any other row, with hashes and secrets redacted.
"""

from __future__ import annotations

from desist.adapters.migrations._shapes import (
    IndexShape,
    TableShape,
    boolean,
    create_tables,
    drop_tables,
    flag,
    integer,
    string,
    timestamp,
)

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROLES = ("referrer", "programme_team", "treatment_manager", "analyst", "admin")


def _tables() -> list[TableShape]:
    return [
        TableShape(
            "app_user",
            (
                string("username", 64), string("display_name", 200, nullable=True),
                string("password_hash", 200), string("organisation", 100, nullable=True), flag("national"),
                flag("disabled"),
                timestamp("created_at"), timestamp("password_changed_at"),
            ),
            checks={
                "username_lower": "username = lower(username)",
                "organisation_or_national": "national OR organisation IS NOT NULL",
            },
            unique=(("username",),),
        ),
        TableShape(
            "app_user_role",
            (integer("user_id"), string("role", 30)),
            checks={"role": f"role IN ({', '.join(repr(r) for r in ROLES)})"},
            references={"user_id": "app_user"},
            primary_key=("user_id", "role"),
        ),
        TableShape(
            "user_session",
            (
                string("token_hash", 64), integer("user_id"), timestamp("created_at"),
                timestamp("last_seen_at"), timestamp("expires_at"), timestamp("revoked_at", nullable=True),
                string("csrf_secret", 64),
            ),
            references={"user_id": "app_user"},
            unique=(("token_hash",),),
            indexed=("user_id",),
        ),
        TableShape(
            "api_token",
            (
                string("token_hash", 64), integer("user_id"), string("name", 100), string("scopes", 500),
                timestamp("created_at"),
                *(timestamp(name, nullable=True) for name in ("expires_at", "revoked_at", "last_used_at")),
            ),
            references={"user_id": "app_user"},
            unique=(("token_hash",),),
            indexed=("user_id",),
        ),
        TableShape(
            "login_attempt",
            (
                string("username", 64), timestamp("at"), boolean("ok"), string("client", 100),
                flag("refused"),
            ),
            indexes=tuple(
                IndexShape(f"ix_login_attempt_{who}_at", (who, "at"), fixed=False)
                for who in ("username", "client")
            ),
        ),
    ]


def upgrade() -> None:
    create_tables(_tables())


def downgrade() -> None:
    drop_tables(_tables())
