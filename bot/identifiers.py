"""Screen free text for likely patient identifiers before anything is stored.

Why this exists: a debrief lives in a chat tool, and patient details do not
belong there (DESIGN.md, "Anonymity model").  Free text and event labels pass
through `screen` first; if it finds something the author is asked to remove it
and nothing is saved.

Why it looks the way it does: clinical free text is full of numbers and names
that are not identifiers (doses, times, observations, bleeps, years, eponyms
such as Foley or Hartmann, a colleague's first name).  So each detector looks
for a shape that is specific to one kind of identifier, or for a label or cue
that says what the thing is; the reasoning is in each detector's docstring.

Every detector reads the same canonical text (`normalise`): Unicode NFKC
(fullwidth `＋` and `＠` become `+` and `@`), invisible characters removed
(zero-width space and joiners, BOM, soft hyphen), and e-mail addresses written
"jo dot bloggs at nhs dot net" folded to "jo.bloggs@nhs.net".  Offsets are
mapped back to the text the person typed, so a form can point at the spot.

What it cannot do: know that a word is a name when nothing around it says so
("Helen was scared" is left alone, as a colleague's first name would be), or
recognise a surname that is neither after a title nor in the shipped lists
beside a given name.  README.md, "Patient details", says so to the reader.

Platform-neutral, standard library only; names are found by `bot.patient_names`.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.errors import Finding, IdentifierFound
from bot.patient_names import find_names, find_surname_first

__all__ = ["OWN_CONTACT", "PATIENT_DETAILS_HINT", "find_identifiers", "normalise", "screen"]

# A person's own phone number and e-mail address, which a request to talk may carry.
OWN_CONTACT = frozenset({"phone", "email"})

# One line on every form with free text, so nobody learns only from a refusal that a name counts.
PATIENT_DETAILS_HINT = "Please leave out patient details: names count too, as do addresses and dates of birth."

# --- normalisation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Normalised:
    """Canonical text plus, for each of its characters, the offset it came from in the original."""

    text: str
    origin: Sequence[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1


_TLD = r"(?:com|net|org|co|uk|nhs|gov|edu|ac|io|ie|ca|au|info|biz|de|fr|pl|nl|es|eu|scot|wales)"
_AT = r"(?:\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+|\s*@+\s*)"
_DOT = r"(?:\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+|\s+\.\s+|\.)"
_LABEL = r"[a-z0-9_+-]+"
OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.+-]){_LABEL}(?:{_DOT}{_LABEL})*{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*{_DOT}{_TLD}(?![\w-])",
    re.IGNORECASE,
)
_EMAIL_HINT = re.compile(rf"(?:\.\s*|dot\s*[)\]}}>]?\s*){_TLD}(?![\w-])", re.IGNORECASE)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_AT_OR_DOT = re.compile(rf"{_AT}|{_DOT}", re.IGNORECASE)


def normalise(text: str) -> Normalised:
    """NFKC, invisible characters dropped, obfuscated e-mail addresses folded; offsets kept.

    Why per character: each output character must point back at what the
    person typed.  NFKC of a single character is what matters here (fullwidth
    forms, compatibility digits, no-break spaces), and only non-ASCII
    characters can change, so runs of ASCII are copied whole and pure ASCII
    costs one `isascii` call.  Format characters (Unicode
    category Cf: zero-width space, joiners, word joiner, BOM, soft hyphen) are
    dropped, so "943\u200b476\u200b5919" reads as one number.
    """
    origin: Sequence[int]
    if text.isascii():
        chars, origin = text, range(len(text))
    else:
        out: list[str] = []
        where: list[int] = []
        last = 0
        for match in _NON_ASCII.finditer(text):
            out.append(text[last : match.start()])
            where.extend(range(last, match.start()))
            char = match[0]
            last = match.end()
            if unicodedata.category(char) == "Cf":
                continue
            folded = unicodedata.normalize("NFKC", char)
            out.append(folded)
            where.extend([match.start()] * len(folded))
        out.append(text[last:])
        where.extend(range(last, len(text)))
        chars, origin = "".join(out), where
    if not _EMAIL_HINT.search(chars) or not OBFUSCATED_EMAIL.search(chars):
        return Normalised(chars, origin)
    pieces: list[str] = []
    mapped: list[int] = []
    last = 0
    for match in OBFUSCATED_EMAIL.finditer(chars):
        pieces.append(chars[last : match.start()])
        mapped.extend(origin[last : match.start()])
        cursor = match.start()
        for sep in _AT_OR_DOT.finditer(chars, match.start(), match.end()):
            pieces.append(chars[cursor : sep.start()])
            mapped.extend(origin[cursor : sep.start()])
            pieces.append("@" if "@" in sep[0] or "at" in sep[0].lower() else ".")
            mapped.append(origin[sep.start()])
            cursor = sep.end()
        pieces.append(chars[cursor : match.end()])
        mapped.extend(origin[cursor : match.end()])
        last = match.end()
    pieces.append(chars[last:])
    mapped.extend(origin[last:])
    return Normalised("".join(pieces), mapped)


# --- numbers and shapes --------------------------------------------------------------------------

# What people type between digit groups: spaces and hyphens or dashes (NFKC has made other spaces plain).
_GAP = "[ \\-\u2010\u2012\u2013]"
_NO_DIGIT_BEFORE = r"(?<!\d)"
_NO_DIGIT_AFTER = r"(?!\d)"

# The shapes people write NHS numbers in: ten digits run together, 3-3-4 with one separator, or a gap between
# every digit (read out, or copied one box at a time).  Other groupings are vitals in a row ("120/80 110/70").
_NHS_SEP = "[ .\\-/\u2010\u2012\u2013]"
_DIGIT_NEAR_AFTER = re.compile(r"[ .\-/]{1,3}\d")
_DIGIT_NEAR_BEFORE = re.compile(r"\d[ .\-/]{1,3}$")
_NHS_GROUP_SEP = rf"(?:  ?|[ ]?{_NHS_SEP}[ ]?)"
NHS_NUMBER = re.compile(
    rf"(?<!\d)(?<!\d[.,/])(?P<id>\d{{10}}|\d{{3}}{_NHS_GROUP_SEP}\d{{3}}{_NHS_GROUP_SEP}\d{{4}}|\d(?:{_NHS_SEP}{{1,3}}\d){{9}})"
    r"(?!\d|[.,/]\d)"
)

SSN_GROUPED = re.compile(rf"{_NO_DIGIT_BEFORE}(?P<id>\d{{3}}{_GAP}\d{{2}}{_GAP}\d{{4}}){_NO_DIGIT_AFTER}")

# Nine plain digits are too common to flag on their own; only after an SSN label.
SSN_LABELLED = re.compile(
    r"\b(?:ssn|ss\#|social\s+security(?:\s+(?:no|num|number|\#))?)(?![a-z])\.?\s*[:\#=.-]?\s*"
    r"(?P<id>\d{9})(?!\d)",
    re.IGNORECASE,
)

MRN_LABELLED = re.compile(
    r"""
    \b(?: mrn | m\.r\.n
        | (?:medical\s+)?record\s+(?:no|num|number|\#)
        | hosp(?:ital)?\.?\s*(?:no|num|number|\#)
        | (?:patient|pt)\.?\s*(?:no|num|number|id|\#)
        | unit\s+(?:no|num|number|\#)
        | chi(?:\s+(?:no|num|number))?
        | nhs\s*(?:no|num|number|\#)
        | id\s+(?:no|num|number|\#)
    )(?![a-z])\.?\s*[:\#=.-]?\s*
    (?P<id>[a-z0-9]+(?:[-/][a-z0-9]+)*)(?![a-z0-9])
    """,
    re.IGNORECASE | re.VERBOSE,
)

# A letter prefix and six to nine digits: how most trusts and US hospitals write a record number.
MRN_PREFIXED = re.compile(r"(?<![\w/#-])(?P<id>(?P<prefix>[a-z]{1,3})[- ]?(?P<digits>\d{6,9}))(?![\w/-])", re.IGNORECASE)
# With a space between, only a single letter that is not a word: "K 2208731", not "a 1234567" or "MRN 1234567".
_NOT_A_PREFIX = frozenset({"a", "i"})
_TICKET_PREFIXES = frozenset({
    "inc", "req", "chg", "prb", "cs", "sr", "tkt", "web", "sn", "po", "gb", "ir", "si", "dw", "bn", "eq", "wo", "ext",
    "ref", "lot", "exp", "fax", "tel", "mob", "no",
})
_TICKET_WORDS = re.compile(
    r"\b(?:datix|incident|ticket|ref|reference|job|lot|batch|serial|order|asset|case|logged|servicenow"
    r"|helpdesk|estates|steis|hsib|complaint|lfpse|nrls|ulysses|safeguard|invoice|accession|kit|model|raised"
    r"|submitted|filed|reported|datixed|escalated)\b",
    re.IGNORECASE,
)

# Month names as typed in a hurry ("febuary", "septmber"): only ever read after a birth label.
_MONTH = r"(?:jan[a-z]*|feb[a-z]*|mar(?:ch)?|apr[a-z]*|may|jun[a-z]*|jul[a-z]*|aug[a-z]*|sep[a-z]*|oct[a-z]*|nov[a-z]*|dec[a-z]*)(?![a-z])\.?"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_TENS = "twenty|thirty|forty|fourty|fifty|sixty|seventy|eighty|ninety"
_ORDINAL_UNITS = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
_ORDINAL_WORD = (
    rf"(?:(?:twenty|thirty)[- ]?(?:{_ORDINAL_UNITS})|{_ORDINAL_UNITS}|tenth|eleventh|twelfth|thirteenth|fourteenth"
    r"|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)"
)
_DAY_WORD = rf"(?:{_ORDINAL_WORD}|(?:twenty|thirty)[- ]?(?:{_UNITS})|{_TEENS}|{_UNITS}|twenty|thirty)"
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_DAY_WORD})(?![a-z\d])"
_YEAR_WORDS = (
    rf"(?:nineteen|eighteen)(?:[- ]hundred(?:\s+and)?)?[- ](?:(?:{_TENS})(?:[- ](?:{_UNITS}))?|{_TEENS}|o[- ](?:{_UNITS}))"
    rf"|two\s+thousand(?:\s+and)?(?:\s+(?:{_UNITS}|{_TEENS}|twenty(?:[- ](?:{_UNITS}))?))?"
)
_YEAR = rf"(?:\d{{4}}|'\d{{2}}|\d{{2}}|{_YEAR_WORDS})(?![a-z\d])"
_DATE_NUMERIC = r"""(?:
      \d{1,2}[/.-]\d{1,2}(?:[/.-](?:\d{4}|\d{2}))?
    | \d{4}[/.-]\d{1,2}[/.-]\d{1,2}
    )(?![\d/.-]\d)"""
_DATE_WORDS = rf"""(?:
      (?:the\s+)?{_DAY}\s*(?:of\s+)?{_MONTH}(?:,?\s*{_YEAR})?
    | {_MONTH}\s+(?:the\s+)?{_DAY}(?:,?\s*{_YEAR})?
    | {_MONTH},?\s+{_YEAR}
    | (?:christmas|boxing|new\s+year'?s|valentine'?s|st\s+patrick'?s)\s+day(?:,?\s*{_YEAR})?
    )"""

# A date is a date of birth only when a birth label sits right before it (a few words may come between).
DATE_OF_BIRTH = re.compile(
    rf"""
    \b(?: d\.?\s?o\.?\s?b\b\.? | date\s+of\s+birth | birth\s?date | born | b\.(?=\s*\d) | birthday | bday )
    [\s:=,.-]*(?:(?:is|was|on|of|in|back|the|:)\s+){{0,3}}
    (?P<id>{_DATE_NUMERIC}|{_DATE_WORDS})
    """,
    re.IGNORECASE | re.VERBOSE,
)

# "Born in 1929": the year alone, when it makes the person over 89 (HIPAA counts it then).
BIRTH_YEAR = re.compile(r"\bborn\s+(?:in\s+|back\s+in\s+|around\s+|about\s+)?(?P<id>(?:18|19|20)\d\d)(?![\d/.-]\d)", re.IGNORECASE)

# International: a "+" or "00" trunk, a country code, then 6 to 14 more digits with light separators.
PHONE_INTERNATIONAL = re.compile(
    r"(?<![\w+])(?P<id>(?:\+\s?|00\s?)[1-9](?:[ \-.()]{0,3}\d){6,15})(?!\d)"
)
_TIME_LIST = re.compile(r"\d{4}(?:[ ,]+\d{4})+")

# UK: trunk 0, then a geographic (01/02), non-geographic (03/05/08/09) or mobile (07) range.
PHONE_UK = re.compile(
    rf"(?<![\d+])(?P<id>(?:\(0[1235789]\d{{1,3}}\)|0[1235789]\d{{1,3}})(?:{_GAP}?\d{{3,4}}){{1,2}}){_NO_DIGIT_AFTER}"
)

# US: area code in brackets or followed by a separator; 3-4 split always separated.
_US_SEP = "[ .\\-\u2010\u2013]"
PHONE_US = re.compile(
    rf"(?<![\d+])(?P<id>(?:1{_US_SEP})?(?:\([2-9]\d\d\){_US_SEP}?|[2-9]\d\d{_US_SEP})\d{{3}}{_US_SEP}\d{{4}}){_NO_DIGIT_AFTER}"
)

PHONE_LABELLED = re.compile(
    r"\b(?:tel|telephone|phone|mobile|mob|cell|cellphone)(?:\s*(?:no|num|number|\#))?(?![a-z])\.?\s*[:\#=.-]?\s*"
    r"(?P<id>\+?\(?\d[\d \-.()]{5,18}\d)(?!\d)",
    re.IGNORECASE,
)

# "jo bloggs at gmail": the big webmail names need no ".com" to be an address.
EMAIL_WEBMAIL = re.compile(
    r"(?<![\w.+-])(?P<id>(?:[a-z0-9_.+-]+\s*(?:@|\(at\)|\[at\])|[a-z0-9_+-]*[._\d][a-z0-9_.+-]*\s+at)\s*"
    r"(?:gmail|googlemail|hotmail|yahoo|outlook|icloud"
    r"|aol|btinternet|protonmail|ntlworld|virginmedia|talktalk))(?![\w-])",
    re.IGNORECASE,
)
EMAIL = re.compile(
    r"(?<![\w.+%-])(?P<id>[\w.+%-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})(?![\w-])",
    re.IGNORECASE,
)

# Royal Mail's six outward/inward shapes (A9 9AA, A99 9AA, A9A 9AA, AA9 9AA, AA99 9AA, AA9A 9AA) and the
# letters each position may hold; the space is optional, case is not kept by people typing on a phone.
POSTCODE = re.compile(
    r"""(?<![a-z0-9])(?P<id>
        (?: [a-pr-uwyz]\d(?:\d|[a-hjkpstuw])?
          | [a-pr-uwyz][a-hk-y]\d(?:\d|[abehmnprv-y])?
        )\s{0,2}(?P<inward>\d[abd-hjlnp-uw-z]{2})
      | gir\s?0aa
    )(?![a-z0-9])""",
    re.IGNORECASE | re.VERBOSE,
)
# The outward half alone ("lives in BS8") narrows a patient to a few thousand homes: only after an address word.
POSTCODE_DISTRICT = re.compile(
    r"""\b(?:lives|living|address|post\s?code)(?:\s+(?:is|in|at|near|round))?\s*[:-]?\s*
    (?P<id>[a-pr-uwyz][a-hk-y]?\d[a-z\d]?)(?![a-z0-9])""",
    re.IGNORECASE | re.VERBOSE,
)
_ORDINAL_INWARD = re.compile(r"1st|2nd|3rd|[04-9]th", re.IGNORECASE)
_POSTCODE_LABEL = re.compile(r"post\s?code|address|lives|living", re.IGNORECASE)

# HMRC's National Insurance number: two prefix letters (D, F, I, U, V never used; O never second), six digits,
# a suffix A to D.  The example prefix QQ is kept on purpose: it is what people copy from forms.
NI_NUMBER = re.compile(
    r"(?<![a-z0-9])(?P<id>[a-ceg-hj-tw-z][a-ceg-hj-npqr-tw-z][ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[a-d])(?![a-z0-9])",
    re.IGNORECASE,
)
NI_LABELLED = re.compile(
    r"\b(?:ni|nino|national\s+ins(?:urance)?)(?:\s*(?:no|num|number|\#))?\.?\s*[:\#=.-]?\s*"
    r"(?P<id>[a-z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}(?:[ -]?[a-d])?)(?![a-z0-9])",
    re.IGNORECASE,
)

_STREET_TYPES_CLEAR = (
    r"street|avenue|ave|road|rd|boulevard|blvd|drive|lane|ln|terrace|parkway|pkwy|highway|hwy|crescent|gardens|mews"
)
_STREET_TYPES_AMBIGUOUS = r"st|dr|ct|court|way|pl|place|close|grove|square|circle|cir|ter|row|walk"
_NOT_STREET_WORD = (
    r"(?:to|the|at|of|in|on|for|and|from|with|a|an|by|or|more|units?|mg|mcg|mls?|doses?|times|hours?|hrs?|mins?"
    r"|minutes?|days?|weeks?|patients?|pts|beds?|nurses?|of|was|were|had|have|lots|big|we|i|he|she|miles?|km"
    r"|major|minor|car|cars|vehicle|test|long|short|hour|minute|mile|day)"
)
_STREET = rf"""(?<![\d.:/])(?P<id>\d{{1,6}}[a-z]?,?\s+
    (?:(?!{_NOT_STREET_WORD}\b)(?:[a-z][a-z'.-]*|\d+(?:st|nd|rd|th))\s+){{1,3}}
    (?:(?:{_STREET_TYPES_CLEAR})\b\.?(?!\s+(?:traffic|accident|collision|rage|safety))
      |(?:{_STREET_TYPES_AMBIGUOUS})\b\.?(?=\s*(?:[,;.]|$|\b(?:apt|unit|suite|ste|flat|\#)|[nsew]{{1,2}}\b)))
    )"""
STREET_ADDRESS = re.compile(_STREET, re.IGNORECASE | re.VERBOSE)

PO_BOX = re.compile(r"\b(?P<id>p\.?\s?o\.?\s+box\s+\d+)", re.IGNORECASE)

_STATE_CODES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND"
    "|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR"
)
_STATE_NAMES = (
    r"alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|georgia|hawaii|idaho"
    r"|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|massachusetts|michigan|minnesota"
    r"|mississippi|missouri|montana|nebraska|nevada|new\s+hampshire|new\s+jersey|new\s+mexico|new\s+york"
    r"|north\s+carolina|north\s+dakota|ohio|oklahoma|oregon|pennsylvania|rhode\s+island|south\s+carolina"
    r"|south\s+dakota|tennessee|texas|utah|vermont|virginia|washington|west\s+virginia|wisconsin|wyoming"
)
# A ZIP code is five digits (plus four); only a state just before it makes it an address, so each five-digit
# run is found first and the few characters before it are read backwards: cheaper than a state-first search.
US_ZIP = re.compile(r"\d{5}(?:-\d{4})?(?![\d-])")  # no lookbehind first: `re` then skips to digits fast
# State codes that are also words or clinical shorthand ("OR", "in", "ME", "PA", "CT", "ID") count only after a
# town ("Dayton OH", "portland, or 97214"); the others ("TX", "ny", "UT") count as they are.
_STATE_WORDS = "AL|AR|CA|CO|CT|DC|DE|HI|ID|IN|LA|MA|MD|ME|MO|MS|MT|NE|OH|OK|OR|PA|SC|VA|WA"
_STATE_PLAIN = "|".join(code for code in _STATE_CODES.split("|") if code not in _STATE_WORDS.split("|"))
_STATE_BEFORE = re.compile(
    rf"(?:(?<![A-Za-z])(?i:{_STATE_PLAIN})|(?i:\b(?:{_STATE_NAMES}))"
    rf"|[A-Z][a-z]+,?\s+(?:{_STATE_WORDS})|,\s*[a-z][a-z .]{{1,30}}?,?\s+(?i:{_STATE_WORDS})),?\s+$"
)


def _find_zips(text: str) -> Iterator[tuple[int, int]]:
    """US ZIP codes after a state ("OH 45402", "Illinois 60661", "portland, or 97214").

    Why a state is needed: five digits alone are a Datix number or a dose.
    An upper-case state code or a state's name is enough; a lower-case code
    ("or", "in", "me" are words) only after a comma and a town.
    """
    for match in US_ZIP.finditer(text):
        if match.start() and text[match.start() - 1] in "0123456789-":
            continue
        before = _STATE_BEFORE.search(text, max(0, match.start() - 40), match.start())
        if before:
            yield match.start(), match.end()


_AGE_NUMBER = r"(?:9\d|1[01]\d|120)"
_AGE_WORDS = rf"(?:ninety(?:[- ](?:{_UNITS}))?|(?:a|one)\s+hundred(?:\s+and\s+(?:{_UNITS}|{_TEENS}))?)"
_AGE = rf"(?:{_AGE_NUMBER}|{_AGE_WORDS})(?!\d|\.\d)"
_PERSON = (
    r"(?:man|woman|lady|gentleman|gent|chap|fella|bloke|guy|patient|pt|male|female|person|resident|grandmother"
    r"|grandfather|grandma|grandad|granny|gran|nan|widow|widower|veteran|mum|mom|dad)"
)
# HIPAA counts any age over 89 as an identifier; only with an age cue, so "CPR for 95 minutes" stays clean.
AGE_OVER_89 = re.compile(
    rf"""(?<![\w.])(?P<id>
        {_AGE}\s*-?\s*(?:years?|yrs?|yr|y)[\s-]*(?:old|o\b|/o\b|\.o\.?|of\s+age)
      | {_AGE}\s*(?:yo|y/o|y\.o\.?|yom|yof|yo[mf])(?![a-z])
      | {_AGE_NUMBER}(?:yrs?|years)(?![a-z])
      | {_AGE_NUMBER}[mf](?=[\s,.;:)]|$)
      | (?:aged|age[d:]?)\s*:?\s*{_AGE}
      | {_PERSON}\s+(?:of|aged)\s+{_AGE}
      | {_PERSON}\s*[,(]\s*{_AGE}(?=\s*[),.;]|\s*$|\s+(?:and|with|from|on|in|who)\b)
      | (?:turned|turning|reached|reach)\s+{_AGE}(?![\d%])
      | {_AGE_NUMBER}(?:st|nd|rd|th)\s+birthday
      | in\s+(?:his|her|their)\s+(?:early\s+|mid[\s-]?|late\s+)?(?:90'?s|nineties)
      | (?:super)?centenarian | nonagenarian
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# "she was 96." reads as an age only when no observation was just mentioned ("sats dropped, she was 94.").
AGE_STATED = re.compile(
    rf"""(?<![\w.])(?:he|she|they|{_PERSON}(?:\s+(?:in|on|at|from)(?:\s+[a-z]+)?\s+\w+)?)
    (?:'s|\s+is|\s+was|\s+were|\s+are)\s+(?:only\s+|just\s+|nearly\s+|almost\s+)?(?P<id>{_AGE})
    (?=\s*(?:[.,;!?)]|$|and\b|but\b|so\b|with\b|yrs?\b|years?\b|now\b|today\b))""",
    re.IGNORECASE | re.VERBOSE,
)
_OBSERVATION_BEFORE = re.compile(
    r"\b(?:sats?|spo2|o2|oxygen|hr|heart\s+rate|pulse|bp|rr|resps?|temp|glucose|bm|news|map|weight|score)\b|%",
    re.IGNORECASE,
)
_TEMPERATURE_BEFORE = re.compile(r"(?:temp(?:erature)?|t)\s*:?\s*$", re.IGNORECASE)

# A number followed by a unit is a dose or an observation, never a phone number.
_UNIT_AFTER = re.compile(
    r"\s*(?:mg|mcg|micrograms?|µg|ug|g|kg|ml|l|mmol|units?|iu|%|mmhg|kpa|bpm|j|joules?"
    r"|mins?|minutes?|secs?|seconds?|hrs?|hours?|days?|weeks?|degrees?|°|miles?|km|m|metres?|meters?)(?![a-z])",
    re.IGNORECASE,
)

# Overlaps keep the most specific kind: a check digit beats a labelled shape beats a phone plan.
_SPECIFICITY = {
    "nhs_number": 0,
    "ssn": 1,
    "ni_number": 2,
    "email": 3,
    "date_of_birth": 4,
    "postcode": 5,
    "address": 6,
    "mrn": 7,
    "phone": 8,
    "age": 9,
    "name": 10,
}


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _nhs_check_digit(first_nine: str) -> int | None:
    """Mod-11 check digit of an NHS number; None when the number cannot exist."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def _valid_nhs(match: re.Match[str]) -> bool:
    """A valid mod-11 check digit (one random ten-digit run in eleven passes, so the shape is checked too, above).

    Digits spaced one by one must also stand alone: "0 1 2 3 4 5 6 7 8 9 10" is a pain scale.
    """
    value = match["id"]
    digits = _digits(value)
    if _nhs_check_digit(digits[:9]) != int(digits[9]):
        return False
    if len(value) - len(digits) < 9:
        return True
    text = match.string
    return not (_DIGIT_NEAR_AFTER.match(text, match.end()) or _DIGIT_NEAR_BEFORE.search(text, max(0, match.start() - 4), match.start()))


def _valid_ssn(match: re.Match[str]) -> bool:
    """The SSA never issues area 000, 666 or 9xx, group 00 or serial 0000."""
    digits = _digits(match["id"])
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _valid_mrn(match: re.Match[str]) -> bool:
    """A record number has at least four digits ("patient no 4 in bay 2" is a count)."""
    return len(_digits(match["id"])) >= 4


def _valid_prefixed_mrn(match: re.Match[str]) -> bool:
    """A letter-prefixed record number, unless it is a ticket, incident, lot or asset reference.

    Why: "K2208731" or "ABX4471230" needs no label to be a hospital number,
    but service desks and incident systems use the same shape ("INC0012345",
    "W123456 on datix").  Known ticket prefixes are refused, and so is any
    such shape with a ticket word a few words either side.
    """
    prefix = match["prefix"].lower()
    if prefix in _TICKET_PREFIXES or (" " in match["id"] and (len(prefix) > 1 or prefix in _NOT_A_PREFIX)):
        return False
    text = match.string
    around = text[max(0, match.start() - 30) : match.start()] + " " + text[match.end() : match.end() + 20]
    return not _TICKET_WORDS.search(around)


def _valid_postcode(match: re.Match[str]) -> bool:
    """A postcode shape, unless its "inward" half is an ordinal ("bay B4 2nd floor", "L5 1st") with no address label."""
    inward = match["inward"]
    if inward is None or not _ORDINAL_INWARD.fullmatch(inward):
        return True
    return bool(_POSTCODE_LABEL.search(match.string, max(0, match.start() - 25), match.start()))


def _over_89(match: re.Match[str]) -> bool:
    """A birth year more than 89 years ago; a younger person's year of birth alone is not an identifier."""
    return date.today().year - int(match["id"]) > 89


def _valid_international(match: re.Match[str]) -> bool:
    """8 to 15 digits after "+" or "00", and not a list of 24-hour times ("0030 0100 0130")."""
    value = match["id"]
    if _UNIT_AFTER.match(match.string, match.end()):
        return False
    digits = _digits(value)
    if value.startswith("00"):
        digits = digits[2:]
        if _TIME_LIST.fullmatch(value):
            return False
    return 8 <= len(digits) <= 15


def _valid_age(match: re.Match[str]) -> bool:
    """An age over 89, unless a unit follows ("turned 90 degrees") or the "F" is Fahrenheit ("temp 99F")."""
    value = match["id"]
    if _UNIT_AFTER.match(match.string, match.end()):
        return False
    return not (value[-1:].lower() == "f" and _TEMPERATURE_BEFORE.search(match.string, 0, match.start()))


def _valid_stated_age(match: re.Match[str]) -> bool:
    """"She was 96": an age unless an observation comes just before (then it is the sats or the pulse)."""
    return _valid_age(match) and not _OBSERVATION_BEFORE.search(match.string, max(0, match.start() - 40), match.start())


def _phone_digits(low: int, high: int) -> Callable[[re.Match[str]], bool]:
    def valid(match: re.Match[str]) -> bool:
        if _UNIT_AFTER.match(match.string, match.end()):
            return False
        return low <= len(_digits(match["id"])) <= high

    return valid


def _always(match: re.Match[str]) -> bool:
    return True


@dataclass(frozen=True)
class _Hint:
    """A cheap search for what a costly pattern must contain, and how far the pattern reaches around it."""

    pattern: re.Pattern[str]
    before: int
    after: int


def _windowed(pattern: re.Pattern[str], hint: _Hint, body: str) -> Iterator[re.Match[str]]:
    """Matches of `pattern`, looked for only in windows around each hit of its hint.

    Why: Python's regex engine tries a pattern that starts with an
    alternation at every position of the text, which for the few patterns
    below costs more than all the others.  Each of their matches contains a
    hit of a cheap hint (a number from 90 to 120 for an age, "born" or "dob"
    for a date of birth), so only a window around each hit is searched.  A
    window's end can cut a match short, so each one found is matched again
    on the whole text from the same start.
    """
    windows: list[list[int]] = []
    for hit in hint.pattern.finditer(body):
        low, high = max(0, hit.start() - hint.before), min(len(body), hit.end() + hint.after)
        if windows and low <= windows[-1][1]:
            windows[-1][1] = high  # overlapping windows are searched as one
        else:
            windows.append([low, high])
    done = 0
    for low, high in windows:
        for short in pattern.finditer(body, max(low, done), high):
            match = pattern.match(body, short.start())
            if match is not None and match.start() >= done:
                done = match.end()
                yield match


_AGE_HINT = _Hint(re.compile(r"(?<!\d)(?:9\d|1[01]\d|120)(?!\d)|ninet|hundred|centenarian|nonagenarian", re.IGNORECASE), 60, 40)
_LABEL_AFTER = 60  # a label, then a few words and the identifier
# Seven digits or more with light separators between: what every long-number pattern below needs.
_DIGIT_RUN = _Hint(re.compile(r"\d(?:[ .\-/()\u2010\u2012\u2013]{0,3}\d){6,}"), 6, 2)
_HINTS: dict[re.Pattern[str], _Hint] = {
    AGE_OVER_89: _AGE_HINT,
    AGE_STATED: _AGE_HINT,
    NHS_NUMBER: _DIGIT_RUN,
    SSN_GROUPED: _DIGIT_RUN,
    PHONE_INTERNATIONAL: _DIGIT_RUN,
    PHONE_UK: _DIGIT_RUN,
    PHONE_US: _DIGIT_RUN,
    DATE_OF_BIRTH: _Hint(re.compile(r"\b(?:d\.?\s?o\.?\s?b|birth|born|bday|b\.)", re.IGNORECASE), 15, 90),
    MRN_LABELLED: _Hint(re.compile(r"\b(?:mrn|m\.r|record|hosp|patient|pt|unit|chi|nhs|id)", re.IGNORECASE), 10, _LABEL_AFTER),
    PHONE_LABELLED: _Hint(re.compile(r"\b(?:tel|phone|mob|cell)", re.IGNORECASE), 0, _LABEL_AFTER),
    SSN_LABELLED: _Hint(re.compile(r"\b(?:ss|social)", re.IGNORECASE), 0, _LABEL_AFTER),
    NI_LABELLED: _Hint(re.compile(r"\b(?:ni|national)", re.IGNORECASE), 0, _LABEL_AFTER),
    POSTCODE_DISTRICT: _Hint(re.compile(r"\b(?:lives|living|address|post\s?code)", re.IGNORECASE), 0, 40),
    EMAIL_WEBMAIL: _Hint(
        re.compile(r"mail|yahoo|outlook|icloud|aol|btinternet|proton|ntlworld|virgin|talktalk", re.IGNORECASE), 80, 15
    ),
    STREET_ADDRESS: _Hint(
        re.compile(rf"\b(?:{_STREET_TYPES_CLEAR}|{_STREET_TYPES_AMBIGUOUS})\b", re.IGNORECASE), 80, 5
    ),
}

_PATTERNS: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool]]] = [
    ("nhs_number", NHS_NUMBER, _valid_nhs),
    ("ssn", SSN_GROUPED, _valid_ssn),
    ("ssn", SSN_LABELLED, _valid_ssn),
    ("ni_number", NI_NUMBER, _always),
    ("ni_number", NI_LABELLED, _always),
    ("mrn", MRN_LABELLED, _valid_mrn),
    ("mrn", MRN_PREFIXED, _valid_prefixed_mrn),
    ("date_of_birth", DATE_OF_BIRTH, _always),
    ("date_of_birth", BIRTH_YEAR, _over_89),
    ("postcode", POSTCODE, _valid_postcode),
    ("postcode", POSTCODE_DISTRICT, _always),
    ("address", STREET_ADDRESS, _always),
    ("address", PO_BOX, _always),
    ("age", AGE_OVER_89, _valid_age),
    ("age", AGE_STATED, _valid_stated_age),
    ("phone", PHONE_INTERNATIONAL, _valid_international),
    ("phone", PHONE_UK, _phone_digits(10, 11)),
    ("phone", PHONE_US, _phone_digits(10, 11)),
    ("phone", PHONE_LABELLED, _phone_digits(7, 15)),
    ("email", EMAIL, _always),
    ("email", EMAIL_WEBMAIL, _always),
]


def _lower_case_twin(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """The same pattern without IGNORECASE, for text already in lower case (several times faster in `re`).

    Only for patterns that name no upper-case letter themselves (escapes such as \\d aside).
    """
    if not pattern.flags & re.IGNORECASE:
        return None
    bare = re.sub(r"\\.|\(\?P<\w+>|\(\?P=\w+\)", "", pattern.pattern)
    if re.search("[A-Z]", bare):
        return None
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


@dataclass(frozen=True)
class _Search:
    """One pattern of `_PATTERNS` as `find_identifiers` runs it: on the text as typed, or its lower-case twin on the lower-cased text.

    Built once here, because looking a compiled pattern up in a dict hashes
    its whole source each time (the street names' pattern is thousands of
    characters): that alone cost more than all the searches on a short answer.
    """

    kind: str
    exact: re.Pattern[str]
    lower: re.Pattern[str] | None  # `_lower_case_twin(exact)`
    exact_hint: _Hint | None
    lower_hint: _Hint | None  # the hint for `lower`: with its own twin when it has one
    valid: Callable[[re.Match[str]], bool]

    @classmethod
    def of(cls, kind: str, pattern: re.Pattern[str], valid: Callable[[re.Match[str]], bool]) -> _Search:
        hint = _HINTS.get(pattern)
        twin = _lower_case_twin(hint.pattern) if hint is not None else None
        lower_hint = _Hint(twin, hint.before, hint.after) if hint is not None and twin is not None else hint
        return cls(kind, pattern, _lower_case_twin(pattern), hint, lower_hint, valid)

    def matches(self, body: str, lowered: str) -> Iterator[re.Match[str]]:
        """Its matches in `body` (`lowered` is `body.lower()` when of the same length, else empty)."""
        if lowered and self.lower is not None:
            pattern, hint, text = self.lower, self.lower_hint, lowered
        else:
            pattern, hint, text = self.exact, self.exact_hint, body
        return pattern.finditer(text) if hint is None else _windowed(pattern, hint, text)


_SEARCHES = [_Search.of(kind, pattern, valid) for kind, pattern, valid in _PATTERNS]

# --- the guard -----------------------------------------------------------------------------------


def _where(start: int, end: int, length: int) -> str:
    """Roughly where in a long answer, without quoting it: a short one needs no pointer."""
    if length < 80:
        return ""
    middle = (start + end) / 2 / length
    return "near the start" if middle < 0.34 else "near the end" if middle > 0.66 else "in the middle"


def find_identifiers(text: str, field: str = "", allow: Collection[str] = ()) -> list[Finding]:
    """Likely patient identifiers in `text`, sorted by start offset, never overlapping.

    Each finding spans the identifier itself (not its label), as character
    offsets into `text`, and carries `field` so a form can point at the box.
    Kinds in `allow` are not reported (a request to talk may carry the
    person's own phone number and e-mail: `OWN_CONTACT`), but they still win
    an overlap, so an allowed phone number is never half-reported as a
    hospital number.
    """
    canonical = normalise(text)
    body = canonical.text
    lowered = body.lower()
    if len(lowered) != len(body):  # a few characters change length in lower case: keep the slow, exact path
        lowered = ""
    candidates: list[Finding] = []
    for search in _SEARCHES:
        for match in search.matches(body, lowered):
            if search.valid(match):
                candidates.append(Finding(search.kind, *canonical.span(match.start("id"), match.end("id")), field))
    for kind, finder in (("name", find_names), ("name", find_surname_first), ("address", _find_zips)):
        for start, end in finder(body):
            candidates.append(Finding(kind, *canonical.span(start, end), field))
    return _report(candidates, allow, len(text))


def _report(candidates: list[Finding], allow: Collection[str], length: int) -> list[Finding]:
    """The most specific finding wins each overlap (a check digit beats a shape beats a phone plan); sorted by start."""
    candidates.sort(key=lambda f: (_SPECIFICITY[f.kind], f.start - f.end, f.start))
    starts: list[int] = []
    kept: list[Finding] = []
    for candidate in candidates:
        at = bisect.bisect_left(starts, candidate.start)
        if at > 0 and kept[at - 1].end > candidate.start:
            continue
        if at < len(kept) and kept[at].start < candidate.end:
            continue
        starts.insert(at, candidate.start)
        kept.insert(at, candidate)
    reported = [finding for finding in kept if finding.kind not in allow]
    for finding in reported:
        finding.where = _where(finding.start, finding.end, length)
    return reported


def screen(
    fields: Mapping[str, str | None],
    *,
    allow: Collection[str] = (),
    labels: Mapping[str, str] | None = None,
) -> None:
    """Refuse a form whose free text looks like it names a patient.

    Runs `find_identifiers` over every non-empty field and raises
    `IdentifierFound` with all findings (each tagged with its field name), so
    the caller can show a kind message per field and store nothing.  `allow`
    lets kinds through (`OWN_CONTACT` for the request to talk); `labels` are
    the fields' names as the person sees them, for the overall message.
    """
    findings = [
        finding
        for name, text in fields.items()
        if text
        for finding in find_identifiers(text, name, allow)
    ]
    if findings:
        raise IdentifierFound(findings, dict(labels or {}))
