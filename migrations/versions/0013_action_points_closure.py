"""action points to closure: done or dropped with a line, owners reminded, "you said, we did"

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

`action_points` gains who closed a point, when, its one line (what
changed, or why it was dropped; screened for patient identifiers), and the
id of its message in the debrief's conversation (redrawn without its
buttons once the point is closed). Its
status column is a plain VARCHAR, so "dropped" needs no change there.

`action_messages` is the action points' outbox, claimed by the dispatcher
like a check-in (the same lease columns and claim index,
`bot.followups.outbox`): a reminder per DEBRIEF_ACTION_REMINDERS delay for
the owner, and one "you said, we did" note per closed point. The unique key
(point, kind, stage) makes each one row, so each goes out once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "sending", "sent", "failed", "skipped", "stopped")


def upgrade() -> None:
    with op.batch_alter_table("action_points") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("closed_by", sa.String(255), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(200), nullable=True))
        batch.add_column(sa.Column("message_ref", sa.String(255), nullable=True))
    op.create_table(
        "action_messages",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("action_point_id", sa.Uuid(), sa.ForeignKey("action_points.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="followupstatus", native_enum=False, length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("leased_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_ref", sa.String(255), nullable=True),
        sa.UniqueConstraint("action_point_id", "kind", "stage"),
    )
    op.create_index("ix_action_messages_action_point_id", "action_messages", ["action_point_id"])
    op.create_index("ix_action_messages_status_due_at", "action_messages", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_action_messages_status_due_at", table_name="action_messages")
    op.drop_index("ix_action_messages_action_point_id", table_name="action_messages")
    op.drop_table("action_messages")
    with op.batch_alter_table("action_points") as batch:
        batch.drop_column("message_ref")
        batch.drop_column("outcome")
        batch.drop_column("closed_by")
        batch.drop_column("closed_at")
