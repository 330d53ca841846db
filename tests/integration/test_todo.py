"""The to-do badge's count (``todo_count``, polled by every page) agrees with the to-do list it
stands for (``todo_of``), for everyone of the demo county."""

from __future__ import annotations

import pytest

from app.demo import DEMO_TENANT
from app.demo_samples import sample_cases, year_of_history
from app.todo.services import todo_count, todo_of
from tests.helpers import context_of, demo_county

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


async def test_the_badge_counts_what_the_todo_list_shows_for_everyone():
    people = await demo_county()
    await sample_cases(DEMO_TENANT)
    await year_of_history(DEMO_TENANT)
    counted = {}
    for username, user_id in people.items():
        ctx = await context_of(DEMO_TENANT, user_id)
        counted[username] = (await todo_count(ctx), (await todo_of(ctx)).count)
    assert all(badge == listed for badge, listed in counted.values()), counted
    assert sum(badge for badge, _ in counted.values()) > 0  # the demo gives people things to do
