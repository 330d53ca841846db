"""The reminder scan (SPEC §8): cases due in 3 and 1 working days, due today and overdue,
one-time notices not yet issued on day 2 and 3, postings at their end. Each reminder goes once to
the acting handler (the substitute while the handler is away); overdue ones also to the section
head. Many of one stage to one person at once (a county's first scan) are one message counting
them (``SUMMED_UP_FROM``).

Exactly once is the database's job: every reminder is first a row of the ledger, unique per
county and key, inserted with ON CONFLICT DO NOTHING in the same transaction as the messages it
sends. Cost follows what is due: only open cases up to the horizon are read, through the index
on (tenant, status, due_on), in batches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from piccolo.query import WhereRaw

from app import clock, db
from app.accounts.services import holders_of
from app.calendar.services import calendar_of
from app.cases.tables import Case, MaterialNotice, Posting
from app.domain.casework import PostingWindow
from app.domain.pipeline import OPEN, Status
from app.domain.reminder import (
    STAGE_LABELS,
    Stage,
    deadline_stage,
    horizon,
    notice_stage,
    posting_stage,
)
from app.i18n.messages import Said, label, said
from app.notifications.services import Message, notify_many
from app.reminders.tables import Reminder
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Role

# Cases read (and reminders told, in one transaction) at a time: a county's catch-up of up to this
# many is one summed-up message per person and stage.
BATCH = 5000
NOTICE_STAGES = (Stage.NOTICE_DAY_2, Stage.NOTICE_DAY_3)
# From this many reminders of one stage for one person at once (a county's first scan, or one
# after days without any), they are told in one message that counts them: hundreds of "已超期" in
# an inbox (and as many e-mails) bury what matters, and the register shows them all in one click.
# Each case still has its ledger row, so none of them is told again.
SUMMED_UP_FROM = 20


# Overdue cases pile up and stay in the overdue stage: those told already are left out in the
# query itself, so a county's daily re-scan reads only what may be new. The ledger is probed by
# its columns, not by its key: under row-level security a condition that builds the key
# ('case:' || id …) is not leakproof, so PostgreSQL cannot use it in an index and compared every
# case with every reminder of the county (2.5 s a county after a catch-up).
ALREADY_TOLD_OVERDUE = WhereRaw(
    "NOT EXISTS (SELECT 1 FROM reminder WHERE reminder.tenant = assistance_case.tenant"
    ' AND reminder."case" = assistance_case.id AND reminder.stage = {} AND reminder.due_on = assistance_case.due_on)',
    Stage.OVERDUE.value,
)


@dataclass
class ScanReport:
    looked_at: int = 0
    reminders: int = 0
    messages: int = 0


@dataclass(frozen=True)
class Due:
    """One reminder the scan found due: which case, which stage, about which deadline."""

    case: dict
    stage: Stage
    due_on: date | None = None

    @property
    def key(self) -> str:
        return f"case:{self.case['id']}:{self.stage.value}:{self.due_on or ''}"


_CASE_COLUMNS = (
    Case.id,
    Case.due_on,
    Case.received_on,
    Case.acting_handler,
    Case.applicant_name,
    Case.line.name.as_alias("line_name"),
)


async def _batches(query):
    """The rows of ``query`` (ordered by case id) a batch at a time, by key, never by offset."""
    after = 0
    while True:
        rows = await query.where(Case.id > after).order_by(Case.id).limit(BATCH)
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


def _message(due: Due) -> Said:
    case = due.case
    what = label(STAGE_LABELS[due.stage])
    if due.stage in NOTICE_STAGES:
        return said(
            "{line}：{applicant}的申请{what}", line=case["line_name"], applicant=case["applicant_name"], what=what
        )
    return said(
        "{line}：{applicant}的申请{what}（{due_on} 到期）",
        line=case["line_name"],
        applicant=case["applicant_name"],
        what=what,
        due_on=case["due_on"].isoformat(),
    )


def _recipients(due: Due, heads: list[int]) -> list[int]:
    """The acting handler; an uncovered case (nobody present can act on it) goes to the section
    heads, who must arrange it, and an overdue one to them as well."""
    acting = due.case["acting_handler"]
    recipients = {acting} if acting is not None else set(heads)
    if due.stage is Stage.OVERDUE:
        recipients.update(heads)
    return sorted(recipients)


def _summed_up(ctx: TenantContext, user_id: int, stage: Stage, dues: list[Due], heads: list[int]) -> Message:
    """One message for many reminders of one stage to one person, linking to the register narrowed
    to them (a head's to the whole county's). Keyed by its first reminder, which it alone tells,
    and how many it counts: two people told the same reminders share the key but the person (a
    group robot tells them once), a head's county-wide count and a handler's own do not."""
    mine = None if user_id in heads else user_id
    if stage in NOTICE_STAGES:
        narrowed = {"status": Status.RECEIVED.value, "handler_id": mine}
    elif stage is Stage.POSTING_ENDS:
        narrowed = {"status": Status.POSTED.value, "handler_id": mine}
    elif stage is Stage.OVERDUE:
        narrowed = {"overdue": "1", "handler_id": mine}
    else:
        due_on = sorted(due.due_on for due in dues if due.due_on)
        narrowed = {
            "open": "1",
            "due_from": due_on[0].isoformat(),
            "due_to": due_on[-1].isoformat(),
            "handler_id": mine,
        }
    return Message(
        user_id,
        kind=f"reminder.{stage.value}",
        message=said("{what}：{count} 件申请", what=label(STAGE_LABELS[stage]), count=len(dues)),
        dedupe_key=f"reminder:{dues[0].key}:{len(dues)}:{user_id}",
        link=ctx.url("cases", query=narrowed),
    )


async def _tell(ctx: TenantContext, found: list[Due], heads: list[int], report: ScanReport) -> None:
    """Ledger rows and their messages together: a reminder is either fully told or not at all."""
    by_key = {due.key: due for due in found}
    # What was told already is left out by one read, so a re-scan writes nothing (the insert's
    # ON CONFLICT still settles two scans racing).
    if by_key:
        told = await ctx.select(Reminder, Reminder.key).where(Reminder.key.is_in(list(by_key)))
        for row in told:
            del by_key[row["key"]]
    if not by_key:
        return
    now = clock.now()
    async with db.transaction():
        inserted = await db.insert_new(
            Reminder,
            [
                {
                    "tenant": ctx.tenant.id,
                    "case": due.case["id"],
                    "stage": due.stage.value,
                    "due_on": due.due_on,
                    "key": key,
                    "created_at": now,
                }
                for key, due in by_key.items()
            ],
            returning=("key",),
        )
        # Each person's reminders by stage: a few are told one by one, many at once in one message.
        groups: dict[tuple[int, Stage], list[Due]] = defaultdict(list)
        for row in inserted:
            due = by_key[row["key"]]
            for user_id in _recipients(due, heads):
                groups[user_id, due.stage].append(due)
        made: dict[str, tuple[Said, str]] = {}  # each reminder's message and link, once for all its recipients
        messages = []
        for (user_id, stage), dues in groups.items():
            if len(dues) >= SUMMED_UP_FROM:
                messages.append(_summed_up(ctx, user_id, stage, dues, heads))
                continue
            for due in dues:
                if due.key not in made:
                    made[due.key] = _message(due), ctx.url("case", case_id=due.case["id"])
                message, link = made[due.key]
                messages.append(
                    Message(
                        user_id,
                        kind=f"reminder.{stage.value}",
                        message=message,
                        dedupe_key=f"reminder:{due.key}:{user_id}",
                        link=link,
                        case_id=due.case["id"],
                    )
                )
        report.messages += await notify_many(ctx.tenant.id, messages)
    report.reminders += len(inserted)


async def scan(ctx: TenantContext, today: date | None = None) -> ScanReport:
    """Tell everyone what is due today in one county. Safe to run any number of times."""
    today = today or ctx.tenant.now().date()
    calendar = await calendar_of(ctx)
    heads = await holders_of(ctx, [Role.SECTION_HEAD])
    report = ScanReport()

    deadlines = ctx.select(Case, *_CASE_COLUMNS).where(
        Case.status.is_in(sorted(OPEN)) & (Case.due_on <= horizon(calendar, today)) & ALREADY_TOLD_OVERDUE
    )
    async for rows in _batches(deadlines):
        report.looked_at += len(rows)
        found = [
            Due(row, stage, row["due_on"]) for row in rows if (stage := deadline_stage(calendar, today, row["due_on"]))
        ]
        await _tell(ctx, found, heads, report)

    waiting = ctx.select(Case, *_CASE_COLUMNS).where((Case.status == Status.RECEIVED) & (Case.received_on < today))
    async for rows in _batches(waiting):
        report.looked_at += len(rows)
        noticed = {
            row["case"]
            for row in await ctx.select(MaterialNotice, MaterialNotice.case).where(
                MaterialNotice.case.is_in([row["id"] for row in rows])
            )
        }
        found = [
            Due(row, stage)
            for row in rows
            if row["id"] not in noticed and (stage := notice_stage(calendar, today, row["received_on"]))
        ]
        await _tell(ctx, found, heads, report)

    postings = ctx.select(Case, *_CASE_COLUMNS).where(Case.status == Status.POSTED)
    async for rows in _batches(postings):
        report.looked_at += len(rows)
        # The latest posting of each case (a case re-posted after an objection is told afresh).
        starts = {
            row["case"]: row["starts_on"]
            for row in await ctx.select(Posting, Posting.case, Posting.starts_on)
            .where(Posting.case.is_in([row["id"] for row in rows]))
            .order_by(Posting.id)
        }
        found = [
            Due(row, stage, PostingWindow(starts[row["id"]]).ends_on)
            for row in rows
            if row["id"] in starts and (stage := posting_stage(today, starts[row["id"]]))
        ]
        await _tell(ctx, found, heads, report)
    return report
