"""pending_answers: accepted answers, sealed, until they are released in a shuffled batch

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

See bot.pending. Answers already in `answers` stay as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_answers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("debrief_id", sa.Uuid(), sa.ForeignKey("debriefs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pending_answers_debrief_stage", "pending_answers", ["debrief_id", "stage"])


def downgrade() -> None:
    op.drop_index("ix_pending_answers_debrief_stage", table_name="pending_answers")
    op.drop_table("pending_answers")
