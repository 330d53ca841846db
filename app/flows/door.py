"""The door notice (第四条): when everyone of the section is out at once, who, why and until when,
as fit for a public door.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app import clock
from app.absences.away import people_away
from app.absences.services import KIND_LABELS, AbsenceView, list_absences
from app.accounts.services import holders_of
from app.domain.absence import Kind, door_line
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Role
from app.tenancy.services import settings_of


@dataclass(frozen=True)
class DoorEntry:
    person_name: str
    kind: str
    reason: str  # as shown on the door: official business, or only the kind
    ends_at: datetime
    phone: str


@dataclass(frozen=True)
class DoorNotice:
    at: datetime
    entries: list[DoorEntry]
    since: datetime  # when the last person left: one 'everyone is out' episode
    neighbour_offices: list[str]
    office_phone: str
    notify: list[str]  # usernames told in their inbox


async def door_notice(ctx: TenantContext, at: datetime | None = None) -> DoorNotice | None:
    """When everyone of the section is out at once (第四条): who, why, back when, how to reach them,
    as fit for a public door (no personal reason, no private number unless the person chose it)."""
    at = at or clock.now()
    section = set(await holders_of(ctx, [Role.STAFF, Role.SECTION_HEAD]))
    if not section:
        return None
    away = await people_away(ctx, at, even_briefly=True)
    if not section <= away:
        return None
    absences = [
        a
        for a in await list_absences(ctx, active_at=None)
        if a.person_id in section and a.status in ("active", "overdue", "approved") and a.starts_at <= at
    ]
    latest: dict[int, AbsenceView] = {}
    for absence in absences:
        latest.setdefault(absence.person_id, absence)
    settings = await settings_of(ctx.tenant.id)
    configured, office_phone = settings.get("door_notice", {}), settings.get("office", {}).get("phone", "")
    entries = []
    for absence in sorted(latest.values(), key=lambda a: a.ends_at):
        line = door_line(
            Kind(absence.kind),
            absence.reason,
            KIND_LABELS[absence.kind],
            absence.contact,
            absence.show_contact,
            office_phone,
        )
        entries.append(DoorEntry(absence.person_name, absence.kind, line.reason, absence.ends_at, line.phone))
    return DoorNotice(
        at=at.astimezone(ctx.tenant.zone),
        entries=entries,
        since=max(a.starts_at for a in latest.values()),
        neighbour_offices=configured.get("neighbour_offices", []),
        office_phone=office_phone,
        notify=configured.get("notify", []),
    )
