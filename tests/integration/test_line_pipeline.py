"""A line's pipeline and checklist are the county's to set, and cases on the line follow them."""

from __future__ import annotations

from datetime import date

import pytest

from app.audit.tables import AuditRecord
from app.cases import casefile, intake, posting, steps
from app.domain.casework import DEFAULT_MATERIALS
from app.errors import InvalidInput
from app.flows import intake as intake_flow
from tests.helpers import api_token, context_of, demo_county, portal, post_form, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


@pytest.fixture
async def people():
    return await demo_county()


async def test_an_admin_sets_a_lines_pipeline_and_checklist_through_the_api(settings, people):
    token = await api_token("dangshan", people["admin"])
    async with portal(settings) as client:
        answer = await client.patch(
            "/api/v1/t/dangshan/lines/temporary",
            headers={"Authorization": f"Bearer {token}"},
            json={"needs_survey": False, "needs_posting": False, "materials": "诊断证明\n  发票  \n"},
        )
    assert answer.status_code == 200, answer.text
    line = answer.json()
    assert (line["needs_survey"], line["needs_posting"], line["materials"]) == (False, False, "诊断证明\n  发票")
    assert line["working_days"] == 10
    change = await AuditRecord.select().where(AuditRecord.action == "line.update").output(load_json=True).first()
    assert change["before"]["needs_survey"] is True and change["after"]["needs_survey"] is False


async def test_a_line_without_survey_or_posting_goes_from_acceptance_to_approval(settings, people):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        saved = await post_form(
            client,
            "/t/dangshan/lines/medical",
            {"name": "城乡医疗救助", "working_days": "5", "active": "on", "materials": "诊断证明\n发票"},
        )
        assert saved.status_code == 303
    clerk = await context_of("dangshan", people["zhuwenjun"])
    case = await intake_flow.intake(
        clerk,
        intake.Application(
            line="medical",
            applicant_name="王五",
            applicant_id_number="11010519491231002X",
            household_size=1,
            received_on=date.today(),
            first_receiver_id=people["zhuwenjun"],
        ),
    )
    await steps.decide_intake(clerk, case.id, True)
    folder = await casefile.case_file(clerk, case.id)
    assert folder.actions == ["reject", "approve"]
    with pytest.raises(InvalidInput):
        await posting.start_posting(clerk, case.id, date.today(), "公示栏")
    approved = await steps.decide(await context_of("dangshan", people["leader"]), case.id, True)
    assert approved.status == "approved"


async def test_the_checklist_is_the_countys_own_else_the_usual_one(settings, people):
    clerk = await context_of("dangshan", people["wangxiaolei"])
    application = intake.Application(
        line="urban_dibao",
        applicant_name="赵六",
        applicant_id_number="11010519491231002X",
        household_size=2,
        received_on=date.today(),
        first_receiver_id=people["wangxiaolei"],
    )
    case = await intake_flow.intake(clerk, application)
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "wangxiaolei")
        page = await client.get(f"/t/dangshan/cases/{case.id}")
    for item in DEFAULT_MATERIALS["urban_dibao"]:
        assert item in page.text
