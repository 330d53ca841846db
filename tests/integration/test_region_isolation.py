"""The region gate: an inspector of region X sees nothing of region Y, however the request is made.

Every route below the region routers is walked with thousands of randomized paths and queries on
one running app; a foreign or unknown region, or a county of another region, is always 404 and its
counties' names never appear.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from litestar.routes import HTTPRoute

from app import db
from app.cases.tables import Case
from app.web.region_gate import region_guard
from tests.helpers import county, person, portal, sign_in
from tests.stats_helpers import case, inspector, inspector_token, region

pytestmark = pytest.mark.usefixtures("clean_db", "redis")

REGION_PREFIXES = ("/r/{region:str}", "/api/v1/r/{region:str}")
PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
ATTEMPTS = 2000
OWN = {"x1": "甲一县", "x2": "甲二县"}
FOREIGN = {"y1": "乙一县", "y2": "乙二县"}


def region_routes(app) -> list[str]:
    paths = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(("/r/", "/api/v1/r/")):
            continue
        for handler in route.route_handlers:
            assert region_guard in handler.resolve_guards(), f"{route.path} is not behind the region gate"
        paths.append(route.path)
    return paths


async def two_regions():
    received = date.today() - timedelta(days=10)
    for slug, name in {**OWN, **FOREIGN}.items():
        info = await county(slug, name)
        handler = await person(slug, f"h{slug}")
        await case(info, handler, received_on=received, due_on=received + timedelta(days=5), decided_on=received)
    await region("xr", list(OWN))
    await region("yr", list(FOREIGN))
    await inspector("xr", "xena")
    await inspector("yr", "yuri")


def fill(path: str, rng: random.Random, region_slug: str, counties: list[str]) -> str:
    values = {"region": region_slug, "county": rng.choice(counties)}
    return PARAMETER.sub(lambda m: values[m.group(1)], path)


async def test_an_inspector_of_one_region_reaches_nothing_of_another(settings):
    await two_regions()
    token = await inspector_token("xr", "xena")
    rng = random.Random(17)
    async with portal(settings) as client:
        paths = region_routes(client.app)
        assert any(p.startswith("/api/") for p in paths) and any(p.startswith("/r/") for p in paths)
        await sign_in(client, "", "xena")
        headers = {"Authorization": f"Bearer {token}"}
        unknown = ["nowhere", "yr2", "x", "XR", "xr-", "0"]
        for _ in range(ATTEMPTS):
            path = rng.choice(paths)
            choice = rng.random()
            if choice < 0.5:  # the other region, with any county
                target = fill(path, rng, "yr", [*FOREIGN, *OWN, "zz"])
            elif choice < 0.75:  # own region, another region's or an unknown county (in the path or the query)
                foreign = rng.choice([*FOREIGN, "zz", "xr"])
                if "{county" in path:
                    target = fill(path, rng, "xr", [foreign])
                elif path.startswith("/api/"):
                    answer = await client.get(fill(path, rng, "xr", [foreign]) + f"?county={foreign}", headers=headers)
                    assert answer.status_code == 404, (path, foreign, answer.status_code)
                    continue
                else:
                    continue
            else:  # a region that does not exist
                target = fill(path, rng, rng.choice(unknown), [*OWN, *FOREIGN])
            query = rng.choice(["", "?by=county", "?by=line&county=y1", "?from=2020-01-01&to=2022-12-31", "?county=x1"])
            answer = await client.get(target + query, headers=headers if target.startswith("/api/") else None)
            assert answer.status_code == 404, (target + query, answer.status_code)
            assert not any(name in answer.text for name in FOREIGN.values())
        # What the inspector may read never names another region's county either.
        own = await client.get("/r/xr/")
        listing = await client.get("/api/v1/r/xr/stats/deadlines?by=county", headers=headers)
        through_county = await client.get("/api/v1/r/xr/stats/deadlines?by=line&county=x2", headers=headers)
    assert own.status_code == 200 and all(name in own.text for name in OWN.values())
    assert not any(name in own.text or f"/counties/{slug}" in own.text for slug, name in FOREIGN.items())
    assert [row["key"] for row in listing.json()] == ["x1", "x2"]
    assert through_county.status_code == 200


async def test_what_an_inspector_reads_of_their_own_region_names_no_applicant_nor_any_case(settings):
    """Every region route over the inspector's own counties, every grouping: aggregates only."""
    await two_regions()
    token = await inspector_token("xr", "xena")
    case_id = (await Case.select(Case.id).where(Case.tenant.slug == "x1").first())["id"]
    async with portal(settings) as client:
        await sign_in(client, "", "xena")
        headers = {"Authorization": f"Bearer {token}"}
        answers = []
        for path in region_routes(client.app):
            for own_county in OWN:
                for query in ("", "?by=county", "?by=line", "?by=month", f"?county={own_county}"):
                    target = fill(path, random.Random(0), "xr", [own_county]) + query
                    answers.append(await client.get(target, headers=headers if target.startswith("/api/") else None))
        case_page = await client.get(f"/t/x1/cases/{case_id}")
        case_api = await client.get(f"/api/v1/t/x1/cases/{case_id}", headers=headers)
    assert {answer.status_code for answer in answers} <= {200, 400}
    assert any(answer.status_code == 200 for answer in answers)
    for answer in answers:
        assert "张三" not in answer.text and "110101" not in answer.text
        assert not any(name in answer.text for name in FOREIGN.values())
    assert case_page.status_code in (401, 403, 404) and case_api.status_code in (401, 403, 404)


async def test_county_users_and_strangers_never_pass_the_region_gate(settings):
    await two_regions()
    await person("x1", "boss", roles=("admin", "leader"))
    async with portal(settings) as client:
        anonymous = await client.get("/api/v1/r/xr/stats/deadlines")
        await sign_in(client, "x1", "boss")
        county_admin = await client.get("/r/xr/")
    assert anonymous.status_code == 401
    assert county_admin.status_code == 404  # a county's admin is no inspector of its region


async def test_statements_per_statistics_page(settings, monkeypatch):
    """The region page: identity (1), the gate (2 reads, the look's audit row), the calendars (2),
    the tally's state (1), the deadline figures (2), accountability and grades (2), the absences (4: office hours,
    lines, notices, uncovered stretches)."""
    await two_regions()
    await person("x1", "boss", roles=("admin",))
    engine_class = type(db.engine())
    counted: list[str] = []
    run = engine_class.run_querystring

    async def counting(engine, querystring, *args, **kwargs):
        counted.append(str(querystring))
        return await run(engine, querystring, *args, **kwargs)

    async with portal(settings) as client:
        await sign_in(client, "", "xena")
        await client.get("/r/xr/")  # warm: nothing cached on purpose, but the same path twice
        monkeypatch.setattr(engine_class, "run_querystring", counting)
        region_page = await client.get("/r/xr/")
        region_statements = len(counted)
        monkeypatch.setattr(engine_class, "run_querystring", run)
        counted.clear()
        await client.post("/logout", data={"_csrf_token": client.cookies.get("csrftoken", "")})
        await sign_in(client, "x1", "boss")
        monkeypatch.setattr(engine_class, "run_querystring", counting)
        county_page = await client.get("/t/x1/stats")
        county_statements = len(counted)
    assert region_page.status_code == 200 and county_page.status_code == 200
    assert region_statements == 15, counted
    assert county_statements == 12, counted
