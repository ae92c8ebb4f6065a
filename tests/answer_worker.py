"""A process that answers, for the crash test: `kill -9` it while answers wait for their batch.

    python tests/answer_worker.py DEBRIEF_ID:PERSON ...

Everything else comes from the environment like `serve` (DATABASE_URL,
DEBRIEF_SECRET, DEBRIEF_MIN_GROUP). Each argument is one person's answer to
the debrief stage, sent as an adapter sends it (`tests/answering.py`: open
the form, then submit), with the note "PERSON note"; once the core has
accepted it the process prints "ok PERSON", as a server answers "Thank
you" only then. It runs until the last answer, or until it is killed.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answering import record

from bot.core import Core
from bot.settings import Settings


async def main(answers: list[str]) -> None:
    core = Core.build(Settings.load())
    try:
        for answer in answers:
            debrief_id, person = answer.split(":", 1)
            await record(core.debriefs, uuid.UUID(debrief_id), "debrief", person, {"distress": 3, "team_note": f"{person} note"})
            print(f"ok {person}", flush=True)
    finally:
        await core.database.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
