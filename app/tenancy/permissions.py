"""Roles and what they may do: the one table every permission check reads."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from app.i18n import N_


class Role(StrEnum):
    ADMIN = "admin"
    LEADER = "leader"
    SECTION_HEAD = "section_head"
    EVALUATOR = "evaluator"
    STAFF = "staff"


ROLE_LABELS = {
    Role.ADMIN: N_("管理员"),
    Role.LEADER: N_("分管领导"),
    Role.SECTION_HEAD: N_("股室负责人"),
    Role.EVALUATOR: N_("考评小组成员"),
    Role.STAFF: N_("工作人员"),
}


class Permission(StrEnum):
    """``resource:action``; routes declare the one they need."""

    DASHBOARD_VIEW = "dashboard:view"
    TOKENS_OWN = "tokens:own"
    AUDIT_READ = "audit:read"
    STAFF_VIEW = "staff:view"
    STAFF_MANAGE = "staff:manage"
    ROTA_VIEW = "rota:view"
    ROTA_MANAGE = "rota:manage"
    SETTINGS_MANAGE = "settings:manage"
    ABSENCE_POST = "absence:post"
    ABSENCE_APPROVE = "absence:approve"
    ABSENCE_MANAGE = "absence:manage"
    # Everyone's absences at a glance (today, upcoming, pending, history, the month): admins and heads.
    ABSENCE_OVERVIEW = "absence:overview"
    ESCALATION_PICK = "escalation:pick"
    JOBS_RUN = "jobs:run"
    CALENDAR_MANAGE = "calendar:manage"
    CASE_VIEW = "case:view"
    CASE_WORK = "case:work"
    CASE_DECIDE = "case:decide"
    CASE_EXTEND = "case:extend"
    ACCOUNTABILITY_VIEW = "accountability:view"
    # Word a warning's remedy, set its date, mark it done (the section head tracks it; 第十三条).
    ACCOUNTABILITY_MANAGE = "accountability:manage"
    EVALUATION_RATE = "evaluation:rate"
    EVALUATION_MANAGE = "evaluation:manage"
    EVALUATION_RESULTS = "evaluation:results"
    # The county's deadline figures, down to each handler (SPEC §13: its leaders and admins).
    STATS_VIEW = "stats:view"
    # Take over the staff list and the ledger of open cases from Excel (SPEC §14).
    DATA_IMPORT = "data:import"


_EVERY_MEMBER = {
    Permission.DASHBOARD_VIEW,
    Permission.TOKENS_OWN,
    Permission.STAFF_VIEW,
    Permission.ROTA_VIEW,
    Permission.ABSENCE_POST,
    Permission.CASE_VIEW,
    Permission.EVALUATION_RATE,
}
_ADMIN_ONLY = {
    Permission.AUDIT_READ,
    Permission.STAFF_MANAGE,
    Permission.ROTA_MANAGE,
    Permission.SETTINGS_MANAGE,
    Permission.ABSENCE_MANAGE,
    Permission.JOBS_RUN,
    Permission.CALENDAR_MANAGE,
    Permission.EVALUATION_MANAGE,
    Permission.EVALUATION_RESULTS,
    Permission.DATA_IMPORT,
}
_APPROVERS = {Permission.ABSENCE_APPROVE, Permission.ESCALATION_PICK, Permission.ABSENCE_OVERVIEW}
# 审核审批: the section head reviews and the leader signs; both may decide an application.
_CASE_DECIDERS = {Permission.CASE_DECIDE, Permission.ACCOUNTABILITY_VIEW, Permission.ACCOUNTABILITY_MANAGE}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        _EVERY_MEMBER
        | _ADMIN_ONLY
        | {
            Permission.CASE_WORK,
            Permission.ACCOUNTABILITY_VIEW,
            Permission.ACCOUNTABILITY_MANAGE,
            Permission.STATS_VIEW,
            Permission.ABSENCE_OVERVIEW,
        }
    ),
    Role.LEADER: frozenset(
        _EVERY_MEMBER
        | _APPROVERS
        | _CASE_DECIDERS
        | {Permission.AUDIT_READ, Permission.CASE_EXTEND, Permission.STATS_VIEW}
    ),
    Role.SECTION_HEAD: frozenset(_EVERY_MEMBER | _APPROVERS | _CASE_DECIDERS | {Permission.CASE_WORK}),
    Role.EVALUATOR: frozenset(_EVERY_MEMBER | {Permission.ACCOUNTABILITY_VIEW, Permission.EVALUATION_RESULTS}),
    Role.STAFF: frozenset(_EVERY_MEMBER | {Permission.CASE_WORK}),
}


def permissions_of(roles: Iterable[str]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(Role(role), frozenset())
    return frozenset(granted)
