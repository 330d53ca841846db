"""SQL statements per request of every main page and API list (SPEC §12: a handful each, none
growing with a county's history): a count, so a change that adds a query to a busy page fails
here, whatever the machine's speed. ``ops/bench`` measures the time.

The demo county with its sample cases and a year of decided applications; each page is asked
twice and the second answer counted (the first may fill a per-process cache).
"""

from __future__ import annotations

import pytest

from app import db
from app.cases.tables import Case
from app.demo import DEMO_TENANT
from app.demo_samples import sample_cases, year_of_history
from tests.helpers import api_token, demo_county, portal, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis")

T = f"/t/{DEMO_TENANT}"
API = f"/api/v1/t/{DEMO_TENANT}"

# (who, path) → the most statements the request may send, the request's transaction (BEGIN, role
# and county, COMMIT: app.db) left out; who asks and what every page re-reads (rota, settings,
# calendar, lines, people) is kept by the process after the first request (app.tenancy.cache).
# Lower a budget when a page gets cheaper.
PAGES = {
    # The dashboards: the cases' lists and counts, the absences and the audit trail (for those who
    # read it) in one statement.
    ("wangxiaolei", f"{T}/"): 1,
    ("head", f"{T}/"): 1,
    ("admin", f"{T}/"): 1,
    ("leader", f"{T}/"): 1,
    ("wangxiaolei", f"{T}/cases"): 1,
    ("wangxiaolei", f"{T}/cases?line=urban_dibao&page=2"): 1,
    # A next page's link: it seeks from the row before it.
    ("wangxiaolei", f"{T}/cases?page=2&after=2000-01-03_1"): 1,
    # Past the last page (the demo has fewer overdue cases): counted again, then the last page.
    ("wangxiaolei", f"{T}/cases?overdue=1&page=2"): 3,
    ("wangxiaolei", f"{T}/cases/{{case}}"): 1,
    ("wangxiaolei", f"{T}/rota"): 0,
    # The badge every page polls: one statement; those who decide absences read the notices
    # pending with the counts.
    ("wangxiaolei", f"{T}/todo/count"): 1,
    ("admin", f"{T}/todo/count"): 1,
    ("head", f"{T}/todo/count"): 1,
    ("leader", f"{T}/todo/count"): 1,
}
API_CALLS = {
    ("wangxiaolei", f"{API}/cases"): 1,
    ("wangxiaolei", f"{API}/cases?page=2"): 1,
    ("wangxiaolei", f"{API}/cases?page=2&after=2000-01-03_1"): 1,
    ("wangxiaolei", f"{API}/cases?page=99"): 3,
    ("wangxiaolei", f"{API}/rota"): 0,
}


async def statements_of(client, path: str, **options) -> int:
    (await client.get(path, **options)).raise_for_status()
    before = db.statements_run()
    answer = await client.get(path, **options)
    assert answer.status_code == 200, (path, answer.status_code)
    return db.statements_run() - before


async def test_every_main_page_and_api_list_sends_no_more_statements_than_its_budget(settings):
    people = await demo_county()
    await sample_cases(DEMO_TENANT)
    await year_of_history(DEMO_TENANT)
    case = (await Case.select(Case.id).where(Case.status != "closed").first())["id"]
    counted = {}
    async with portal(settings) as client:
        for (who, path), _ in PAGES.items():
            await sign_in(client, DEMO_TENANT, who)
            counted[who, path] = await statements_of(client, path.format(case=case))
        client.cookies.clear()
        for (who, path), _ in API_CALLS.items():
            headers = {"Authorization": f"Bearer {await api_token(DEMO_TENANT, people[who])}"}
            counted[who, path] = await statements_of(client, path, headers=headers)
    over = {key: (n, budget) for key, budget in {**PAGES, **API_CALLS}.items() if (n := counted[key]) > budget}
    assert not over, f"statements (sent, budget): {over}"
