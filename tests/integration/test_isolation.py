"""No county sees or touches another's data: every county route, walked automatically.

New routes are covered without touching this file; a route with a path parameter this file
cannot fill makes the test fail, so whoever adds it says which object of county B to use.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from litestar.routes import HTTPRoute

from app.absences.services import post as post_absence
from app.accounts.services import my_tokens
from app.calendar.services import set_day
from app.cases.tables import AccountabilityRecord, Case, Enquiry, MaterialNotice, Objection, Posting, Receipt
from app.evaluation.services import open_cycle
from app.notifications.services import notify
from app.notifications.tables import Notification
from app.rota.posts import LineSpec
from app.rota.services import create_line
from app.tenancy.context import Actor, TenantContext
from app.tenancy.services import find_by_slug
from app.web.guards import tenant_guard
from tests.helpers import EVERY_ROLE, OPERATOR, api_token, county, csrf_of, person, portal, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis")

COUNTY_PREFIXES = ("/t/{tenant:str}", "/api/v1/t/{tenant:str}")
FOREIGN_MARKERS = ("萧县", "萧县管理员")  # data of county B (its slug is in the URL itself)
PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
# Path parameters that name an action, not an object: the same in every county.
VERBS = {"action": "approve", "kind": "substitution", "step": "accept", "change": "confirm", "year": 2031}


async def objects_of(slug: str, user_id: int) -> dict[str, object]:
    """An object of each kind that county routes take by id, all belonging to county ``slug``.

    Codes are names within a county, so the line used is one only county ``slug`` has.
    """
    ctx = TenantContext(tenant=await find_by_slug(slug), actor=OPERATOR)
    ctx_of_user = TenantContext(tenant=ctx.tenant, actor=Actor(user_id=user_id, label="x"))
    own_line = await create_line(ctx, LineSpec(f"{slug}_only", "萧县特有事项", 15))
    start = datetime.now().astimezone() + timedelta(days=1)
    absence = await post_absence(
        ctx_of_user,
        person_id=user_id,
        kind="official",
        reason="萧县公出",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    await notify(ctx.tenant.id, user_id, kind="test", message="萧县消息", dedupe_key="isolation")
    case_rows = await case_with_documents(ctx, own_line.id, user_id)
    notification = (await Notification.select(Notification.id).where(Notification.user == user_id).first())["id"]
    own_day = (await set_day(ctx, date(2031, 5, 6), workday=False, note="萧县县庆")).day
    admin_of_county = TenantContext(
        tenant=ctx.tenant, actor=Actor(user_id=user_id, label="x", roles=frozenset(EVERY_ROLE))
    )
    cycle = await open_cycle(admin_of_county, 2031)
    return {
        "token_id": (await my_tokens(ctx_of_user))[0]["id"],
        "staff_id": user_id,
        "code": own_line.code,
        "absence_id": absence.id,
        "notification_id": notification,
        "job_id": f"substitution:t{ctx.tenant.id}:{'0' * 32}",
        "day": own_day.isoformat(),
        "cycle_id": cycle.id,
        **case_rows,
        **VERBS,
    }


async def case_with_documents(ctx: TenantContext, line_id: int, user_id: int) -> dict[str, int]:
    """A case of the county with a notice, a receipt and an objection, stored as they are."""
    today, now = date.today(), datetime.now().astimezone()
    case = ctx.new(
        Case,
        line=line_id,
        applicant_name="萧县申请人",
        applicant_id_number="11010519491231002X",
        household_size=1,
        received_on=today,
        working_days=15,
        original_due_on=today,
        due_on=today,
        notice_due_on=today,
        first_receiver=user_id,
        handler=user_id,
        acting_handler=user_id,
        status="posted",
        status_changed_at=now,
        created_at=now,
    )
    await case.save()
    notice = ctx.new(MaterialNotice, case=case.id, items=["萧县材料"], issued_at=now)
    receipt = ctx.new(Receipt, case=case.id, number=1, kind="accepted", issued_at=now)
    posting = ctx.new(Posting, case=case.id, starts_on=today, ends_on=today, place="萧县公开栏", posted_at=now)
    for row in (notice, receipt, posting):
        await row.save()
    objection = ctx.new(Objection, case=case.id, posting=posting.id, raised_on=today, content="萧县异议")
    record = ctx.new(
        AccountabilityRecord,
        person=user_id,
        occasion_on=today,
        year=today.year,
        level="warning",
        recorded_on=today,
        remedy="萧县补救",
        created_at=now,
    )
    enquiry = ctx.new(
        Enquiry,
        first_receiver=user_id,
        visitor="萧县来访人",
        channel="visit",
        question="萧县咨询",
        referred_to="萧县人社局",
        referred_on=today,
        created_at=now,
    )
    for row in (objection, record, enquiry):
        await row.save()
    return {
        "case_id": case.id,
        "notice_id": notice.id,
        "receipt_id": receipt.id,
        "objection_id": objection.id,
        "record_id": record.id,
        "enquiry_id": enquiry.id,
    }


def county_routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(COUNTY_PREFIXES):
            continue
        for method in sorted(route.route_handler_map):
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, route.path))
    return found


def fill(path: str, values: dict[str, object]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            pytest.fail(f"{path}: no object for path parameter {{{name}}}; add one to objects_of()")
        return str(values[name])

    return PARAMETER.sub(value, path)


@pytest.fixture
async def two_counties():
    await county("dangshan", "砀山县")
    await county("xiaoxian", "萧县")
    ours = await person("dangshan", "admin", EVERY_ROLE)
    theirs = await person("xiaoxian", "admin", EVERY_ROLE, name="萧县管理员")
    our_token = await api_token("dangshan", ours)
    await api_token("xiaoxian", theirs)
    return {"our_token": our_token, "theirs": await objects_of("xiaoxian", theirs)}


async def request_as_us(client, method: str, path: str, token: str):
    if not csrf_of(client):
        await client.get("/login")
    if path.startswith("/api/"):
        return await client.request(method, path, headers={"Authorization": f"Bearer {token}"}, json={})
    return await client.request(method, path, headers={"x-csrftoken": csrf_of(client)}, data={})


async def test_every_county_route_sits_behind_the_tenant_guard(settings):
    async with portal(settings) as client:
        routes = county_routes(client.app)
        assert len(routes) >= 5
        for route in client.app.routes:
            if isinstance(route, HTTPRoute) and route.path.startswith(COUNTY_PREFIXES):
                for handler in route.route_handlers:
                    assert tenant_guard in handler.resolve_guards(), handler
        other = [r.path for r in client.app.routes if "{tenant" in r.path and not r.path.startswith(COUNTY_PREFIXES)]
        assert other == [], f"county routes outside the guarded routers: {other}"


async def test_another_countys_slug_is_404_on_every_route(settings, two_counties):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        for method, pattern in county_routes(client.app):
            path = fill(pattern.replace("{tenant:str}", "xiaoxian"), two_counties["theirs"])
            response = await request_as_us(client, method, path, two_counties["our_token"])
            assert response.status_code == 404, f"{method} {path} answered {response.status_code}"
            assert not any(marker in response.text for marker in FOREIGN_MARKERS), f"{method} {path} leaked"


MISSING = {
    "token_id": 987654,
    "staff_id": 987654,
    "code": "no_such_line",
    "absence_id": 987654,
    "notification_id": 987654,
    "job_id": f"substitution:t1:{'f' * 32}",
    "day": "2031-05-07",
    "case_id": 987654,
    "notice_id": 987654,
    "receipt_id": 987654,
    "objection_id": 987654,
    "cycle_id": 987654,
    "record_id": 987654,
    "enquiry_id": 987654,
}


async def test_another_countys_ids_are_answered_as_if_they_did_not_exist(settings, two_counties):
    """Under our own slug, B's ids get exactly the answer a nonexistent id gets: 404, or for an API
    body that fails validation first, that same refusal. Valid bodies are tested route by route."""
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        checked = 0
        for method, pattern in county_routes(client.app):
            if not set(PARAMETER.findall(pattern)) - {"tenant", *VERBS}:
                continue
            ours = pattern.replace("{tenant:str}", "dangshan")
            foreign = await request_as_us(client, method, fill(ours, two_counties["theirs"]), two_counties["our_token"])
            missing = await request_as_us(client, method, fill(ours, {**MISSING, **VERBS}), two_counties["our_token"])
            where = f"{method} {pattern}"
            assert foreign.status_code == missing.status_code, (
                f"{where}: {foreign.status_code} vs {missing.status_code}"
            )
            assert foreign.status_code == 404 or (pattern.startswith("/api/") and foreign.status_code == 400), where
            assert not any(marker in foreign.text for marker in FOREIGN_MARKERS), f"{where} leaked"
            checked += 1
        assert checked >= 5


async def test_a_county_that_does_not_exist_looks_the_same(settings, two_counties):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        missing = await client.get("/t/nowhere/audit")
        foreign = await client.get("/t/xiaoxian/audit")
        assert missing.status_code == foreign.status_code == 404
        assert missing.text.replace("nowhere", "xiaoxian") == foreign.text
        api_missing = await client.get(
            "/api/v1/t/nowhere/me", headers={"Authorization": f"Bearer {two_counties['our_token']}"}
        )
        api_foreign = await client.get(
            "/api/v1/t/xiaoxian/me", headers={"Authorization": f"Bearer {two_counties['our_token']}"}
        )
        assert api_missing.status_code == api_foreign.status_code == 404
        assert api_missing.json() == api_foreign.json()


async def test_superadmin_is_not_a_member_of_any_county(settings, two_counties):
    await person(None, "root", roles=())
    async with portal(settings) as client:
        response = await sign_in(client, "", "root")
        assert response.headers["location"] == "/admin/tenants"
        assert (await client.get("/t/dangshan/")).status_code == 404
        assert (await client.get("/admin/tenants")).status_code == 200


async def test_county_user_cannot_reach_superadmin_pages(settings, two_counties):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        assert (await client.get("/admin/tenants")).status_code == 403
