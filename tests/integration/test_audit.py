"""The audit trail: written with the change, readable by admins, unchangeable by anyone."""

from __future__ import annotations

import pytest

from app.accounts.services import AccountError, add_user
from app.audit.services import record
from app.audit.tables import AuditRecord
from tests.helpers import OPERATOR, api_token, county, person, portal, post_form, sign_in


async def test_a_refused_change_leaves_no_audit_row(any_db):
    await county("dangshan")
    await person("dangshan", "wangxiaolei")
    before = await AuditRecord.count()
    with pytest.raises(AccountError):
        await add_user(OPERATOR, tenant_slug="dangshan", username="wangxiaolei", name="重名", roles=["staff"])
    assert await AuditRecord.count() == before


async def test_audit_records_cannot_be_changed_or_deleted(any_db):
    tenant = await county("dangshan")
    await record(OPERATOR, tenant_id=tenant.id, action="test.change", entity="thing", summary="evidence")
    with pytest.raises(Exception, match="cannot be changed or deleted"):
        await AuditRecord.update({AuditRecord.summary: "tampered"}).where(AuditRecord.action == "test.change")
    with pytest.raises(Exception, match="cannot be changed or deleted"):
        await AuditRecord.delete().where(AuditRecord.action == "test.change")
    assert await AuditRecord.select(AuditRecord.summary).where(AuditRecord.action == "test.change").first() == {
        "summary": "evidence"
    }


@pytest.mark.usefixtures("clean_db", "redis")
async def test_changes_are_recorded_with_who_when_what_and_from_where(settings):
    await county("dangshan")
    await person("dangshan", "admin", ["admin"], name="李国栋")
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        await post_form(client, "/t/dangshan/tokens", {"label": "周报"})
    row = await AuditRecord.select().where(AuditRecord.action == "token.create").output(load_json=True).first()
    assert row["actor_label"] == "李国栋 (admin)"
    assert row["address"] == "127.0.0.1"
    assert row["after"]["label"] == "周报"
    assert row["at"].tzinfo is not None


@pytest.mark.usefixtures("clean_db", "redis")
async def test_audit_page_filters_and_pages_in_place(settings):
    tenant = await county("dangshan")
    await person("dangshan", "admin", ["admin"])
    for n in range(60):
        await record(OPERATOR, tenant_id=tenant.id, action="test.bulk", entity="bulk", summary=f"第{n}条")
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        full = await client.get("/t/dangshan/audit")
        assert full.status_code == 200 and "<html" in full.text and "下一页" in full.text
        fragment = await client.get(
            "/t/dangshan/audit?entity=user", headers={"HX-Request": "true", "HX-Target": "results"}
        )
        assert "<html" not in fragment.text
        assert "新建账号" in fragment.text and "第1条" not in fragment.text
        second = await client.get("/t/dangshan/audit?page=2&entity=bulk")
        assert "第0条" in second.text and "第59条" not in second.text


@pytest.mark.usefixtures("clean_db", "redis")
async def test_audit_is_for_admins_and_leaders_only(settings):
    await county("dangshan")
    await person("dangshan", "wangxiaolei", ["staff"])
    clerk_id = await person("dangshan", "houweili", ["staff"])
    token = await api_token("dangshan", clerk_id)
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "wangxiaolei")
        assert (await client.get("/t/dangshan/audit")).status_code == 403
        response = await client.get("/api/v1/t/dangshan/audit", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403
        assert "audit:read" in response.json()["detail"]


@pytest.mark.usefixtures("clean_db", "redis")
async def test_audit_api_lists_records_of_the_callers_county_only(settings):
    await county("dangshan")
    await county("xiaoxian")
    admin = await person("dangshan", "admin", ["admin"])
    await person("xiaoxian", "admin", ["admin"])
    token = await api_token("dangshan", admin)
    async with portal(settings) as client:
        response = await client.get("/api/v1/t/dangshan/audit", headers={"Authorization": f"Bearer {token}"})
    records = response.json()["records"]
    assert records and all("xiaoxian" not in str(r) for r in records)
    assert {r["action"] for r in records} >= {"user.create", "token.create"}
    bad = None
    async with portal(settings) as client:
        bad = await client.get("/api/v1/t/dangshan/audit?since=yesterday", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and "since" in bad.text
