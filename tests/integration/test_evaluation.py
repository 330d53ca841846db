"""The annual evaluation on PostgreSQL with the demo county: from opening to locked results."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.evaluation import services
from app.evaluation.tables import Result
from tests.helpers import context_of, demo_county

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


@pytest.fixture
async def people():
    return await demo_county()


async def test_a_cycle_runs_from_opening_to_locked_results(people):
    admin = await context_of("dangshan", people["admin"])
    cycle = await services.open_cycle(admin, 2026)
    wang = people["wangxiaolei"]
    await services.rate(await context_of("dangshan", wang), cycle.id, staff_id=wang, component="self", score="90")
    await services.set_step(admin, cycle.id, "internal")
    await services.rate(
        await context_of("dangshan", people["leader"]),
        cycle.id,
        staff_id=wang,
        component="leadership",
        dimensions=[18, 18, 19, 18, 19],
    )
    await services.rate(
        await context_of("dangshan", people["houweili"]), cycle.id, staff_id=wang, component="peer", score=85
    )
    await services.set_step(admin, cycle.id, "external")
    links = await services.create_links(admin, cycle.id, 1)
    form = await services.open_link(links[0]["token"])
    await services.rate_by_link(links[0]["token"], {s["person"]: "80" for s in form.subjects})
    assert await services.compute(admin, cycle.id) == len(form.subjects)
    found = {r.staff_id: r for r in await services.results(admin, cycle.id)}
    # 70 × 92 + 10 × 85 + 10 × 90 + 10 × 80 = 8990 → 89.90
    assert (found[wang].status, found[wang].score, found[wang].grade) == ("scored", Decimal("89.90"), "excellent")
    await services.finalise(admin, cycle.id)
    assert await services.compute(admin, cycle.id) == len(form.subjects)
    assert await Result.count() == len(form.subjects)
