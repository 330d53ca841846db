"""What a process keeps of a county (app.tenancy.cache: the rota's facts) is never served after a
change: not in the process that made it, not in another one sharing Redis, not after a change
made outside any request (a worker), and who is away follows the clock without a new read."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import asyncpg
import pytest
import time_machine

from app import clock, db
from app.absences import services as absences
from app.accounts.services import add_user, holders_of
from app.accounts.tables import ApiToken, RoleGrant
from app.audit.county_settings import save_setting
from app.calendar.services import calendar_of
from app.domain.absence import Action
from app.flows.acting import snapshot
from app.flows.calendar import set_day
from app.rota.services import line_rows
from app.rota.tables import Assignment, Line
from app.tenancy import cache
from app.tenancy.permissions import Role
from app.tenancy.services import settings_of
from tests.conftest import database_url
from tests.helpers import OPERATOR, api_token, context_of, demo_county, portal, post_form, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis")

ROTA = "/api/v1/t/dangshan/rota"


def backup_of(rota: list[dict], line: str) -> int:
    return next(row["b"] for row in rota if row["line"] == line)


async def read_with_statements(client, headers) -> tuple[list[dict], int]:
    before = db.statements_run()
    answer = await client.get(ROTA, headers=headers)
    assert answer.status_code == 200
    return answer.json(), db.statements_run() - before


async def test_the_rota_is_read_once_then_kept_until_a_change(settings):
    people = await demo_county()
    headers = {"Authorization": f"Bearer {await api_token('dangshan', people['admin'])}"}
    async with portal(settings) as client:
        first, read_first = await read_with_statements(client, headers)
        again, read_again = await read_with_statements(client, headers)
        assert again == first and read_again < read_first
        await sign_in(client, "dangshan", "admin")
        changed = await post_form(
            client, "/t/dangshan/rota/urban_dibao/assignment", {"a": people["wangxiaolei"], "b": people["sunjing"]}
        )
        assert changed.status_code == 303
        after, read_after = await read_with_statements(client, headers)
    assert backup_of(after, "urban_dibao") == people["sunjing"] and read_after == read_first


async def test_a_change_through_one_process_is_seen_by_another_at_once(settings, redis):
    people = await demo_county()
    headers = {"Authorization": f"Bearer {await api_token('dangshan', people['admin'])}"}
    async with portal(settings) as one, portal(settings) as other:
        before = (await other.get(ROTA, headers=headers)).json()
        kept_by_the_other = dict(cache._kept)  # the other process's memory, which this one cannot clear
        await sign_in(one, "dangshan", "admin")
        changed = await post_form(
            one, "/t/dangshan/rota/urban_dibao/assignment", {"a": people["wangxiaolei"], "b": people["sunjing"]}
        )
        assert changed.status_code == 303
        cache._kept.update(kept_by_the_other)
        after = (await other.get(ROTA, headers=headers)).json()
    assert backup_of(before, "urban_dibao") == people["houweili"]
    assert backup_of(after, "urban_dibao") == people["sunjing"]
    assert int(await redis.get(cache.county_key("dangshan"))) >= 1


async def test_a_change_outside_any_request_is_seen_at_once(settings, redis):
    people = await demo_county()
    headers = {"Authorization": f"Bearer {await api_token('dangshan', people['admin'])}"}
    async with portal(settings) as client:
        before = (await client.get(ROTA, headers=headers)).json()
        kept = dict(cache._kept)
        # As a worker or a command would: no county request, a transaction of its own.
        async with db.transaction():
            await (
                Assignment.update({Assignment.b: people["sunjing"]})
                .where(Assignment.b == people["houweili"])
                .where(Assignment.valid_to.is_null())
            )
        cache._kept.update(kept)  # as another process would still have it
        after = (await client.get(ROTA, headers=headers)).json()
    assert backup_of(before, "urban_dibao") == people["houweili"]
    assert backup_of(after, "urban_dibao") == people["sunjing"]
    assert int(await redis.get(cache.OUTSIDE_COUNTIES)) >= 1


async def test_who_is_away_follows_the_clock_from_what_was_kept(redis, office_time):
    people = await demo_county()
    clerk = await context_of("dangshan", people["wangxiaolei"])
    starts = clock.now() + timedelta(hours=1)
    leave = await absences.post(
        clerk,
        person_id=people["wangxiaolei"],
        kind="personal",
        reason="请假",
        starts_at=starts,
        ends_at=starts + timedelta(days=14),
        handover="见交接单",
    )
    await absences.decide(await context_of("dangshan", people["leader"]), leave.id, Action.APPROVE)
    with cache.invalidated_by_writes(redis), db.county(clerk.tenant.id), cache.request_of("dangshan", ("epoch", 0, 0)):
        assert people["wangxiaolei"] not in (await snapshot(clerk)).away
        read = db.statements_run()
        with time_machine.travel(starts + timedelta(minutes=5), tick=False):
            assert people["wangxiaolei"] in (await snapshot(clerk)).away
        assert db.statements_run() == read  # decided in Python from the rows kept


async def read_as_request(redis, ctx, read):
    """``read(ctx)`` as a county page of this process would: its answer and the statements sent."""
    versions = await cache.versions_of(redis, await redis.mget(cache.version_keys(ctx.tenant.slug)))
    with db.county(ctx.tenant.id), cache.request_of(ctx.tenant.slug, versions):
        async with db.request_transaction():
            before = db.statements_run()
            value = await read(ctx)
            await asyncio.sleep(0)  # asyncpg tells its query loggers soon after each statement
            return value, db.statements_run() - before


async def write(ctx, change, in_request: bool):
    if not in_request:  # a worker, a command
        await change(ctx)
        return
    with db.county(ctx.tenant.id), cache.request_of(ctx.tenant.slug, None):
        async with db.request_transaction():
            await change(ctx)


async def _rename_other_line(ctx):
    await ctx.update(Line, {Line.name: "其他救助（改）"}).where(Line.code == "other")


async def _close_a_weekday(ctx):
    await set_day(ctx, A_WEEKDAY, False, "停电")


async def _another_admin(ctx):
    await add_user(
        OPERATOR, tenant_slug="dangshan", username="admin2", name="Admin2", roles=["admin"], password="x" * 12
    )


A_WEEKDAY = date(2031, 3, 4)  # a Tuesday of a year no calendar knows
KEPT = {
    "settings": (lambda ctx: _setting(ctx), lambda ctx: save_setting(ctx, "probe", 1, summary="probe")),
    "calendar": (lambda ctx: _workday(ctx), _close_a_weekday),
    "lines": (lambda ctx: _line_names(ctx), _rename_other_line),
    "role holders": (lambda ctx: holders_of(ctx, [Role.ADMIN]), _another_admin),
}


async def _setting(ctx):
    return (await settings_of(ctx.tenant.id)).get("probe")


async def _workday(ctx):
    return (await calendar_of(ctx)).day(A_WEEKDAY).workday


async def _line_names(ctx):
    return [row["name"] for row in await line_rows(ctx)]


@pytest.mark.parametrize("in_request", [True, False], ids=["in a county request", "outside requests"])
@pytest.mark.parametrize("kept", list(KEPT))
async def test_every_kept_value_is_read_afresh_after_a_change_in_any_process(redis, kept, in_request):
    read, change = KEPT[kept]
    people = await demo_county()
    ctx = await context_of("dangshan", people["admin"])
    with cache.invalidated_by_writes(redis):
        before, _ = await read_as_request(redis, ctx, read)
        again, statements = await read_as_request(redis, ctx, read)
        assert again == before and statements == 0  # kept
        kept_by_another_process = dict(cache._kept)
        await write(ctx, change, in_request)
        cache._kept.update(kept_by_another_process)  # its memory: only Redis tells it
        after, statements = await read_as_request(redis, ctx, read)
    assert after != before and statements > 0


async def test_nothing_kept_counts_after_redis_lost_its_counters(settings, redis):
    people = await demo_county()
    headers = {"Authorization": f"Bearer {await api_token('dangshan', people['admin'])}"}
    async with portal(settings) as client:
        before = (await client.get(ROTA, headers=headers)).json()
        kept = dict(cache._kept)
        await redis.flushdb()  # counters back to 0, and a change nobody was told of:
        owner = await asyncpg.connect(database_url())
        try:
            await owner.execute("UPDATE line_assignment SET b = $1 WHERE b = $2", people["sunjing"], people["houweili"])
        finally:
            await owner.close()
        cache._kept.update(kept)
        after = (await client.get(ROTA, headers=headers)).json()
    assert backup_of(before, "urban_dibao") == people["houweili"]
    assert backup_of(after, "urban_dibao") == people["sunjing"]


# Who a visitor is (user, roles, county) is kept too: a change of their roles or account, in any
# process or outside requests, counts on their next page.
async def _patch_staff(client, people, who: str, change: dict) -> None:
    headers = {"Authorization": f"Bearer {await api_token('dangshan', people['admin'])}"}
    answer = await client.patch(f"/api/v1/t/dangshan/staff/{people[who]}", headers=headers, json=change)
    assert answer.status_code == 200, answer.text


async def test_who_a_visitor_is_is_read_once_then_kept(settings):
    await demo_county()
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        (await client.get("/t/dangshan/rota")).raise_for_status()
        before = db.statements_run()
        assert (await client.get("/t/dangshan/rota")).status_code == 200
        assert db.statements_run() == before  # the person and the rota both kept


@pytest.mark.parametrize(
    "change, seen",
    [({"roles": ["staff"]}, 403), ({"active": False}, 302)],
    ids=["roles taken away", "account disabled"],
)
async def test_a_change_to_a_visitor_in_another_process_counts_on_their_next_page(settings, change, seen):
    people = await demo_county()
    async with portal(settings) as one, portal(settings) as other:
        await sign_in(other, "dangshan", "leader")
        assert (await other.get("/t/dangshan/absences/overview")).status_code == 200
        kept_by_the_other = dict(cache._visitors)
        await _patch_staff(one, people, "leader", change)
        cache._visitors.update(kept_by_the_other)  # the other process's memory: only Redis tells it
        assert (await other.get("/t/dangshan/absences/overview")).status_code == seen


async def test_a_visitor_changed_outside_any_request_is_read_afresh(settings):
    people = await demo_county()
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "leader")
        assert (await client.get("/t/dangshan/absences/overview")).status_code == 200
        kept = dict(cache._visitors)
        async with db.transaction():  # as a command would
            await RoleGrant.delete().where((RoleGrant.user == people["leader"]) & (RoleGrant.role == "leader"))
        cache._visitors.update(kept)
        assert (await client.get("/t/dangshan/absences/overview")).status_code == 403


async def test_a_token_revoked_in_another_process_stops_at_once(settings):
    people = await demo_county()
    token = await api_token("dangshan", people["wangxiaolei"])
    headers = {"Authorization": f"Bearer {token}"}
    async with portal(settings) as one, portal(settings) as other:
        assert (await other.get(ROTA, headers=headers)).status_code == 200
        assert (await other.get(ROTA, headers=headers)).status_code == 200
        kept_by_the_other = dict(cache._visitors)
        await sign_in(one, "dangshan", "wangxiaolei")
        token_id = (await ApiToken.select(ApiToken.id).where(ApiToken.user == people["wangxiaolei"]).first())["id"]
        assert (await post_form(one, f"/t/dangshan/tokens/{token_id}/revoke", {})).status_code == 200
        cache._visitors.update(kept_by_the_other)
        assert (await other.get(ROTA, headers=headers)).status_code == 401
