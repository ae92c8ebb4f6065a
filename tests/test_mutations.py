"""The mutation list (`tests/mutations.py`) still matches the code, so that it cannot rot into no-ops.

The runner itself is a maintainer's tool and not run here (it takes minutes);
this checks what a refactor would silently break: each entry's old text is
found exactly once in its file, the new text differs, and its tests exist.
"""

from __future__ import annotations

from mutations import MUTATIONS, problems


def test_every_mutation_still_applies_to_exactly_one_place() -> None:
    assert problems() == []


def test_the_list_covers_each_safety_critical_area() -> None:
    assert len(MUTATIONS) >= 25
    files = {mutation.file for mutation in MUTATIONS}
    for guarded in ("adapters/slack/http.py", "adapters/teams/app.py", "adapters/local.py", "bot/anonymity.py",
                    "bot/debriefs.py", "bot/suppression.py", "bot/identifiers.py", "bot/followups/outbox.py",
                    "bot/followups/schedule.py", "adapters/slack/text.py", "adapters/teams/text.py",
                    "adapters/slack/access.py", "adapters/teams/access.py", "bot/support.py", "bot/retention.py",
                    "bot/links.py", "bot/care.py", "bot/pending.py"):
        assert guarded in files, guarded
