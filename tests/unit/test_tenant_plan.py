"""The pure planner of tenants as code."""

from app.tenancy.as_code import CurrentState, parse, plan

FILE = """
slug = "dangshan"
name = "砀山县"
[[staff]]
username = "wangxiaolei"
name = "王效雷"
roles = ["staff"]
phone = "1"
"""


def test_an_empty_database_plans_the_county_and_its_people():
    changes = plan(parse(FILE), CurrentState())
    assert [(c.action, c.key) for c in changes] == [("tenant.create", "dangshan"), ("user.create", "wangxiaolei")]


def test_a_database_that_matches_plans_nothing():
    current = CurrentState(
        tenant={"id": 1, "name": "砀山县", "timezone": "Asia/Shanghai"},
        staff={"wangxiaolei": {"name": "王效雷", "phone": "1", "roles": ["staff"], "active": True}},
    )
    assert plan(parse(FILE), current) == []


def test_people_missing_from_the_file_are_never_deleted():
    current = CurrentState(
        tenant={"id": 1, "name": "砀山县", "timezone": "Asia/Shanghai"},
        staff={
            "wangxiaolei": {"name": "王效雷", "phone": "1", "roles": ["staff"], "active": True},
            "retired": {"name": "退休", "phone": "", "roles": ["staff"], "active": False},
        },
    )
    assert plan(parse(FILE), current) == []


def test_role_order_and_duplicates_do_not_make_changes():
    text = FILE.replace('roles = ["staff"]', 'roles = ["staff", "leader", "staff"]')
    current = CurrentState(
        tenant={"id": 1, "name": "砀山县", "timezone": "Asia/Shanghai"},
        staff={"wangxiaolei": {"name": "王效雷", "phone": "1", "roles": ["leader", "staff"], "active": True}},
    )
    assert plan(parse(text), current) == []


def test_a_renamed_county_is_an_update_described_before_and_after():
    current = CurrentState(
        tenant={"id": 1, "name": "旧名", "timezone": "Asia/Shanghai"},
        staff={"wangxiaolei": {"name": "王效雷", "phone": "1", "roles": ["staff"], "active": True}},
    )
    (change,) = plan(parse(FILE), current)
    assert change.describe() == "~ tenant dangshan: name '旧名' → '砀山县'"
