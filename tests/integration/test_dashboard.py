import pytest

from tests.helpers import county, person, portal, sign_in
from workers.heartbeat import beat

pytestmark = pytest.mark.usefixtures("clean_db")

WARNING = "后台任务程序（portal worker）没有在运行"


async def test_admin_is_warned_while_no_worker_runs(settings, redis):
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    await person("dangshan", "wangxiaolei", ["staff"])
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        assert WARNING in (await client.get("/t/dangshan/")).text
        await beat({"redis": redis})
        assert WARNING not in (await client.get("/t/dangshan/")).text
        await redis.flushdb()
        await sign_in(client, "dangshan", "wangxiaolei")
        assert WARNING not in (await client.get("/t/dangshan/")).text  # staff cannot act on it
