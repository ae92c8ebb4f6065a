"""digests: the weekly digest's outbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

One row per officer, platform, workspace and week, unique, so every replica
may enqueue the week's digests (INSERT .. ON CONFLICT DO NOTHING) and one
row results. The lease columns are the follow-ups' (`bot.followups.outbox`),
and so is the claim index. No figures are stored: the digest is computed
from the suppressed report when it is sent.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "sending", "sent", "failed", "skipped", "stopped")


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="followupstatus", native_enum=False, length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("leased_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_ref", sa.String(255), nullable=True),
        sa.UniqueConstraint("platform", "workspace", "recipient", "week"),
    )
    op.create_index("ix_digests_status_due_at", "digests", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_digests_status_due_at", table_name="digests")
    op.drop_table("digests")
