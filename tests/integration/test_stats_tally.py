"""The worker's tally answers what counting the cases answers, on both databases, and rebuilding
it changes nothing but its time."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import clock
from app.domain.figures import By, Period
from app.stats import tally
from app.stats.queries import live_figures
from app.stats.tables import DeadlineTally, MonthTally, TallyState
from tests.helpers import county, person
from tests.stats_helpers import case
from workers.tally import TALLY


async def _run_cron(redis) -> int:
    """One tick of the periodic job, as if in a minute of its own: the counties rebuilt."""
    for ledger in await redis.keys("portal:periodic:tally:*"):
        await redis.delete(ledger)
    return (await TALLY.run({"redis": redis, "worker_name": "test"})).get("rebuilt", 0)


NOW = datetime(2026, 3, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
PERIODS = (
    Period(date(2026, 1, 1), date(2026, 3, 31)),  # whole months
    Period(date(2026, 1, 15), date(2026, 3, 10)),  # partial months at both edges
    Period(date(2026, 2, 1), TODAY),  # up to today: March is whole as far as cases go
    Period(date(2026, 2, 1), date(2026, 2, 28)),  # one month
    Period(date(2026, 2, 3), date(2026, 2, 3)),  # one day
    Period(date(2025, 11, 20), date(2026, 1, 31)),  # from before the first case
)


async def _random_cases(seed: int) -> tuple[list, list]:
    """Two counties with cases received, due, decided and extended at random until today."""
    chance = random.Random(seed)
    counties = [await county("aa"), await county("bb")]
    people = [[await person(c.slug, "ann"), await person(c.slug, "amy")] for c in counties]
    for _ in range(40):
        which = chance.randrange(2)
        received = date(2026, 1, 1) + timedelta(days=chance.randrange((TODAY - date(2026, 1, 1)).days + 1))
        decided = received + timedelta(days=chance.randrange(25))
        await case(
            counties[which],
            chance.choice(people[which]),
            line=chance.choice(("medical", "temporary")),
            received_on=received,
            due_on=received + timedelta(days=chance.randrange(3, 20)),
            decided_on=decided if decided <= TODAY and chance.random() < 0.7 else None,
            decided_at_hour=chance.choice((1, 10, 23)),
            extension_days=chance.choice((0, 0, 0, 5)),
        )
    return counties, people


@pytest.mark.parametrize("seed", range(3))
async def test_the_tally_answers_what_the_cases_answer(any_db, seed):
    counties, _ = await _random_cases(seed)
    for info in counties:
        await tally.rebuild(info, NOW)
    tallied = await tally.built(counties)
    assert set(tallied) == {info.id for info in counties}

    for period in PERIODS:
        for by in By:
            live = await live_figures(counties, by, period, NOW)
            assert await tally.deadline_figures(counties, by, period, NOW, tallied=tallied) == live, (period, by)
        handlers = await live_figures(counties[:1], By.HANDLER, period, NOW, line="medical")
        assert await tally.deadline_figures(counties[:1], By.HANDLER, period, NOW, line="medical") == handlers


async def _tally_rows() -> list[tuple]:
    """Every row of both tallies, without their ids."""
    rows = await DeadlineTally.select(*(DeadlineTally._meta.get_column_by_name(name) for name in tally.COLUMNS))
    months = await MonthTally.select(MonthTally.all_columns(exclude=[MonthTally.id]))
    return sorted((tuple(row.values()) for row in [*rows, *months]), key=repr)


async def test_rebuilding_is_idempotent_and_replaces_the_countys_rows(any_db):
    counties, people = await _random_cases(7)
    for info in counties:
        await tally.rebuild(info, NOW)
    first = await _tally_rows()
    assert first

    await tally.rebuild(counties[0], NOW + timedelta(minutes=1))

    assert await _tally_rows() == first
    assert await TallyState.count() == 2
    # A case received after the tally was built counts once the county's tally is rebuilt.
    await case(counties[0], people[0][0], received_on=TODAY, due_on=TODAY + timedelta(days=7))
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    before = sum(row.received for row in await tally.deadline_figures(counties, By.COUNTY, march, NOW))
    await tally.rebuild(counties[0], NOW)
    after = sum(row.received for row in await tally.deadline_figures(counties, By.COUNTY, march, NOW))
    assert after == before + 1


async def test_the_cron_rebuilds_each_county_when_missing_stale_or_of_another_day(any_db, redis):
    counties = [await county("aa"), await county("bb")]
    with clock.pinned(NOW):
        assert await _run_cron(redis) == 2
        assert await _run_cron(redis) == 0
    with clock.pinned(NOW + tally.REFRESH):
        assert await _run_cron(redis) == 2
    # 00:05 of the next day, a few minutes after the last rebuild of the day before.
    late = datetime(2026, 3, 20, 23, 58, tzinfo=NOW.tzinfo)
    with clock.pinned(late):
        assert await _run_cron(redis) == 2
    with clock.pinned(late + timedelta(minutes=7)):
        assert await _run_cron(redis) == 2
        # A county written to is rebuilt at the next minute, once.
        await tally.mark_changed(redis, counties[1].id)
        assert await _run_cron(redis) == 1
        assert await _run_cron(redis) == 0
    assert set(await tally.built(counties)) == {info.id for info in counties}
