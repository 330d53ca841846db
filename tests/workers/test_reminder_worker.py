"""The reminder scan on a real Redis with real arq workers: run now, and two workers at once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from app.cases import intake, steps
from app.flows import intake as intake_flow
from app.notifications.tables import Notification
from app.reminders.tables import Reminder
from tests.helpers import api_token, context_of, demo_county, portal
from workers.settings import build_worker

pytestmark = pytest.mark.usefixtures("clean_db")


async def overdue_cases(people: dict[str, int], how_many: int) -> None:
    """Cases of 王效雷 received three weeks ago: overdue today, so the scan has something to tell."""
    clerk = await context_of("dangshan", people["wangxiaolei"])
    for n in range(how_many):
        application = intake.Application(
            line="urban_dibao",
            applicant_name=f"申请人{n}",
            applicant_id_number="11010519491231002X",
            household_size=2,
            received_on=date.today() - timedelta(days=21),
            first_receiver_id=people["wangxiaolei"],
        )
        await steps.decide_intake(clerk, (await intake_flow.intake(clerk, application)).id, True)


async def test_two_workers_scanning_at_once_tell_each_reminder_once(settings, redis):
    people = await demo_county()
    await overdue_cases(people, 30)
    admin = await api_token("dangshan", people["admin"])
    async with portal(settings) as client:
        headers = {"Authorization": f"Bearer {admin}"}
        jobs = [(await client.post("/api/v1/t/dangshan/jobs/reminders", headers=headers)).json() for _ in range(4)]
        workers = [build_worker(settings, burst=True, handle_signals=False, poll_delay=0.05) for _ in range(2)]
        await asyncio.gather(*(worker.main() for worker in workers))
        for worker in workers:
            await worker.close()
        states = [
            (await client.get(f"/api/v1/t/dangshan/jobs/{job['job_id']}", headers=headers)).json() for job in jobs
        ]
    assert {s["status"] for s in states} == {"complete"}
    assert await Reminder.count() == 30
    for username in ("wangxiaolei", "head"):
        told = await Notification.select(Notification.message).where(
            (Notification.user == people[username]) & (Notification.kind == "reminder.overdue")
        )
        # So many at once are one message that counts them (``reminders.SUMMED_UP_FROM``).
        assert [row["message"] for row in told] == ["已超期：30 件申请"], username
