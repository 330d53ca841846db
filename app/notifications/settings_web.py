"""The county's settings page (admins): e-mail notifications, a test message, recent deliveries;
and ``/api/v1/t/{tenant}/settings/email``."""

from __future__ import annotations

import msgspec
from litestar import Request, get, post, put
from litestar.params import JSONBody
from litestar.response import Redirect, Template

from app.accounts.tables import User
from app.errors import InvalidInput
from app.notifications import mail
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission
from app.text import SingleLine
from app.web.feedback import Done, done
from app.web.guards import County, requires
from app.web.identity import services_of
from app.web.render import page

FORM_FIELDS = ("host", "port", "tls", "username", "password", "from_address", "portal_url")


async def _context(ctx: TenantContext, shown: dict | None = None, **extra) -> dict:
    me = await ctx.select(User, User.email).where(User.id == ctx.actor.user_id).first()
    return {
        "mail": shown or (await mail.settings_of(ctx)).public(),
        "tls_labels": mail.TLS_LABELS,
        "status_labels": mail.STATUS_LABELS,
        "deliveries": await mail.recent(ctx),
        "failures": await mail.failures_since(ctx),
        "my_email": me["email"] if me else "",
        "max_attempts": mail.MAX_ATTEMPTS,
        "error": "",
        "tested": None,
        **extra,
    }


@get("/settings", name="settings", guards=[requires(Permission.SETTINGS_MANAGE)])
async def settings_page(request: Request, ctx: County) -> Template:
    return page(request, "settings/index.html", await _context(ctx))


@post("/settings", name="settings_save", guards=[requires(Permission.SETTINGS_MANAGE)])
async def save_settings(request: Request, ctx: County) -> Template | Redirect:
    form = await request.form()
    values = {key: form.get(key, "") for key in FORM_FIELDS}
    values["enabled"] = form.get("enabled") == "on"
    values["clear_password"] = form.get("clear_password") == "on"
    try:
        await mail.save_settings(ctx, values, services_of(request).settings.smtp_hosts)
    except InvalidInput as exc:
        stored = await mail.settings_of(ctx)
        # What was typed is shown again to be corrected, except the password, which never is.
        shown = {**{k: v for k, v in values.items() if k != "password"}, "password_set": bool(stored.password)}
        context = await _context(ctx, shown, error=exc.localized())
        return page(request, "settings/index.html", context, status_code=400)
    return done(request, Redirect(ctx.url("settings"), status_code=303), Done.SETTINGS_SAVED)


@post("/settings/test-email", name="settings_test_email", guards=[requires(Permission.SETTINGS_MANAGE)])
async def send_test(request: Request, ctx: County) -> Template:
    """Sent now (not by the worker), so the admin sees at once whether the settings work."""
    try:
        tested = await mail.send_test(ctx)
    except InvalidInput as exc:
        return page(request, "settings/index.html", await _context(ctx, error=exc.localized()), status_code=400)
    return page(request, "settings/index.html", await _context(ctx, tested=tested))


class EmailSettingsBody(msgspec.Struct, forbid_unknown_fields=True):
    """The whole of the county's e-mail settings; a blank password keeps the stored one."""

    enabled: bool = False
    host: SingleLine = ""
    # Left out: the usual port of ``tls``; ``null`` is refused like any other non-number.
    port: int | msgspec.UnsetType = msgspec.UNSET
    tls: SingleLine = "starttls"
    username: SingleLine = ""
    password: str = ""
    clear_password: bool = False
    from_address: SingleLine = ""
    portal_url: SingleLine = ""


@get("/settings/email", name="api_email_settings", guards=[requires(Permission.SETTINGS_MANAGE)])
async def email_settings(ctx: County) -> dict:
    return (await mail.settings_of(ctx)).public()


@put("/settings/email", name="api_email_settings_put", guards=[requires(Permission.SETTINGS_MANAGE)])
async def put_email_settings(request: Request, ctx: County, data: JSONBody[EmailSettingsBody]) -> dict:
    allowed = services_of(request).settings.smtp_hosts
    given = {name: value for name, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET}
    return (await mail.save_settings(ctx, given, allowed)).public()


@get("/settings/email/deliveries", name="api_email_deliveries", guards=[requires(Permission.SETTINGS_MANAGE)])
async def deliveries(ctx: County) -> list[dict]:
    return [mail.as_json(row) for row in await mail.recent(ctx)]


PAGES = [settings_page, save_settings, send_test]
API = [email_settings, put_email_settings, deliveries]
