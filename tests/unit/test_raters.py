"""Who may rate whom (工作效能考评制度 第四条, 第五条): above all, no 科室互评 from people who are not peers."""

from __future__ import annotations

import pytest

from app.domain.scoring import Component
from app.evaluation.raters import is_peer, refusal
from app.tenancy.permissions import Role

ME, COLLEAGUE = 1, 2


@pytest.mark.parametrize(
    ("roles", "peer"),
    [
        ({Role.STAFF}, True),
        ({Role.SECTION_HEAD}, True),
        ({Role.SECTION_HEAD, Role.STAFF}, True),
        ({Role.EVALUATOR}, False),
        ({Role.LEADER, Role.EVALUATOR}, False),
        ({Role.LEADER}, False),
        ({Role.ADMIN}, False),
        # Working in the section does not make a group member or the admin a peer: they would vote twice.
        ({Role.STAFF, Role.EVALUATOR}, False),
        ({Role.STAFF, Role.ADMIN}, False),
        ({Role.SECTION_HEAD, Role.LEADER}, False),
        (set(), False),
    ],
)
def test_only_colleagues_in_the_section_are_peers(roles, peer):
    assert is_peer(roles) is peer
    assert (refusal(Component.PEER, rater=ME, roles=roles, subject=COLLEAGUE) is None) is peer


def test_the_roles_may_come_as_the_plain_strings_an_actor_holds():
    assert is_peer(frozenset({"staff"}))
    assert not is_peer(frozenset({"staff", "evaluator"}))


@pytest.mark.parametrize(
    ("component", "roles", "subject", "message"),
    [
        (Component.SELF, {Role.STAFF}, ME, None),
        (Component.SELF, {Role.EVALUATOR, Role.LEADER}, COLLEAGUE, "个人自评只能由本人填写"),
        (Component.PEER, {Role.STAFF}, ME, "科室互评不能给自己评分"),
        (Component.PEER, {Role.ADMIN}, COLLEAGUE, "科室互评由本股室同事填写，领导小组成员和管理员不参加"),
        (Component.LEADERSHIP, {Role.EVALUATOR}, COLLEAGUE, None),
        (Component.LEADERSHIP, {Role.STAFF, Role.EVALUATOR}, ME, "领导小组考核不能给自己评分"),
        (Component.LEADERSHIP, {Role.SECTION_HEAD, Role.ADMIN}, COLLEAGUE, "领导小组考核须由考评小组成员评分"),
        (Component.GRASSROOTS, {Role.ADMIN}, COLLEAGUE, "基层测评通过测评链接填写，或由管理员录入纸质评分"),
    ],
)
def test_each_component_has_its_raters(component, roles, subject, message):
    assert refusal(component, rater=ME, roles=roles, subject=subject) == message
