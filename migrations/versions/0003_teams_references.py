"""teams references: where the Teams bot can reach people and conversations later

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

* `teams_references`: botbuilder's serialized ConversationReference per
  person (their personal chat with the bot, or a conversation they were seen
  in) and per conversation a debrief runs in, for proactive follow-ups and
  support notices; plus markers of one-off notices already posted. See
  `bot.models.TeamsReference`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teams_references",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=True),
        sa.Column("aad_object_id", sa.String(64), nullable=True),
        sa.Column("email", sa.String(255), nullable=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "key"),
    )
    op.create_index("ix_teams_references_aad_object_id", "teams_references", ["aad_object_id"])
    op.create_index("ix_teams_references_email", "teams_references", ["email"])


def downgrade() -> None:
    op.drop_index("ix_teams_references_email", table_name="teams_references")
    op.drop_index("ix_teams_references_aad_object_id", table_name="teams_references")
    op.drop_table("teams_references")
