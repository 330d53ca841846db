"""Absence notices (离岗告示制度), pure: how long is an absence, who approves it, what may happen next.

No web or database imports; times are timezone-aware datetimes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from app.errors import InvalidInput

NOTICE_NOT_NEEDED = timedelta(minutes=30)
BRIEF_LIMIT = timedelta(hours=4)


class Category(StrEnum):
    NONE = "none"  # ≤ 30 min: no notice needed (may still be posted)
    BRIEF = "brief"  # ≤ half a day (one session, at most 4 h): the section head approves
    LEAVE = "leave"  # more than half a day: formal leave, the leader approves, a substitute takes over


class Kind(StrEnum):
    OFFICIAL = "official"
    PERSONAL = "personal"
    SICK = "sick"
    STUDY = "study"
    ANNUAL = "annual"
    OTHER = "other"


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ACTIVE = "active"
    RETURNED = "returned"
    OVERDUE = "overdue"


# The person is (or will be) away under a notice in one of these states.
IN_FORCE = frozenset({Status.APPROVED, Status.ACTIVE, Status.OVERDUE})
# A notice in one of these states blocks another of the same person that overlaps it.
BLOCKING = frozenset({Status.PENDING, Status.APPROVED, Status.ACTIVE, Status.OVERDUE})


WorkingTime = Callable[[datetime, datetime], timedelta]
"""Measures the county's office time on working days between two instants (the calendar's office hours)."""


def categorize(starts_at: datetime, ends_at: datetime, *, working: WorkingTime) -> Category:
    """By the working time the absence takes (第一至三条: leaving the post during working time), so
    an evening or a weekend away is no absence at all, and Friday 16:30 → Monday 08:30 is brief."""
    if ends_at <= starts_at:
        raise InvalidInput("预计返回时间必须晚于离岗时间")
    duration = working(starts_at, ends_at)
    if duration <= NOTICE_NOT_NEEDED:
        return Category.NONE
    if duration <= BRIEF_LIMIT:
        return Category.BRIEF
    return Category.LEAVE


def approver_role(category: Category, poster_roles: Iterable[str]) -> str | None:
    """The role that must approve, or ``None`` when posting is enough.

    A section head's own brief absence only notifies colleagues (there is nobody above them in
    the section); a leave always goes to the leader.
    """
    if category == Category.NONE:
        return None
    if category == Category.BRIEF:
        return None if "section_head" in set(poster_roles) else "section_head"
    return "leader"


def initial_status(category: Category, poster_roles: Iterable[str]) -> Status:
    return Status.PENDING if approver_role(category, poster_roles) else Status.APPROVED


def overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    return start < other_end and other_start < end


@dataclass(frozen=True)
class Notice:
    """The facts of one notice that decide its state."""

    status: Status
    starts_at: datetime
    ends_at: datetime
    returned_at: datetime | None = None
    recorded_afterwards: bool = False

    @classmethod
    def of(cls, row: object) -> Notice:
        """The facts of a stored notice (a row as a dict, or a table object)."""
        get: Callable[[str], Any] = row.get if isinstance(row, dict) else lambda key: getattr(row, key)
        return cls(
            Status(get("status")), get("starts_at"), get("ends_at"), get("returned_at"), get("recorded_afterwards")
        )


def current_status(notice: Notice, now: datetime) -> Status:
    """The state the notice should be in at ``now``: approved → active at the start, active →
    overdue when the expected return has passed and nobody marked the return."""
    if notice.status == Status.APPROVED and now >= notice.starts_at:
        return Status.OVERDUE if now >= notice.ends_at else Status.ACTIVE
    if notice.status == Status.ACTIVE and now >= notice.ends_at:
        return Status.OVERDUE
    return notice.status


def away_at(notice: Notice, at: datetime) -> bool:
    """Whether the person is away at ``at`` under this notice.

    Someone overdue is still away: they are not back until the return is marked.
    """
    if notice.recorded_afterwards:
        return False
    if notice.status not in IN_FORCE and notice.status != Status.RETURNED:
        return False
    if at < notice.starts_at:
        return False
    if notice.returned_at is not None:
        return at < notice.returned_at
    return notice.status in IN_FORCE


def away_until(notice: Notice, now: datetime) -> datetime:
    """When the time away ended: the return, early or late; someone overdue is away still."""
    if notice.returned_at is not None:
        return notice.returned_at
    if notice.status == Status.OVERDUE:
        return max(notice.ends_at, now)
    return notice.ends_at


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    RETURN = "return"


def check_action(action: Action, notice: Notice, now: datetime) -> Status:
    """The state after ``action``, or ``InvalidInput`` saying why it is not possible now."""
    state = current_status(notice, now)
    if action in (Action.APPROVE, Action.REJECT):
        if state != Status.PENDING:
            raise InvalidInput("该离岗申请已不在待审批状态")
        if action == Action.APPROVE and now >= notice.ends_at:
            # Approving now would make it overdue at once: what happened is recorded afterwards instead.
            raise InvalidInput("已过预计返回时间，不能再审批；如确已离岗，请由管理员补录")
        return Status.APPROVED if action == Action.APPROVE else Status.REJECTED
    if action == Action.CANCEL:
        # A request nobody decided can always be withdrawn; an approved one only before it starts.
        if state == Status.PENDING or (state == Status.APPROVED and now < notice.starts_at):
            return Status.CANCELLED
        raise InvalidInput("只能撤销待审批的申请，或在离岗开始前撤销已批准的告示")
    if state not in (Status.ACTIVE, Status.OVERDUE):
        raise InvalidInput("尚未离岗，不能登记返岗")
    return Status.RETURNED


@dataclass(frozen=True)
class DoorLine:
    """One person as the door notice shows them to the public (离岗告示制度 第四条)."""

    reason: str
    phone: str


def door_line(
    kind: Kind, reason: str, kind_label: str, contact: str, show_contact: bool, office_phone: str
) -> DoorLine:
    """A personal reason never goes on the office door: only official business is explained, other
    absences show their kind (事假, 病假…); the phone is the office's unless the person chose to show theirs."""
    shown_reason = reason if kind == Kind.OFFICIAL else kind_label
    return DoorLine(shown_reason, contact if show_contact and contact else office_phone)
