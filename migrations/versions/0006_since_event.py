"""debriefs.since_event: how long after the event a debrief started, as a band

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

For the wellbeing report's "time from event to debrief". A band the lead
picks (`bot.models.SinceEvent`), not a time: an exact event time could be
matched against the incident log. Older debriefs keep NULL ("not given").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("debriefs") as batch:
        batch.add_column(sa.Column(
                "since_event",
                sa.Enum("under_1h", "1_4h", "4_12h", "12_24h", "1_3d", "over_3d",
                        name="sinceevent", native_enum=False, length=16),
                nullable=True,
            ))


def downgrade() -> None:
    with op.batch_alter_table("debriefs") as batch:
        batch.drop_column("since_event")
