"""wellbeing officers added by officers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

* `wellbeing_officers`: officers added with `/debrief officers add`, on top
  of DEBRIEF_WELLBEING_OFFICERS (adds and removals go to `audit_events`).
  See `bot.models.WellbeingOfficer`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wellbeing_officers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("identity", sa.String(255), nullable=False),
        sa.Column("added_by", sa.String(255), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("identity"),
    )


def downgrade() -> None:
    op.drop_table("wellbeing_officers")
