"""Recording and reading the audit trail.

``record`` is called inside the transaction of the change it describes, so a change and its
audit row are saved together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from piccolo.query import Raw, Select

from app import clock
from app.audit.tables import AuditRecord
from app.i18n.messages import Said, stored
from app.tenancy.context import Actor, TenantContext
from app.tenancy.permissions import Permission

PAGE_SIZE = 50
# Each rating's record names the rater and the subject: only those who run the evaluation read it.
CONFIDENTIAL_ACTION = "evaluation.rate"


async def record(
    actor: Actor,
    *,
    tenant_id: int | None,
    action: str,
    entity: str,
    entity_id: Any = "",
    summary: str | Said = "",
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    text, key, params = stored(summary)
    await AuditRecord.insert(
        AuditRecord(
            tenant=tenant_id,
            at=clock.now(),
            actor=actor.user_id,
            actor_label=actor.label[:100],
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            summary=text[:300],
            summary_key=key,
            summary_params=params,
            before=before,
            after=after,
            address=actor.address[:64],
        )
    )


async def record_in(ctx: TenantContext, **change: Any) -> None:
    await record(ctx.actor, tenant_id=ctx.tenant.id, **change)


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    entity: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1


@dataclass(frozen=True)
class AuditPage:
    rows: list[dict]
    page: int
    has_next: bool


def _sees_ratings(ctx: TenantContext) -> bool:
    # Who rated whom is confidential: a leader (an evaluator too) reads the audit without the ratings.
    return ctx.actor.can(Permission.EVALUATION_MANAGE)


def _readable(ctx: TenantContext) -> Select[AuditRecord]:
    """The county's audit rows the actor may read, newest first."""
    query = ctx.select(AuditRecord).order_by(AuditRecord.id, ascending=False).output(load_json=True)
    if not _sees_ratings(ctx):
        query = query.where(AuditRecord.action != CONFIDENTIAL_ACTION)
    return query


def on_county_clock(ctx: TenantContext, rows: list[dict]) -> list[dict]:
    for row in rows:
        row["at"] = row["at"].astimezone(ctx.tenant.zone)
    return rows


# ``_readable`` written out with the columns the dashboard shows: every admin's and leader's start
# page asks, and Piccolo's building of it cost more than the indexed read.
_RECENT = "SELECT id, at, actor_label, action, summary, summary_key, summary_params FROM audit_record WHERE tenant = {}"


def recent_changes(ctx: TenantContext, count: int) -> Raw:
    """The newest ``count`` rows (the dashboard's list; the summary's parameters as stored, which
    ``messages.render`` reads), as a query the dashboard reads with its lists (``on_county_clock``
    then): one indexed read, whatever the history."""
    # Constants in the text, not parameters: guessing a parameter's limit (a tenth of the table) or
    # action, the generic plan looks dearer than one made afresh, and PostgreSQL then plans the
    # dashboard's whole statement afresh on every request (~4 ms, for a read of 0.1 ms).
    order = f" ORDER BY id DESC LIMIT {int(count)}"
    if _sees_ratings(ctx):
        return AuditRecord.raw(_RECENT + order, ctx.tenant.id)
    return AuditRecord.raw(f"{_RECENT} AND action <> '{CONFIDENTIAL_ACTION}'{order}", ctx.tenant.id)


async def browse(ctx: TenantContext, wanted: AuditFilter) -> AuditPage:
    query = _readable(ctx)
    if wanted.actor:
        query = query.where(AuditRecord.actor_label.ilike(f"%{wanted.actor}%"))
    if wanted.entity:
        query = query.where(AuditRecord.entity == wanted.entity)
    if wanted.action:
        query = query.where(AuditRecord.action.ilike(f"%{wanted.action}%"))
    zone = ctx.tenant.zone
    if wanted.since:
        query = query.where(AuditRecord.at >= datetime.combine(wanted.since, time(), zone))
    if wanted.until:
        query = query.where(AuditRecord.at < datetime.combine(wanted.until + timedelta(days=1), time(), zone))
    page = max(wanted.page, 1)
    rows = on_county_clock(ctx, await query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE))
    return AuditPage(rows=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE)
