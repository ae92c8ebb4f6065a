"""shared_lessons and learning_digests: lessons shared without names, reviewed, sent out monthly

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

`shared_lessons`: a lesson someone wrote at a check-in and agreed to share
across the organisation without their name; written only by a batch release
of anonymous answers (no user, no time finer than a day), reviewed by a
wellbeing officer. `learning_digests`: the monthly digest's outbox, with the
follow-ups' lease columns (`bot.followups.outbox`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "sending", "sent", "failed", "skipped", "stopped")


def upgrade() -> None:
    op.create_table(
        "shared_lessons",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("debrief_id", sa.Uuid(), sa.ForeignKey("debriefs.id", ondelete="SET NULL"), nullable=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("team", sa.String(255), nullable=False),
        sa.Column("text", sa.String(3000), nullable=False),
        sa.Column("status", sa.Enum("waiting", "approved", name="lessonstatus", native_enum=False, length=16),
                  nullable=False),
        sa.Column("released_on", sa.Date(), nullable=False),
        sa.Column("theme", sa.String(32), nullable=True),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_shared_lessons_status", "shared_lessons", ["status", "platform", "workspace"])
    op.create_table(
        "learning_digests",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("destination", sa.String(255), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="followupstatus", native_enum=False, length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("leased_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_ref", sa.String(255), nullable=True),
        sa.UniqueConstraint("platform", "destination", "month"),
    )
    op.create_index("ix_learning_digests_status_due_at", "learning_digests", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_learning_digests_status_due_at", table_name="learning_digests")
    op.drop_table("learning_digests")
    op.drop_index("ix_shared_lessons_status", table_name="shared_lessons")
    op.drop_table("shared_lessons")
