"""Finding people on the staff list (app/domain/staff_search.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.domain.staff_search import StaffQuery, find


@dataclass(frozen=True)
class P:
    name: str
    username: str
    phone: str = ""
    roles: tuple[str, ...] = ("staff",)
    qualifications: tuple[str, ...] = ()
    active: bool = True


PEOPLE = [
    P("王效雷", "wangxiaolei", "13905571011", qualifications=("urban_dibao", "temporary")),
    P("刘晓梅", "head", "13905571002", roles=("section_head", "staff"), qualifications=("urban_dibao",)),
    P("李国栋", "admin", "0557-8012301", roles=("admin",)),
    P("孙静", "SunJing", "13905571014", qualifications=("other",), active=False),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (StaffQuery.of(), ["王效雷", "刘晓梅", "李国栋", "孙静"]),
        (StaffQuery.of("王"), ["王效雷"]),
        (StaffQuery.of("  sunjing "), ["孙静"]),  # usernames in any case, spaces trimmed
        (StaffQuery.of("8012301"), ["李国栋"]),  # by phone
        (StaffQuery.of(role="section_head"), ["刘晓梅"]),
        (StaffQuery.of(line="urban_dibao"), ["王效雷", "刘晓梅"]),
        (StaffQuery.of(status="active"), ["王效雷", "刘晓梅", "李国栋"]),
        (StaffQuery.of(status="inactive"), ["孙静"]),
        (StaffQuery.of(status="nonsense"), ["王效雷", "刘晓梅", "李国栋", "孙静"]),
        (StaffQuery.of("13905", role="staff", line="temporary", status="active"), ["王效雷"]),
        (StaffQuery.of("nobody"), []),
    ],
)
def test_the_staff_list_narrows_by_text_role_line_and_status(query, expected):
    assert [p.name for p in find(PEOPLE, query)] == expected


def test_the_typed_text_is_kept_as_typed_for_the_search_box():
    assert StaffQuery.of("  Sun   Jing ").text == "Sun Jing"
