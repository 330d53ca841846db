"""What the system writes reads as words in the reader's language: the audit page of a county after
a week of typical work, the timelines and the inbox; the language chosen is kept on the account."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from app.absences import services as absences
from app.absences.tables import Absence
from app.accounts.tables import User
from app.cases.tables import Case, CaseEvent, Enquiry, Extension, MaterialNotice, Objection, Posting
from app.demo import DEMO_TENANT
from app.demo_samples import sample_cases
from app.domain.absence import Action
from app.evaluation import cycles
from app.flows.substitution import sweep
from app.rota.tables import Line
from app.tenancy.tables import Tenant
from tests.helpers import context_of, demo_county, portal, post_form, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis", "office_time")

RESULTS = {"HX-Request": "true", "HX-Target": "results"}
# Codes that must never reach a reader of the Chinese pages.
ENGLISH_CODES = re.compile(
    r"\b(active|inactive|uncovered|covered|escalated|normal|approved|pending|rejected|received|accepted|"
    r"returned|overdue|sick|personal|official|leave|brief|section_head|leader|evaluator|True|False|None|null|"
    r"worker|tenant load|internal|group_review|starts_at|ends_at|acting_handler|qualifications)\b"
)
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
PEOPLE_FIELDS = ("A岗", "B岗", "人员", "替岗人员", "当前办理人", "批准人", "调查人员", "考评对象")


def shown_text(html: str) -> str:
    """What a reader sees: the text of the page without tags and attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


async def a_week_of_work(people: dict[str, int]) -> None:
    """The county from its file, the sample cases, a leave with its substitution, an evaluation."""
    await sample_cases(DEMO_TENANT)
    clerk = await context_of(DEMO_TENANT, people["wangxiaolei"])
    start = datetime.now().astimezone() - timedelta(minutes=1)
    absence = await absences.post(
        clerk,
        person_id=people["wangxiaolei"],
        kind="personal",
        reason="家中有事",
        starts_at=start,
        ends_at=start + timedelta(days=2),
        contact="139",
        handover="低保材料在柜中",
    )
    await absences.decide(await context_of(DEMO_TENANT, people["leader"]), absence.id, Action.APPROVE)
    await sweep(clerk.tenant)
    admin = await context_of(DEMO_TENANT, people["admin"])
    cycle = await cycles.open_cycle(admin, datetime.now().year)
    await cycles.set_step(admin, cycle.id, "internal")


async def proper_nouns() -> list[str]:
    """People's, places' and lines' names and what people typed: they stay as written."""
    typed = [
        *(row["name"] for row in await User.select(User.name)),
        *(row["name"] for row in await Line.select(Line.name)),
        *(row["materials"] for row in await Line.select(Line.materials)),
        *(row["name"] for row in await Tenant.select(Tenant.name)),
        *(row["applicant_name"] for row in await Case.select(Case.applicant_name)),
        *(row["reason"] for row in await Absence.select(Absence.reason)),
        *(row["reason"] for row in await Extension.select(Extension.reason)),
        *(
            text
            for row in await Enquiry.select(Enquiry.visitor, Enquiry.question, Enquiry.referred_to)
            for text in row.values()
        ),
        *(row["place"] for row in await Posting.select(Posting.place)),
        *(row["content"] for row in await Objection.select(Objection.content)),
        *(row["resolution"] or "" for row in await Objection.select(Objection.resolution)),
        *(
            item
            for row in await MaterialNotice.select(MaterialNotice.items).output(load_json=True)
            for item in row["items"]
        ),
    ]
    return sorted({text for text in typed if text}, key=len, reverse=True)


async def audit_pages(client) -> str:
    pages, page = [], 1
    while True:
        response = await client.get(f"/t/{DEMO_TENANT}/audit?page={page}", headers=RESULTS)
        assert response.status_code == 200
        pages.append(response.text)
        if "下一页" not in response.text and "Next" not in response.text:
            return "\n".join(pages)
        page += 1


async def test_the_audit_page_after_a_week_of_work_reads_as_words_in_either_language(settings):
    people = await demo_county()
    await a_week_of_work(people)
    async with portal(settings) as client:
        await sign_in(client, DEMO_TENANT, "admin")
        chinese = await audit_pages(client)
        await post_form(client, "/language", {"language": "en", "back": "/"})
        english = await audit_pages(client)

    for html in (chinese, english):
        text = shown_text(html)
        assert "{" not in text and "}" not in text and "\\u" not in text
        assert not re.search(r"\b(user|line|case|absence|evaluation_cycle) \d+\b", text)
    text = shown_text(chinese)
    for field in PEOPLE_FIELDS:  # a person is named, never numbered
        for values in re.findall(rf"(?<!\w){field}：(\S+)(?: → (\S+))?", text):
            assert not any(value.isdigit() for value in values), (field, values)
    assert ">孙静<" in chinese or "孙静</a>" in chinese  # staff by name, linking to their page
    assert f'href="/t/{DEMO_TENANT}/staff/{people["sunjing"]}"' in chinese
    assert "按县配置文件更新" in text and "tenant load" not in text
    assert not ENGLISH_CODES.search(text.replace("(admin)", "").replace("(leader)", "")), ENGLISH_CODES.search(text)
    assert "离岗中" in text or "已批准" in text

    english_text = shown_text(english)
    for noun in await proper_nouns():
        english_text = english_text.replace(noun, "")
    assert CJK.findall(english_text) == [], english_text


async def test_timelines_and_the_inbox_follow_the_readers_language(settings):
    people = await demo_county()
    await a_week_of_work(people)
    moved = await CaseEvent.select(CaseEvent.case).where(CaseEvent.kind == "acting_handler").first()
    assert moved is not None  # the leave moved a case to a backup
    async with portal(settings) as client:
        await sign_in(client, DEMO_TENANT, "houweili")
        case_page = await client.get(f"/t/{DEMO_TENANT}/cases/{moved['case']}")
        inbox = await client.get(f"/t/{DEMO_TENANT}/inbox")
        assert "代为办理" in case_page.text and "代为办理" in inbox.text
        await post_form(client, "/language", {"language": "en", "back": "/"})
        case_page = await client.get(f"/t/{DEMO_TENANT}/cases/{moved['case']}")
        inbox = await client.get(f"/t/{DEMO_TENANT}/inbox")
    assert "代为办理" not in case_page.text and "acts on the case" in case_page.text
    assert "代为办理" not in inbox.text and "you act on" in inbox.text


async def test_the_language_chosen_is_kept_on_the_account(settings):
    await demo_county()
    async with portal(settings) as client:
        await sign_in(client, DEMO_TENANT, "sunjing")
        await post_form(client, "/language", {"language": "en", "back": "/"})
        await post_form(client, "/logout")
    assert await User.select(User.language).where(User.username == "sunjing").first() == {"language": "en"}
    async with portal(settings) as fresh:  # another browser: no cookie from before
        await sign_in(fresh, DEMO_TENANT, "sunjing")
        page = await fresh.get(f"/t/{DEMO_TENANT}/")
        assert page.status_code == 200 and 'lang="en"' in page.text
    async with portal(settings) as other:  # someone who never chose: Chinese
        await sign_in(other, DEMO_TENANT, "houweili")
        assert 'lang="zh' in (await other.get(f"/t/{DEMO_TENANT}/")).text
