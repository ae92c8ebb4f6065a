"""indexes for the wellbeing officers' report

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

Covering indexes for `bot.wellbeing.Wellbeing.report` (bench/summary_bench.py):
the debriefs of a period by start and team, their distress answers, and
their receipts, read from the index alone. They order nothing by time of
answer: answers still hold no time and no sequence.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_debriefs_started_at_team", "debriefs", ["started_at", "team", "id"])
    op.create_index("ix_answers_debrief_question", "answers", ["debrief_id", "question", "stage", "number"])
    op.create_index("ix_answer_receipts_debrief_stage", "answer_receipts", ["debrief_id", "stage"])


def downgrade() -> None:
    op.drop_index("ix_answer_receipts_debrief_stage", table_name="answer_receipts")
    op.drop_index("ix_answers_debrief_question", table_name="answers")
    op.drop_index("ix_debriefs_started_at_team", table_name="debriefs")
