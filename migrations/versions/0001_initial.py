"""initial schema: debriefs and everything hanging off them, plus Slack OAuth

Revision ID: 0001
Revises:
Create Date: 2024-11-25

Every table of bot/models.py as it stands at this revision, written out so
that later changes to the models need a new revision. The three Slack OAuth
tables are built by slack_sdk's own table builders, under their default
names, so `AsyncSQLAlchemyInstallationStore` and
`AsyncSQLAlchemyOAuthStateStore` work against them without
`create_tables()`. tests/test_schema.py pins their columns: if a slack_sdk
upgrade changes them, freeze the old definitions here and add the change
as a new revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Status columns store the StrEnum *values* in a VARCHAR(16) on every database
# (bot.models._status), never a native PostgreSQL ENUM type.
_ENUMS = {
    "debriefstatus": ("open", "closed"),
    "followupstatus": ("pending", "sending", "sent", "failed", "skipped", "stopped"),
    "actionstatus": ("open", "done"),
    "supportstatus": ("open", "claimed", "closed"),
}


def _enum(name: str) -> sa.Enum:
    return sa.Enum(*_ENUMS[name], name=name, native_enum=False, length=16)


def _debrief_fk(ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["debrief_id"], ["debriefs.id"], ondelete=ondelete)


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def _slack_tables() -> list[sa.Table]:
    metadata = sa.MetaData()
    return [
        SQLAlchemyInstallationStore.build_installations_table(
            metadata, SQLAlchemyInstallationStore.default_installations_table_name
        ),
        SQLAlchemyInstallationStore.build_bots_table(metadata, SQLAlchemyInstallationStore.default_bots_table_name),
        SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, SQLAlchemyOAuthStateStore.default_table_name),
    ]


def upgrade() -> None:
    op.create_table(
        "debriefs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("team", sa.String(255), nullable=False),
        sa.Column("space", sa.String(255), nullable=True),
        sa.Column("script_message", sa.String(255), nullable=True),
        sa.Column("lead", sa.String(255), nullable=False),
        sa.Column("script_id", sa.String(64), nullable=False),
        sa.Column("script_version", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(150), nullable=True),
        sa.Column("schedule", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("key_expires_at", sa.DateTime(), nullable=False),
        sa.Column("status", _enum("debriefstatus"), nullable=False),
        sa.Column("shown_count", sa.Integer(), nullable=False),
        sa.Column("request_key", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_key"),
    )
    _index("debriefs", "started_at", "workspace")

    op.create_table(
        "debrief_keys",
        sa.Column("debrief_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("debrief_id"),
        _debrief_fk(),
    )

    op.create_table(
        "participants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("debrief_id", sa.Uuid(), nullable=False),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("followups_stopped", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("debrief_id", "user"),
        _debrief_fk(),
    )
    _index("participants", "debrief_id")

    op.create_table(
        "answers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("debrief_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("question", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("choice", sa.String(64), nullable=True),
        sa.Column("text", sa.String(3000), nullable=True),
        sa.Column("shared_with_team", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        _debrief_fk(),
        sqlite_with_rowid=False,
    )
    _index("answers", "debrief_id")

    op.create_table(
        "answer_receipts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("debrief_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("debrief_id", "stage", "digest"),
        _debrief_fk(),
        sqlite_with_rowid=False,
    )
    _index("answer_receipts", "debrief_id")

    op.create_table(
        "followups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("debrief_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", _enum("followupstatus"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("leased_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_ref", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("debrief_id", "participant_id", "stage"),
        _debrief_fk(),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"], ondelete="CASCADE"),
    )
    _index("followups", "debrief_id", "participant_id", "due_at", "status")

    op.create_table(
        "action_points",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("debrief_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", _enum("actionstatus"), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        _debrief_fk(),
    )
    _index("action_points", "debrief_id")

    op.create_table(
        "support_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("debrief_id", sa.Uuid(), nullable=True),
        sa.Column("preferred_time", sa.String(200), nullable=True),
        sa.Column("status", _enum("supportstatus"), nullable=False),
        sa.Column("claimed_by", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        _debrief_fk(ondelete="SET NULL"),
    )
    _index("support_requests", "workspace")

    op.create_table(
        "skipped_debriefs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("team", sa.String(255), nullable=False),
        sa.Column("lead", sa.String(255), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("skipped_debriefs", "created_at", "workspace")

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("debrief_id", sa.Uuid(), nullable=True),
        sa.Column("detail", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("audit_events", "at", "debrief_id")

    impl = op.get_context().impl
    for table in _slack_tables():
        impl.create_table(table)


def downgrade() -> None:
    for table in reversed(_slack_tables()):
        op.drop_table(table.name)
    for table in (
        "audit_events",
        "skipped_debriefs",
        "support_requests",
        "action_points",
        "followups",
        "answer_receipts",
        "answers",
        "participants",
        "debrief_keys",
        "debriefs",
    ):
        op.drop_table(table)
