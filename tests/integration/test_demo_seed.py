"""What `portal demo` puts in the demo county: plausible dates, and nothing rewritten on a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.audit.tables import AuditRecord
from app.cases.tables import Case, CaseEvent
from app.demo import DEMO_TENANT, _demo_mail
from app.demo_samples import sample_cases
from app.setup import as_code
from app.tenancy.services import find_by_slug
from tests.helpers import OPERATOR, demo_county

pytestmark = pytest.mark.usefixtures("clean_db", "redis")

DEMO_FILE = Path(__file__).parents[2] / "tenants" / "dangshan.toml"


async def test_the_sample_cases_are_dated_as_their_events():
    await demo_county()
    await sample_cases(DEMO_TENANT)
    zone = (await find_by_slug(DEMO_TENANT)).zone
    cases = await Case.select(Case.id, Case.received_on)
    assert len(cases) == 7
    for case in cases:
        events = (
            await CaseEvent.select(CaseEvent.kind, CaseEvent.at)
            .where(CaseEvent.case == case["id"])
            .order_by(CaseEvent.id)
        )
        received = events[0]
        assert received["kind"] == "received" and received["at"].astimezone(zone).date() == case["received_on"]
        moments = [event["at"] for event in events]
        assert moments == sorted(moments), f"case {case['id']}: its timeline runs backwards"
    assert len({event["at"] for event in await CaseEvent.select(CaseEvent.at)}) > 10  # not one instant for all


async def test_a_restart_of_the_demo_writes_nothing_when_nothing_changed():
    await demo_county()
    await _demo_mail(DEMO_TENANT, 2525, "http://127.0.0.1:8000/")
    before = await AuditRecord.count()
    changes = await as_code.apply(as_code.load_file(DEMO_FILE), OPERATOR)
    await _demo_mail(DEMO_TENANT, 2525, "http://127.0.0.1:8000/")
    assert changes == [] and await AuditRecord.count() == before
