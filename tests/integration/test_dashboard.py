import pytest

from tests.helpers import county, person, portal, post_form, sign_in
from workers.heartbeat import beat

WARNING = "后台任务程序（portal worker）没有在运行"


@pytest.fixture(autouse=True)
async def admin_and_clerk(clean_db) -> None:
    await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    await person("dangshan", "wangxiaolei", ["staff"])


async def test_admin_is_warned_while_no_worker_runs(settings, redis):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        assert WARNING in (await client.get("/t/dangshan/")).text
        await beat({"redis": redis})
        assert WARNING not in (await client.get("/t/dangshan/")).text
        await redis.flushdb()
        await sign_in(client, "dangshan", "wangxiaolei")
        assert WARNING not in (await client.get("/t/dangshan/")).text  # staff cannot act on it


def _bar(page: str) -> str:
    return page.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]


async def test_the_navigation_bar_follows_the_visitors_permissions_page_and_language(settings, redis):
    # The bar is rendered once per county, language, set of permissions and page on the bar, then
    # kept: what one visitor was shown must not reach another, nor another page or language.
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        admins = _bar((await client.get("/t/dangshan/")).text)
        on_cases = _bar((await client.get("/t/dangshan/cases")).text)
        await sign_in(client, "dangshan", "wangxiaolei")
        staffs = _bar((await client.get("/t/dangshan/")).text)
        await post_form(client, "/language", {"language": "en", "back": "/"})
        english = _bar((await client.get("/t/dangshan/")).text)
    assert 'href="/t/dangshan/settings"' in admins and 'href="/t/dangshan/audit"' in admins
    assert 'href="/t/dangshan/settings"' not in staffs and 'href="/t/dangshan/audit"' not in staffs
    assert '<a href="/t/dangshan/" aria-current="page">' in admins
    assert '<a href="/t/dangshan/cases" aria-current="page">' in on_cases
    assert 'href="/t/dangshan/" aria-current' not in on_cases
    assert "首页" in staffs and "首页" not in english and 'href="/t/dangshan/todo"' in english
    assert 'hx-get="/t/dangshan/todo/count"' in staffs
