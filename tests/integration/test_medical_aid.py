"""城乡医疗救助 (SPEC §6): the village and the town review and post before the county receives the
file, so the county runs neither a survey nor a posting by default and its 5 working days suffice;
intake records what the village and the town did; 低保 lines always keep the household survey."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.cases import casefile, steps
from app.cases.tables import GrassrootsReview
from app.domain.casework import PriorReview
from app.domain.pipeline import Pipeline, Status
from app.errors import InvalidInput
from app.flows import intake as intake_flow
from app.rota.posts import DEFAULT_LINES, LineSpec
from app.rota.services import create_line, line
from app.tenancy.context import TenantContext
from app.tenancy.services import find_by_slug
from tests.helpers import OPERATOR, api_token, county, demo_county, portal, post_form, sign_in
from tests.integration.test_cases import SLUG, VALID_ID, acting_as, application, today

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


@pytest.fixture
async def people() -> dict[str, int]:
    return await demo_county()


def last_saturday() -> date:
    return today() - timedelta(days=(today().weekday() - 5) % 7)


async def test_the_demo_medical_line_has_neither_county_survey_nor_posting(people):
    medical = await line(await acting_as(people, "admin"), "medical")
    assert (medical.needs_survey, medical.needs_posting, medical.working_days) == (False, False, 5)
    assert Pipeline(medical.needs_survey, medical.needs_posting).steps() == (Status.ACCEPTED,)


async def test_a_new_countys_default_medical_line_skips_them_too():
    await county("xiaoxian", "萧县")
    ctx = TenantContext(await find_by_slug("xiaoxian"), OPERATOR)  # made with the default lines
    settings = {code: (await line(ctx, code)) for code in ("urban_dibao", "rural_dibao", "medical")}
    assert [(v.needs_survey, v.needs_posting) for v in settings.values()] == [
        (True, True),
        (True, True),
        (False, False),
    ]
    assert {spec.code for spec in DEFAULT_LINES if not spec.needs_survey} == {"medical"}


async def test_a_medical_case_received_on_a_saturday_is_approved_within_its_five_working_days(people):
    """The closing note of issue 12: received on a Saturday, accepted and approved with no refusal."""
    clerk, leader = await acting_as(people, "zhuwenjun"), await acting_as(people, "leader")
    saturday = last_saturday()
    case = await intake_flow.intake(
        clerk,
        application(
            people,
            line="medical",
            received_on=saturday,
            prior_reviews=[
                PriorReview(
                    level="village",
                    reviewed_on=saturday - timedelta(days=12),
                    posted_from=saturday - timedelta(days=11),
                    posted_to=saturday - timedelta(days=5),
                    outcome="同意上报",
                    document="村审〔2026〕12号",
                ),
                PriorReview(level="town", reviewed_on=saturday - timedelta(days=3), outcome="同意上报"),
            ],
        ),
    )
    assert case.working_days == 5 and case.due_on >= today()
    accepted = await steps.decide_intake(clerk, case.id, True)
    assert sorted((await casefile.case_file(clerk, case.id)).actions) == ["approve", "reject"]  # nothing between
    approved = await steps.decide(leader, accepted.id, True)
    assert approved.status == "approved" and approved.decided_at.date() <= approved.due_on
    reviews = await GrassrootsReview.select().where(GrassrootsReview.case == case.id).order_by(GrassrootsReview.id)
    assert [(r["level"], r["outcome"], r["posted_to"]) for r in reviews] == [
        ("village", "同意上报", saturday - timedelta(days=5)),
        ("town", "同意上报", None),
    ]


async def test_reviews_that_cannot_be_true_refuse_the_intake_and_save_nothing(people):
    clerk = await acting_as(people, "zhuwenjun")
    late = PriorReview(level="town", reviewed_on=today() + timedelta(days=1))
    with pytest.raises(InvalidInput):
        await intake_flow.intake(clerk, application(people, line="medical", prior_reviews=[late]))
    assert await GrassrootsReview.count() == 0


async def test_the_intake_form_and_the_api_record_the_reviews_and_the_page_shows_them(settings, people):
    token = await api_token(SLUG, people["zhuwenjun"])
    async with portal(settings) as client:
        answer = await client.post(
            f"/api/v1/t/{SLUG}/cases",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "line": "medical",
                "applicant_name": "王五",
                "applicant_id_number": VALID_ID,
                "household_size": 2,
                "received_on": today().isoformat(),
                "first_receiver_id": people["zhuwenjun"],
                "prior_reviews": [{"level": "village", "outcome": "同意", "document": "村审12号"}],
            },
        )
        assert answer.status_code == 201, answer.text
        await sign_in(client, SLUG, "zhuwenjun")
        form = {
            "line": "medical",
            "applicant_name": "赵六",
            "applicant_id_number": VALID_ID,
            "household_size": "2",
            "received_on": today().isoformat(),
            "first_receiver_id": str(people["zhuwenjun"]),
            "town_outcome": "同意上报",
        }
        refused = await post_form(client, f"/t/{SLUG}/cases", {**form, "town_posted_from": today().isoformat()})
        created = await post_form(
            client,
            f"/t/{SLUG}/cases",
            {**form, "town_reviewed_on": today().isoformat(), "town_document": "镇审〔2026〕5号"},
        )
        case_page = await client.get(created.headers["location"])
    assert refused.status_code == 400 and "公示须填写起止两个日期" in refused.text
    assert 'value="同意上报"' in refused.text and '<details class="prior-reviews" open>' in refused.text
    assert created.status_code == 303
    assert all(text in case_page.text for text in ("乡镇（街道）", "同意上报", "镇审〔2026〕5号"))
    village = await GrassrootsReview.select().where(GrassrootsReview.case == answer.json()["id"]).first()
    assert (village["level"], village["document"]) == ("village", "村审12号")


async def test_a_dibao_line_cannot_drop_the_household_survey(settings, people):
    admin = await acting_as(people, "admin")
    with pytest.raises(InvalidInput, match="household survey"):
        await create_line(admin, LineSpec("urban_dibao", "城市低保", 10, needs_survey=False))
    token = await api_token(SLUG, people["admin"])
    async with portal(settings) as client:
        answer = await client.patch(
            f"/api/v1/t/{SLUG}/lines/rural_dibao",
            headers={"Authorization": f"Bearer {token}"},
            json={"needs_survey": False},
        )
        posting_off = await client.patch(
            f"/api/v1/t/{SLUG}/lines/rural_dibao",
            headers={"Authorization": f"Bearer {token}"},
            json={"needs_posting": False},
        )
    assert answer.status_code == 400 and "household survey" in answer.json()["detail"]
    assert posting_off.status_code == 200
    assert (await line(admin, "rural_dibao")).needs_survey is True
