"""The patient-identifier guard: what it catches, where, and what it leaves alone."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.errors import Finding, IdentifierFound
from bot.identifiers import find_identifiers, screen

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
]


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_leaves_ordinary_clinical_numbers_alone(text: str) -> None:
    assert find_identifiers(text) == []


# --- screen ------------------------------------------------------------------


def test_screen_passes_clean_and_empty_fields() -> None:
    screen({"what_went_well": "Good teamwork, ROSC at 14:32", "learning": "", "other": None})
    screen({})


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
        "support": "Looks like a hospital or record number and a phone number. Please remove patient details.",
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
