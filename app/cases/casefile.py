"""The case page and the printed evidence pack: everything about one case."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from types import GenericAlias
from typing import Any

import msgspec

from app import db
from app.cases.intake import DUPLICATE_WARNING
from app.cases.register import CaseView, case_view, get_case, income_limits
from app.cases.tables import Case, MaterialNotice, Receipt
from app.domain.casework import (
    PostingWindow,
)
from app.domain.pipeline import Pipeline, Status
from app.tenancy.context import NotFound, TenantContext

# --- the parts of a case file, as the page and the evidence pack read them ------------------------


class EventRow(msgspec.Struct):
    id: int
    at: datetime
    actor: int | None
    actor_label: str
    kind: str
    from_status: str
    to_status: str
    note: str
    note_key: str
    note_params: dict[str, Any] | None


class NoticeRow(msgspec.Struct):
    id: int
    items: list[str]
    reason: str
    issued_by: int | None
    issued_by_name: str | None
    issued_at: datetime
    late: bool


class ReceiptRow(msgspec.Struct):
    id: int
    number: int
    kind: str
    reason: str
    issued_by_name: str | None
    issued_at: datetime


class SurveyRow(msgspec.Struct):
    id: int
    visited_on: date
    findings: str
    conclusion: str
    recorded_by: int | None
    recorded_at: datetime


class InvestigatorRow(msgspec.Struct):
    id: int
    person: int
    person_name: str | None
    signed_at: datetime | None


class PostingRow(msgspec.Struct):
    id: int
    starts_on: date
    ends_on: date
    place: str
    posted_by: int | None
    posted_at: datetime


class ObjectionRow(msgspec.Struct):
    id: int
    posting: int
    raised_on: date
    raised_by: str
    content: str
    resolution: str
    resolved_at: datetime | None


class ExtensionRow(msgspec.Struct):
    id: int
    working_days: int
    reason: str
    due_before: date
    due_after: date
    approved_by: int
    approved_by_name: str | None
    approved_at: datetime


class ReviewRow(msgspec.Struct):
    id: int
    level: str
    reviewed_on: date | None
    posted_from: date | None
    posted_to: date | None
    outcome: str
    document: str


class Parts(msgspec.Struct):
    """A case file's parts as the statement hands them over (one JSON object)."""

    events: list[EventRow]
    notices: list[NoticeRow]
    receipts: list[ReceiptRow]
    survey: list[SurveyRow]
    investigators: list[InvestigatorRow]
    postings: list[PostingRow]
    objections: list[ObjectionRow]
    extensions: list[ExtensionRow]
    reviews: list[ReviewRow]


@dataclass
class CaseFile:
    """Everything about one case, for its page and for the printed evidence pack (inspections)."""

    case: CaseView
    # The line's list of materials (its own wording), for the checklist of what to bring.
    materials: str
    actions: list[str]
    events: list[EventRow]
    notices: list[NoticeRow]
    receipts: list[ReceiptRow]
    survey: SurveyRow | None
    investigators: list[InvestigatorRow]
    postings: list[PostingRow]
    objections: list[ObjectionRow]
    extensions: list[ExtensionRow]
    # The latest posting as approval sees it; None before any.
    posting: PostingWindow | None
    posting_blocks_approval: bool
    reviews: list[ReviewRow]
    duplicate_warnings: list[EventRow]
    # Who acted for the handler while the case was open (第四条): the absences' part, which
    # app.flows.casefile asks for (rows of its own kind).
    substitutions: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Part:
    """One part of the file: its rows (columns named as ``row``'s fields) in ``order``; ``embedded``
    are JSON columns, kept as JSON inside the part. ``rows`` takes the county and the case as
    ``{tenant}`` and ``{case}``, and may name the case's row ``c``."""

    row: type[msgspec.Struct]
    rows: str
    order: str
    embedded: tuple[str, ...] = ()


PARTS = {
    "events": Part(
        EventRow,
        """SELECT id, at, actor, actor_label, kind, from_status, to_status, note, note_key, note_params
        FROM case_event WHERE tenant = {tenant} AND "case" = {case}""",
        "at, id",
        ("note_params",),
    ),
    "notices": Part(
        NoticeRow,
        """SELECT n.id, n.items, n.reason, n.issued_by, u.name AS issued_by_name, n.issued_at, n.late
        FROM material_notice n LEFT JOIN portal_user u ON u.id = n.issued_by
        WHERE n.tenant = {tenant} AND n."case" = {case}""",
        "id",
        ("items",),
    ),
    "receipts": Part(
        ReceiptRow,
        """SELECT r.id, r.number, r.kind, r.reason, u.name AS issued_by_name, r.issued_at
        FROM receipt r LEFT JOIN portal_user u ON u.id = r.issued_by
        WHERE r.tenant = {tenant} AND r."case" = {case}""",
        "number",
    ),
    # A case has one survey at most (record_survey refuses a second).
    "survey": Part(
        SurveyRow,
        """SELECT id, visited_on, findings, conclusion, recorded_by, recorded_at
        FROM survey WHERE tenant = {tenant} AND "case" = {case}""",
        "id",
    ),
    "investigators": Part(
        InvestigatorRow,
        """SELECT i.id, i.person, u.name AS person_name, i.signed_at
        FROM investigator i JOIN survey s ON s.id = i.survey LEFT JOIN portal_user u ON u.id = i.person
        WHERE i.tenant = {tenant} AND s.tenant = {tenant} AND s."case" = {case}""",
        "id",
    ),
    "postings": Part(
        PostingRow,
        """SELECT id, starts_on, ends_on, place, posted_by, posted_at
        FROM posting WHERE tenant = {tenant} AND "case" = {case}""",
        "id",
    ),
    "objections": Part(
        ObjectionRow,
        """SELECT id, posting, raised_on, raised_by, content, resolution, resolved_at
        FROM objection WHERE tenant = {tenant} AND "case" = {case}""",
        "id",
    ),
    "extensions": Part(
        ExtensionRow,
        """SELECT x.id, x.working_days, x.reason, x.due_before, x.due_after, x.approved_by,
        u.name AS approved_by_name, x.approved_at
        FROM extension x LEFT JOIN portal_user u ON u.id = x.approved_by
        WHERE x.tenant = {tenant} AND x."case" = {case}""",
        "id",
    ),
    "reviews": Part(
        ReviewRow,
        """SELECT id, level, reviewed_on, posted_from, posted_to, outcome, document
        FROM grassroots_review WHERE tenant = {tenant} AND "case" = {case}""",
        "id",
    ),
}

# The case as the register shows it (register.VIEW_COLUMNS), its line's pipeline and materials,
# and its parts as one JSON object of arrays: one statement instead of one a part, and none of
# Piccolo's query building, which cost more CPU than PostgreSQL spent answering.
CASE_FILE = """
SELECT c.*, l.code AS line_code, l.name AS line_name, f.name AS first_receiver_name,
       h.name AS handler_name, a.name AS acting_handler_name,
       l.needs_survey, l.needs_posting, l.materials, {parts} AS parts{beside}
FROM assistance_case c
LEFT JOIN line l ON l.id = c.line
LEFT JOIN portal_user f ON f.id = c.first_receiver
LEFT JOIN portal_user h ON h.id = c.handler
LEFT JOIN portal_user a ON a.id = c.acting_handler
WHERE c.tenant = {{tenant}} AND c.id = {{case}}
"""


def _as_json(part: Part, postgres: bool) -> str:
    """The part's rows as one JSON array ('[]' when none), in order."""
    if postgres:
        order = ", ".join(f"p.{column.strip()}" for column in part.order.split(","))
        return f"(SELECT coalesce(json_agg(p ORDER BY {order}), '[]') FROM ({part.rows}) p)"
    # SQLite (3.40) has no ORDER BY inside an aggregate: the ordered subquery is aggregated in its order.
    pairs = ", ".join(
        f"'{name}', " + (f"json(p.{name})" if name in part.embedded else f"p.{name}")
        for name in part.row.__struct_fields__
    )
    ordered = f"SELECT * FROM ({part.rows}) ORDER BY {part.order}"
    return f"(SELECT json_group_array(json_object({pairs})) FROM ({ordered}) p)"


@functools.cache
def _statement(postgres: bool, substitutions: Part | None) -> tuple[str, tuple[str, ...]]:
    """The case file's SQL for the dialect, with Piccolo's placeholders, and which value each takes."""
    beside = f", {_as_json(substitutions, postgres)} AS substitutions" if substitutions else ""
    if postgres:
        parts = ", ".join(f"'{name}', {_as_json(part, postgres)}" for name, part in PARTS.items())
        sql = CASE_FILE.format(parts=f"json_build_object({parts})", beside=beside)
    else:  # a subquery's JSON reaches json_object as text: json() keeps it JSON
        parts = ", ".join(f"'{name}', json({_as_json(part, postgres)})" for name, part in PARTS.items())
        sql = CASE_FILE.format(parts=f"json_object({parts})", beside=beside)
    return re.sub(r"\{(tenant|case)\}", "{}", sql), tuple(re.findall(r"\{(tenant|case)\}", sql))


# JSON has no dates, times or booleans of its own (SQLite says 0 and 1): the rows' types give them back.
_PARTS = msgspec.json.Decoder(Parts, strict=False)


@functools.cache
def _rows_of(part: Part) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(GenericAlias(list, part.row), strict=False)


async def case_file(ctx: TenantContext, case_id: int, *, substitutions: Part | None = None) -> CaseFile:
    """The case and its parts in one statement; ``substitutions`` is read beside them when given."""
    sql, names = _statement(db.is_postgres(), substitutions)
    values = {"tenant": ctx.tenant.id, "case": ctx.key_of(Case, case_id)}
    rows = await Case.raw(sql, *(values[name] for name in names))
    if not rows:
        raise NotFound(f"Case {case_id!r}")
    case = rows[0]
    parts = _PARTS.decode(case["parts"])
    today = ctx.tenant.now().date()
    view = case_view(case, today, await income_limits(ctx))
    pipeline = Pipeline(bool(case["needs_survey"]), bool(case["needs_posting"]))
    postings = parts.postings
    window = PostingWindow(postings[-1].starts_on) if postings else None
    return CaseFile(
        case=view,
        materials=case["materials"],
        actions=[a.value for a in pipeline.allowed(Status(view.status))],
        events=parts.events,
        notices=parts.notices,
        receipts=parts.receipts,
        survey=parts.survey[0] if parts.survey else None,
        investigators=parts.investigators,
        postings=postings,
        objections=parts.objections,
        extensions=parts.extensions,
        posting=window,
        posting_blocks_approval=bool(window and window.blocks_approval(today)),
        reviews=parts.reviews,
        duplicate_warnings=[event for event in parts.events if event.kind == DUPLICATE_WARNING],
        substitutions=_rows_of(substitutions).decode(case["substitutions"]) if substitutions else [],
    )


async def notice_payload(ctx: TenantContext, case_id: int, notice_id: int) -> dict:
    """One printed one-time notice."""
    notice = await ctx.get(MaterialNotice, notice_id)
    if notice.case != case_id:
        raise NotFound(f"notice {notice_id}")
    # A fetched object keeps a JSONB column as its JSON text: decoded, or the page lists its characters.
    items = msgspec.json.decode(notice.items) if isinstance(notice.items, str) else notice.items
    return {"case": await get_case(ctx, case_id), "notice": notice, "items": items}


async def receipt_payload(ctx: TenantContext, case_id: int, receipt_id: int) -> dict:
    receipt = await ctx.get(Receipt, receipt_id)
    if receipt.case != case_id:
        raise NotFound(f"receipt {receipt_id}")
    return {"case": await get_case(ctx, case_id), "receipt": receipt}
