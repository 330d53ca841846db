import pytest

from app.tenancy.context import Actor, Forbidden
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


def test_unknown_role_is_an_error_not_a_silent_nothing():
    with pytest.raises(ValueError):
        permissions_of(["king"])
