"""A request's statements run in one transaction (app.db.request_transaction): committed when it
answers a success, rolled back on an error, with ``db.transaction()`` blocks as savepoints."""

from __future__ import annotations

import asyncio
import contextvars

import pytest
from arq import create_pool
from arq.connections import RedisSettings

from app import db
from app.jobs import JobKind, enqueue
from app.jobs.tables import JobRecord
from app.tenancy.tables import Tenant
from app.web.identity import _ended_first
from tests.conftest import REDIS_URL
from tests.helpers import county

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


async def seen_by_others(query):
    """What another request (a context of its own, another connection) sees now."""
    return await asyncio.create_task(query().run(), context=contextvars.Context())


def slugs():
    return Tenant.select(Tenant.slug).output(as_list=True)


async def test_what_a_request_writes_is_seen_by_others_only_when_it_ends():
    async with db.request_transaction():
        await county("dangshan")
        assert await slugs() == ["dangshan"]
        assert await seen_by_others(slugs) == []
    assert await slugs() == ["dangshan"]


async def test_a_request_that_raises_leaves_nothing():
    with pytest.raises(RuntimeError):
        async with db.request_transaction():
            await county("dangshan")
            raise RuntimeError("the handler failed")
    assert await slugs() == []


@pytest.mark.parametrize(("status", "kept"), [(200, ["dangshan"]), (303, ["dangshan"]), (422, []), (503, [])])
async def test_the_transaction_ends_before_the_answer_starts_committed_only_for_a_success(status, kept):
    sent = []

    async def send(message):
        sent.append((message["type"], await seen_by_others(slugs)))

    async with db.request_transaction() as transaction:
        await county("dangshan")
        answer = _ended_first(transaction, send)
        await answer({"type": "http.response.start", "status": status, "headers": []})
        await answer({"type": "http.response.body", "body": b""})
    assert sent == [("http.response.start", kept), ("http.response.body", kept)]
    assert await slugs() == kept


async def test_a_failing_transaction_block_is_a_savepoint_undoing_only_itself():
    async with db.request_transaction():
        await county("dangshan")
        with pytest.raises(RuntimeError):
            async with db.transaction():
                await county("xiaoxian")
                assert sorted(await slugs()) == ["dangshan", "xiaoxian"]
                raise RuntimeError("the block failed")
        async with db.transaction():
            await county("lingbi")
    assert sorted(await slugs()) == ["dangshan", "lingbi"]


async def test_a_job_is_committed_before_a_worker_is_told(redis):
    tenant = await county("dangshan")
    queue = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    async with db.request_transaction():
        job_id = await enqueue(queue, JobKind.SUBSTITUTION, tenant.id)
        records = await seen_by_others(lambda: JobRecord.select(JobRecord.job_id).output(as_list=True))
        assert records == [job_id]
    await queue.aclose()


async def test_on_sqlite_statements_run_as_before(sqlite_db):
    async with db.request_transaction() as transaction:
        assert transaction is None
        await county("dangshan")
    assert await slugs() == ["dangshan"]
