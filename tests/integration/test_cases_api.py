"""/api/v1/t/{tenant}/cases (SPEC §11): the casework rules through the JSON API, with bearer tokens.

Tokens are made before a request is watched with ``nothing_changes`` (making one is audited).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.cases.tables import Case
from app.flows import intake as intake_flow
from tests.conftest import make_settings
from tests.helpers import api_token, context_of, demo_county, portal, sign_in
from tests.integration.test_cases import (
    BAD_CHECKSUM_ID,
    CONCLUSION,
    FINDINGS,
    MASKED_ID,
    ONE_DAY,
    PLACE,
    POSTING_OVER,
    SLUG,
    VALID_ID,
    application,
    case_at,
    eve_of_a_holiday,
    neighbour_county,
    nothing_changes,
    nth_working_day_after,
    today,
)

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


@pytest.fixture
async def people() -> dict[str, int]:
    return await demo_county()


API = f"/api/v1/t/{SLUG}"
CJK = re.compile(r"[\u3400-\u9fff]")


async def bearers(people: dict[str, int], *usernames: str) -> dict[str, dict[str, str]]:
    """username → the Authorization header of a fresh API token of theirs."""
    return {u: {"Authorization": f"Bearer {await api_token(SLUG, people[u])}"} for u in usernames}


def body_of(people: dict[str, int], **changes) -> dict:
    values = {
        "line": "urban_dibao",
        "applicant_name": "张三",
        "applicant_id_number": VALID_ID,
        "household_size": 3,
        "received_on": today().isoformat(),
        "first_receiver_id": people["houweili"],
    }
    values.update(changes)
    return values


async def test_a_new_case_answers_with_its_due_date_handlers_and_status(settings, people):
    received_on = eve_of_a_holiday()
    auth = await bearers(people, "zhuwenjun")
    async with portal(settings) as api:
        answer = await api.post(
            f"{API}/cases",
            json=body_of(people, received_on=received_on.isoformat(), separated_household=True),
            headers=auth["zhuwenjun"],
        )
    assert answer.status_code == 201, answer.text
    case = answer.json()
    assert {k: case[k] for k in ("due_on", "provisional", "handler_id", "acting_handler_id", "status")} == {
        "due_on": nth_working_day_after(received_on, 15).isoformat(),
        "provisional": False,
        "handler_id": people["wangxiaolei"],
        "acting_handler_id": people["wangxiaolei"],
        "status": "received",
    }
    assert (case["applicant_id_number"], case["first_receiver_id"], case["line"]) == (
        MASKED_ID,
        people["houweili"],
        "urban_dibao",
    )
    assert await Case.count().where(Case.id == case["id"]) == 1


async def test_the_list_can_be_narrowed_to_overdue_cases(settings, people):
    late = await case_at(people, "accepted", received_on=today() - timedelta(days=40))
    await case_at(people)
    await case_at(people, "approved", received_on=today() - timedelta(days=50))  # late, but decided
    auth = await bearers(people, "wangxiaolei")
    async with portal(settings) as api:
        overdue = (await api.get(f"{API}/cases", params={"overdue": "true"}, headers=auth["wangxiaolei"])).json()
        everything = (await api.get(f"{API}/cases", headers=auth["wangxiaolei"])).json()
    assert ([c["id"] for c in overdue["cases"]], overdue["total"], overdue["cases"][0]["overdue"]) == (
        [late.id],
        1,
        True,
    )
    assert (everything["total"], everything["pages"], everything["next"]) == (3, 1, None)
    assert [c["due_on"] for c in everything["cases"]] == sorted(c["due_on"] for c in everything["cases"])


async def test_the_next_page_is_linked_from_the_last_case_shown(settings, people):
    """``next`` seeks from the page's last case (``after``) with the filter kept; ``page`` alone
    still finds the same page."""
    clerk = await context_of(SLUG, people["wangxiaolei"])
    made = [(await intake_flow.intake(clerk, application(people))).id for _ in range(51)]
    auth = (await bearers(people, "wangxiaolei"))["wangxiaolei"]
    async with portal(settings) as api:
        first = (await api.get(f"{API}/cases", params={"line": "urban_dibao"}, headers=auth)).json()
        second = (await api.get(first["next"], headers=auth)).json()
        numbered = (await api.get(f"{API}/cases", params={"line": "urban_dibao", "page": 2}, headers=auth)).json()
    last = first["cases"][-1]
    assert first["next"] == f"{API}/cases?line=urban_dibao&page=2&after={last['due_on']}_{last['id']}"
    assert [c["id"] for c in second["cases"]] == [c["id"] for c in numbered["cases"]] == made[50:]
    assert (second["page"], second["total"], second["pages"], second["next"]) == (2, 51, 2, None)


async def test_a_case_is_read_by_id_and_a_case_of_another_county_is_not_found(settings, people):
    ours = await case_at(people, "accepted")
    neighbour = await neighbour_county()
    theirs = await intake_flow.intake(await context_of("xiaoxian", neighbour["wangxiaolei"]), application(neighbour))
    auth = (await bearers(people, "wangxiaolei"))["wangxiaolei"]
    async with portal(settings) as api:
        shown = await api.get(f"{API}/cases/{ours.id}", headers=auth)
        async with nothing_changes():
            hidden = await api.get(f"{API}/cases/{theirs.id}", headers=auth)
            step = await api.post(f"{API}/cases/{theirs.id}/steps", json={"action": "accept"}, headers=auth)
    assert shown.status_code == 200
    assert (shown.json()["id"], shown.json()["status"], shown.json()["applicant_id_number"]) == (
        ours.id,
        "accepted",
        MASKED_ID,
    )
    assert (hidden.status_code, step.status_code) == (404, 404)


async def test_ids_beyond_the_databases_integers_are_not_found_or_refused_not_a_500(settings, people):
    auth = (await bearers(people, "admin"))["admin"]
    huge = 2**40
    async with portal(settings) as api, nothing_changes():
        for path in (f"{API}/cases/{huge}", f"{API}/evaluations/cycles/{huge}"):
            assert (await api.get(path, headers=auth)).status_code == 404, path
        steps = await api.post(f"{API}/cases/{huge}/steps", json={"action": "accept"}, headers=auth)
        assert steps.status_code == 404
        for query in (f"cases?handler_id={huge}", f"accountability?staff_id={huge}", f"accountability?year={huge}"):
            answer = await api.get(f"{API}/{query}", headers=auth)
            assert answer.status_code == 400 and "out of range" in answer.json()["detail"], query


async def test_on_sqlite_a_number_beyond_its_integers_is_400_not_500(sqlite_db, redis):
    people = await demo_county()
    sqlite_settings = make_settings(database_url=f"sqlite:///{sqlite_db.path}")
    async with portal(sqlite_settings) as client:
        await sign_in(client, SLUG, "wangxiaolei")
        answer = await client.get(f"/t/{SLUG}/cases", params={"handler_id": str(2**70)})
        assert answer.status_code == 400
        auth = (await bearers(people, "wangxiaolei"))["wangxiaolei"]
        assert (await client.get(f"{API}/cases/{2**70}", headers=auth)).status_code == 404


@pytest.mark.parametrize(
    ("changes", "english"),
    [
        ({"applicant_id_number": BAD_CHECKSUM_ID}, "check digit of the ID number does not match"),
        ({"household_size": "three"}, "household_size"),
        ({"received_on": "2026-13-01"}, "received_on"),
        ({"nickname": "老张"}, "nickname"),
        ({"applicant_name": None}, "applicant_name"),
        # Values PostgreSQL cannot take were a 500: an id beyond its integers, a NUL character
        # (now refused with every other control character, before the database sees it).
        ({"first_receiver_id": 2**40}, "out of range"),
        ({"applicant_name": "张\x00三"}, "applicant_name may not contain line breaks"),
    ],
)
async def test_a_bad_body_is_400_with_an_english_detail_and_saves_nothing(settings, people, changes, english):
    auth = await bearers(people, "wangxiaolei")
    async with portal(settings) as api, nothing_changes():
        answer = await api.post(f"{API}/cases", json=body_of(people, **changes), headers=auth["wangxiaolei"])
    assert answer.status_code == 400, answer.text
    detail = answer.json()["detail"]
    assert english in detail + str(answer.json().get("extra", ""))
    assert not CJK.search(detail), detail


@pytest.mark.parametrize(
    "changes",
    [
        {"household_size": 0},
        {"received_on": (today() + ONE_DAY).isoformat()},
        {"line": "housing"},
        {"first_receiver_id": 987654},
    ],
)
async def test_an_application_the_rules_refuse_is_400_and_saves_nothing(settings, people, changes):
    auth = await bearers(people, "head")
    async with portal(settings) as api, nothing_changes():
        answer = await api.post(f"{API}/cases", json=body_of(people, **changes), headers=auth["head"])
    assert answer.status_code == 400 and answer.json()["detail"], answer.text


async def test_only_deciders_approve_through_the_api(settings, people):
    case = await case_at(people, "posted")
    path = f"{API}/cases/{case.id}/decision"
    auth = await bearers(people, "wangxiaolei", "leader")
    async with portal(settings) as api:
        async with nothing_changes():
            refused = await api.post(path, json={"approve": True}, headers=auth["wangxiaolei"])
        approved = await api.post(path, json={"approve": True}, headers=auth["leader"])
    assert refused.status_code == 403
    assert (approved.status_code, approved.json()["status"]) == (201, "approved")


@pytest.mark.parametrize("username", ["wangxiaolei", "head"])
async def test_only_a_leader_extends_through_the_api(settings, people, username):
    case = await case_at(people, "accepted")
    auth = await bearers(people, username)
    async with portal(settings) as api, nothing_changes():
        answer = await api.post(
            f"{API}/cases/{case.id}/extend",
            json={"working_days": 5, "reason": "需外省协查户籍"},
            headers=auth[username],
        )
    assert answer.status_code == 403


async def test_a_leader_extends_through_the_api_within_the_rules(settings, people):
    case = await case_at(people, "accepted")
    path, auth = f"{API}/cases/{case.id}/extend", (await bearers(people, "leader"))["leader"]
    async with portal(settings) as api:
        async with nothing_changes():
            for body in (
                {"working_days": 0, "reason": "协查"},
                {"working_days": 31, "reason": "协查"},
                {"working_days": 5, "reason": ""},
                {"working_days": 2.5, "reason": "协查"},
            ):
                assert (await api.post(path, json=body, headers=auth)).status_code == 400, body
        extended = await api.post(path, json={"working_days": 5, "reason": "需外省协查户籍"}, headers=auth)
    assert extended.status_code == 201, extended.text
    assert (extended.json()["original_due_on"], extended.json()["due_on"], extended.json()["working_days"]) == (
        case.due_on.isoformat(),
        nth_working_day_after(case.due_on, 5).isoformat(),
        15,
    )


async def test_a_case_goes_from_intake_to_filing_through_the_api(settings, people):
    auth = await bearers(people, "wangxiaolei", "houweili", "leader")
    clerk, colleague, leader = auth["wangxiaolei"], auth["houweili"], auth["leader"]
    survey = {
        "visited_on": today().isoformat(),
        "findings": FINDINGS,
        "conclusion": CONCLUSION,
        "investigators": [people["wangxiaolei"], people["houweili"]],
    }
    posting = {"starts_on": (today() - POSTING_OVER).isoformat(), "place": PLACE}
    async with portal(settings) as api:
        received_on = (today() - POSTING_OVER).isoformat()  # a posting from that day is over today
        created = (await api.post(f"{API}/cases", json=body_of(people, received_on=received_on), headers=clerk)).json()
        base = f"{API}/cases/{created['id']}"

        async def step(path: str, body: dict | None, headers: dict) -> dict:
            answer = await api.post(f"{base}{path}", json=body, headers=headers)
            assert answer.status_code == 201, (path, answer.text)
            return answer.json()

        await step("/notices", {"items": ["低保申请书", "房产证明"]}, clerk)
        assert (await step("/steps", {"action": "accept"}, clerk))["status"] == "accepted"
        assert (await step("/survey", survey, clerk))["case"]["status"] == "accepted"  # 侯伟丽 has not signed
        assert (await step("/survey/sign", None, colleague))["status"] == "surveyed"
        assert (await step("/postings", posting, clerk))["case"]["status"] == "posted"
        assert (await step("/decision", {"approve": True}, leader))["status"] == "approved"
        assert (await step("/steps", {"action": "close"}, clerk))["status"] == "closed"
        timeline = (await api.get(f"{base}/timeline", headers=clerk)).json()
        async with nothing_changes():
            again = await api.post(f"{base}/steps", json={"action": "accept"}, headers=clerk)
    assert [(e["kind"], e["from_status"], e["to_status"]) for e in timeline if e["to_status"]] == [
        ("received", None, "received"),
        ("accept", "received", "accepted"),
        ("survey", "accepted", "surveyed"),
        ("post", "surveyed", "posted"),
        ("approve", "posted", "approved"),
        ("close", "approved", "closed"),
    ]
    assert again.status_code == 400
