"""stage_tallies: a finished debrief's numbers per stage, for the officers' report

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25

Once a debrief's answer window is over and its key gone its numbers cannot
change, so `Debriefs.expire_keys` writes one row per debrief and stage
(counts only: no user, no time, no order) and marks the debrief `tallied`;
the report reads those instead of every participant, receipt and answer.
This backfills the debriefs already in that state, with the same rules
(key gone, answers closed 10 minutes ago or more, no follow-up pending or
being sent) and the same counts (participants or follow-ups sent, receipts,
distress answers in the bands 0-3, 4-6, 7-10). The report's index on
debriefs gains `tallied`, so both of its halves read it alone, and
`since_event`, so the debriefs held and time to debrief do too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRACE = timedelta(minutes=10)

MARK = """
UPDATE debriefs SET tallied = TRUE
WHERE key_expires_at <= :before
  AND NOT EXISTS (SELECT 1 FROM debrief_keys k WHERE k.debrief_id = debriefs.id)
  AND NOT EXISTS (SELECT 1 FROM followups f WHERE f.debrief_id = debriefs.id AND f.status IN ('pending', 'sending'))
"""
TALLY = """
INSERT INTO stage_tallies (debrief_id, stage, invited, responses, distress_low, distress_mid, distress_high)
SELECT debrief_id, stage, sum(invited), sum(responses), sum(low), sum(mid), sum(high) FROM (
    SELECT debrief_id, 'debrief' AS stage, count(*) AS invited, 0 AS responses, 0 AS low, 0 AS mid, 0 AS high
    FROM participants WHERE debrief_id IN (SELECT id FROM debriefs WHERE tallied) GROUP BY debrief_id
    UNION ALL
    SELECT debrief_id, stage, count(*), 0, 0, 0, 0
    FROM followups WHERE status = 'sent' AND debrief_id IN (SELECT id FROM debriefs WHERE tallied)
    GROUP BY debrief_id, stage
    UNION ALL
    SELECT debrief_id, stage, 0, count(*), 0, 0, 0
    FROM answer_receipts WHERE debrief_id IN (SELECT id FROM debriefs WHERE tallied) GROUP BY debrief_id, stage
    UNION ALL
    SELECT debrief_id, stage, 0, 0,
           sum(CASE WHEN number BETWEEN 0 AND 3 THEN 1 ELSE 0 END),
           sum(CASE WHEN number BETWEEN 4 AND 6 THEN 1 ELSE 0 END),
           sum(CASE WHEN number BETWEEN 7 AND 10 THEN 1 ELSE 0 END)
    FROM answers
    WHERE question = 'distress' AND number IS NOT NULL AND debrief_id IN (SELECT id FROM debriefs WHERE tallied)
    GROUP BY debrief_id, stage
) AS parts
GROUP BY debrief_id, stage
"""


def upgrade() -> None:
    op.create_table(
        "stage_tallies",
        sa.Column("debrief_id", sa.Uuid(), sa.ForeignKey("debriefs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("distress_low", sa.Integer(), nullable=False),
        sa.Column("distress_mid", sa.Integer(), nullable=False),
        sa.Column("distress_high", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("debrief_id", "stage"),
        sqlite_with_rowid=False,
    )
    op.add_column("debriefs", sa.Column("tallied", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.drop_index("ix_debriefs_started_at_team", table_name="debriefs")
    op.create_index("ix_debriefs_report", "debriefs", ["started_at", "team", "tallied", "since_event", "id"])
    before = datetime.now(UTC).replace(tzinfo=None) - GRACE
    op.execute(sa.text(MARK).bindparams(sa.bindparam("before", before, type_=sa.DateTime())))
    op.execute(TALLY)


def downgrade() -> None:
    op.drop_index("ix_debriefs_report", table_name="debriefs")
    op.create_index("ix_debriefs_started_at_team", "debriefs", ["started_at", "team", "id"])
    with op.batch_alter_table("debriefs") as batch:
        batch.drop_column("tallied")
    op.drop_table("stage_tallies")
