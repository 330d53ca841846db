"""arq jobs of the e-mail channel: send one queued e-mail, and the cron that sends whatever is due.

The cron is what makes retries and recovery work (a row failed or abandoned by a dead worker is
due again later); ``send_email`` is for sending one row promptly. Both claim rows in the
database, so they may overlap, run on several workers, or run again, without sending twice.
"""

from __future__ import annotations

from dataclasses import asdict

from app.notifications.mail import deliver, deliver_due
from app.tenancy.context import TenantInfo
from workers.partitioned import each_county

MAIL_SECONDS = 60  # the period of its periodic run (workers/settings.PERIODIC)


async def send_email(ctx: dict, outbox_id: int) -> str:
    return await deliver(outbox_id)


async def deliver_due_emails(ctx: dict) -> dict:
    """Every minute: each county's due e-mail, shared with the other workers."""

    async def county_mail(county: TenantInfo) -> dict:
        return asdict(await deliver_due(tenant_id=county.id))

    return (await each_county(ctx, "email", MAIL_SECONDS, county_mail)).as_dict()
