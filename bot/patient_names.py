"""Patient names in free text: after a title, as a given name and a surname, or surname first.

Why a module of its own: names need word lists (bot/identifier_data/) and a
walk over the words, where every other kind of identifier is a pattern.
`bot.identifiers` calls `find_names` and `find_surname_first` on the text it
has already normalised.

Why it works this way: it must run offline on a small machine, and clinical
text is full of names that are not patients (eponyms, wards and hospitals,
a colleague's first name).  So a name counts only with evidence, described
in `find_names`; what it cannot see is said in README.md, "Patient details".
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from importlib import resources

__all__ = ["find_names", "find_surname_first"]

_DIGIT_BEFORE = re.compile(r"\d\s*$")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+)*\.?")
_TITLES_FIRM = frozenset({"mr", "mrs", "mx", "mister", "messrs", "mrs.", "mr.", "mx."})
_TITLES_LOOSE = frozenset({
    "ms", "ms.", "miss", "master", "mstr", "mstr.", "sir", "dame", "lord",
})
# Words before a name that make it staff or a place: "Dr Chen", "Sister Mary", "St Thomas", "the John Radcliffe".
_NOT_PATIENT_BEFORE = frozenset({
    "dr", "dr.", "doctor", "nurse", "sister", "prof", "prof.", "professor", "consultant", "registrar", "matron",
    "st", "st.", "saint", "the", "royal", "reg", "sr", "sr.", "charge", "colleague", "student", "fy", "sho", "spr",
    "hca", "anp", "acp", "rn", "hcsw", "odp", "nic", "cns", "midwife", "physio", "paramedic", "porter", "pharmacist",
    "manager", "lead", "coordinator", "staff", "mentor", "educator", "supervisor", "boss", "friend", "chaplain",
    "resident", "intern", "attending", "fellow", "tech", "therapist", "officer", "clerk", "receptionist",
})
# Words after a name that make it a thing named after someone: "Mary Seacole ward", "Foley catheter".
_NAMED_THING_AFTER = frozenset({
    "ward", "unit", "hospital", "infirmary", "wing", "centre", "center", "building", "house", "suite", "theatre",
    "theater", "clinic", "block", "lecture", "award", "foundation", "trust", "college", "university", "institute",
    "memorial", "hall", "score", "scale", "criteria", "catheter", "solution", "airway", "position", "breathing",
    "sign", "test", "tube", "line", "blade", "forceps", "manoeuvre", "maneuver", "syndrome", "disease", "pathway",
    "protocol", "chart", "mattress", "fracture", "reflex", "procedure", "classification", "formula", "triad",
    "room", "bay", "lounge", "library", "road", "street", "lane", "avenue", "drive", "hugger", "method", "rule",
    "team", "service", "services", "programme", "program", "fund", "appeal", "report", "review", "inquiry",
    "murmur", "phenomenon", "law", "lesion", "node", "cell", "cells", "body", "bodies", "ulcer", "tumour", "tumor",
    "effect", "nerve", "response", "approach", "regimen", "technique", "repair", "palsy", "disorder", "criterion",
    "royal", "general", "county", "district", "community", "city", "central", "regional", "hospitals", "park",
    "circuit", "stand", "slide", "jack", "mannequin", "manikin", "doll", "envelope", "envelopes", "notes", "gin",
    "tear", "tears", "pupil", "surgery", "sequence", "malformation", "anomaly", "fistula", "shunt", "valve",
    "stitch", "suture", "incision", "grade", "stage", "index", "ratio", "equation", "health", "hospice", "nurse",
    "nurses", "charity", "prize",
})
# Full names that are hospitals, hospices, charities, wards or eponyms, with nothing after them to say so.
_KNOWN_NAMED_THINGS = frozenset({
    ("kaiser", "permanente"), ("beth", "israel"), ("sloan", "kettering"), ("henry", "ford"), ("edith", "cavell"),
    ("elizabeth", "fry"), ("elizabeth", "garrett"), ("aneurin", "bevan"), ("nye", "bevan"), ("alexander", "fleming"),
    ("joseph", "lister"), ("edward", "jenner"), ("cicely", "saunders"), ("marie", "curie"), ("sue", "ryder"),
    ("ronald", "mcdonald"), ("mallory", "weiss"), ("marcus", "gunn"), ("tommy", "john"),
    ("john", "radcliffe"), ("william", "harvey"), ("james", "cook"), ("george", "eliot"), ("alder", "hey"),
    ("queen", "elizabeth"), ("royal", "victoria"), ("princess", "royal"), ("johns", "hopkins"), ("mary", "seacole"),
    ("florence", "nightingale"), ("james", "paget"), ("royal", "free"), ("walton", "centre"),
    ("harold", "wood"), ("ben", "taub"), ("mount", "vernon"), ("stoke", "mandeville"), ("milton", "keynes"),
    ("sutton", "coldfield"), ("stanley", "park"), ("alexandra", "palace"), ("lloyd", "george"), ("sara", "stedy"),
    ("sara", "plus"), ("resusci", "anne"),
})
# After "Mr Patel": the consultant surgeon (UK surgeons are Mr and Ms), not a patient.
_STAFF_AFTER = re.compile(
    r"['’]?s?\s*[,(-]?\s*(?:the\s+|our\s+|a\s+)?(?:on[\s-]?call\s+)?(?:consultant|surgeon|registrar|reg\b|urologist"
    r"|anaesthetist|anesthesiologist|orthopaedic|ortho\b|vascular|colorectal|upper\s+gi)",
    re.IGNORECASE,
)
# "OSEI, Thomas" or "Marsh, Helen": the record-system order, surname first.
_PATIENT_CUE_BEFORE = re.compile(r"\b(?:pt|patient|name|named)\b\.?:?\s*$", re.IGNORECASE)
SURNAME_FIRST = re.compile(r"\b(?P<id>(?P<surname>[A-Z][A-Za-z'’-]+),\s?(?P<given>[A-Z][a-z]+))\b")
# Words that follow "pt" or "the lady" and sound the name out in lower case ("i looked after margaret hale").
_NAME_CUES = frozenset({
    "pt", "pt.", "pts", "patient", "patients", "about", "named", "called", "after", "nursed", "of", "for", "with",
    "lost", "family", "relatives", "husband", "wife", "son", "daughter", "lady", "man", "gent", "gentleman",
    "woman", "chap", "bloke", "boy", "girl", "baby", "had", "saw", "seen", "see", "found", "admitted", "told",
    "mum", "mom", "dad", "was", "is", "remember", "miss", "name", "resident", "client", "bed", "bay", "room",
})
_STRONG_CUES = frozenset({"pt", "pt.", "patient", "named", "name", "baby"})
_PERSON_WORDS = frozenset({"lady", "man", "woman", "gentleman", "gent", "chap", "fella", "boy", "girl", "baby", "patient"})
# Given names that are everyday words and open sentences as words ("Will do", "Mark the time", "Grace period").
# Rarer words that are also names ("john", "jean", "marsh") are in name_words.txt but not here.
_EVERYDAY = frozenset({
    "will", "may", "mark", "bill", "grace", "rose", "hope", "faith", "joy", "june", "april", "august", "dawn",
    "sunny", "rich", "frank", "jack", "guy", "pat", "sue", "rob", "drew", "art", "ray", "don", "bob", "chase",
    "sky", "summer", "autumn", "winter", "holly", "ivy", "iris", "daisy", "lily", "amber", "ruby", "pearl",
    "crystal", "angel", "honey", "candy", "buck", "bud", "chip", "chuck", "cliff", "dale", "dean", "earl", "glen",
    "grant", "heath", "herb", "lane", "lance", "major", "marshall", "miles", "norm", "penny", "price", "reed",
    "rocky", "rod", "rusty", "sandy", "sterling", "stone", "wade", "warren", "wolf", "woody", "young", "max",
    "kit", "fern", "storm", "river", "star", "gay", "basil", "sage", "rowan", "noble", "long",
})
# Words that are also surnames but after a first name in lower case are what that person did ("jo held").
_VERBISH = frozenset({
    "held", "rang", "ran", "sang", "came", "went", "took", "gave", "kept", "left", "felt", "sat", "stood",
    "brought", "bought", "thought", "caught", "taught", "found", "made", "told", "sold", "put", "cut", "set",
    "let", "hit", "got", "saw", "knew", "grew", "drew", "flew", "threw", "wore", "bore", "swore", "ate", "fell",
    "hid", "led", "fed", "bled", "shot", "lost", "meant", "sent", "spent", "built", "lent", "bent", "dealt",
    "heard", "paid", "laid", "read", "rode", "wrote", "spoke", "broke", "woke", "chose", "froze", "stole",
    "drove", "rose", "shone", "struck", "stuck", "swung", "hung", "rung", "dug", "spun", "won", "began", "swam",
    "drank", "sank", "did", "had", "will", "would", "can", "could", "shall", "should", "may", "might", "must",
    "also", "then", "just", "really", "always", "never", "still", "again", "too", "quickly", "back", "home",
    "here", "well", "fine", "good", "great", "brilliant", "amazing", "lovely", "kind", "calm", "ok", "okay",
    "best", "only", "even", "sure", "band", "rota", "shift", "shifts", "nights", "days", "lates", "earlies",
    "obs", "meds", "bloods", "drugs", "notes", "handover", "cover", "break", "lead", "bleep", "nice", "brill",
    "fab", "ace", "star", "legend", "hero", "superb", "awesome", "wonderful", "fantastic", "excellent", "helpful",
    "supportive", "there", "around", "about", "ill", "sick", "off", "late", "early", "away", "line", "round",
    "rounds", "bath", "wash", "turn", "turns", "theatre", "lunch", "tea", "coffee", "cake", "phone", "call",
})
# Never a name however it is cased: function words, pronouns, months and days, clinical shorthand.
_STOP = frozenset({
    "a", "an", "and", "the", "or", "but", "if", "so", "to", "of", "in", "on", "at", "by", "for", "from", "with",
    "without", "into", "onto", "over", "under", "up", "down", "out", "off", "as", "is", "was", "were", "be",
    "been", "being", "am", "are", "has", "had", "have", "having", "do", "does", "did", "done", "not", "no",
    "yes", "i", "me", "my", "mine", "we", "us", "our", "you", "your", "he", "him", "his", "she", "her", "hers",
    "they", "them", "their", "it", "its", "this", "that", "these", "those", "there", "here", "who", "whom",
    "whose", "which", "what", "when", "where", "why", "how", "all", "any", "each", "every", "some", "many",
    "much", "more", "most", "few", "less", "least", "said", "says", "say", "told", "asks", "asked", "came",
    "come", "went", "go", "gone", "got", "get", "gets", "getting", "made", "make", "took", "take", "gave",
    "give", "just", "only", "also", "still", "very", "too", "then", "than", "now", "again", "ever", "never",
    "always", "often", "soon", "later", "today", "tonight", "yesterday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
    "sat", "sun", "bay", "bed", "ward", "side", "room", "unit", "team", "nurse", "doctor", "dr", "reg", "sho",
    "fy1", "consultant", "family", "son", "daughter", "wife", "husband", "re", "ok", "okay", "thanks",
    "thank", "please", "sorry", "hi", "hello", "yeah", "nope",
})


@cache
def _names(name: str) -> frozenset[str]:
    """One of the shipped lists in bot/identifier_data/, lower case, comments skipped (".gz" is compressed)."""
    data = resources.files("bot").joinpath("identifier_data", name).read_bytes()
    text = (gzip.decompress(data) if name.endswith(".gz") else data).decode("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


@cache
def _given() -> frozenset[str]:
    return _names("given_names.txt") | _names("given_names_extra.txt")


@cache
def _surnames() -> frozenset[str]:
    return _names("surnames.txt.gz") | _names("surnames_extra.txt")


def _bare(word: str) -> str:
    """The word as it is looked up: lower case, no possessive, full stop or apostrophe ("O'Brien" is "obrien")."""
    word = word.lower().rstrip(".")
    for suffix in ("'s", "’s", "'", "’"):
        if word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    word = word.replace("'", "").replace("’", "")
    if not word.isascii():  # "José", "Zoë": the lists are unaccented
        word = "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))
    return word


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and not word.isupper()


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:;\n\"'(-"


def _joined(text: str, end: int, start: int) -> bool:
    """Two words are part of one name only with plain spacing (or an initial's dot) between them."""
    gap = text[end:start]
    return len(gap) <= 3 and gap.strip(" .") == "" and (gap != "" or text[end - 1] == ".")  # "Mr.Smith" too


def find_names(text: str) -> Iterator[tuple[int, int]]:
    """Patient names: after a title, or given name plus surname from the shipped lists.

    Why this way: it must run offline on a small machine, and names are
    everywhere in clinical text that are not patients (eponyms, wards, a
    colleague's first name).  So a name counts only with evidence:
    - a title: "Mr T Osei", "mrs kowalczyk", "Mrs. O'Neill" (any surname after
      Mr, Mrs, Mx; after Ms, Miss or Master, which are also words, a
      capitalised word or a listed surname that is not also an English word);
    - a given name then a surname, both from the 1990 US Census lists (plus
      UK and international given names), capitalised ("Helen Marsh"), or in
      lower case when neither is also an ordinary word ("brian mccormack"), or
      after a cue word such as "pt" or "about" ("keep thinking about tomasz
      wren", where "wren" is also a bird);
    - "pt" or "patient" or "named" before a given name ("patient Helen").
    Staff titles before (Dr, Nurse, Sister, St, "the John Radcliffe") and a
    named thing after ("Mary Seacole ward", "Foley catheter") rule a match out.
    A first name alone is left alone: "Priya held the bleep" names a colleague.
    """
    given, surnames, words = _given(), _surnames(), _names("name_words.txt")
    tokens = [(m.start(), m.end(), m[0]) for m in _WORD.finditer(text)]
    for index, (start, end, word) in enumerate(tokens):
        lower = word.lower()
        if lower in _TITLES_FIRM or lower in _TITLES_LOOSE:
            if lower.startswith("ms") and (word.isupper() or _DIGIT_BEFORE.search(text, max(0, start - 4), start)):
                continue  # "MS nurse" is multiple sclerosis; "200 ms" is a duration
            found = _after_title(text, tokens, index, lower in _TITLES_FIRM, surnames, words)
            if found and not _STAFF_AFTER.match(text, found):
                yield start, found
            continue
        bare = lower if lower.isalpha() and lower.isascii() else _bare(word)
        if bare not in given and not ("-" in bare and all(part in given for part in bare.split("-"))):
            continue  # "Jean-Paul" counts when each part is a given name
        if bare in _STOP or (word.endswith(".") and len(word) > 2):
            continue  # "in", "my" are in the census lists; "min." is an abbreviation
        previous = _bare(tokens[index - 1][2]) if index else ""
        if previous in _NOT_PATIENT_BEFORE:
            continue
        strong = previous in _STRONG_CUES or (
            previous == "called" and index > 1 and _bare(tokens[index - 2][2]) in _PERSON_WORDS  # "a lady called Doris"
        )
        cue = previous in _NAME_CUES or (
            index > 1 and _bare(tokens[index - 2][2]) in _NAME_CUES and previous in {"the", "lady", "man"}
        )
        full = _full_name_end(text, tokens, index, cue, strong, surnames, words)
        if full is not None:
            yield start, full
        elif strong and not word.isupper() and bare not in words and bare not in _STOP:
            yield start, end - (1 if word.endswith(".") else 0)


def find_surname_first(text: str) -> Iterator[tuple[int, int]]:
    """"Marsh, Helen" or "OSEI, Thomas": a listed surname, a comma, then a listed given name, as records print them.

    Neither may also be an English word ("Will, Grace" is two words), unless the surname is in capitals or
    "pt" or "patient" comes just before ("pt Marsh, Helen").
    """
    given, surnames, words = _given(), _surnames(), _names("name_words.txt")
    for match in SURNAME_FIRST.finditer(text):
        surname, first = _bare(match["surname"]), match["given"].lower()
        if surname not in surnames or first not in given or (surname in given and not match["surname"].isupper()):
            continue  # "thanks to Chris, Alex and Sam" is a list of first names
        sure = match["surname"].isupper() or bool(_PATIENT_CUE_BEFORE.search(text, max(0, match.start() - 12), match.start()))
        if sure or (surname not in words and first not in words):
            yield match.start("id"), match.end("id")


def _full_name_end(
    text: str,
    tokens: list[tuple[int, int, str]],
    index: int,
    cue: bool,
    strong: bool,
    surnames: frozenset[str],
    words: frozenset[str],
) -> int | None:
    """End of "Helen Marsh" / "John K Smith" when the given name at `index` starts a full name, else None."""
    count = len(tokens)
    start, _, word = tokens[index]
    following = index + 1
    if following >= count:
        return None
    middle = tokens[following][2]
    if len(middle.rstrip(".")) == 1 and following + 1 < count and (middle not in ("a", "i", "o") or middle.endswith(".")):
        following += 1  # a middle initial: "John K Smith", but not "priya a lot"
    if not all(_joined(text, tokens[k][1], tokens[k + 1][0]) for k in range(index, following)):
        return None
    _, next_end, next_word = tokens[following]
    surname = _bare(next_word)
    after = _bare(tokens[following + 1][2]) if following + 1 < count else ""
    if following + 2 < count and _capitalised(tokens[following + 1][2]) and after not in _NAMED_THING_AFTER:
        after = _bare(tokens[following + 2][2])  # "Elizabeth Garrett Anderson wing"
    if (
        surname in _STOP
        or surname in _NAMED_THING_AFTER
        or after in _NAMED_THING_AFTER
        or (_bare(word), surname) in _KNOWN_NAMED_THINGS
        or not _is_full_name(text, start, word, next_word, _bare(word), surname, cue, strong, surnames, words)
    ):
        return None
    return next_end - (1 if next_word.endswith(".") else 0)


def _is_full_name(
    text: str,
    start: int,
    word: str,
    next_word: str,
    bare: str,
    surname: str,
    cue: bool,
    strong: bool,
    surnames: frozenset[str],
    words: frozenset[str],
) -> bool:
    if len(surname) < 2 or (next_word.isupper() and not word.isupper()) or word.lower().endswith(("'s", "’s")):
        return False  # "Gordon's Gin", "Helen's husband": the first word is an owner, not half of a name
    if _capitalised(word) and _capitalised(next_word):
        if surname not in surnames and (bare in words or len(surname) < 3):
            return False  # "Grace Period": an unknown second word needs a first name that is only a name
        both_words = bare in _EVERYDAY and surname in words
        return not (both_words and _sentence_start(text, start))  # "Will Young" opening a sentence
    if (word.islower() and next_word.islower()) or (word.isupper() and next_word.isupper() and len(word) > 2):
        if surname not in surnames:
            return False
        if len(surname) <= 2:
            return strong  # "gina ng" is the NG tube; "pt li wei" is a name
        if bare in _EVERYDAY and surname in words:
            return strong  # "pt mark hall", but not "will young" or "mark hall" on their own
        if surname in _VERBISH or (surname in words and surname.endswith(("ed", "ing"))):
            return strong  # "priya held the bleep", "sam helped": a first name and what they did
        return cue or bare not in _EVERYDAY
    return False


def _after_title(
    text: str,
    tokens: list[tuple[int, int, str]],
    index: int,
    firm: bool,
    surnames: frozenset[str],
    words: frozenset[str],
) -> int | None:
    """End of "Mr T Osei" / "mrs kowalczyk" starting at the title, or None."""
    position = index + 1
    last_end = None
    initials = 0
    while position < len(tokens) and initials < 3:
        start, end, word = tokens[position]
        if not _joined(text, tokens[position - 1][1], start):
            return last_end
        if len(word.rstrip(".")) == 1 and word[0].isalpha():
            last_end = end - (1 if word.endswith(".") else 0)
            initials += 1
            position += 1
            continue
        surname = _bare(word)
        if surname in _STOP or len(surname) < 2:
            return last_end if firm else None
        if tokens[index][2].isupper() and word.islower():
            return None  # "MR on the echo", "new MR murmur": mitral regurgitation
        if firm or _capitalised(word) or (surname in surnames and surname not in words):
            return end - (1 if word.endswith(".") else 0)
        return None
    return last_end if firm else None
