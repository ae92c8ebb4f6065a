"""How often does the patient-identifier guard refuse ordinary clinical text?

Run: python bench/identifier_false_positives.py

Every false positive makes a tired clinician rephrase an answer that named
nobody, so the guard is measured on text that holds no identifier:

* the hand-written lines in tests/clinical_phrases.txt;
* a generated corpus: 10,000 sentences stitched from clinical fragments with
  random doses, times, observations, durations, bed, bay, bleep and room
  numbers, unlabelled dates and years (fixed seed, so runs are comparable).

Side by side, the same generator with one real-looking identifier planted per
sentence gives the detection rate, so a change that lowers false positives by
missing identifiers shows up in the same run.  Flagged lines are listed.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.identifiers import find_identifiers

PHRASES = Path(__file__).resolve().parents[1] / "tests" / "clinical_phrases.txt"
SEED = 20240312
SENTENCES = 10_000


def load_phrases(path: Path = PHRASES) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _time(rng: random.Random) -> str:
    hour, minute = rng.randrange(24), rng.choice([0, 5, 10, 15, 20, 30, 45, rng.randrange(60)])
    return rng.choice([f"{hour:02d}:{minute:02d}", f"{hour:02d}{minute:02d}", f"{hour}.{minute:02d}"])


def _fragment(rng: random.Random) -> str:
    r = rng.randrange
    choices = [
        lambda: f"adrenaline {rng.choice(['1 mg', '0.5 mg', '100 mcg', '10 ml of 1:10,000'])} every {r(2, 4)}-{r(4, 6)} minutes",
        lambda: f"amiodarone {rng.choice([150, 300])} mg after the {rng.choice(['third', '5th', '2nd'])} shock",
        lambda: f"shocked at {rng.choice([120, 150, 200, 360])}J",
        lambda: f"ROSC at {_time(rng)}",
        lambda: f"arrest called at {_time(rng)}",
        lambda: f"team arrived at {_time(rng)}",
        lambda: f"obs at {_time(rng)}, {_time(rng)} and {_time(rng)}",
        lambda: f"no obs between {r(24):02d}00 and {r(24):02d}00",
        lambda: f"shift {r(6, 10):02d}{rng.choice(['00', '30'])}-{r(18, 21)}{rng.choice(['00', '30'])}",
        lambda: f"BP {r(60, 200)}/{r(30, 110)}",
        lambda: f"HR {r(30, 220)}",
        lambda: f"RR {r(6, 45)}",
        lambda: f"SpO2 {r(60, 101)}%",
        lambda: f"sats {r(80, 95)}-{r(92, 101)}%",
        lambda: f"GCS {r(3, 16)}",
        lambda: f"lactate {r(0, 15)}.{r(10)}",
        lambda: f"pH {rng.choice(['6.', '7.'])}{r(100):02d}",
        lambda: f"K+ {r(2, 8)}.{r(10)}",
        lambda: f"glucose {r(1, 30)}.{r(10)} mmol/L",
        lambda: f"temp {r(32, 41)}.{r(10)}",
        lambda: f"CPR for {r(2, 95)} minutes",
        lambda: f"waited {r(2, 9)} hours for a bed",
        lambda: f"{r(1, 5)} units of red cells",
        lambda: f"{rng.choice([250, 500, 1000])} ml bolus",
        lambda: f"noradrenaline at 0.{r(1, 50):02d} mcg/kg/min",
        lambda: f"heparin at {r(1, 40)} ml/hr",
        lambda: f"bleep {r(1000, 10000)}",
        lambda: f"ext {r(1000, 10000)}",
        lambda: f"bay {r(1, 9)} bed {r(1, 33)}",
        lambda: f"side room {r(1, 20)}",
        lambda: f"room {r(100, 999)}",
        lambda: f"ward {r(1, 40)}",
        lambda: f"floor {r(1, 12)}",
        lambda: f"1 nurse to {r(4, 15)} patients",
        lambda: f"ratio 1:{r(4, 15)}",
        lambda: f"aged {r(18, 101)}",
        lambda: f"{r(18, 101)} year old",
        lambda: f"born at {r(23, 42)}+{r(7)} weeks",
        lambda: f"weight {r(2, 150)} kg",
        lambda: f"in {r(2000, 2030)}",
        lambda: f"on {r(1, 29)}/{r(1, 13):02d}",
        lambda: f"on {r(1, 29)}/{r(1, 13):02d}/{r(2019, 2027)}",
        lambda: f"on {r(2019, 2027)}-{r(1, 13):02d}-{r(1, 29):02d}",
        lambda: f"Datix {r(100000, 1000000)}",
        lambda: f"patient {r(1, 9)} of {r(9, 30)}",
        lambda: f"{r(2, 12)} attempts",
        lambda: f"{r(1, 4)} of us on the ward",
        lambda: f"called 2222 at {_time(rng)}",
        lambda: rng.choice(["called 999", "called 911", "paged the reg", "rang switchboard"]),
        lambda: f"{rng.choice(['size', 'grade'])} {r(1, 9)}",
        lambda: f"{r(100, 999)} {r(10, 99)} {r(100, 999)} mg total over the night",
        lambda: f"HR {r(60, 200)} {r(60, 200)} {r(60, 200)} over the hour",
        lambda: f"sats {r(70, 100)} {r(70, 100)} {r(70, 100)} {r(70, 100)}",
        lambda: f"obs due {r(24):02d}00 {r(24):02d}00 {r(24):02d}00",
        lambda: f"{rng.choice([250, 500])} {rng.choice([500, 750])} {1000} ml of fluid",
        lambda: f"PEEP {r(5, 15)} FiO2 0.{r(21, 100)}",
        lambda: f"{r(1, 4)} in {rng.choice(['1,000', '10,000', '100,000'])}",
        lambda: f"+{r(1, 4)} oedema",
        lambda: f"protein {r(1, 4)}+",
        lambda: f"lot {r(1000, 99999)}",
        lambda: f"expiry {r(1, 13):02d}/{r(2024, 2030)}",
        lambda: f"tube size {r(6, 9)}.{rng.choice([0, 5])}",
        lambda: f"{r(10, 100)} mins from call to arrival",
    ]
    return rng.choice(choices)()


_OPENERS = ["", "I felt that ", "On nights ", "In resus ", "Honestly, ", "During the arrest ", "After handover "]
_JOINERS = [", ", " then ", " and ", "; ", ". ", " - "]
_CLOSERS = [".", "", " which was hard.", ", felt unsafe.", ", good teamwork.", " and nobody escalated."]


def generate(rng: random.Random, count: int = SENTENCES) -> list[str]:
    sentences = []
    for _ in range(count):
        parts = [_fragment(rng) for _ in range(rng.randrange(2, 6))]
        body = parts[0]
        for part in parts[1:]:
            body += rng.choice(_JOINERS) + part
        sentences.append(rng.choice(_OPENERS) + body + rng.choice(_CLOSERS))
    return sentences


def _nhs(rng: random.Random) -> str:
    while True:
        nine = [rng.randrange(10) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            digits = "".join(map(str, nine)) + str(check)
            sep = rng.choice(["", " ", "-"])
            return sep.join([digits[:3], digits[3:6], digits[6:]])


def _planted(rng: random.Random) -> str:
    r = rng.randrange
    return rng.choice([
        lambda: _nhs(rng),
        lambda: f"{r(1, 900):03d}-{r(1, 100):02d}-{r(1, 10000):04d}".replace("666-", "667-"),
        lambda: f"MRN {rng.choice(['', 'A', 'K'])}{r(1000000, 10000000)}",
        lambda: f"hosp no {r(10000, 1000000)}",
        lambda: f"DOB {r(1, 29):02d}/{r(1, 13):02d}/{r(1930, 2020)}",
        lambda: f"born {r(1, 29)} {rng.choice(['March', 'Jan', 'October'])} {r(1930, 2020)}",
        lambda: f"07700 {r(900000, 901000)}",
        lambda: f"020 7946 {r(0, 10000):04d}",
        lambda: f"({r(200, 1000)}) {r(200, 1000)}-{r(0, 10000):04d}",
        lambda: f"+44 7700 {r(900000, 901000)}",
        lambda: rng.choice(["jo.bloggs", "pat", "next.of.kin"]) + "@example.org",
    ])()


def measure(lines: list[str]) -> list[str]:
    return [line for line in lines if find_identifiers(line)]


def main() -> int:
    phrases = load_phrases()
    rng = random.Random(SEED)
    corpus = generate(rng)
    planted = [sentence.rstrip(".") + " " + _planted(rng) + "." for sentence in generate(rng)]

    flagged_phrases = measure(phrases)
    flagged_corpus = measure(corpus)
    caught = measure(planted)

    print(f"identifier guard, seed {SEED}")
    print(f"  hand-written clinical lines   false positives {len(flagged_phrases):>5} / {len(phrases):<6} = {len(flagged_phrases) / len(phrases):.2%}")
    print(f"  generated clinical sentences  false positives {len(flagged_corpus):>5} / {len(corpus):<6} = {len(flagged_corpus) / len(corpus):.2%}")
    print(f"  generated + one identifier    detected        {len(caught):>5} / {len(planted):<6} = {len(caught) / len(planted):.2%}")
    for line in flagged_phrases + flagged_corpus:
        shown = ", ".join(f"{f.kind} {line[f.start:f.end]!r}" for f in find_identifiers(line))
        print(f"  flagged: {line}  [{shown}]")
    caught_set = set(caught)
    missed = [line for line in planted if line not in caught_set]
    for line in missed[:20]:
        print(f"  missed: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
