import pytest

from app.tenancy.context import Actor, Forbidden, cli_actor
from app.tenancy.permissions import ROLE_PERMISSIONS, Permission, Role, permissions_of


def test_every_role_has_an_entry_and_every_member_sees_the_dashboard():
    assert set(ROLE_PERMISSIONS) == set(Role)
    for role in Role:
        assert Permission.DASHBOARD_VIEW in ROLE_PERMISSIONS[role]


def test_only_admins_manage_staff_and_settings():
    for role in Role:
        allowed = role is Role.ADMIN
        assert (Permission.STAFF_MANAGE in ROLE_PERMISSIONS[role]) is allowed
        assert (Permission.SETTINGS_MANAGE in ROLE_PERMISSIONS[role]) is allowed


def test_only_leaders_and_admins_read_the_county_figures():
    for role in Role:
        assert (Permission.STATS_VIEW in ROLE_PERMISSIONS[role]) is (role in (Role.ADMIN, Role.LEADER))


def test_several_roles_add_up():
    assert permissions_of(["staff", "leader"]) == ROLE_PERMISSIONS[Role.STAFF] | ROLE_PERMISSIONS[Role.LEADER]
    assert permissions_of([]) == frozenset()


def test_actor_require_refuses_what_its_roles_do_not_give():
    clerk = Actor(user_id=1, label="clerk", roles=frozenset({"staff"}))
    assert clerk.can(Permission.TOKENS_OWN)
    with pytest.raises(Forbidden):
        clerk.require(Permission.AUDIT_READ)


def test_only_a_signed_in_person_has_a_user_id_to_act_as():
    assert Actor(user_id=7, label="clerk", roles=frozenset({"staff"})).require_user() == 7
    with pytest.raises(Forbidden):  # their to-do list, their signature: never None passed on
        cli_actor("demo").require_user()


def test_unknown_role_is_an_error_not_a_silent_nothing():
    with pytest.raises(ValueError):
        permissions_of(["king"])
