"""Casework pages and answers that agree with the rules (issue 12): the posting window in every
message and button, the 人户分离 preview, the household survey's second investigator, the evidence
pack's labels, and the duplicate-application warning."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.cases import register, survey
from app.cases.tables import CaseEvent
from app.flows import intake as intake_flow
from app.notifications.tables import Notification
from tests.helpers import api_token, demo_county, portal, post_form, sign_in
from tests.integration.test_cases import (
    CONCLUSION,
    FINDINGS,
    SLUG,
    VALID_ID,
    acting_as,
    application,
    case_at,
    take_step,
    today,
)

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


@pytest.fixture
async def people() -> dict[str, int]:
    return await demo_county()


# ---- posting and approval agree --------------------------------------------------------------------------------------


async def test_on_the_postings_last_day_the_approve_button_is_disabled_with_the_date_it_opens(settings, people):
    last_day = await case_at(people, "posted", posting_starts_on=today() - timedelta(days=6))
    async with portal(settings) as client:
        await sign_in(client, SLUG, "leader")
        page = await client.get(f"/t/{SLUG}/cases/{last_day.id}")
        refused = await post_form(client, f"/t/{SLUG}/cases/{last_day.id}/approve")
    opens = (today() + timedelta(days=1)).isoformat()
    assert f"{opens} 起可审批" in page.text and "disabled" in page.text
    assert f'action="/t/{SLUG}/cases/{last_day.id}/approve"' not in page.text
    # A refused approval says when it opens, and does not open the unrelated extension panel.
    assert refused.status_code == 400 and f"{opens} 起方可审批" in refused.text
    assert '<details class="extend" open>' not in refused.text
    assert last_day.id not in {c["id"] for c in await register.awaiting_decision(await acting_as(people, "leader"))}


async def test_the_day_after_the_postings_last_day_the_case_is_ready_for_approval(settings, people):
    over = await case_at(people, "posted", posting_starts_on=today() - timedelta(days=7))
    async with portal(settings) as client:
        await sign_in(client, SLUG, "leader")
        page = await client.get(f"/t/{SLUG}/cases/{over.id}")
    assert f'action="/t/{SLUG}/cases/{over.id}/approve"' in page.text and "公示期满" in page.text
    assert over.id in {c["id"] for c in await register.awaiting_decision(await acting_as(people, "leader"))}


async def test_the_start_page_shows_the_ten_soonest_cases_to_decide_and_links_to_the_whole_list(settings, people):
    ready = [await case_at(people, "posted", posting_starts_on=today() - timedelta(days=7)) for _ in range(11)]
    soonest = sorted(ready, key=lambda case: (case.due_on, case.id))
    async with portal(settings) as client:
        await sign_in(client, SLUG, "leader")
        start = (await client.get(f"/t/{SLUG}/")).text
        todo = (await client.get(f"/t/{SLUG}/todo")).text
    listed = start.split('id="cases-to-decide"', 1)[1].split("</section>", 1)[0]
    shown = [case.id for case in soonest if f'/t/{SLUG}/cases/{case.id}"' in listed]
    assert shown == [case.id for case in soonest[:10]]
    assert '<span class="badge">10+</span>' in listed and f'href="/t/{SLUG}/todo#todo-decide"' in listed
    assert all(f'/t/{SLUG}/cases/{case.id}"' in todo for case in ready)
    # Ten or fewer: all of them, and no link to more.
    await take_step(people, soonest[-1].id, "approve")
    async with portal(settings) as client:
        await sign_in(client, SLUG, "leader")
        listed = (await client.get(f"/t/{SLUG}/")).text.split('id="cases-to-decide"', 1)[1].split("</section>", 1)[0]
    assert '<span class="badge">10</span>' in listed and "/todo#todo-decide" not in listed


# ---- 人户分离 --------------------------------------------------------------------------------------------------------


async def test_the_due_preview_reads_the_separated_household_box_as_the_form_sends_it(settings, people):
    async with portal(settings) as client:
        await sign_in(client, SLUG, "wangxiaolei")
        params = {"line": "urban_dibao", "received_on": today().isoformat()}
        plain = await client.get(f"/t/{SLUG}/cases/due-preview", params=params)
        ticked = await client.get(f"/t/{SLUG}/cases/due-preview", params={**params, "separated_household": "on"})
    separated = await intake_flow.intake(
        await acting_as(people, "wangxiaolei"), application(people, separated_household=True)
    )
    assert "办结时限 10 个工作日" in plain.text
    assert "办结时限 15 个工作日" in ticked.text and str(separated.due_on) in ticked.text


# ---- the household survey's second investigator ----------------------------------------------------------------------


async def test_a_refused_survey_keeps_what_was_typed(settings, people):
    case = await case_at(people, "accepted")
    async with portal(settings) as client:
        await sign_in(client, SLUG, "wangxiaolei")
        answer = await post_form(
            client,
            f"/t/{SLUG}/cases/{case.id}/survey",
            {
                "visited_on": today().isoformat(),
                "investigators": [str(people["wangxiaolei"])],  # only one: refused
                "findings": "家中四口人，长子在外务工",
                "conclusion": "建议纳入",
            },
        )
    assert answer.status_code == 400 and "至少两名" in answer.text
    assert "家中四口人，长子在外务工</textarea>" in answer.text and "建议纳入</textarea>" in answer.text


async def test_the_second_investigator_is_asked_to_sign_and_sees_what_she_signs(settings, people):
    case = await case_at(people, "accepted")
    await survey.record_survey(
        await acting_as(people, "wangxiaolei"),
        case.id,
        visited_on=today(),
        findings=FINDINGS,
        conclusion=CONCLUSION,
        investigators=[people["wangxiaolei"], people["houweili"]],
    )
    asked = await Notification.select().where(Notification.kind == "survey_signature")
    assert [(n["user"], n["case_id"]) for n in asked] == [(people["houweili"], case.id)]
    async with portal(settings) as client:
        await sign_in(client, SLUG, "houweili")
        dashboard = await client.get(f"/t/{SLUG}/")
        page = await client.get(f"/t/{SLUG}/cases/{case.id}")
        signed = await post_form(client, f"/t/{SLUG}/cases/{case.id}/sign")
        after = await client.get(f"/t/{SLUG}/")
        evidence = await client.get(f"/t/{SLUG}/cases/{case.id}/evidence")
    assert "待我签字的入户调查" in dashboard.text and f"/cases/{case.id}#survey" in dashboard.text
    assert FINDINGS in page.text and CONCLUSION in page.text and "我已参加调查，签字确认" in page.text
    assert signed.status_code == 303
    assert "待我签字的入户调查" not in after.text
    # The evidence pack names the event, not the signer twice.
    row = next(row for row in evidence.text.split("<tr>") if "调查人签字确认" in row)
    assert row.count("侯伟丽") == 1


# ---- duplicate applications ------------------------------------------------------------------------------------------


async def test_intake_warns_of_an_open_case_of_the_same_person_on_the_same_line(settings, people):
    clerk = await acting_as(people, "wangxiaolei")
    first = await intake_flow.intake(clerk, application(people))
    other_line = await intake_flow.intake(clerk, application(people, line="temporary"))
    assert other_line.warnings == ()
    token = await api_token(SLUG, people["wangxiaolei"])
    async with portal(settings) as client:
        answer = await client.post(
            f"/api/v1/t/{SLUG}/cases",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "line": "urban_dibao",
                "applicant_name": "张三",
                "applicant_id_number": VALID_ID,
                "household_size": 3,
                "received_on": today().isoformat(),
                "first_receiver_id": people["houweili"],
            },
        )
        await sign_in(client, SLUG, "wangxiaolei")
        page = await client.get(f"/t/{SLUG}/cases/{answer.json()['id']}")
    assert answer.status_code == 201
    assert answer.json()["warnings"] == [{"code": "duplicate_open_case", "case_id": first.id}]
    events = await CaseEvent.select().where(
        (CaseEvent.case == answer.json()["id"]) & (CaseEvent.kind == "duplicate_open_case")
    )
    assert [e["note"] for e in events] == [f"同一身份证号在城市低保已有未办结案件 #{first.id}"]
    assert "重复申请提醒" in page.text and f"#{first.id}" in page.text


async def test_a_decided_case_is_no_duplicate(people):
    clerk = await acting_as(people, "wangxiaolei")
    await case_at(people, "not_accepted")
    again = await intake_flow.intake(clerk, application(people))
    assert again.warnings == ()
    assert (await register.get_case(clerk, again.id)).warnings == ()
