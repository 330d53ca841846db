"""What a process keeps of a county (app.tenancy.cache: the rota's facts) is never served after a
change: not in the process that made it, not in another one sharing Redis, not after a change
made outside any request (a worker), and who is away follows the clock without a new read."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from app import clock, db
from app.absences import services as absences
from app.domain.absence import Action
from app.rota.services import snapshot
from app.rota.tables import Assignment
from app.tenancy import cache
from tests.helpers import api_token, context_of, demo_county, portal, post_form, sign_in

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
    assert int(await redis.get(cache.version_keys("dangshan")[0])) >= 1


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
    with cache.invalidated_by_writes(redis), cache.request_of("dangshan", (0, 0)):
        assert people["wangxiaolei"] not in (await snapshot(clerk)).away
        read = db.statements_run()
        with time_machine.travel(starts + timedelta(minutes=5), tick=False):
            assert people["wangxiaolei"] in (await snapshot(clerk)).away
        assert db.statements_run() == read  # decided in Python from the rows kept
