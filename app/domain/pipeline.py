"""The life of a case (SPEC §6): which step may follow which, as a pure state machine.

Default pipeline: received → accepted | not_accepted → surveyed → posted → approved | rejected →
closed. A line may skip the household survey or the public posting (``Pipeline``); nothing else
about the order can change, so every case on every line passes the same gates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.errors import InvalidInput
from app.i18n import N_


class Status(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    SURVEYED = "surveyed"
    POSTED = "posted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"


class Action(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    SURVEY = "survey"
    POST = "post"
    APPROVE = "approve"
    REJECT = "reject"
    CLOSE = "close"


STATUS_LABELS = {
    Status.RECEIVED: N_("已接收"),
    Status.ACCEPTED: N_("已受理"),
    Status.NOT_ACCEPTED: N_("不予受理"),
    Status.SURVEYED: N_("已入户调查"),
    Status.POSTED: N_("公示中"),
    Status.APPROVED: N_("已审批（同意）"),
    Status.REJECTED: N_("已审批（不同意）"),
    Status.CLOSED: N_("已归档"),
}

ACTION_LABELS = {
    Action.ACCEPT: N_("受理"),
    Action.REFUSE: N_("不予受理"),
    Action.SURVEY: N_("完成入户调查"),
    Action.POST: N_("开始公示"),
    Action.APPROVE: N_("审批同意"),
    Action.REJECT: N_("审批不同意"),
    Action.CLOSE: N_("归档"),
}

# A case is "finished" for its time limit (限时办结) once decided; closing is filing afterwards.
DECIDED = frozenset({Status.NOT_ACCEPTED, Status.APPROVED, Status.REJECTED, Status.CLOSED})
OPEN = frozenset(Status) - DECIDED
# Steps whose outcome is the section's decision on the application (审核审批).
DECISIONS = frozenset({Action.APPROVE, Action.REJECT})


@dataclass(frozen=True)
class Pipeline:
    """Which optional steps a line requires; both by default."""

    survey: bool = True
    posting: bool = True

    def steps(self) -> tuple[Status, ...]:
        """The in-progress states in order, from acceptance to the last step before the decision."""
        optional = ((Status.SURVEYED, self.survey), (Status.POSTED, self.posting))
        return (Status.ACCEPTED, *(status for status, wanted in optional if wanted))

    def transitions(self) -> dict[tuple[Status, Action], Status]:
        steps = self.steps()
        table = {
            (Status.RECEIVED, Action.ACCEPT): Status.ACCEPTED,
            (Status.RECEIVED, Action.REFUSE): Status.NOT_ACCEPTED,
        }
        step_action = {Status.SURVEYED: Action.SURVEY, Status.POSTED: Action.POST}
        for current, following in zip(steps, steps[1:], strict=False):
            table[(current, step_action[following])] = following
        # After acceptance a case may be turned down at any point (e.g. the survey finds the
        # household ineligible); approval only once every step of the line is done.
        for step in steps:
            table[(step, Action.REJECT)] = Status.REJECTED
        table[(steps[-1], Action.APPROVE)] = Status.APPROVED
        for decided in (Status.NOT_ACCEPTED, Status.APPROVED, Status.REJECTED):
            table[(decided, Action.CLOSE)] = Status.CLOSED
        return table

    def allowed(self, current: Status) -> list[Action]:
        """What may be done next, in the order the page offers it."""
        return [action for (status, action) in self.transitions() if status == current]

    def next_status(self, current: Status | str, action: Action | str) -> Status:
        """The state after ``action``, or ``InvalidInput`` naming both when it is not allowed."""
        current = Status(current)
        try:
            chosen = Action(action)
        except ValueError:
            raise InvalidInput("没有“{action}”这个办理步骤", action=action) from None
        following = self.transitions().get((current, chosen))
        if following is None:
            raise InvalidInput(
                "案件当前为“{status}”，不能“{action}”",
                status=STATUS_LABELS[current],
                action=ACTION_LABELS[chosen],
            )
        return following
