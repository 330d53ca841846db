"""Which reminder a case is due for today (SPEC §8): pure, so the scan, the dashboard and the
tests agree on every date. Working days come from the calendar, as everywhere."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from app.domain.casework import PostingWindow
from app.domain.workdays import WorkCalendar
from app.i18n import N_


class Stage(StrEnum):
    DUE_IN_3 = "due_in_3"
    DUE_IN_1 = "due_in_1"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    NOTICE_DAY_2 = "notice_day_2"
    NOTICE_DAY_3 = "notice_day_3"
    POSTING_ENDS = "posting_ends"


STAGE_LABELS = {
    Stage.DUE_IN_3: N_("3 个工作日内到期"),
    Stage.DUE_IN_1: N_("明天到期"),
    Stage.DUE_TODAY: N_("今天到期"),
    Stage.OVERDUE: N_("已超期"),
    Stage.NOTICE_DAY_2: N_("一次性告知：已是受理后第 2 个工作日"),
    Stage.NOTICE_DAY_3: N_("一次性告知：今天是最后期限"),
    Stage.POSTING_ENDS: N_("公示期满，可提交审批"),
}

# The farthest ahead a deadline reminder looks, in working days.
HORIZON_WORKING_DAYS = 3


def deadline_stage(calendar: WorkCalendar, today: date, due_on: date) -> Stage | None:
    """Due in 2–3 working days, in 1, today, or past: each is told once; anything further is quiet.

    2 counts as "3" so that a scan missed on the day still gives the early warning.
    """
    if due_on < today:
        return Stage.OVERDUE
    if due_on == today:
        return Stage.DUE_TODAY
    left = calendar.working_days_between(today, due_on)
    if left <= 1:
        return Stage.DUE_IN_1
    if left <= HORIZON_WORKING_DAYS:
        return Stage.DUE_IN_3
    return None


def notice_stage(calendar: WorkCalendar, today: date, received_on: date) -> Stage | None:
    """A case still waiting for its one-time notice (or acceptance) on working day 2, then day 3
    onwards (the last day allowed: 一次性告知 within 3 working days)."""
    used = calendar.working_days_between(received_on, today)
    if used >= 3:
        return Stage.NOTICE_DAY_3
    if used == 2:
        return Stage.NOTICE_DAY_2
    return None


def posting_stage(today: date, starts_on: date) -> Stage | None:
    """The handler is told once approval is possible (the day after the posting's last day, the
    rule ``decide`` applies), so the case goes to approval."""
    return None if PostingWindow(starts_on).blocks_approval(today) else Stage.POSTING_ENDS


def horizon(calendar: WorkCalendar, today: date) -> date:
    """Cases due on or before this day may need a deadline reminder today."""
    return calendar.add_working_days(today, HORIZON_WORKING_DAYS).due_on
