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

Platform-neutral; standard library and the name lists in bot/identifier_data/.
"""

from __future__ import annotations

import bisect
import gzip
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from bot.errors import Finding, IdentifierFound

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


def _windowed(pattern: re.Pattern[str], hint: _Hint, body: str, lowered: str | None) -> Iterator[re.Match[str]]:
    """Matches of `pattern`, looked for only in windows around each hit of its hint.

    Why: Python's regex engine tries a pattern that starts with an
    alternation at every position of the text, which for the few patterns
    below costs more than all the others.  Each of their matches contains a
    hit of a cheap hint (a number from 90 to 120 for an age, "born" or "dob"
    for a date of birth), so only a window around each hit is searched.  A
    window's end can cut a match short, so each one found is matched again
    on the whole text from the same start.
    """
    twin = _LOWER.get(hint.pattern)
    hits = twin.finditer(lowered) if twin is not None and lowered is not None else hint.pattern.finditer(body)
    windows: list[list[int]] = []
    for hit in hits:
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


_LOWER: dict[re.Pattern[str], re.Pattern[str]] = {
    pattern: twin
    for pattern in [p for _, p, _ in _PATTERNS] + [hint.pattern for hint in _HINTS.values()]
    if (twin := _lower_case_twin(pattern)) is not None
}

# --- names ---------------------------------------------------------------------------------------

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
# Words that are also surnames but after a first name in lower case are what that person did ("jo held").
_VERBISH = frozenset(["held", "rang", "ran", "sang", "came", "went", "took", "gave", "kept", "left", "felt", "sat", "stood", "brought", "bought", "thought", "caught", "taught", "found", "made", "told", "sold", "put", "cut", "set", "let", "hit", "got", "saw", "knew", "grew", "drew", "flew", "threw", "wore", "bore", "swore", "ate", "fell", "hid", "led", "fed", "bled", "shot", "lost", "meant", "sent", "spent", "built", "lent", "bent", "dealt", "heard", "paid", "laid", "read", "rode", "wrote", "spoke", "broke", "woke", "chose", "froze", "stole", "drove", "rose", "shone", "struck", "stuck", "swung", "hung", "rung", "dug", "spun", "won", "began", "swam", "drank", "sank", "did", "had", "will", "would", "can", "could", "shall", "should", "may", "might", "must", "also", "then", "just", "really", "always", "never", "still", "again", "too", "quickly", "back", "home", "here", "well", "fine", "good", "great", "brilliant", "amazing", "lovely", "kind", "calm", "ok", "okay", "best", "only", "even", "sure", "band", "rota", "shift", "shifts", "nights", "days", "lates", "earlies", "obs", "meds", "bloods", "drugs", "notes", "handover", "cover", "break", "lead", "bleep"])
# Never a name however it is cased: function words, pronouns, months and days, clinical shorthand.
_STOP = frozenset(["a", "an", "and", "the", "or", "but", "if", "so", "to", "of", "in", "on", "at", "by", "for", "from", "with", "without", "into", "onto", "over", "under", "up", "down", "out", "off", "as", "is", "was", "were", "be", "been", "being", "am", "are", "has", "had", "have", "having", "do", "does", "did", "done", "not", "no", "yes", "i", "me", "my", "mine", "we", "us", "our", "you", "your", "he", "him", "his", "she", "her", "hers", "they", "them", "their", "it", "its", "this", "that", "these", "those", "there", "here", "who", "whom", "whose", "which", "what", "when", "where", "why", "how", "all", "any", "each", "every", "some", "many", "much", "more", "most", "few", "less", "least", "said", "says", "say", "told", "asks", "asked", "came", "come", "went", "go", "gone", "got", "get", "gets", "getting", "made", "make", "took", "take", "gave", "give", "just", "only", "also", "still", "very", "too", "then", "than", "now", "again", "ever", "never", "always", "often", "soon", "later", "today", "tonight", "yesterday", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "bay", "bed", "ward", "side", "room", "unit", "team", "nurse", "doctor", "dr", "reg", "sho", "fy1", "consultant", "family", "son", "daughter", "wife", "husband", "and&", "re", "ok", "okay", "thanks", "thank", "please", "sorry", "hi", "hello", "yes", "yeah", "nope"])


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


def _find_names(text: str) -> Iterator[tuple[int, int]]:
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


def _find_surname_first(text: str) -> Iterator[tuple[int, int]]:
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
    if len(tokens[following][2].rstrip(".")) == 1 and following + 1 < count:
        following += 1  # a middle initial: "John K Smith"
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
        both_words = bare in words and surname in words
        return not (both_words and _sentence_start(text, start))
    if (word.islower() and next_word.islower()) or (word.isupper() and next_word.isupper() and len(word) > 2):
        if surname not in surnames:
            return False
        if len(surname) <= 2:
            return strong  # "gina ng" is the NG tube; "pt li wei" is a name
        if bare in words and surname in words:
            return strong  # "pt john smith", but not "will young" or "mark hall" on their own
        if surname in _VERBISH or (surname in words and surname.endswith(("ed", "ing"))):
            return strong  # "priya held the bleep", "sam helped": a first name and what they did
        return cue or bare not in words
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
    for kind, pattern, valid in _PATTERNS:
        searched, fast = (lowered, _LOWER[pattern]) if lowered and pattern in _LOWER else (body, pattern)
        hint = _HINTS.get(pattern)
        for match in fast.finditer(searched) if hint is None else _windowed(fast, hint, searched, lowered or None):
            if valid(match):
                candidates.append(Finding(kind, *canonical.span(match.start("id"), match.end("id")), field))
    for kind, finder in (("name", _find_names), ("name", _find_surname_first), ("address", _find_zips)):
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
