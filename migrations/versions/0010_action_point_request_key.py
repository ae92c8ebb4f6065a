"""action_points.request_key: a form sent twice adds its action point once

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25

Slack's modal has an id and a Teams dialog carries a key in its button; a
double tap or a platform's retry sends the same one again. Unique, and
empty for the action points added before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_points") as batch:
        batch.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("action_points_request_key_key", ["request_key"])


def downgrade() -> None:
    with op.batch_alter_table("action_points") as batch:
        batch.drop_constraint("action_points_request_key_key", type_="unique")
        batch.drop_column("request_key")
