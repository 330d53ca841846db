"""Finding people on the staff list (pure): by name, username or phone, role, line and status.

A county has tens of people, all loaded for the list anyway, so the narrowing happens here rather
than in SQL, and the same rule serves the page and its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.text import collapse_spaces

STATUSES = ("active", "inactive", "all")


class Person(Protocol):
    name: str
    username: str
    phone: str
    roles: tuple[str, ...]
    qualifications: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class StaffQuery:
    text: str = ""
    role: str = ""
    line: str = ""
    status: str = "all"

    @classmethod
    def of(cls, text: str = "", role: str = "", line: str = "", status: str = "all") -> StaffQuery:
        """From the page's query string; an unknown status means everyone."""
        return cls(collapse_spaces(text), role.strip(), line.strip(), status if status in STATUSES else "all")

    def matches(self, person: Person) -> bool:
        wanted = self.text.casefold()
        if wanted and not any(wanted in field.casefold() for field in (person.name, person.username, person.phone)):
            return False
        if self.role and self.role not in person.roles:
            return False
        if self.line and self.line not in person.qualifications:
            return False
        return self.status == "all" or person.active == (self.status == "active")


def find(people: list, query: StaffQuery) -> list:
    return [person for person in people if query.matches(person)]
