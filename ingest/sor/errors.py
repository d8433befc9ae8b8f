"""What a write to the system of record can be refused for, each naming the field.

The API turns these into user errors, so every message says which table and field and
why, and none of them is raised after anything was written.
"""

from __future__ import annotations


class SorError(Exception):
    """Base of every refusal by the system of record."""


class InvalidRow(SorError, ValueError):
    """Input that fails validation; `problems` maps "table.field" to what is wrong."""

    def __init__(self, table: str, problems: dict[str, str]) -> None:
        self.table = table
        self.problems = problems
        detail = "; ".join(f"{field}: {why}" for field, why in problems.items())
        super().__init__(f"invalid {table} row: {detail}")


class MissingReference(SorError):
    """A foreign key that names a row which does not exist."""

    def __init__(self, field: str, referred_table: str, value: object) -> None:
        self.field = field
        self.referred_table = referred_table
        self.value = value
        super().__init__(f"{field}: no {referred_table} row with id {value}")


class StaleVersion(SorError):
    """Optimistic concurrency: the row is not at the version the caller last read."""

    def __init__(self, table: str, key: object, expected: int | None, actual: int | None) -> None:
        self.table = table
        self.key = key
        self.expected = expected
        self.actual = actual
        found = "does not exist" if actual is None else f"is at version {actual}"
        super().__init__(f"{table} {key} {found}, expected version {expected}")


class ConstraintViolation(SorError):
    """The database itself refused the write (a unique key, a CHECK, a race on a key)."""

    def __init__(self, table: str, constraint: str | None, detail: str) -> None:
        self.table = table
        self.constraint = constraint
        name = f" ({constraint})" if constraint else ""
        super().__init__(f"{table}: the database refused the write{name}: {detail}")
