"""Cases with chosen dates, written straight to the table: the figures' tests decide every date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.cases.tables import Case
from app.regions.services import add_inspector, create_token
from app.rota.tables import Line
from app.tenancy.context import TenantInfo
from tests.helpers import OPERATOR, PASSWORD


async def line_id(county: TenantInfo, code: str) -> int:
    return (await Line.select(Line.id).where((Line.tenant == county.id) & (Line.code == code)).first())["id"]


async def case(
    county: TenantInfo,
    handler: int,
    *,
    line: str = "medical",
    received_on: date,
    due_on: date,
    decided_on: date | None = None,
    decided_at_hour: int = 10,
    extension_days: int = 0,
) -> int:
    """A case of ``county`` received and due on these days; decided at ``decided_at_hour`` o'clock of
    ``decided_on`` on the county's clock, or still open."""
    zone = county.zone
    decided_at = datetime.combine(decided_on, time(decided_at_hour), zone) if decided_on is not None else None
    row = Case(
        tenant=county.id,
        line=await line_id(county, line),
        applicant_name="张三",
        applicant_id_number="110101199003074514",
        household_size=2,
        received_on=received_on,
        working_days=5,
        extension_days=extension_days,
        original_due_on=due_on,
        due_on=due_on,
        notice_due_on=received_on + timedelta(days=2),
        first_receiver=handler,
        handler=handler,
        acting_handler=handler,
        status="approved" if decided_on else "accepted",
        status_changed_at=decided_at or datetime.combine(received_on, time(9), zone),
        decided_at=decided_at,
        created_at=datetime.combine(received_on, time(9), zone),
    )
    await row.save()
    return row.id


async def region(slug: str, counties: list[str], name: str = "") -> None:
    """Region ``slug`` of these counties, loaded as tenants/regions.toml would load it."""
    from app.setup import regions_as_code as as_code

    spec = as_code.RegionsFile(region=[as_code.RegionSpec(slug=slug, name=name or f"{slug}市", counties=counties)])
    await as_code.apply(spec, OPERATOR)


async def inspector(region_slug: str, username: str) -> int:
    return await add_inspector(
        OPERATOR, region_slug=region_slug, username=username, name=username.title(), password=PASSWORD
    )


async def inspector_token(region_slug: str, username: str) -> str:
    return (await create_token(OPERATOR, region_slug=region_slug, username=username, label="test")).token
