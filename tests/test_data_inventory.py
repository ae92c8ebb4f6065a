"""docs/data-inventory.md lists every table and column the bot stores, and nothing else: it cannot drift.

The inventory is what a data-protection impact assessment reads. Each table
has a section (`## \\`name\\``) and each column a row with what it holds,
who can see it, and when it is deleted. When a model or a migration adds a
table or a column, this test fails and prints the lines to add.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.schema import target_metadata

INVENTORY = Path(__file__).resolve().parent.parent / "docs" / "data-inventory.md"
MIGRATIONS_OWN = {"alembic_version": ["version_num"]}
"""Tables the migrations create that no model declares."""
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|(.*)\|\s*$")


def stored() -> dict[str, list[str]]:
    tables = {table.name: [column.name for column in table.columns] for md in target_metadata() for table in md.sorted_tables}
    return {**tables, **MIGRATIONS_OWN}


def documented(text: str) -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    """{table: {column: [holds, who, deleted]}} from the inventory, and the rows that are not filled in."""
    tables: dict[str, dict[str, list[str]]] = {}
    current: str | None = None
    unfilled = []
    for line in text.splitlines():
        heading = re.match(r"^## `([^`]+)`\s*$", line)
        if heading:
            current = heading.group(1)
            tables[current] = {}
            continue
        row = ROW.match(line)
        if row and current is not None:
            cells = [cell.strip() for cell in row.group(2).split("|")]
            tables[current][row.group(1)] = cells
            if len(cells) != 3 or not all(cells):
                unfilled.append(f"{current}.{row.group(1)}")
    return tables, unfilled


def _template(table: str, columns: list[str]) -> str:
    rows = "\n".join(f"| `{column}` | WHAT IT HOLDS | WHO CAN SEE IT | WHEN IT IS DELETED |" for column in columns)
    return (
        f"## `{table}`\n\nWHAT ONE ROW IS. WHEN ROWS ARE DELETED.\n\n"
        f"| column | holds | who can see it | deleted |\n|---|---|---|---|\n{rows}"
    )


def problems(tables: dict[str, list[str]], text: str) -> list[str]:
    """What the inventory `text` lacks or has too many for the stored `tables`, each said as the edit to make."""
    listed, unfilled = documented(text)
    found = []
    for table, columns in tables.items():
        if table not in listed:
            found.append(f"docs/data-inventory.md has no section for the table `{table}`; add:\n\n{_template(table, columns)}\n")
            continue
        missing = [column for column in columns if column not in listed[table]]
        if missing:
            rows = "\n".join(f"| `{column}` | WHAT IT HOLDS | WHO CAN SEE IT | WHEN IT IS DELETED |" for column in missing)
            found.append(f"docs/data-inventory.md, section ## `{table}`: add rows for its new columns:\n\n{rows}\n")
        gone = [column for column in listed[table] if column not in columns]
        if gone:
            found.append(f"docs/data-inventory.md, section ## `{table}`: remove the rows of {gone} (no such column)")
    for table in listed:
        if table not in tables:
            found.append(f"docs/data-inventory.md: remove the section ## `{table}` (no such table)")
    if unfilled:
        found.append(f"docs/data-inventory.md: fill in holds / who can see it / deleted for {unfilled}")
    return found


def test_the_data_inventory_lists_every_table_and_column_and_nothing_else() -> None:
    found = problems(stored(), INVENTORY.read_text(encoding="utf-8"))
    assert not found, "\n".join(found)


def test_a_new_table_or_column_fails_with_the_lines_to_add() -> None:
    grown = {**stored(), "imagined_table": ["id", "sealed"]}
    grown["support_requests"] = [*grown["support_requests"], "escalated_at"]
    found = "\n".join(problems(grown, INVENTORY.read_text(encoding="utf-8")))
    assert "## `imagined_table`" in found and "| `sealed` | WHAT IT HOLDS | WHO CAN SEE IT | WHEN IT IS DELETED |" in found
    assert "section ## `support_requests`: add rows" in found and "| `escalated_at` |" in found
    assert "debriefs" not in found
