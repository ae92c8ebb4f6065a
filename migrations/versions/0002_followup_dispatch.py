"""follow-up dispatch: participant time zones, late sends, the claim index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

* `participants.timezone`: the IANA zone the platform reported for the
  person, kept so quiet hours need one `users.info` per person, not per
  message (Slack allows that method far fewer calls than chat.postMessage).
* `followups.late`: the follow-up went out as the stage's gentler late
  version, after downtime.
* `ix_followups_status_due_at`: what the dispatcher's claim query filters
  and orders by (due rows: status, then due time).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=True))
    with op.batch_alter_table("followups") as batch:
        batch.add_column(sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("followups") as batch:
        batch.alter_column("late", server_default=None)
    op.create_index("ix_followups_status_due_at", "followups", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_followups_status_due_at", table_name="followups")
    with op.batch_alter_table("followups") as batch:
        batch.drop_column("late")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("timezone")
