"""support_escalations: a request to talk that nobody takes on is sent again, once; debriefs.audience

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03

One row per support request, written with it and due DEBRIEF_SUPPORT_RESPONSE
later. The dispatcher claims it like a follow-up (the same lease columns and
claim index, `bot.followups.outbox`): if the request is still open then, every
officer and peer supporter is told again and the on-call contact too, once
across replicas; if nobody could be told, the person is. Nothing about
answers is here.

`debriefs.audience`: the nations and professions the lead said the team is
(optional, one tap in the set-up form), so that check-ins list the support
contacts tagged for them first.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "sending", "sent", "failed", "skipped", "stopped")


def upgrade() -> None:
    op.create_table(
        "support_escalations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("request_id", sa.Uuid(), sa.ForeignKey("support_requests.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="followupstatus", native_enum=False, length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("leased_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_ref", sa.String(255), nullable=True),
    )
    op.create_index("ix_support_escalations_status_due_at", "support_escalations", ["status", "due_at"])
    with op.batch_alter_table("debriefs") as batch:
        batch.add_column(sa.Column("audience", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("debriefs") as batch:
        batch.drop_column("audience")
    op.drop_index("ix_support_escalations_status_due_at", table_name="support_escalations")
    op.drop_table("support_escalations")
