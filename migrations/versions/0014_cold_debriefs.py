"""cold debriefs: debriefs.cold_of, skipped_debriefs.cold_of, cold_messages

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

A cold debrief (`bot.cold`) is a debrief row of its own, linked to the hot
debrief it follows up by `debriefs.cold_of`, so that its anonymous answers
go through the same receipts, sealed pending answers and batches. It is
`booked` until its time comes. `cold_messages` is its outbox: one reminder
per invitee and offset (DEBRIEF_COLD_REMINDERS), and the script posted in
the debrief's space at the booked time, claimed like a follow-up (the same
lease columns). A cancelled booking is kept as a skipped debrief with its
reason, linked to the hot one by `skipped_debriefs.cold_of`. Nothing about
answers is here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "sending", "sent", "failed", "skipped", "stopped")


def upgrade() -> None:
    with op.batch_alter_table("debriefs") as batch:
        batch.add_column(sa.Column("cold_of", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_debriefs_cold_of", "debriefs", ["cold_of"], ["id"], ondelete="CASCADE")
        batch.create_index("ix_debriefs_cold_of", ["cold_of"])
    with op.batch_alter_table("skipped_debriefs") as batch:
        batch.add_column(sa.Column("cold_of", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_skipped_debriefs_cold_of", "debriefs", ["cold_of"], ["id"], ondelete="CASCADE")
    op.create_table(
        "cold_messages",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("debrief_id", sa.Uuid(), sa.ForeignKey("debriefs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("participant_id", sa.Uuid(), sa.ForeignKey("participants.id", ondelete="CASCADE"), nullable=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="followupstatus", native_enum=False, length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("leased_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_ref", sa.String(255), nullable=True),
        sa.UniqueConstraint("debrief_id", "participant_id", "stage"),
    )
    op.create_index("ix_cold_messages_debrief_id", "cold_messages", ["debrief_id"])
    op.create_index("ix_cold_messages_status_due_at", "cold_messages", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_cold_messages_status_due_at", table_name="cold_messages")
    op.drop_index("ix_cold_messages_debrief_id", table_name="cold_messages")
    op.drop_table("cold_messages")
    with op.batch_alter_table("skipped_debriefs") as batch:
        batch.drop_constraint("fk_skipped_debriefs_cold_of", type_="foreignkey")
        batch.drop_column("cold_of")
    with op.batch_alter_table("debriefs") as batch:
        batch.drop_index("ix_debriefs_cold_of")
        batch.drop_column("cold_of")  # its foreign key goes with it
