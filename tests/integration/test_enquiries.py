"""First-receiver register (首问负责制, SPEC §6 and §11): every enquiry is logged by whoever took it,
with its answer, its referral (office and date) or the case it became; a referral stays the first
receiver's until the other office confirms; pages and API, county-scoped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import db
from app.audit.tables import AuditRecord
from app.cases import enquiries
from app.cases.enquiries import EnquiryFilter, NewEnquiry
from app.cases.tables import Enquiry
from app.errors import InvalidInput
from tests.helpers import api_token, demo_county, portal, post_form, sign_in
from tests.integration.test_cases import SLUG, acting_as, case_at, today

pytestmark = pytest.mark.usefixtures("clean_db", "redis")


@pytest.fixture
async def people() -> dict[str, int]:
    return await demo_county()


def enquiry(**changes) -> NewEnquiry:
    values = dict(visitor="张大爷", channel="visit", question="低保怎么申请？", answer="告知所需材料")
    values.update(changes)
    return NewEnquiry(**values)


async def test_an_enquiry_is_logged_by_its_first_receiver_even_when_it_never_becomes_a_case(people):
    clerk = await acting_as(people, "houweili")
    logged = await enquiries.log_enquiry(clerk, enquiry(visitor="  张 大爷 ", contact="13900000000"))
    assert (logged.first_receiver_id, logged.visitor, logged.status, logged.case_id) == (
        people["houweili"],
        "张 大爷",
        "answered",
        None,
    )
    audit = await AuditRecord.select().where(AuditRecord.action == "enquiry.create").first()
    assert audit["entity_id"] == str(logged.id)


@pytest.mark.parametrize(
    "changes",
    [
        dict(channel="fax"),
        dict(visitor=" "),
        dict(question=""),
        dict(answer=""),  # neither an answer, a referral nor a case
        dict(answer="", referred_to="县人社局"),  # a referral without its date
        dict(referred_on=today()),  # a date without the office
        dict(answer="", referred_to="县人社局", referred_on=today() + timedelta(days=1)),
        dict(case_id=987654),
    ],
)
async def test_an_enquiry_that_says_nothing_usable_is_refused_and_nothing_saved(people, changes):
    with pytest.raises(InvalidInput):
        await enquiries.log_enquiry(await acting_as(people, "houweili"), enquiry(**changes))
    assert await Enquiry.count() == 0


async def test_a_referral_stays_the_first_receivers_until_the_other_office_confirms(settings, people):
    clerk = await acting_as(people, "houweili")
    referred = await enquiries.log_enquiry(
        clerk, enquiry(answer="", referred_to="县人社局", referred_on=today(), channel="phone")
    )
    assert referred.status == "referred"
    mine = EnquiryFilter(status="referred", receiver_id=people["houweili"])
    assert [e.id for e in (await enquiries.list_enquiries(clerk, mine)).enquiries] == [referred.id]
    assert await db.counts(enquiries.my_open_referrals(clerk, people["houweili"])) == [1]
    async with portal(settings) as client:
        await sign_in(client, SLUG, "houweili")
        dashboard = await client.get(f"/t/{SLUG}/")
        assert "对方尚未确认接收" in dashboard.text
        too_early = await post_form(
            client, f"/t/{SLUG}/enquiries/{referred.id}/confirm", {"confirmed_on": str(today() - timedelta(days=1))}
        )
        assert too_early.status_code == 400 and "确认日期须在转办日期与今天之间" in too_early.text
        confirmed = await post_form(
            client, f"/t/{SLUG}/enquiries/{referred.id}/confirm", {"confirmed_on": str(today()), "note": "王科长接收"}
        )
        assert confirmed.status_code == 303
        assert "对方尚未确认接收" not in (await client.get(f"/t/{SLUG}/")).text
    done = await enquiries.get_enquiry(clerk, referred.id)
    assert (done.status, done.referral_confirmed_on, done.referral_note) == (
        "referral_confirmed",
        today(),
        "王科长接收",
    )
    with pytest.raises(InvalidInput, match="already confirmed"):
        await enquiries.confirm_referral(clerk, referred.id, today())


async def test_an_enquiry_links_to_the_case_it_became(people):
    clerk = await acting_as(people, "houweili")
    asked = await enquiries.log_enquiry(clerk, enquiry())
    case = await case_at(people)
    linked = await enquiries.link_case(clerk, asked.id, case.id)
    assert (linked.case_id, linked.status) == (case.id, "case")
    found = await enquiries.list_enquiries(clerk, EnquiryFilter(status="case"))
    assert [e.id for e in found.enquiries] == [asked.id]
    with pytest.raises(InvalidInput):
        await enquiries.link_case(clerk, asked.id, 987654)


async def test_the_register_filters_by_channel_receiver_and_text(people):
    hou, zhu = await acting_as(people, "houweili"), await acting_as(people, "zhuwenjun")
    first = await enquiries.log_enquiry(hou, enquiry(visitor="李四", question="医疗救助报销", channel="phone"))
    await enquiries.log_enquiry(zhu, enquiry(visitor="王五", question="临时救助"))
    ids = lambda found: [e.id for e in found.enquiries]  # noqa: E731
    assert ids(await enquiries.list_enquiries(hou, EnquiryFilter(channel="phone"))) == [first.id]
    assert ids(await enquiries.list_enquiries(hou, EnquiryFilter(receiver_id=people["houweili"]))) == [first.id]
    assert ids(await enquiries.list_enquiries(hou, EnquiryFilter(text="报销"))) == [first.id]
    assert len(ids(await enquiries.list_enquiries(hou, EnquiryFilter()))) == 2
    with pytest.raises(InvalidInput):
        await enquiries.list_enquiries(hou, EnquiryFilter(status="lost"))


async def test_the_api_logs_lists_and_shows_enquiries(settings, people):
    token = {"Authorization": f"Bearer {await api_token(SLUG, people['houweili'])}"}
    case = await case_at(people)
    async with portal(settings) as client:
        api = f"/api/v1/t/{SLUG}/enquiries"
        made = await client.post(
            api,
            headers=token,
            json={"visitor": "赵六", "channel": "letter", "question": "来信咨询", "answer": "", "case_id": case.id},
        )
        refused = await client.post(api, headers=token, json={"visitor": "赵六", "channel": "visit", "question": "?"})
        listed = await client.get(api, params={"channel": "letter"}, headers=token)
        shown = await client.get(f"{api}/{made.json()['id']}", headers=token)
        await sign_in(client, SLUG, "houweili")
        page = await client.get(f"/t/{SLUG}/enquiries")
        created = await post_form(
            client, f"/t/{SLUG}/enquiries", {"visitor": "孙七", "channel": "visit", "question": "咨询", "answer": ""}
        )
    assert made.status_code == 201, made.text
    body = made.json()
    assert {"id", "first_receiver_id", "created_at"} <= set(body)
    assert (body["first_receiver_id"], body["case_id"], body["status"]) == (people["houweili"], case.id, "case")
    assert refused.status_code == 400 and "answer" in refused.json()["detail"]
    assert [e["id"] for e in listed.json()["enquiries"]] == [body["id"]]
    assert shown.json() == body
    assert page.status_code == 200 and "赵六" in page.text and "来信" in page.text
    assert created.status_code == 400 and 'value="孙七"' in created.text
