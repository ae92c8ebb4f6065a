"""The patient-identifier guard: what it catches, where, and what it leaves alone."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from answering import record
from hypothesis import assume, given
from hypothesis import strategies as st
from identifier_scores import CLEAN, IDENTIFIERS, Score, load, score, split_heldout, total

from bot.errors import Finding, IdentifierFound
from bot.identifiers import OWN_CONTACT, find_identifiers, normalise, screen

PHRASES = Path(__file__).with_name("clinical_phrases.txt")


def spans(text: str, field: str = "") -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_identifiers(text, field)]


# --- what it catches ---------------------------------------------------------

CAUGHT = [
    # NHS numbers (9434765919 has a valid mod-11 check digit)
    ("NHS number 9434765919 on the wristband", "nhs_number", "9434765919"),
    ("it was 943 476 5919", "nhs_number", "943 476 5919"),
    ("(943-476-5919)", "nhs_number", "943-476-5919"),
    ("4010232137.", "nhs_number", "4010232137"),
    # US SSNs
    ("SSN 123-45-6789 was on the form", "ssn", "123-45-6789"),
    ("wrote 123 45 6789 on the board", "ssn", "123 45 6789"),
    ("SSN 123456789", "ssn", "123456789"),
    ("ssn: 123456789", "ssn", "123456789"),
    ("social security no. 123456789", "ssn", "123456789"),
    ("Social Security number 078051120", "ssn", "078051120"),
    # record numbers behind a label
    ("MRN 1234567", "mrn", "1234567"),
    ("MRN: A1234567 in resus", "mrn", "A1234567"),
    ("mrn a1234567", "mrn", "a1234567"),
    ("hospital no. 123456", "mrn", "123456"),
    ("hosp no 12345", "mrn", "12345"),
    ("Patient Number 1234", "mrn", "1234"),
    ("record no 55555", "mrn", "55555"),
    ("unit no: 778899", "mrn", "778899"),
    ("CHI 1234567890", "mrn", "1234567890"),
    ("ID no. AB1234", "mrn", "AB1234"),
    ("NHS no 1234567890", "mrn", "1234567890"),  # wrong check digit, but labelled
    # dates of birth: a date right after a birth label
    ("DOB 12/03/1956", "date_of_birth", "12/03/1956"),
    ("d.o.b. 1956-03-12", "date_of_birth", "1956-03-12"),
    ("D.O.B: 12.03.1956", "date_of_birth", "12.03.1956"),
    ("born 12 March 1956", "date_of_birth", "12 March 1956"),
    ("born on 3rd of Jan 1956", "date_of_birth", "3rd of Jan 1956"),
    ("date of birth: 3/12/56", "date_of_birth", "3/12/56"),
    ("Date of birth is March 12, 1956", "date_of_birth", "March 12, 1956"),
    # phone numbers
    ("call 07700 900123 please", "phone", "07700 900123"),
    ("07700900123", "phone", "07700900123"),
    ("+44 7700 900123", "phone", "+44 7700 900123"),
    ("ring 020 7946 0958", "phone", "020 7946 0958"),
    ("(020) 7946 0958", "phone", "(020) 7946 0958"),
    ("0300 0303 300", "phone", "0300 0303 300"),
    ("0161 496 0000", "phone", "0161 496 0000"),
    ("(555) 123-4567", "phone", "(555) 123-4567"),
    ("555-123-4567", "phone", "555-123-4567"),
    ("555.123.4567", "phone", "555.123.4567"),
    ("+1 555 123 4567", "phone", "+1 555 123 4567"),
    ("1-555-123-4567", "phone", "1-555-123-4567"),
    ("+33 1 23 45 67 89", "phone", "+33 1 23 45 67 89"),
    ("+353 1 234 5678", "phone", "+353 1 234 5678"),
    ("mobile 555-1234", "phone", "555-1234"),
    ("tel: 01632 960001", "phone", "01632 960001"),
    # e-mail addresses
    ("email jane.doe@nhs.net for the results", "email", "jane.doe@nhs.net"),
    ("<next.of.kin+ward@example.co.uk>", "email", "next.of.kin+ward@example.co.uk"),
]


# The kinds the guard learnt from issue 14, each with the span it reports.
CAUGHT += [
    ("Mr T Osei was in bay 4", "name", "Mr T Osei"),
    ("mrs kowalczyk kept asking", "name", "mrs kowalczyk"),
    ("pt Helen Marsh deteriorated", "name", "Helen Marsh"),
    ("keep thinking about tomasz wren", "name", "tomasz wren"),
    ("she lives at SW1A 1AA", "postcode", "SW1A 1AA"),
    ("home is ls6 2ab", "postcode", "ls6 2ab"),
    ("lives at 1842 Maple Ave with her son", "address", "1842 Maple Ave"),
    ("QQ 12 34 56 C on the form", "ni_number", "QQ 12 34 56 C"),
    ("his ni is ab123456c", "ni_number", "ab123456c"),
    ("nhs 943.476.5919", "nhs_number", "943.476.5919"),
    ("it was 943/476/5919", "nhs_number", "943/476/5919"),
    ("band said 9 4 3 4 7 6 5 9 1 9", "nhs_number", "9 4 3 4 7 6 5 9 1 9"),
    ("nhs 943\u200b476\u200b5919 pasted", "nhs_number", "943\u200b476\u200b5919"),
    ("\ufeff9434765919", "nhs_number", "9434765919"),
    ("email jane dot doe at gmail dot com", "email", "jane dot doe at gmail dot com"),
    ("sue(at)yahoo(dot)co(dot)uk", "email", "sue(at)yahoo(dot)co(dot)uk"),
    ("wife: priya.shah @ nhs.net", "email", "priya.shah @ nhs.net"),
    ("k.lim\uff20gmail.com", "email", "k.lim\uff20gmail.com"),
    ("ring 00 44 7700 900123", "phone", "00 44 7700 900123"),
    ("son on + 44 7700 900789", "phone", "+ 44 7700 900789"),
    ("\uff0b44 20 7946 0123", "phone", "\uff0b44 20 7946 0123"),
    ("her number was K2208731", "mrn", "K2208731"),
    ("ABX4471230 on the band", "mrn", "ABX4471230"),
    ("born on the second of March 1938", "date_of_birth", "second of March 1938"),
    ("dob 14th feb nineteen forty", "date_of_birth", "14th feb nineteen forty"),
    ("she was born in 1929", "date_of_birth", "1929"),
    ("she lives in BS8 with her son", "postcode", "BS8"),
    ("pt Marsh, Helen in bed 4", "name", "Marsh, Helen"),
    ("Priya Shah held the bleep", "name", "Priya Shah"),  # a colleague's full name counts too (README)
    ("a man of 95 on bay 2", "age", "man of 95"),
    ("the 101 year old in cubicle 6", "age", "101 year old"),
    ("she was in her late nineties", "age", "in her late nineties"),
]


@pytest.mark.parametrize(("text", "kind", "value"), CAUGHT)
def test_catches_each_kind_with_offsets(text: str, kind: str, value: str) -> None:
    findings = find_identifiers(text, "summary")
    assert [(f.kind, text[f.start : f.end]) for f in findings] == [(kind, value)]
    assert findings[0].start == text.index(value)
    assert findings[0].end == text.index(value) + len(value)
    assert findings[0].field == "summary"


def test_several_findings_are_sorted_by_start() -> None:
    text = "pt DOB 01/02/1960, NHS 943 476 5919, son on 07700 900123 or son@example.com"
    assert spans(text) == [
        ("date_of_birth", "01/02/1960"),
        ("nhs_number", "943 476 5919"),
        ("phone", "07700 900123"),
        ("email", "son@example.com"),
    ]


def test_field_defaults_to_empty() -> None:
    assert find_identifiers("MRN 1234567")[0] == Finding("mrn", 4, 11, "")


# --- overlaps keep the most specific kind -----------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NHS no 943 476 5919", [("nhs_number", "943 476 5919")]),  # not also mrn or phone
        ("MRN 9434765919", [("nhs_number", "9434765919")]),
        ("MRN 123-45-6789", [("ssn", "123-45-6789")]),
        ("+943 476 5919", [("nhs_number", "943 476 5919")]),
        ("943-476-5919", [("nhs_number", "943-476-5919")]),  # also a US phone shape
    ],
)
def test_overlaps_prefer_the_most_specific_kind(text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(text) == expected


# --- what it leaves alone ----------------------------------------------------

LEFT_ALONE = [
    "9434765918",  # wrong check digit
    "1234567890",  # wrong check digit
    "19434765919",  # inside a longer digit run
    "94347659190",
    "666-45-6789",  # SSNs never issued
    "000-12-3456",
    "912-34-5678",
    "123-00-4567",
    "123-45-0000",
    "123456789",  # nine plain digits, no label
    "SSN 666456789",
    "MRN 123",  # too few digits
    "patient no 4 in bay 2",
    "patient number 2 was also unwell",
    "the hospital no longer has an outreach team",
    "record no obs overnight",
    "unit no longer has a band 7",
    "ID badge did not open the door",
    "arrest on 12/03 at 14:00",
    "on 12/03/2024 at 14:00 we were short",  # a date, but not of birth
    "2024-03-12 night shift",
    "aged 54",
    "born at 32+4 weeks on 12/03/2024",
    "baby born 2 days ago",
    "newborn 12/03/2024",
    "adrenaline 1 mg every 3-5 minutes",
    "14:05",
    "at 0300",
    "shift 0730-1930",
    "obs due 0200 0400 0600",
    "BP 120/80",
    "HR 140",
    "SpO2 88%",
    "GCS 3",
    "lactate 4.2",
    "pH 7.01 7.12 7.25",
    "CPR for 25 minutes",
    "bleep 4321",
    "ext 4455",
    "bay 3 bed 12",
    "2024",
    "called 2222, 999 and 911",
    "Datix 123456",
    "250 500 1000 ml of fluid",
    "+3 pitting oedema",
    "1 in 10,000 adrenaline",
    "ratio 1:12",
    "meet @ 14:00 in the seminar room",
    # names that are not patients
    "Hartmann's solution at 125 ml/hr",
    "foley catheter, guedel airway, wells score 4",
    "Kussmaul breathing, sat up in Fowler position, Mallampati 3",
    "Priya held the bleep all night",
    "priya held the bleep all night",
    "Dr Chen came within 10 minutes",
    "Sister Mary asked if we were ok",
    "moved to Mary Seacole ward, then the John Radcliffe",
    "the registrar and the site manager",
    "Will stayed with the relatives",
    # numbers and shapes that are not identifiers
    "L4/5 disc, T12 L1 fracture, L5 S1 root",
    "bay B4 2nd floor",
    "HbA1c 48, B12 low, 25OHD low",
    "INC0012345 with IT, logged it as W123456 on datix",
    "obs at 0030 0100 0130 0200",
    "pain 0 1 2 3 4 5 6 7 8 9 10",
    "a man of 85 on bay 2, the 89 year old in bed 4",
    "sats dropped, she was 94.",
    "turned him 90 degrees",
    "3 major road traffic collisions",
    "Datix in 23456",
    "i was born in 1990 so im not new",
    "I said thanks to Nurse Ali Khan",
    "Mr Patel the consultant surgeon was brilliant",
    "severe MR on the echo, new MR murmur",
]


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_leaves_ordinary_clinical_numbers_alone(text: str) -> None:
    assert find_identifiers(text) == []


# --- screen ------------------------------------------------------------------


def test_screen_passes_clean_and_empty_fields() -> None:
    screen({"what_went_well": "Good teamwork, ROSC at 14:32", "learning": "", "other": None})
    screen({})


def test_screen_refuses_a_form_with_a_single_identifier() -> None:
    """One NHS number alone is enough: the guard has no threshold of findings to reach."""
    with pytest.raises(IdentifierFound) as caught:
        screen({"learning": "we checked 943 476 5919 twice", "other": "calm team"})
    assert [(f.field, f.kind) for f in caught.value.findings] == [("learning", "nhs_number")]


def test_screen_raises_with_findings_per_field() -> None:
    with pytest.raises(IdentifierFound) as caught:
        screen(
            {
                "what_went_well": "calm team",
                "learning": "DOB 12/03/1956 was read out",
                "support": "ring me on 07700 900123 or MRN 1234567",
                "skipped": None,
            }
        )
    error = caught.value
    assert [(f.field, f.kind) for f in error.findings] == [
        ("learning", "date_of_birth"),
        ("support", "phone"),
        ("support", "mrn"),
    ]
    assert error.findings[0].start == len("DOB ")
    assert error.by_field() == {
        "learning": "Looks like a date of birth. Please remove patient details.",
        "support": "Looks like a phone number and a hospital or record number. Please remove patient details.",
    }
    assert "nothing has been saved" in error.message


# --- properties --------------------------------------------------------------

SAFE_TEXT = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,;:!?()'\"/-+@#&*\n"),
    max_size=40,
)
BOUNDARY = st.sampled_from(list(" .,;:!?()'\"/-\n"))


def nhs_check(nine: list[int]) -> int:
    check = 11 - sum(d * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    return 0 if check == 11 else check


@st.composite
def nhs_numbers(draw: st.DrawFn) -> str:
    nine = draw(st.lists(st.integers(0, 9), min_size=9, max_size=9))
    check = nhs_check(nine)
    assume(check != 10)
    digits = "".join(map(str, nine)) + str(check)
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join([digits[:3], digits[3:6], digits[6:]])


@st.composite
def ssns(draw: st.DrawFn) -> str:
    area = draw(st.integers(1, 899).filter(lambda a: a != 666))
    group = draw(st.integers(1, 99))
    serial = draw(st.integers(1, 9999))
    sep = draw(st.sampled_from([" ", "-"]))
    return f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"


def assert_found_in_context(kind: str, value: str, before: str, after: str, field: str) -> None:
    text = before + value + after
    findings = find_identifiers(text, field)
    expected = Finding(kind, len(before), len(before) + len(value), field)
    assert expected in findings, (text, findings)


@given(nhs_numbers(), SAFE_TEXT, BOUNDARY, BOUNDARY, SAFE_TEXT, st.text(max_size=10))
def test_valid_nhs_numbers_are_always_caught(
    number: str, head: str, left: str, right: str, tail: str, field: str
) -> None:
    assert_found_in_context("nhs_number", number, head + left, right + tail, field)


@given(ssns(), SAFE_TEXT, BOUNDARY, BOUNDARY, SAFE_TEXT)
def test_valid_ssns_are_always_caught(number: str, head: str, left: str, right: str, tail: str) -> None:
    assert_found_in_context("ssn", number, head + left, right + tail, "note")


@given(st.lists(st.integers(0, 9), min_size=9, max_size=9), st.integers(0, 9), SAFE_TEXT, BOUNDARY, BOUNDARY, SAFE_TEXT)
def test_nhs_numbers_with_a_wrong_check_digit_are_not_nhs_numbers(
    nine: list[int], last: int, head: str, left: str, right: str, tail: str
) -> None:
    assume(last != nhs_check(nine))  # a check of 10 means no last digit is valid
    text = head + left + "".join(map(str, nine)) + str(last) + right + tail
    assert "nhs_number" not in {f.kind for f in find_identifiers(text)}


@given(st.text(max_size=200))
def test_findings_are_sorted_in_bounds_and_never_overlap(text: str) -> None:
    findings = find_identifiers(text)
    assert findings == sorted(findings, key=lambda f: f.start)
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
    for first, second in itertools.pairwise(findings):
        assert first.end <= second.start


# --- false positives on real clinical debrief text ----------------------------


def clinical_phrases() -> list[str]:
    lines = (line.strip() for line in PHRASES.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_clinical_phrases_are_rarely_flagged() -> None:
    phrases = clinical_phrases()
    assert len(phrases) >= 200
    flagged = [line for line in phrases if find_identifiers(line)]
    assert len(flagged) <= 0.02 * len(phrases), flagged


# --- normalisation -----------------------------------------------------------


def test_normalise_maps_every_character_back_to_what_was_typed() -> None:
    typed = "NHS\u00a0943\u200b476\ufeff5919, mail jo dot b at nhs dot net \uff0b44"
    canonical = normalise(typed)
    assert canonical.text == "NHS 9434765919, mail jo.b@nhs.net +44"
    assert len(canonical.origin) == len(canonical.text)
    assert all(typed[canonical.origin[i]] == canonical.text[i] for i in range(4, 8))
    start = canonical.text.index("jo.b")
    assert canonical.span(start, start + len("jo.b@nhs.net")) == (typed.index("jo dot"), typed.index(" \uff0b"))


INVISIBLE = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])


@given(nhs_numbers(), st.lists(INVISIBLE, min_size=9, max_size=9), st.lists(st.booleans(), min_size=9, max_size=9))
def test_invisible_characters_between_digits_do_not_hide_an_nhs_number(number: str, marks: list[str], where: list[bool]) -> None:
    digits = number.replace(" ", "").replace("-", "")
    typed = digits[0] + "".join((mark if put else "") + digit for mark, put, digit in zip(marks, where, digits[1:], strict=True))
    text = f"it was {typed} on the band"
    assert spans(text) == [("nhs_number", typed)]


# --- the request to talk: the person's own contact details -------------------


def test_own_contact_lets_phone_and_e_mail_through_and_nothing_else() -> None:
    mine = "after 6pm on 07700 900123, +44 7700 900456 or jo.bloggs@nhs.net"
    screen({"preferred_time": mine}, allow=OWN_CONTACT)
    for theirs in ("about Mrs Kowalczyk", "NHS 943 476 5919", "dob 14th feb nineteen forty", "K2208731", "SW1A 1AA"):
        with pytest.raises(IdentifierFound):
            screen({"preferred_time": f"{mine}, {theirs}"}, allow=OWN_CONTACT)
    with pytest.raises(IdentifierFound):
        screen({"preferred_time": mine})


def test_an_allowed_phone_number_is_not_half_reported_as_something_else() -> None:
    assert find_identifiers("ring 0044 7700 900123", allow=OWN_CONTACT) == []


# --- what the person is told ---------------------------------------------------


def test_the_message_says_which_kind_and_roughly_where_without_the_text() -> None:
    text = "Mr T Osei " + "and the shift was really hard for all of us, nobody had a break, " * 3 + "lives at SW1A 1AA"
    with pytest.raises(IdentifierFound) as caught:
        screen({"what_went_well": text, "learning": "dob 14th feb nineteen forty"},
               labels={"what_went_well": "What went well"})
    error = caught.value
    assert error.by_field() == {
        "what_went_well": "Looks like a patient's name near the start and a postcode near the end. Please remove patient details.",
        "learning": "Looks like a date of birth. Please remove patient details.",
    }
    assert error.message == (
        "This looks like it contains in 'What went well', a patient's name near the start and a postcode near the end; "
        "a date of birth. Please remove patient details (names count too); nothing has been saved yet."
    )
    for secret in ("Osei", "SW1A", "1AA", "feb", "forty"):
        assert secret not in error.message and secret not in str(error) and secret not in repr(error.findings)


# --- the hand-written corpus: the goals ---------------------------------


def assert_goals(identifiers: list[Score], clean: list[Score]) -> None:
    caught, lines = total(identifiers)
    assert caught >= 0.90 * lines, [(s.section, s.examples) for s in identifiers if s.examples]
    for kind in identifiers:
        assert kind.flagged >= 0.80 * kind.lines, (kind.section, kind.examples)
    alarms, clean_lines = total(clean)
    assert alarms <= 0.05 * clean_lines, [(s.section, s.examples) for s in clean if s.examples]


def test_corpus_recall_and_false_alarms_meet_the_goals() -> None:
    identifiers, clean = score(load(IDENTIFIERS), clean=False), score(load(CLEAN), clean=True)
    assert total(identifiers)[1] >= 300 and total(clean)[1] >= 300
    assert all(kind.lines >= 25 for kind in identifiers), [(k.section, k.lines) for k in identifiers]
    assert_goals(identifiers, clean)


def test_the_held_out_lines_meet_the_same_goals() -> None:
    identifiers, clean = split_heldout()
    assert_goals(score(identifiers, clean=False), score(clean, clean=True))


def test_the_guard_needs_no_network() -> None:
    """The name lists ship with the package: a fresh interpreter with no sockets at all still screens."""
    code = (
        "import socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('no network here')\n"
        "socket.socket = socket.create_connection = socket.getaddrinfo = refuse\n"
        "from bot.identifiers import find_identifiers\n"
        "print([f.kind for f in find_identifiers('pt brian mccormack, mrs kowalczyk')])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "['name', 'name']"


# --- through the core, on a real database --------------------------------------


async def test_an_answer_with_a_patients_details_is_refused_by_question_and_never_logged(core, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, SQLAlchemy's and aiosqlite's included
    debrief = await core.debriefs.start(
        platform="slack", workspace="T1", team="C1", lead="ULEAD", script_id="stop5", participants=["UALEX"]
    )
    note = "pt Helen Marsh, SW1A 1AA"
    with pytest.raises(IdentifierFound) as caught:
        await record(core.debriefs, debrief.id, "debrief", "UALEX", {"team_note": note})
    label = next(q.label for q in core.library.scripts["stop5"].questions if q.id == "team_note")
    assert caught.value.message.startswith(f"This looks like it contains in '{label}', a patient's name and a postcode.")
    assert caught.value.by_field() == {"team_note": "Looks like a patient's name and a postcode. Please remove patient details."}
    for secret in ("Helen", "Marsh", "SW1A", "1AA"):
        assert secret not in caplog.text
    assert await core.debriefs.answer_count(debrief.id) == 0
