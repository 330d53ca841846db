"""Superadmin pages for regions: their counties, inspectors and inspectors' tokens (issue and
revoke), and the audited looks through the region gate; an inspector's own looks in the region."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.errors import InvalidInput
from app.regions.services import add_inspector, create_token, looks, region_views, revoke_token
from app.urls import url
from app.web.guards import signed_in, superadmin_guard
from app.web.region_gate import Oversight
from app.web.render import page

# Looks are shown on China's clock outside a region (every county here keeps it).
CHINA = ZoneInfo("Asia/Shanghai")


def _actor(request: Request):
    return signed_in(request).actor(request.state.get("address", ""))


async def _admin_page(request: Request, *, status_code: int = 200, **shown) -> Template:
    context = {"regions": await region_views(_actor(request)), "error": "", "form": {}, "new_token": None, **shown}
    return page(request, "regions/admin.html", context, status_code=status_code)


@get("/admin/regions", name="admin_regions", guards=[superadmin_guard])
async def regions_admin(request: Request) -> Template:
    return await _admin_page(request)


@post("/admin/regions/inspectors", name="admin_region_inspector_add", guards=[superadmin_guard])
async def new_inspector(request: Request) -> Template | Redirect:
    form = await request.form()
    values = {key: form.get(key, "") for key in ("region", "username", "name", "phone")}
    try:
        await add_inspector(
            _actor(request),
            region_slug=values["region"],
            username=values["username"],
            name=values["name"],
            phone=values["phone"],
            password=form.get("password") or None,
        )
    except InvalidInput as exc:
        return await _admin_page(request, status_code=400, error=exc.localized(), form=values)
    return Redirect(url("admin_regions"))


@post("/admin/regions/tokens", name="admin_region_token_add", guards=[superadmin_guard])
async def new_token(request: Request) -> Template:
    """The token is shown on the answer once; only its hash is kept."""
    form = await request.form()
    values = {key: form.get(key, "") for key in ("region", "username", "label")}
    try:
        token = await create_token(
            _actor(request), region_slug=values["region"], username=values["username"], label=values["label"]
        )
    except InvalidInput as exc:
        return await _admin_page(request, status_code=400, error=exc.localized(), form=values)
    return await _admin_page(request, new_token=token.token)


@post("/admin/regions/tokens/{token_id:int}/revoke", name="admin_region_token_revoke", guards=[superadmin_guard])
async def revoke(request: Request, token_id: FromPath[int]) -> Redirect:
    await revoke_token(_actor(request), token_id)
    return Redirect(url("admin_regions"))


@get("/admin/regions/looks", name="admin_region_looks", guards=[superadmin_guard])
async def all_looks(request: Request, region: FromQuery[str | None] = None) -> Template:
    shown = await looks(_actor(request), region_slug=region or None)
    context = {"looks": shown, "region": region or "", "mine": False, "zone": CHINA}
    return page(request, "regions/looks.html", context)


@get("/looks", name="region_looks")
async def own_looks(request: Request, rctx: Oversight) -> Template:
    """An inspector's own looks in this region (the superadmin sees everyone's)."""
    mine = not rctx.actor.is_superadmin
    shown = await looks(rctx.actor, region_slug=rctx.region.slug, mine=mine)
    zone = rctx.counties[0].zone if rctx.counties else CHINA
    context = {"looks": shown, "region": rctx.region.slug, "mine": mine, "zone": zone}
    return page(request, "regions/looks.html", context)


PUBLIC = [regions_admin, new_inspector, new_token, revoke, all_looks]
REGION_PAGES = [own_looks]
