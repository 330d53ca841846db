"""The robots page of the county's settings (admins): list, add, edit, delete, test, and the
delivery log; and ``/api/v1/t/{tenant}/settings/robots`` (SPEC §14)."""

from __future__ import annotations

import msgspec
from litestar import Request, delete, get, post
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template

from app.domain.robot import EVENT_LABELS, MAX_ATTEMPTS, PLATFORM_LABELS
from app.errors import InvalidInput
from app.notifications.mail import STATUS_LABELS
from app.robots import delivery, services
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission
from app.text import SingleLine
from app.web.feedback import Done, done
from app.web.guards import County, requires
from app.web.identity import services_of
from app.web.render import page

MANAGE = [requires(Permission.SETTINGS_MANAGE)]


def _operator(request: Request) -> tuple[frozenset[str], str]:
    settings = services_of(request).settings
    return settings.webhook_hosts, settings.base_url


async def _context(ctx: TenantContext, robot_id: int | None = None, **extra) -> dict:
    return {
        "robots": await services.robots(ctx),
        "robot": await services.get_robot(ctx, robot_id) if robot_id is not None else None,
        "deliveries": await services.deliveries(ctx, robot_id),
        "platform_labels": PLATFORM_LABELS,
        "event_labels": EVENT_LABELS,
        "status_labels": STATUS_LABELS,
        "max_attempts": MAX_ATTEMPTS,
        "error": "",
        "tested": None,
        "form": {},
        **extra,
    }


def _from_form(form) -> services.RobotSettings:
    return services.RobotSettings(
        platform=form.get("platform", ""),
        name=form.get("name", ""),
        url=form.get("url", ""),
        events=tuple(form.getall("events", [])),
        secret=form.get("secret", ""),
        keyword=form.get("keyword", ""),
        active=form.get("active") == "on",
    )


@get("/settings/robots", name="robots", guards=MANAGE)
async def robots_page(request: Request, ctx: County) -> Template:
    return page(request, "robots/index.html", await _context(ctx))


@post("/settings/robots", name="robot_add", guards=MANAGE)
async def add_robot(request: Request, ctx: County) -> Template | Redirect:
    form = await request.form()
    try:
        robot = await services.add_robot(ctx, _from_form(form), _operator(request)[0])
    except InvalidInput as exc:
        context = await _context(ctx, error=exc.localized(), form=dict(form, events=form.getall("events", [])))
        return page(request, "robots/index.html", context, status_code=400)
    return done(request, Redirect(ctx.url("robot", robot_id=robot["id"]), status_code=303), Done.CREATED)


@get("/settings/robots/{robot_id:int}", name="robot", guards=MANAGE)
async def robot_page(request: Request, ctx: County, robot_id: FromPath[int]) -> Template:
    return page(request, "robots/robot.html", await _context(ctx, robot_id))


@post("/settings/robots/{robot_id:int}", name="robot_save", guards=MANAGE)
async def save_robot(request: Request, ctx: County, robot_id: FromPath[int]) -> Template | Redirect:
    form = await request.form()
    try:
        await services.update_robot(ctx, robot_id, _from_form(form), _operator(request)[0])
    except InvalidInput as exc:
        return page(request, "robots/robot.html", await _context(ctx, robot_id, error=exc.localized()), status_code=400)
    return done(request, Redirect(ctx.url("robot", robot_id=robot_id), status_code=303))


@post("/settings/robots/{robot_id:int}/delete", name="robot_delete", guards=MANAGE)
async def delete_robot_page(request: Request, ctx: County, robot_id: FromPath[int]) -> Redirect:
    await services.delete_robot(ctx, robot_id)
    return done(request, Redirect(ctx.url("robots"), status_code=303), Done.DELETED)


@post("/settings/robots/{robot_id:int}/test", name="robot_test", guards=MANAGE)
async def test_robot(request: Request, ctx: County, robot_id: FromPath[int]) -> Template:
    """Posted now (not by the worker), so the admin sees at once whether the group receives it."""
    hosts, base_url = _operator(request)
    tested = await delivery.send_test(ctx, robot_id, hosts=hosts, base_url=base_url)
    return page(request, "robots/robot.html", await _context(ctx, robot_id, tested=tested))


class RobotBody(msgspec.Struct, forbid_unknown_fields=True):
    kind: SingleLine
    name: SingleLine
    url: SingleLine
    events: list[SingleLine] = []
    secret: SingleLine = ""
    keyword: SingleLine = ""
    active: bool = True


@get("/settings/robots", name="api_robots", guards=MANAGE)
async def list_robots(ctx: County) -> list[dict]:
    return [_as_json(robot) for robot in await services.robots(ctx)]


@post("/settings/robots", name="api_robot_create", guards=MANAGE, status_code=201)
async def create_robot(request: Request, ctx: County, data: JSONBody[RobotBody]) -> dict:
    given = services.RobotSettings(
        data.kind, data.name, data.url, tuple(data.events), data.secret, data.keyword, data.active
    )
    return _as_json(await services.add_robot(ctx, given, _operator(request)[0]))


@delete("/settings/robots/{robot_id:int}", name="api_robot_delete", guards=MANAGE, status_code=204)
async def remove_robot(ctx: County, robot_id: FromPath[int]) -> None:
    await services.delete_robot(ctx, robot_id)


@get("/settings/robots/deliveries", name="api_robot_deliveries", guards=MANAGE)
async def robot_deliveries(ctx: County) -> list[dict]:
    return [services.delivery_json(row) for row in await services.deliveries(ctx)]


def _as_json(robot: dict) -> dict:
    """The API's spelling (SPEC §14 calls the platform ``kind``); the address is the host alone."""
    return {
        "id": robot["id"],
        "kind": robot["platform"],
        "name": robot["name"],
        "host": robot["address"],
        "events": robot["events"],
        "keyword": robot["keyword"],
        "secret_set": robot["secret_set"],
        "active": robot["active"],
    }


PAGES = [robots_page, add_robot, robot_page, save_robot, delete_robot_page, test_robot]
API = [list_robots, create_robot, remove_robot, robot_deliveries]
