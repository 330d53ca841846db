"""PostgreSQL's row-level security behind the application filter: with a county set (as every
county request has it), a query that forgets ``ctx`` still sees and writes only that county."""

from __future__ import annotations

import re

import asyncpg
import pytest

from app import db
from app.accounts.tables import User
from app.db import statements
from app.piccolo_conf import all_tables
from app.tenancy.tables import Tenant
from tests.helpers import api_token, county, person, portal

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


async def test_a_query_without_the_county_filter_sees_only_the_county_of_the_request(two_counties):
    ours, theirs = two_counties
    with db.county(ours):
        seen = await User.select(User.tenant)
        assert {row["tenant"] for row in seen} == {ours}
        assert await User.count().where(User.tenant == theirs) == 0
        assert await User.update({User.name: "改掉"}).where(User.tenant == theirs).returning(User.id) == []
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):  # the policy's WITH CHECK
            await User.insert(User(tenant=theirs, username="intruder", name="x", password_hash="x"))
        async with db.transaction():  # a transaction's connection is told the county too
            assert {row["tenant"] for row in await User.select(User.tenant)} == {ours}
    # Without a county (sign-in, workers, operators) the application filter alone decides.
    assert {row["tenant"] for row in await User.select(User.tenant)} == {ours, theirs}


async def test_a_county_request_runs_as_the_app_role_with_its_county_set(settings, two_counties):
    ours, _ = two_counties
    with db.county(ours):
        row = (await Tenant.raw("SELECT current_user AS role, current_setting('portal.tenant') AS county"))[0]
    assert row == {"role": db.APP_ROLE, "county": str(ours)}
    assert (await Tenant.raw("SELECT current_setting('portal.tenant', true) AS county"))[0]["county"] == ""


async def test_every_county_table_has_the_policy(two_counties):
    county_tables = sorted(
        t._meta.tablename for t in all_tables() if "tenant" in (c._meta.db_column_name for c in t._meta.columns)
    )
    protected = await Tenant.raw(
        "SELECT c.relname AS name FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid "
        "WHERE c.relrowsecurity AND p.polname = 'county_only'"
    )
    assert sorted(row["name"] for row in protected) == county_tables
    owners = await Tenant.raw("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
    assert db.APP_ROLE not in {row["tableowner"] for row in owners}  # an owner would bypass the policies


async def test_the_county_ends_with_the_request(settings, two_counties):
    ours, theirs = two_counties
    async with portal(settings) as client:
        token = await api_token("dangshan", await person("dangshan", "caller", ["admin"]))
        answer = await client.get("/api/v1/t/dangshan/staff", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        # The app ran in the test's own task: the request's county is not left behind.
        assert {row["tenant"] for row in await User.select(User.tenant)} == {ours, theirs}


async def test_a_county_request_names_its_county_to_every_statement_after_the_identity(settings, two_counties, sent):
    ours, _ = two_counties
    async with portal(settings) as client:
        token = await api_token("dangshan", await person("dangshan", "caller", ["admin"]))
        sent.clear()
        answer = await client.get("/api/v1/t/dangshan/staff", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
    # The county in force for each of the app's statements, as the server was told it.
    told, in_force = None, []
    for query in sent:
        if named := re.search(r"set_config\('portal\.tenant', '(\d*)', true\)", query):
            told = named.group(1)
        elif not query.startswith(("COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            in_force.append(told)
    # The identity is found before the county is known; the handler's statements all run in it.
    assert in_force[0] == ""
    assert in_force[1:] and set(in_force[1:]) == {str(ours)}


async def test_a_request_runs_its_statements_in_one_transaction(settings, two_counties, sent):
    async with portal(settings) as client:
        token = await api_token("dangshan", await person("dangshan", "caller", ["admin"]))
        sent.clear()
        answer = await client.get("/api/v1/t/dangshan/staff", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
    assert len(sent) > 4
    assert sum(query.startswith("BEGIN") for query in sent) == 1
    assert sent[-1] == "COMMIT;"


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """Every query the pool's connections send from now on, in order (for apps started after)."""
    queries = []
    count = statements._count_statement

    def logged(record):
        queries.append(record.query)
        count(record)

    monkeypatch.setattr(statements, "_count_statement", logged)
    return queries


@pytest.fixture
async def two_counties():
    ours, theirs = await county("dangshan"), await county("xiaoxian")
    await person("dangshan", "admin", ["admin"])
    await person("xiaoxian", "admin", ["admin"])
    return ours.id, theirs.id
