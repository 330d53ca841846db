"""The e-mail channel's periodic job: send each county's e-mail that is due.

It is what makes retries and recovery work (a row failed or abandoned by a dead worker is due
again later). Rows are claimed in the database, so runs may overlap, run on several workers, or
run again, without sending twice.
"""

from __future__ import annotations

from app.notifications.mail import DeliveryReport, deliver_due
from app.tenancy.context import TenantInfo
from workers.partitioned import Periodic


async def deliver_county_mail(ctx: dict, county: TenantInfo) -> DeliveryReport:
    return await deliver_due(tenant_id=county.id)


# New e-mails, and retries after their pause, or after a worker died mid-send.
MAIL = Periodic("email", deliver_county_mail, period_seconds=60, offset_seconds=45)
