"""The inbox badge every open page polls: the person's unread messages, "99+" beyond 99, and
none of anyone else's."""

from __future__ import annotations

import re

import pytest

from app.notifications.services import Message, mark_read, notify_many
from tests.helpers import context_of, demo_county, portal, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


def shown(badge: str) -> str:
    found = re.search(r'<span class="count"[^>]*>([^<]*)</span>', badge)
    return found.group(1) if found else ""


async def tell(tenant_id: int, user_id: int, n: int, key: str) -> None:
    await notify_many(tenant_id, [Message(user_id, "test", f"消息{i}", f"{key}:{i}") for i in range(n)])


async def test_the_badge_counts_my_unread_messages_and_stops_at_99(settings):
    people = await demo_county()
    ctx = await context_of("dangshan", people["wangxiaolei"])
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "wangxiaolei")
        assert shown((await client.get("/t/dangshan/inbox/count")).text) == ""
        await tell(ctx.tenant.id, people["wangxiaolei"], 5, "read")
        await mark_read(ctx)
        await tell(ctx.tenant.id, people["wangxiaolei"], 3, "unread")
        await tell(ctx.tenant.id, people["sunjing"], 7, "someone else's")
        assert shown((await client.get("/t/dangshan/inbox/count")).text) == "3"
        await tell(ctx.tenant.id, people["wangxiaolei"], 96, "more")
        assert shown((await client.get("/t/dangshan/inbox/count")).text) == "99"
        await tell(ctx.tenant.id, people["wangxiaolei"], 1, "one more")
        assert shown((await client.get("/t/dangshan/inbox/count")).text) == "99+"
