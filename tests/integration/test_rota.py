"""Staff, lines and the A/B rota through the API and the pages, on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from app.accounts.services import set_password
from app.accounts.tables import User
from app.audit.tables import AuditRecord
from app.rota.tables import Assignment
from app.settings import PROJECT_ROOT
from app.setup import as_code
from tests.helpers import OPERATOR, PASSWORD, api_token, county, person, portal, post_form, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


@pytest.fixture
async def dangshan():
    await as_code.apply(as_code.load_file(PROJECT_ROOT / "tenants" / "dangshan.toml"), OPERATOR)
    from app.accounts.tables import User

    ids = {u["username"]: u["id"] for u in await User.select(User.id, User.username)}
    for user_id in ids.values():
        await set_password(OPERATOR, user_id, PASSWORD)
    return {"ids": ids, "token": await api_token("dangshan", ids["admin"])}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def snapshot():
    return await Assignment.count(), await AuditRecord.count()


async def test_lines_and_rota_show_the_seed_table(settings, dangshan):
    ids = dangshan["ids"]
    async with portal(settings) as client:
        lines = (await client.get("/api/v1/t/dangshan/lines", headers=bearer(dangshan["token"]))).json()
        rota = (await client.get("/api/v1/t/dangshan/rota", headers=bearer(dangshan["token"]))).json()
    posts = {line["code"]: (line["a"], line["b"]) for line in lines}
    assert posts["urban_dibao"] == (ids["wangxiaolei"], ids["houweili"])
    assert posts["rural_dibao"] == (ids["houweili"], ids["zhuwenjun"])
    assert posts["medical"] == (ids["zhuwenjun"], ids["houweili"])
    assert posts["temporary"] == (ids["wangxiaolei"], ids["zhuwenjun"])
    assert posts["other"] == (ids["sunjing"], ids["zhuwenjun"])  # every line of the demo is usable
    urban = next(line for line in lines if line["code"] == "urban_dibao")
    assert (urban["working_days"], urban["separated_working_days"]) == (10, 15)
    by_line = {row["line"]: row for row in rota}
    assert by_line["urban_dibao"] == {
        "line": "urban_dibao",
        "a": ids["wangxiaolei"],
        "b": ids["houweili"],
        "acting": ids["wangxiaolei"],
        "status": "normal",
        "candidates": [],
    }
    assert (by_line["other"]["status"], by_line["other"]["acting"]) == ("normal", ids["sunjing"])


async def test_changing_the_backup_keeps_history_and_audit(settings, dangshan):
    ids = dangshan["ids"]
    async with portal(settings) as client:
        response = await client.put(
            "/api/v1/t/dangshan/lines/urban_dibao/assignment",
            headers=bearer(dangshan["token"]),
            json={"a": ids["wangxiaolei"], "b": ids["sunjing"], "approved_by": ids["leader"], "reason": "侯伟丽调岗"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["b"] == ids["sunjing"]
        history = (
            await client.get("/api/v1/t/dangshan/lines/urban_dibao/history", headers=bearer(dangshan["token"]))
        ).json()
        earlier = (
            await client.get(
                "/api/v1/t/dangshan/rota", params={"at": history[1]["from"]}, headers=bearer(dangshan["token"])
            )
        ).json()
        now = (await client.get("/api/v1/t/dangshan/rota", headers=bearer(dangshan["token"]))).json()
    assert [(h["a"], h["b"]) for h in history] == [
        (ids["wangxiaolei"], ids["sunjing"]),
        (ids["wangxiaolei"], ids["houweili"]),
    ]
    assert history[0]["to"] is None and history[1]["to"] is not None
    assert history[0]["approved_by"] == ids["leader"] and history[0]["reason"] == "侯伟丽调岗"
    assert next(r for r in earlier if r["line"] == "urban_dibao")["b"] == ids["houweili"]
    assert next(r for r in now if r["line"] == "urban_dibao")["b"] == ids["sunjing"]
    audit = (
        await AuditRecord.select()
        .where(AuditRecord.action == "assignment.update")
        .order_by(AuditRecord.id, ascending=False)
        .output(load_json=True)
        .first()
    )
    assert audit["before"] == {"a": ids["wangxiaolei"], "b": ids["houweili"]}
    assert audit["after"]["b"] == ids["sunjing"] and audit["actor_label"].startswith("李国栋")


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (lambda ids: {"a": ids["wangxiaolei"], "b": ids["wangxiaolei"]}, 400, "cannot be the same person"),
        (lambda ids: {"a": ids["wangxiaolei"], "b": ids["zhuwenjun"]}, 400, "not qualified for this line"),
        (lambda ids: {"a": ids["wangxiaolei"], "b": 987654}, 400, "no staff member with id 987654"),
        (lambda ids: {"a": ids["wangxiaolei"], "b": ids["foreign"]}, 400, "no staff member with id"),
        (
            lambda ids: {"a": ids["wangxiaolei"], "b": ids["houweili"], "approved_by": ids["sunjing"]},
            400,
            "neither a leader nor an administrator",
        ),
        (lambda ids: {"a": ids["wangxiaolei"]}, 400, "b"),
        (lambda ids: {"a": "王效雷", "b": ids["houweili"]}, 400, "a"),
    ],
)
async def test_bad_assignments_are_refused_and_change_nothing(settings, dangshan, body, status, says):
    await county("xiaoxian", "萧县")
    ids = {**dangshan["ids"], "foreign": await person("xiaoxian", "other")}
    before = await snapshot()
    async with portal(settings) as client:
        response = await client.put(
            "/api/v1/t/dangshan/lines/urban_dibao/assignment", headers=bearer(dangshan["token"]), json=body(ids)
        )
    assert response.status_code == status
    assert says in response.json()["detail"] + str(response.json().get("extra", ""))
    assert await snapshot() == before


async def test_deactivated_people_hold_no_post(settings, dangshan):
    ids = dangshan["ids"]
    async with portal(settings) as client:
        off = await client.patch(
            f"/api/v1/t/dangshan/staff/{ids['head']}", headers=bearer(dangshan["token"]), json={"active": False}
        )
        assert off.status_code == 200 and off.json()["active"] is False
        refused = await client.put(
            "/api/v1/t/dangshan/lines/urban_dibao/assignment",
            headers=bearer(dangshan["token"]),
            json={"a": ids["wangxiaolei"], "b": ids["head"]},
        )
    assert refused.status_code == 400 and "deactivated" in refused.json()["detail"]


async def test_unknown_line_and_malformed_time(settings, dangshan):
    ids = dangshan["ids"]
    async with portal(settings) as client:
        unknown = await client.put(
            "/api/v1/t/dangshan/lines/nope/assignment",
            headers=bearer(dangshan["token"]),
            json={"a": ids["wangxiaolei"], "b": ids["houweili"]},
        )
        bad_time = await client.get("/api/v1/t/dangshan/rota?at=yesterday", headers=bearer(dangshan["token"]))
        local_time = await client.get("/api/v1/t/dangshan/rota?at=2026-01-05T09:00", headers=bearer(dangshan["token"]))
    assert unknown.status_code == 404
    assert bad_time.status_code == 400 and "time yesterday is not valid" in bad_time.json()["detail"]
    assert local_time.status_code == 200


async def test_staff_api_create_read_update(settings, dangshan):
    token = dangshan["token"]
    async with portal(settings) as client:
        created = await client.post(
            "/api/v1/t/dangshan/staff",
            headers=bearer(token),
            json={
                "username": "liqiang",
                "name": "李强",
                "roles": ["staff"],
                "phone": "13900000001",
                "qualifications": ["medical", "other"],
            },
        )
        assert created.status_code == 201, created.text
        staff = created.json()
        assert staff == {
            "id": staff["id"],
            "username": "liqiang",
            "name": "李强",
            "phone": "13900000001",
            "email": "",
            "roles": ["staff"],
            "qualifications": ["medical", "other"],
            "active": True,
        }
        fetched = await client.get(f"/api/v1/t/dangshan/staff/{staff['id']}", headers=bearer(token))
        assert fetched.json() == staff
        patched = await client.patch(
            f"/api/v1/t/dangshan/staff/{staff['id']}",
            headers=bearer(token),
            json={"roles": ["staff", "section_head"], "phone": "13900000002"},
        )
        assert patched.json()["roles"] == ["section_head", "staff"] and patched.json()["phone"] == "13900000002"
        listed = await client.get("/api/v1/t/dangshan/staff", headers=bearer(token))
        assert "liqiang" in {p["username"] for p in listed.json()}
        duplicate = await client.post(
            "/api/v1/t/dangshan/staff", headers=bearer(token), json={"username": "liqiang", "name": "又一个"}
        )
        assert duplicate.status_code == 400 and "taken" in duplicate.json()["detail"]
        unknown_line = await client.patch(
            f"/api/v1/t/dangshan/staff/{staff['id']}", headers=bearer(token), json={"qualifications": ["wubao"]}
        )
        assert unknown_line.status_code == 400 and "wubao" in unknown_line.json()["detail"]


async def test_people_holding_posts_cannot_be_deactivated_or_lose_their_backup_qualification(settings, dangshan):
    ids, token = dangshan["ids"], dangshan["token"]
    before = await snapshot()
    async with portal(settings) as client:
        off = await client.patch(
            f"/api/v1/t/dangshan/staff/{ids['wangxiaolei']}", headers=bearer(token), json={"active": False}
        )
        assert off.status_code == 400
        assert "holds" in off.json()["detail"] and "assign replacements" in off.json()["detail"]
        unqualified = await client.patch(
            f"/api/v1/t/dangshan/staff/{ids['houweili']}",
            headers=bearer(token),
            json={"qualifications": ["rural_dibao"]},
        )
        assert unqualified.status_code == 400 and "B backup" in unqualified.json()["detail"]
        last_admin = await client.patch(
            f"/api/v1/t/dangshan/staff/{ids['admin']}", headers=bearer(token), json={"roles": ["staff"]}
        )
        assert last_admin.status_code == 400 and "only administrator" in last_admin.json()["detail"]
    assert await snapshot() == before


async def test_only_admins_change_staff_and_posts(settings, dangshan):
    ids = dangshan["ids"]
    clerk = await api_token("dangshan", ids["wangxiaolei"])
    async with portal(settings) as client:
        assert (await client.get("/api/v1/t/dangshan/rota", headers=bearer(clerk))).status_code == 200
        assert (await client.get("/api/v1/t/dangshan/staff", headers=bearer(clerk))).status_code == 200
        put = await client.put(
            "/api/v1/t/dangshan/lines/urban_dibao/assignment",
            headers=bearer(clerk),
            json={"a": ids["wangxiaolei"], "b": ids["sunjing"]},
        )
        patch = await client.patch(
            f"/api/v1/t/dangshan/staff/{ids['wangxiaolei']}", headers=bearer(clerk), json={"roles": ["admin"]}
        )
    assert put.status_code == patch.status_code == 403


async def test_board_changes_a_backup_in_place(settings, dangshan):
    ids = dangshan["ids"]
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        board = await client.get("/t/dangshan/rota")
        assert board.status_code == 200 and "王效雷" in board.text and "侯伟丽" in board.text
        fragment = await post_form(
            client,
            "/t/dangshan/rota/urban_dibao/assignment",
            {"a": ids["wangxiaolei"], "b": ids["sunjing"]},
            headers={"HX-Request": "true", "HX-Target": "board"},
        )
        assert fragment.status_code == 200 and "<html" not in fragment.text
        row = fragment.text.split('id="line-urban_dibao"')[1].split("</tr>")[0]
        assert '<td class="b" data-label="B岗">孙静</td>' in row
        refused = await post_form(
            client,
            "/t/dangshan/rota/urban_dibao/assignment",
            {"a": ids["wangxiaolei"], "b": ids["zhuwenjun"]},
            headers={"HX-Request": "true", "HX-Target": "board"},
        )
        assert refused.status_code == 400 and "不熟悉该岗位业务" in refused.text
        plain = await post_form(
            client, "/t/dangshan/rota/temporary/assignment", {"a": ids["wangxiaolei"], "b": ids["sunjing"]}
        )
        assert plain.status_code == 303  # without JavaScript: Post/Redirect/Get


async def test_printable_table_reads_like_the_regulation(settings, dangshan):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "wangxiaolei")
        printed = await client.get("/t/dangshan/rota/print")
    assert "（一）城市低保工作：A岗 王效雷；B岗 侯伟丽；" in printed.text
    assert "（四）临时救助工作：A岗 王效雷；B岗 朱文君；" in printed.text
    assert "（五）其他事项工作：A岗 孙静；B岗 朱文君。" in printed.text


async def test_uncovered_lines_shout_on_the_admin_dashboard(settings, dangshan):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        created = await post_form(
            client, "/t/dangshan/lines", {"code": "wubao", "name": "五保供养", "working_days": "15"}
        )
        assert created.status_code == 303
        dashboard = await client.get("/t/dangshan/")
        board = await client.get("/t/dangshan/rota")
    assert 'class="alarm"' in dashboard.text and "五保供养" in dashboard.text.split('class="alarm"')[1][:300]
    assert "无人替代" in board.text


async def test_staff_pages_create_and_edit_with_clear_errors(settings, dangshan):
    ids = dangshan["ids"]
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        created = await post_form(
            client,
            "/t/dangshan/staff",
            {"username": "liqiang", "name": "李强", "roles": "staff", "qualifications": "medical"},
        )
        assert created.status_code == 303
        refused = await post_form(
            client,
            f"/t/dangshan/staff/{ids['wangxiaolei']}",
            {"name": "王效雷", "roles": "staff", "qualifications": ["urban_dibao", "temporary"]},
        )
        assert refused.status_code == 400  # active unticked while holding posts
        assert "请先为这些岗位指定接替人员" in refused.text
        listing = await client.get("/t/dangshan/staff")
    assert "李强" in listing.text and "城乡医疗救助" in listing.text


@pytest.mark.parametrize("round_", range(3))
async def test_two_admins_disabling_each_other_at_once_leave_one_admin(settings, round_):
    slug = f"race{round_}"
    await county(slug)
    first, second = await person(slug, "first", ["admin"]), await person(slug, "second", ["admin"])
    tokens = {first: await api_token(slug, first), second: await api_token(slug, second)}
    async with portal(settings) as client:
        answers = await asyncio.gather(
            *(
                client.patch(f"/api/v1/t/{slug}/staff/{target}", headers=bearer(tokens[actor]), json={"active": False})
                for actor, target in ((first, second), (second, first))
            )
        )
    # The other is refused: the last admin (400), or already disabled when its request arrived (401).
    assert sorted(a.status_code for a in answers) in ([200, 400], [200, 401])
    assert await User.count().where((User.tenant.slug == slug) & User.active.eq(True)) == 1


async def test_the_staff_list_finds_people_and_htmx_gets_only_the_list(settings, dangshan):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        page = await client.get("/t/dangshan/staff", params={"q": "侯"})
        fragment = await client.get(
            "/t/dangshan/staff", params={"line": "other"}, headers={"HX-Request": "true", "HX-Target": "people"}
        )
    assert page.status_code == 200 and "侯伟丽" in page.text and "王效雷</a>" not in page.text
    assert "<html" not in fragment.text and 'id="people"' in fragment.text
    assert "孙静" in fragment.text and "朱文君" in fragment.text and "侯伟丽" not in fragment.text
