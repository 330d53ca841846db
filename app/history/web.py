"""The audit trail: a filterable page for admins and leaders, and the same through the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from app.audit.labels import ACTION_LABELS
from app.audit.services import AuditFilter, browse
from app.history import words
from app.i18n import gettext as _
from app.tenancy.permissions import Permission
from app.web.guards import County, requires
from app.web.render import page


def audit_filter(
    actor: FromQuery[str] = "",
    entity: FromQuery[str] = "",
    action: FromQuery[str] = "",
    since: FromQuery[date | None] = None,
    until: FromQuery[date | None] = None,
    page_no: Annotated[int, QueryParameter(name="page", ge=1)] = 1,
) -> AuditFilter:
    """Dependency: the filter the page and the API both read from the query string."""
    return AuditFilter(
        actor=actor.strip(), entity=entity.strip(), action=action.strip(), since=since, until=until, page=page_no
    )


FILTER = {"wanted": Provide(audit_filter, sync_to_thread=False)}


@get("/audit", name="audit", guards=[requires(Permission.AUDIT_READ)], dependencies=FILTER)
async def audit_page(request: Request, ctx: County, wanted: NamedDependency[AuditFilter]) -> Template:
    filter_query = urlencode(
        {
            "actor": wanted.actor,
            "entity": wanted.entity,
            "action": wanted.action,
            "since": wanted.since or "",
            "until": wanted.until or "",
        }
    )
    result = await browse(ctx, wanted)
    context = {
        "result": result,
        "entries": await words.in_words(ctx, result.rows),
        "entities": words.entity_choices(),
        "actions": [(code, _(label)) for code, label in ACTION_LABELS.items()],
        "wanted": wanted,
        "filter_query": filter_query,
    }
    return page(request, "audit/list.html", context, fragments=("results",))


@get("/audit", name="api_audit", guards=[requires(Permission.AUDIT_READ)], dependencies=FILTER)
async def audit_api(ctx: County, wanted: NamedDependency[AuditFilter]) -> dict:
    result = await browse(ctx, wanted)
    return {
        "page": result.page,
        "has_next": result.has_next,
        "records": [
            {
                "id": row["id"],
                "at": row["at"].isoformat(),
                "actor_id": row["actor"],
                "actor": row["actor_label"],
                "action": row["action"],
                "entity": row["entity"],
                "entity_id": row["entity_id"],
                "summary": row["summary"],
                "before": row["before"],
                "after": row["after"],
                "address": row["address"],
            }
            for row in result.rows
        ],
    }


PAGES = [audit_page]
API = [audit_api]
