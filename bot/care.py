"""What an answer or a message says about how its writer is, and what the bot must do about it at once.

Three signals, all acted on in the same reply, to the writer only (nobody
else is told: the answer is anonymous):

* **crisis**: a distress rating at or above DEBRIEF_DISTRESS_THRESHOLD
  (inclusive), a self-harm answer other than "not at all", or crisis
  language in free text (`debrief_scripts/crisis_phrases.yml`). Shows the
  crisis lines with the region's emergency number, says plainly that
  nobody has been told, and offers the confidential conversation.
* **support**: a positive PHQ-2 or GAD-2 (3 or more, CLINICAL.md). Shows
  the support contacts and the offer to talk.
* otherwise a plain thank-you, which offers the conversation too, so that
  asking to talk never reveals which kind of answer came before it.

The same phrases mark a note first in the officers' notes view
(`bot.notes`), and make the Teams adapter answer an unrecognised message
that contains them with the crisis lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from functools import lru_cache

from bot.scripts import ChoiceQuestion, CrisisPhrases, Question, ScaleQuestion

FREQUENCY_SCORES = {"not_at_all": 0, "several_days": 1, "more_than_half": 2, "nearly_every_day": 3}
"""PHQ and GAD answers, scored as the instruments score them."""
SCREENS = {"PHQ-2": ("phq2_interest", "phq2_mood"), "GAD-2": ("gad2_nervous", "gad2_worry")}
SCREEN_POSITIVE = 3
"""PHQ-2 and GAD-2 are positive at 3 or more (of 6)."""
WELLBEING_QUESTIONS = frozenset({"sfa_colour", *(qid for pair in SCREENS.values() for qid in pair)})
"""Question ids about how a person is (besides escalating ones): never shown to the team by default."""


class Signal(StrEnum):
    """What the thank-you screen must do, strongest last."""

    NONE = "none"
    SUPPORT = "support"
    CRISIS = "crisis"


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").replace("\u2018", "'").split())


@lru_cache(maxsize=8)
def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    alternatives = sorted((re.escape(phrase) for phrase in phrases), key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(alternatives) + r")(?![\w'])")


def has_crisis_language(text: str | None, phrases: CrisisPhrases) -> bool:
    """Whether free text contains one of the crisis phrases (whole words, any case, any apostrophe)."""
    pattern = _pattern(tuple(phrases.phrases))
    return bool(text and pattern and pattern.search(_normal(text)))


def asks_for_help(text: str | None, phrases: CrisisPhrases) -> bool:
    """Whether a message the bot did not understand asks for help or uses crisis language."""
    pattern = _pattern(tuple(phrases.phrases + phrases.help_words))
    return bool(text and pattern and pattern.search(_normal(text)))


def positive_screens(values: Mapping[str, object]) -> list[str]:
    """The screens (PHQ-2, GAD-2) whose two answers add up to 3 or more."""
    positive = []
    for name, ids in SCREENS.items():
        scores = [FREQUENCY_SCORES.get(str(values.get(qid)), 0) for qid in ids]
        if sum(scores) >= SCREEN_POSITIVE:
            positive.append(name)
    return positive


def signal(
    questions: Iterable[Question], values: Mapping[str, object], threshold: int, phrases: CrisisPhrases
) -> Signal:
    """The strongest signal in one person's answers to one stage (they are valid: `Debriefs._validate`)."""
    for question in questions:
        value = values.get(question.id)
        if value is None or value == "":
            continue
        if isinstance(question, ScaleQuestion):
            if question.escalates and int(str(value)) >= threshold:
                return Signal.CRISIS
        elif isinstance(question, ChoiceQuestion):
            if value in question.escalate_on:
                return Signal.CRISIS
        elif has_crisis_language(str(value), phrases):
            return Signal.CRISIS
    return Signal.SUPPORT if positive_screens(values) else Signal.NONE


def is_wellbeing_question(question: Question) -> bool:
    """A question about how the person is: its figures go to the officers, to the team only when switched on."""
    if isinstance(question, ScaleQuestion):
        return True
    if isinstance(question, ChoiceQuestion) and question.escalate_on:
        return True
    return question.id in WELLBEING_QUESTIONS
