"""Rebuild the name lists in this folder from their public sources (run by hand, never at run time).

    pip download --no-deps names==0.3.0 && tar xzf names-0.3.0.tar.gz
    apt-get install wbritish wamerican
    python bot/identifier_data/make_lists.py names-0.3.0/names

Why these sources: the 1990 US Census name files are public domain and ship
in the MIT-licensed PyPI package `names`; SCOWL's English word lists (Debian's
wbritish and wamerican, permissive licence) say which names are also ordinary
words, so "mark", "grace" or "hale" in lower case are read as words.  The
output is sorted so that a rebuild shows as a readable diff.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SURNAMES_KEPT = 60_000  # the most frequent of 88,799; the rest each cover a handful of people
DICTIONARIES = [Path("/usr/share/dict/british-english"), Path("/usr/share/dict/american-english")]


def census(path: Path, limit: int | None = None) -> list[str]:
    names = [line.split()[0].lower() for line in path.read_text(encoding="ascii").splitlines() if line.strip()]
    return names[:limit]


def words() -> set[str]:
    """Lower-case entries only: a capitalised entry ("Helen") is a proper noun, not a word."""
    found: set[str] = set()
    for path in DICTIONARIES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and line.islower() and "'" not in line:
                found.add(line)
    return found


def write(name: str, header: str, items: set[str]) -> None:
    """Sorted, one a line; a ".gz" name is compressed (with no time stamp, so a rebuild is byte-identical)."""
    data = (header + "".join(f"{item}\n" for item in sorted(items))).encode("utf-8")
    if name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    (HERE / name).write_bytes(data)


def main(census_dir: str) -> None:
    folder = Path(census_dir)
    given = set(census(folder / "dist.male.first") + census(folder / "dist.female.first"))
    surnames = set(census(folder / "dist.all.last", SURNAMES_KEPT))
    extra = {
        line.strip()
        for name in ("given_names_extra.txt", "surnames_extra.txt")
        for line in (HERE / name).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    english = words()
    write("given_names.txt", "# 1990 US Census given names (public domain), see README.md\n", given)
    write("surnames.txt.gz", f"# 1990 US Census surnames, {SURNAMES_KEPT} most frequent (public domain), see README.md\n", surnames)
    write(
        "name_words.txt",
        "# Names above that are also lower-case English words in SCOWL (wbritish, wamerican), see README.md\n",
        (given | surnames | extra) & english,
    )


if __name__ == "__main__":
    main(sys.argv[1])
