"""stage_tallies: the debrief's workspace, team and start copied in, and the report's index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25

The officers' report read the tallies by joining every debrief of its 90
days to them (on PostgreSQL a scan of the whole table and a hash join, most
of the report's time). A debrief's workspace, team and start never change,
so each tally row now carries them, and one index (start first, then every
column the report reads) lets the report read a range of that index alone.
The rows already there get them from their debrief.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIED = ("workspace", "team", "started_at")
REPORT_INDEX = (
    "started_at", "workspace", "team", "stage", "invited", "responses", "distress_low", "distress_mid", "distress_high"
)


def _batch() -> Any:
    """SQLite alters by copying the table: keep it WITHOUT ROWID (SQLAlchemy before 2.0.53 does not reflect that)."""
    return op.batch_alter_table("stage_tallies", table_kwargs={"sqlite_with_rowid": False})


def upgrade() -> None:
    with _batch() as batch:
        batch.add_column(sa.Column("workspace", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("team", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("started_at", sa.DateTime(), nullable=True))
    for column in COPIED:
        op.execute(
            f"UPDATE stage_tallies SET {column} = "
            f"(SELECT d.{column} FROM debriefs d WHERE d.id = stage_tallies.debrief_id)"
        )
    with _batch() as batch:
        for column in COPIED:
            batch.alter_column(column, nullable=False)
    op.create_index("ix_stage_tallies_report", "stage_tallies", list(REPORT_INDEX))


def downgrade() -> None:
    op.drop_index("ix_stage_tallies_report", table_name="stage_tallies")
    with _batch() as batch:
        for column in reversed(COPIED):
            batch.drop_column(column)
