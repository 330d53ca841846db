"""The county's office hours as stored in its settings (SPEC §4): read by the absence rules and
the statistics, set by administrators on the settings page, the API and tenants as code."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from app.audit.county_settings import save_setting
from app.calendar.services import calendar_of
from app.domain import office_hours
from app.domain.office_hours import OfficeHours
from app.tenancy.context import TenantContext
from app.tenancy.services import settings_of, settings_of_counties

SETTINGS_KEY = "office_hours"


async def office_hours_of(ctx: TenantContext) -> OfficeHours:
    return office_hours.parse((await settings_of(ctx.tenant.id)).get(SETTINGS_KEY))


async def office_hours_of_counties(tenant_ids: Iterable[int]) -> dict[int, OfficeHours]:
    """The office hours of several counties in one statement (statistics across a region)."""
    found = await settings_of_counties(list(tenant_ids))
    return {county: office_hours.parse(settings.get(SETTINGS_KEY)) for county, settings in found.items()}


async def set_office_hours(ctx: TenantContext, raw: object) -> OfficeHours:
    """Check and store the county's office hours (audited); bad input changes nothing."""
    hours = office_hours.parse(raw)
    await save_setting(ctx, SETTINGS_KEY, hours.as_json(), summary="办公时间")
    return hours


async def working_time_of(ctx: TenantContext, start: datetime, end: datetime) -> timedelta:
    """The county's office time on its working days between two instants."""
    calendar = await calendar_of(ctx)
    return office_hours.working_time(
        start, end, hours=await office_hours_of(ctx), zone=ctx.tenant.zone, is_workday=calendar.is_workday
    )
