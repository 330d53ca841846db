"""The pure planner of tenants as code."""

import pytest

from app.setup.as_code import CurrentState, TenantFileError, parse, plan

FILE = """
slug = "dangshan"
name = "砀山县"
[[lines]]
code = "urban_dibao"
name = "城市低保"
working_days = 10
separated_working_days = 15
[[staff]]
username = "wangxiaolei"
name = "王效雷"
roles = ["staff"]
phone = "1"
qualifications = ["urban_dibao"]
[[staff]]
username = "houweili"
name = "侯伟丽"
qualifications = ["urban_dibao"]
[assignments]
urban_dibao = { a = "wangxiaolei", b = "houweili" }
"""


def matching_state() -> CurrentState:
    return CurrentState(
        tenant={
            "id": 1,
            "name": "砀山县",
            "timezone": "Asia/Shanghai",
            "door_notice": {"neighbour_offices": [], "notify": []},
            "office": {"name": "办公室", "phone": "", "notify": []},
            "office_hours": {"sessions": [["08:00", "12:00"], ["14:30", "17:30"]]},
        },
        lines={
            "urban_dibao": {
                "name": "城市低保",
                "working_days": 10,
                "separated_working_days": 15,
                "needs_survey": True,
                "needs_posting": True,
                "materials": "",
                "active": True,
                "position": 0,
            }
        },
        staff={
            "wangxiaolei": {
                "name": "王效雷",
                "phone": "1",
                "email": "",
                "roles": ["staff"],
                "qualifications": ["urban_dibao"],
                "active": True,
            },
            "houweili": {
                "name": "侯伟丽",
                "phone": "",
                "email": "",
                "roles": [],
                "qualifications": ["urban_dibao"],
                "active": True,
            },
        },
        assignments={"urban_dibao": {"a": "wangxiaolei", "b": "houweili"}},
    )


def test_an_empty_database_plans_everything_in_the_order_it_can_be_made():
    changes = plan(parse(FILE), CurrentState())
    assert [(c.action, c.key) for c in changes] == [
        ("tenant.create", "dangshan"),
        ("line.create", "urban_dibao"),
        ("user.create", "wangxiaolei"),
        ("user.create", "houweili"),
        ("assignment.update", "urban_dibao"),
    ]


def test_a_database_that_matches_plans_nothing():
    assert plan(parse(FILE), matching_state()) == []


def test_people_missing_from_the_file_are_never_deleted():
    current = matching_state()
    current.staff["retired"] = {"name": "退休", "phone": "", "roles": ["staff"], "qualifications": [], "active": False}
    assert plan(parse(FILE), current) == []


def test_role_order_and_duplicates_do_not_make_changes():
    text = FILE.replace('roles = ["staff"]', 'roles = ["staff", "leader", "staff"]')
    current = matching_state()
    current.staff["wangxiaolei"]["roles"] = ["leader", "staff"]
    assert plan(parse(text), current) == []


def test_a_renamed_county_is_an_update_described_before_and_after():
    current = matching_state()
    current.tenant["name"] = "旧名"
    (change,) = plan(parse(FILE), current)
    assert change.describe() == "~ tenant dangshan: name '旧名' → '砀山县'"


def test_a_new_backup_is_one_assignment_change():
    current = matching_state()
    current.assignments["urban_dibao"] = {"a": "wangxiaolei", "b": "someone_else"}
    (change,) = plan(parse(FILE), current)
    assert change.describe() == "~ assignment urban_dibao: b 'someone_else' → 'houweili'"


def test_a_file_without_lines_gets_the_five_statutory_lines():
    spec = parse('slug = "xiaoxian"\nname = "萧县"')
    assert [(line.code, line.working_days) for line in spec.lines] == [
        ("urban_dibao", 10),
        ("rural_dibao", 10),
        ("medical", 5),
        ("temporary", 10),
        ("other", 15),
    ]
    assert spec.lines[0].separated_working_days == 15


def test_a_post_held_twice_by_one_person_is_refused_with_the_line():
    with pytest.raises(TenantFileError) as refused:
        parse(FILE.replace('b = "houweili"', 'b = "wangxiaolei"'), "x.toml")
    assert refused.value.localized().startswith("x.toml：assignments.urban_dibao：")
    assert "不能是同一人" in refused.value.localized()


def test_an_unqualified_backup_in_the_file_is_refused_with_the_reason():
    with pytest.raises(TenantFileError) as refused:
        parse(FILE.replace('name = "侯伟丽"\nqualifications = ["urban_dibao"]', 'name = "侯伟丽"'), "x.toml")
    assert "不熟悉该岗位业务" in refused.value.localized()


CALENDAR = """
[[calendar]]
day = 2027-01-01
workday = false
note = " 元旦 "
[[calendar]]
day = 2027-02-20
workday = true
"""


def test_calendar_days_are_planned_by_day_and_never_deleted():
    current = matching_state()
    current.calendar = {
        "2027-02-20": {"workday": False, "note": "旧安排"},
        "2026-10-10": {"workday": False, "note": "县庆（页面录入）"},
    }
    described = [change.describe() for change in plan(parse(FILE + CALENDAR), current)]
    assert described == [
        "+ calendar_day 2027-01-01: workday=False, note='元旦'",
        "~ calendar_day 2027-02-20: workday False → True, note '旧安排' → ''",
    ]
    current.calendar.update(
        {"2027-01-01": {"workday": False, "note": "元旦"}, "2027-02-20": {"workday": True, "note": ""}}
    )
    assert plan(parse(FILE + CALENDAR), current) == []


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (
            "day = 2027-01-01\nworkday = false\n[[calendar]]\nday = 2027-01-01\nworkday = true",
            "calendar[1].day：2027-01-01 重复",
        ),
        ("day = 1999-01-01\nworkday = false", "calendar[0]：年份须在"),
        ('day = 2027-01-01\nworkday = false\nnote = "' + "节" * 101 + '"', "calendar[0]：备注不能超过"),
        ('day = "2027-13-01"\nworkday = false', "calendar[0].day"),
        ("day = 2027-01-01", "workday"),
    ],
)
def test_a_bad_calendar_day_in_the_file_is_refused_with_its_place(entry, says):
    with pytest.raises(TenantFileError) as refused:
        parse(FILE + "[[calendar]]\n" + entry, "x.toml")
    assert says in refused.value.localized()


def test_an_email_address_in_the_file_is_planned_like_a_phone():
    text = FILE.replace('phone = "1"', 'phone = "1"\nemail = " wang@example.org "')
    (change,) = plan(parse(text), matching_state())
    assert change.describe() == "~ user wangxiaolei: email '' → 'wang@example.org'"


def test_a_bad_email_address_in_the_file_is_refused_with_its_place():
    with pytest.raises(TenantFileError) as refused:
        parse(FILE.replace('phone = "1"', 'phone = "1"\nemail = "not an address"'), "x.toml")
    assert refused.value.localized() == "x.toml：staff[0].email：电子邮箱地址 not an address 无效"


def test_office_hours_and_the_office_come_from_the_file():
    text = FILE + '\n[office]\nname = "局办公室"\nphone = "0557-1"\nnotify = ["houweili"]\n'
    text += '[office_hours]\nsessions = [["08:30", "12:00"], ["14:00", "17:00"]]\n'
    changes = plan(parse(text), matching_state())
    assert [change.action for change in changes] == ["tenant.update"]
    assert changes[0].after["office"] == {"name": "局办公室", "phone": "0557-1", "notify": ["houweili"]}
    assert changes[0].after["office_hours"] == {"sessions": [["08:30", "12:00"], ["14:00", "17:00"]]}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[office]\nnotify = ["nobody"]\n', "office.notify"),
        ('[office_hours]\nsessions = [["12:00", "08:00"]]\n', "office_hours"),
    ],
)
def test_a_bad_office_section_is_refused(extra, message):
    with pytest.raises(TenantFileError, match=message):
        parse(FILE + "\n" + extra)


def test_an_address_the_file_leaves_out_is_not_managed_by_it():
    state = matching_state()
    state.staff["wangxiaolei"]["email"] = "wang@example.org"  # set by an admin, or the demo's mail sink
    assert plan(parse(FILE), state) == []
