"""Absence notices and automatic substitution, on PostgreSQL with the demo county."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from chinese_calendar import is_workday

from app.absences import services, substitutions
from app.absences.away import people_away
from app.absences.tables import Absence, Substitution
from app.calendar.office import office_hours_of
from app.domain.absence import Action, Category
from app.errors import InvalidInput
from app.flows import cover, door
from app.flows.acting import rota
from app.flows.substitution import sweep
from app.notifications.tables import Notification
from tests.helpers import api_token, context_of, demo_county, portal, post_form, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis", "office_time")


def now() -> datetime:
    return datetime.now().astimezone()


@pytest.fixture
async def people():
    return await demo_county()


async def leave(people, username: str, *, starts=timedelta(minutes=-1), length=timedelta(days=2), approve=True):
    """A leave of ``username`` (started a minute ago by default), approved by the leader."""
    ctx = await context_of("dangshan", people[username])
    start = now() + starts
    absence = await services.post(
        ctx,
        person_id=people[username],
        kind="personal",
        reason="家中有事",
        starts_at=start,
        ends_at=start + length,
        contact="139",
        handover="低保材料在柜中",
    )
    if approve:
        absence = await services.decide(await context_of("dangshan", people["leader"]), absence.id, Action.APPROVE)
    return absence


async def acting(people) -> dict[str, int | None]:
    ctx = await context_of("dangshan", people["admin"])
    return {row.line.code: row.entry.acting for row in await rota(ctx)}


async def inbox_of(user_id: int) -> list[str]:
    return [n["kind"] for n in await Notification.select(Notification.kind).where(Notification.user == user_id)]


async def test_categories_decide_the_approver(people):
    ctx = await context_of("dangshan", people["wangxiaolei"])
    start = now() + timedelta(days=1)
    quick = await services.post(
        ctx,
        person_id=people["wangxiaolei"],
        kind="official",
        reason="送材料",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
    )
    brief = await services.post(
        ctx,
        person_id=people["wangxiaolei"],
        kind="official",
        reason="入户调查",
        starts_at=start + timedelta(hours=1),
        ends_at=start + timedelta(hours=5),
    )
    long = await services.post(
        ctx,
        person_id=people["wangxiaolei"],
        kind="annual",
        reason="年休",
        starts_at=start + timedelta(days=1),
        ends_at=start + timedelta(days=3),
        handover="见交接单",
    )
    assert (quick.category, quick.status, quick.approver_role) == ("none", "approved", "")
    assert (brief.category, brief.status, brief.approver_role) == ("brief", "pending", "section_head")
    assert (long.category, long.status, long.approver_role) == ("leave", "pending", "leader")
    assert "absence.pending" in await inbox_of(people["head"])
    assert "absence.pending" in await inbox_of(people["leader"])


async def test_a_section_heads_own_brief_absence_only_notifies_colleagues(people):
    ctx = await context_of("dangshan", people["head"])
    start = now() + timedelta(days=1)
    absence = await services.post(
        ctx,
        person_id=people["head"],
        kind="official",
        reason="开会",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    assert absence.status == "approved"
    assert "absence.notice" in await inbox_of(people["wangxiaolei"])


@pytest.mark.parametrize(
    ("who", "action", "error"),
    [("wangxiaolei", Action.APPROVE, "own"), ("head", Action.APPROVE, "leader"), ("sunjing", Action.REJECT, "leader")],
)
async def test_only_the_right_approver_decides(people, who, action, error):
    absence = await leave(people, "wangxiaolei", starts=timedelta(days=1), approve=False)
    from app.tenancy.context import Forbidden

    with pytest.raises(Forbidden, match=error):
        await services.decide(await context_of("dangshan", people[who]), absence.id, action)
    assert (await Absence.select(Absence.status).where(Absence.id == absence.id).first())["status"] == "pending"


async def test_bad_notices_are_refused_and_nothing_is_saved(settings, people):
    token = await api_token("dangshan", people["wangxiaolei"])
    start = now() + timedelta(days=1)
    base = {"staff_id": people["wangxiaolei"], "kind": "personal", "reason": "事", "contact": "1"}
    cases = [
        (
            {**base, "starts_at": start.isoformat(), "ends_at": (start - timedelta(hours=1)).isoformat()},
            400,
            "expected return must be after",
        ),
        ({**base, "starts_at": start.isoformat(), "ends_at": (start + timedelta(days=1)).isoformat()}, 400, "handover"),
        (
            {
                **base,
                "kind": "holiday",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
            },
            400,
            "holiday",
        ),
        (
            {
                **base,
                "staff_id": people["houweili"],
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
            },
            403,
            "someone else",
        ),
    ]
    async with portal(settings) as client:
        for body, status, says in cases:
            response = await client.post(
                "/api/v1/t/dangshan/absences", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == status, response.text
            assert says in response.json()["detail"]
        first = await client.post(
            "/api/v1/t/dangshan/absences",
            headers={"Authorization": f"Bearer {token}"},
            json={**base, "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()},
        )
        assert first.status_code == 201
        overlapping = await client.post(
            "/api/v1/t/dangshan/absences",
            headers={"Authorization": f"Bearer {token}"},
            json={
                **base,
                "starts_at": (start + timedelta(hours=1)).isoformat(),
                "ends_at": (start + timedelta(hours=3)).isoformat(),
            },
        )
        assert overlapping.status_code == 400 and "overlaps" in overlapping.json()["detail"]
    assert await Absence.count() == 1


async def test_wangxiaolei_on_leave_hands_his_lines_to_the_backups_and_gets_them_back(people):
    """The demo scenario: 城市低保 → 侯伟丽, 临时救助 → 朱文君; back again on return; each told once."""
    absence = await leave(people, "wangxiaolei")
    county = (await context_of("dangshan", people["admin"])).tenant
    assert (await sweep(county)).opened == 2
    now_acting = await acting(people)
    assert now_acting["urban_dibao"] == people["houweili"] and now_acting["temporary"] == people["zhuwenjun"]
    assert now_acting["rural_dibao"] == people["houweili"]  # 侯伟丽's own line is untouched
    assert await inbox_of(people["houweili"]) == ["substitution.start"]
    assert await inbox_of(people["zhuwenjun"]) == ["substitution.start"]
    again = await sweep(county)
    assert (again.opened, again.closed, again.notified) == (0, 0, 0)
    assert await Substitution.count().where(Substitution.ended_at.is_null()) == 2

    await services.decide(await context_of("dangshan", people["wangxiaolei"]), absence.id, Action.RETURN)
    assert (await sweep(county)).closed == 2
    assert (await acting(people))["urban_dibao"] == people["wangxiaolei"]
    assert await Substitution.count().where(Substitution.ended_at.is_null()) == 0
    assert sorted(await inbox_of(people["houweili"])) == ["substitution.end", "substitution.start"]
    history = await substitutions.substitution_history(await context_of("dangshan", people["admin"]), absence.id)
    assert {(h["line.name"], h["substitute.name"]) for h in history} == {("城市低保", "侯伟丽"), ("临时救助", "朱文君")}


async def test_backup_also_away_escalates_to_the_section_head_who_picks(people):
    await leave(people, "houweili")
    await leave(people, "wangxiaolei")
    county = (await context_of("dangshan", people["admin"])).tenant
    await sweep(county)
    ctx = await context_of("dangshan", people["head"])
    urban = next(row for row in await rota(ctx) if row.line.code == "urban_dibao")
    assert urban.entry.status.value == "escalated" and urban.entry.acting is None
    assert people["sunjing"] in urban.entry.candidates
    assert "substitution.escalated" in await inbox_of(people["head"])
    await cover.pick(ctx, "urban_dibao", people["sunjing"])
    await sweep(county)
    assert (await acting(people))["urban_dibao"] == people["sunjing"]
    assert "substitution.start" in await inbox_of(people["sunjing"])
    open_rows = await Substitution.select(Substitution.substitute, Substitution.status).where(
        Substitution.ended_at.is_null() & (Substitution.line.code == "urban_dibao")
    )
    assert open_rows == [{"substitute": people["sunjing"], "status": "escalated"}]


async def test_not_back_on_time_becomes_overdue_and_the_head_is_told_once(people):
    absence = await leave(people, "zhuwenjun", length=timedelta(days=1))
    county = (await context_of("dangshan", people["admin"])).tenant
    later = now() + timedelta(days=1, hours=2)  # the expected return has passed, nobody marked it
    first = await sweep(county, later)
    second = await sweep(county, later)
    assert first.overdue == 1 and second.overdue == 0
    stored = await Absence.select(Absence.status).where(Absence.id == absence.id).first()
    assert stored["status"] == "overdue"
    assert (await inbox_of(people["head"])).count("absence.overdue") == 1
    assert (await acting(people))["medical"] == people["houweili"]  # still away until the return is marked


async def test_two_sweeps_at_once_end_in_one_state_with_one_message_each(people):
    await leave(people, "wangxiaolei")
    county = (await context_of("dangshan", people["admin"])).tenant
    await asyncio.gather(sweep(county), sweep(county), sweep(county))
    assert await Substitution.count().where(Substitution.ended_at.is_null()) == 2
    assert await inbox_of(people["houweili"]) == ["substitution.start"]
    assert await inbox_of(people["zhuwenjun"]) == ["substitution.start"]


async def test_a_sweep_interrupted_half_way_is_completed_by_the_next(people, monkeypatch):
    await leave(people, "wangxiaolei")
    county = (await context_of("dangshan", people["admin"])).tenant
    from app.flows import substitution

    real_open, opened = substitution._open, []

    async def crash_after_first(*args):
        if opened:
            raise RuntimeError("worker killed")
        opened.append(args)
        await real_open(*args)

    monkeypatch.setattr(substitution, "_open", crash_after_first)
    with pytest.raises(RuntimeError):
        await sweep(county)
    assert await Substitution.count() == 1
    monkeypatch.setattr(substitution, "_open", real_open)
    await sweep(county)
    assert await Substitution.count().where(Substitution.ended_at.is_null()) == 2
    assert await inbox_of(people["houweili"]) == ["substitution.start"]
    assert await inbox_of(people["zhuwenjun"]) == ["substitution.start"]


async def test_recorded_afterwards_counts_but_substitutes_nobody(people):
    ctx = await context_of("dangshan", people["admin"])
    start = now() - timedelta(days=3)
    absence = await services.record_afterwards(
        ctx,
        person_id=people["wangxiaolei"],
        kind="sick",
        reason="急病",
        starts_at=start,
        ends_at=start + timedelta(days=1),
    )
    assert absence.recorded_afterwards and absence.status == "returned"
    await sweep(ctx.tenant)
    assert await Substitution.count() == 0
    assert await people_away(ctx, start + timedelta(hours=1)) == set()
    with pytest.raises(InvalidInput, match="have ended"):
        await services.record_afterwards(
            ctx,
            person_id=people["wangxiaolei"],
            kind="sick",
            reason="x",
            starts_at=now(),
            ends_at=now() + timedelta(hours=1),
        )


async def test_door_notice_appears_when_everyone_of_the_section_is_out(people):
    ctx = await context_of("dangshan", people["admin"])
    assert await door.door_notice(ctx) is None
    for username in ("head", "wangxiaolei", "houweili", "zhuwenjun", "sunjing"):
        person_ctx = await context_of("dangshan", people[username])
        start = now() - timedelta(minutes=5)
        await services.post(
            person_ctx,
            person_id=people[username],
            kind="official",
            reason="全员下乡核查",
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            contact=f"1390000{people[username]}",
        )
    notice = await door.door_notice(ctx)
    assert notice is not None and len(notice.entries) == 5
    assert {e.reason for e in notice.entries} == {"全员下乡核查"}
    assert notice.neighbour_offices == ["局办公室（0557-8012300）", "社会事务股（0557-8012302）"]
    await sweep(ctx.tenant)
    await sweep(ctx.tenant)
    assert await inbox_of(people["admin"]) == ["absence.all_out"]  # the configured neighbour, told once


async def test_the_door_notice_keeps_personal_reasons_and_private_numbers_off_the_door(people, settings):
    start = now() - timedelta(minutes=5)
    for username, kind, reason, show in (
        ("head", "official", "全员下乡核查", False),
        ("wangxiaolei", "personal", "回老家处理家事", False),
        ("houweili", "sick", "住院", True),
        ("zhuwenjun", "official", "全员下乡核查", True),
        ("sunjing", "official", "全员下乡核查", False),
    ):
        absence = await services.post(
            await context_of("dangshan", people[username]),
            person_id=people[username],
            kind=kind,
            reason=reason,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            contact=f"1390000{people[username]}",
            show_contact=show,
        )
        assert absence.show_contact is show
    admin = await api_token("dangshan", people["admin"])
    async with portal(settings) as client:
        answer = await client.get("/api/v1/t/dangshan/door-notice", headers={"Authorization": f"Bearer {admin}"})
    shown = {e["name"]: (e["reason"], e["phone"]) for e in answer.json()["entries"]}
    assert shown == {
        "刘晓梅": ("全员下乡核查", "0557-8012300"),
        "王效雷": ("事假", "0557-8012300"),  # neither the family matter nor his mobile
        "侯伟丽": ("病假", f"1390000{people['houweili']}"),  # she chose to show her number
        "朱文君": ("全员下乡核查", f"1390000{people['zhuwenjun']}"),
        "孙静": ("全员下乡核查", "0557-8012300"),
    }


async def test_approve_and_cancel_at_the_same_moment_one_wins_cleanly(people):
    absence = await leave(people, "wangxiaolei", starts=timedelta(days=1), approve=False)
    leader = await context_of("dangshan", people["leader"])
    clerk = await context_of("dangshan", people["wangxiaolei"])
    results = await asyncio.gather(
        services.decide(leader, absence.id, Action.APPROVE),
        services.decide(clerk, absence.id, Action.CANCEL),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and all(isinstance(r, InvalidInput) for r in results if isinstance(r, Exception))
    stored = (await Absence.select(Absence.status).where(Absence.id == absence.id).first())["status"]
    assert stored == winners[0].status


async def test_overdue_people_are_listed_as_away_now(people):
    await leave(people, "zhuwenjun", length=timedelta(days=1))
    ctx = await context_of("dangshan", people["admin"])
    await sweep(ctx.tenant, now() + timedelta(days=1, hours=2))
    later = await services.list_absences(ctx, active_at=now() + timedelta(days=1, hours=3))
    assert [a.person_name for a in later] == ["朱文君"]


async def test_the_head_can_switch_the_pick_to_another_qualified_person(people):
    await leave(people, "houweili")
    await leave(people, "wangxiaolei")
    head = await context_of("dangshan", people["head"])
    await cover.pick(head, "urban_dibao", people["sunjing"])
    await cover.pick(head, "urban_dibao", people["head"])
    assert (await acting(people))["urban_dibao"] == people["head"]
    with pytest.raises(InvalidInput, match="cannot stand in"):
        await cover.pick(head, "urban_dibao", people["zhaoming"])  # not qualified


async def test_the_only_leaders_own_leave_is_decided_by_the_admin(people):
    absence = await leave(people, "leader", starts=timedelta(days=1), approve=False)
    assert "absence.pending" in await inbox_of(people["admin"])
    admin = await context_of("dangshan", people["admin"])
    assert [a.id for a in await services.awaiting_decision(admin)] == [absence.id]
    decided = await services.decide(admin, absence.id, Action.APPROVE)
    assert decided.status == "approved"
    other = await leave(people, "wangxiaolei", starts=timedelta(days=3), approve=False)
    from app.tenancy.context import Forbidden

    with pytest.raises(Forbidden):  # with a leader present, the admin does not decide leaves
        await services.decide(admin, other.id, Action.APPROVE)


async def test_two_overlapping_posts_at_the_same_moment_keep_one(people):
    ctx = await context_of("dangshan", people["sunjing"])
    start = now() + timedelta(days=1)
    results = await asyncio.gather(
        *(
            services.post(
                ctx,
                person_id=people["sunjing"],
                kind="official",
                reason=f"第{n}次",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
            )
            for n in range(3)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, InvalidInput) for r in results if isinstance(r, Exception))
    assert await Absence.count().where(Absence.person == people["sunjing"]) == 1


async def test_two_heads_picking_at_once_end_with_one_pick(people):
    from app.absences.tables import EscalationPick

    await leave(people, "houweili")
    await leave(people, "wangxiaolei")
    head = await context_of("dangshan", people["head"])
    await asyncio.gather(
        cover.pick(head, "urban_dibao", people["sunjing"]), cover.pick(head, "urban_dibao", people["head"])
    )
    assert await EscalationPick.count().where(EscalationPick.ended_at.is_null()) == 1


async def test_office_hours_through_the_api_decide_the_category(people, settings):
    admin = await api_token("dangshan", people["admin"])
    clerk = await api_token("dangshan", people["wangxiaolei"])
    path = "/api/v1/t/dangshan/settings/office_hours"
    async with portal(settings) as client:
        shown = await client.get(path, headers={"Authorization": f"Bearer {admin}"})
        refused = await client.put(
            path, json={"sessions": [["12:00", "08:00"]]}, headers={"Authorization": f"Bearer {admin}"}
        )
        forbidden = await client.get(path, headers={"Authorization": f"Bearer {clerk}"})
        # Round the clock: an evening absence now takes working time.
        changed = await client.put(
            path, json={"sessions": [["00:00", "24:00"]]}, headers={"Authorization": f"Bearer {admin}"}
        )
    assert shown.json() == {"sessions": [["08:00", "12:00"], ["14:30", "17:30"]]}
    assert refused.status_code == 400 and "must end after it starts" in refused.json()["detail"]
    assert forbidden.status_code == 403
    assert changed.status_code == 200 and changed.json() == {"sessions": [["00:00", "24:00"]]}
    ctx = await context_of("dangshan", people["wangxiaolei"])
    evening = now().replace(hour=19, minute=0)
    assert await services.category_of(ctx, evening, evening + timedelta(hours=3)) == Category.BRIEF


async def test_an_approved_leave_is_reported_to_the_office(people):
    await leave(people, "wangxiaolei")
    brief = await services.post(
        await context_of("dangshan", people["houweili"]),
        person_id=people["houweili"],
        kind="official",
        reason="下乡",
        starts_at=now(),
        ends_at=now() + timedelta(hours=2),
    )
    await services.decide(await context_of("dangshan", people["head"]), brief.id, Action.APPROVE)
    told = await Notification.select(Notification.message).where(
        (Notification.user == people["admin"]) & (Notification.kind == "absence.office")
    )
    assert len(told) == 1 and "王效雷请假（事假）" in told[0]["message"]  # the brief absence is not reported


async def test_office_hours_page_saves_and_a_refusal_keeps_what_was_typed(people, settings):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        shown = await client.get("/t/dangshan/settings/office-hours")
        refused = await post_form(
            client,
            "/t/dangshan/settings/office-hours",
            {"start0": "08:30", "end0": "12:00", "start1": "13:00", "end1": "11:00"},
        )
        saved = await post_form(
            client,
            "/t/dangshan/settings/office-hours",
            {
                "start0": "08:30",
                "end0": "12:00",
                "start1": "14:00",
                "end1": "17:00",
                "summer_on": "on",
                "summer_from": "06-01",
                "summer_to": "09-30",
                "summer_start0": "08:00",
                "summer_end0": "12:00",
            },
        )
        await sign_in(client, "dangshan", "wangxiaolei")
        forbidden = await client.get("/t/dangshan/settings/office-hours")
    assert shown.status_code == 200 and 'value="14:30"' in shown.text
    assert refused.status_code == 400 and "晚于开始时间" in refused.text and 'value="13:00"' in refused.text
    assert saved.status_code == 303
    ctx = await context_of("dangshan", people["admin"])
    assert (await office_hours_of(ctx)).as_json() == {
        "sessions": [["08:30", "12:00"], ["14:00", "17:00"]],
        "summer": {"from": "06-01", "to": "09-30", "sessions": [["08:00", "12:00"]]},
    }
    assert forbidden.status_code == 403


def ordinary_weekend_after(day: date) -> date:
    """The first Friday after ``day`` followed by an ordinary weekend and a working Monday."""
    friday = day + timedelta(days=(4 - day.weekday()) % 7 or 7)
    while not (
        is_workday(friday)
        and not is_workday(friday + timedelta(days=1))
        and not is_workday(friday + timedelta(days=2))
        and is_workday(friday + timedelta(days=3))
    ):
        friday += timedelta(days=7)
    return friday


async def test_the_preview_counts_office_time_and_warns_of_lines_left_uncovered(people, settings):
    friday = ordinary_weekend_after(now().date())
    monday = friday + timedelta(days=3)
    await leave(people, "wangxiaolei")
    soon = now() + timedelta(minutes=5)
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "houweili")
        weekend = await client.get(
            "/t/dangshan/absences/preview",
            params={"starts_at": f"{friday}T16:30", "ends_at": f"{monday}T08:30"},
        )
        trip = await client.get(
            "/t/dangshan/absences/preview",
            params={
                "starts_at": soon.strftime("%Y-%m-%dT%H:%M"),
                "ends_at": (soon + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            },
        )
    assert "临时离岗" in weekend.text and "由股室负责人审批" in weekend.text  # 1.5 h of office time
    assert "注意：此时离岗将使以下岗位无人替岗" in trip.text and "城市低保" in trip.text


async def test_the_dashboard_counts_who_is_present_and_lists_who_is_away_today(people, settings):
    await leave(people, "wangxiaolei")
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        dashboard = await client.get("/t/dangshan/")
    section = dashboard.text.split('id="section-today"')[1].split("</section>")[0]
    # The section is the head and four staff (the leader, the admin and 赵明 are not counted); one is away.
    assert "4 / 5" in section
    assert "王效雷（事假" in section


async def test_the_leaders_dashboard_lists_the_notices_to_decide_beside_who_is_away(people, settings):
    await leave(people, "wangxiaolei")
    pending = await leave(people, "houweili", starts=timedelta(days=1), approve=False)
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "leader")
        dashboard = await client.get("/t/dangshan/")
    row = dashboard.text.split(f'id="approval-{pending.id}"')[1].split("</tr>")[0]
    assert "侯伟丽" in row and "家中有事" in row and "事假 · 请假" in row
    # On the county's clock, as the notice itself shows it.
    assert pending.starts_at.strftime("%Y-%m-%d %H:%M") in row and pending.ends_at.strftime("%Y-%m-%d %H:%M") in row
    section = dashboard.text.split('id="section-today"')[1].split("</section>")[0]
    assert "王效雷（事假" in section and "侯" not in section
