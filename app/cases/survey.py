"""The household survey (入户调查): recorded with its investigators, signed by each of them."""

from __future__ import annotations

from datetime import date

from piccolo.query import Raw

from app import clock, db
from app.audit.services import record_in
from app.cases.events import record_event
from app.cases.intake import clean_text, staff_member
from app.cases.steps import locked_case, move, pipeline_of
from app.cases.tables import (
    Case,
    Investigator,
    Survey,
)
from app.domain.casework import (
    check_investigators,
)
from app.domain.pipeline import OPEN, Action
from app.errors import InvalidInput
from app.i18n.messages import said
from app.notifications.services import Message, notify_many
from app.tenancy.context import TenantContext

# The inbox item asking an investigator to sign a survey record.
SIGNATURE_KIND = "survey_signature"


# --- household survey (入户调查) -----------------------------------------------------------------


async def record_survey(
    ctx: TenantContext,
    case_id: int,
    *,
    visited_on: date,
    findings: str,
    conclusion: str,
    investigators: list[int],
) -> int:
    """The survey with its (at least two) investigators; the recorder, if one of them, signs now."""
    people = check_investigators(investigators)
    findings = clean_text(findings, "调查情况", 2000)
    conclusion = clean_text(conclusion, "调查结论", 500)
    for person_id in people:
        await staff_member(ctx, person_id, "调查人")
    async with db.transaction():
        case = await locked_case(ctx, case_id)
        # Refuses unless the case is at the survey step of its line.
        (await pipeline_of(ctx, case.id)).next_status(case.status, Action.SURVEY)
        if await ctx.count(Survey).where(Survey.case == case.id):
            raise InvalidInput("本案件已有入户调查记录，请由调查人签字确认")
        if not case.received_on <= visited_on <= ctx.tenant.now().date():
            raise InvalidInput("入户调查日期须在接收日期与今天之间")
        now = clock.now()
        survey = ctx.new(
            Survey,
            case=case.id,
            visited_on=visited_on,
            findings=findings,
            conclusion=conclusion,
            recorded_by=ctx.actor.user_id,
            recorded_at=now,
        )
        await survey.save()
        for person_id in people:
            await Investigator.insert(
                ctx.new(
                    Investigator,
                    survey=survey.id,
                    person=person_id,
                    signed_at=now if person_id == ctx.actor.user_id else None,
                )
            )
        await record_event(
            ctx,
            case.id,
            "survey",
            said("{day} 入户调查，{count} 名调查人", day=visited_on.isoformat(), count=len(people)),
        )
        await record_in(
            ctx,
            action="case.survey",
            entity="case",
            entity_id=case.id,
            summary=said("入户调查记录"),
            after={"visited_on": str(visited_on), "investigators": people},
        )
        await _ask_for_signatures(ctx, case, [person_id for person_id in people if person_id != ctx.actor.user_id])
        await _finish_survey_if_signed(ctx, case, survey.id)
    return survey.id


async def _ask_for_signatures(ctx: TenantContext, case: Case, people: list[int]) -> None:
    """Each investigator who has not signed gets an inbox item that leads to the record to sign."""
    await notify_many(
        ctx.tenant.id,
        [
            Message(
                person_id,
                SIGNATURE_KIND,
                said(
                    "请核对并签字确认入户调查记录：{applicant}（案件 #{case}）",
                    applicant=case.applicant_name,
                    case=case.id,
                ),
                f"survey:{case.id}:sign:{person_id}",
                ctx.url("case", case_id=case.id, anchor="survey"),
                case.id,
            )
            for person_id in people
        ],
    )


# Four tables deep: written out, because building the join chain costs Piccolo more CPU than
# PostgreSQL spends answering it (every dashboard asks).
AWAITING_SIGNATURE = """
SELECT c.id AS case_id, c.applicant_name, l.name AS line_name, s.visited_on
FROM investigator i
JOIN survey s ON s.id = i.survey
JOIN assistance_case c ON c.id = s."case"
JOIN line l ON l.id = c.line
WHERE i.tenant = {} AND i.person = {} AND i.signed_at IS NULL AND c.status IN ({})
ORDER BY i.id
"""


def awaiting_my_signature(ctx: TenantContext, user_id: int) -> Raw:
    """Surveys of open cases that name this person as an investigator who has not signed yet (a
    query: awaited for the rows, or counted with others by ``db.counts``)."""
    states = sorted(OPEN)
    sql = AWAITING_SIGNATURE.replace("IN ({})", f"IN ({', '.join('{}' for _ in states)})")
    return Investigator.raw(sql, ctx.tenant.id, user_id, *states)


async def sign_survey(ctx: TenantContext, case_id: int) -> None:
    """An investigator confirms the record with their own account; the last signature completes it."""
    async with db.transaction():
        case = await locked_case(ctx, case_id)
        survey = await ctx.select(Survey, Survey.id).where(Survey.case == case.id).first()
        if survey is None:
            raise InvalidInput("本案件还没有入户调查记录")
        signed = (
            await ctx.update(Investigator, {Investigator.signed_at: clock.now()})
            .where(
                (Investigator.survey == survey["id"])
                & (Investigator.person == ctx.actor.user_id)
                & Investigator.signed_at.is_null()
            )
            .returning(Investigator.id)
        )
        if not signed:
            raise InvalidInput("您不是本次调查的调查人，或已签字")
        await record_event(ctx, case.id, "survey_signed")
        await _finish_survey_if_signed(ctx, case, survey["id"])


async def _finish_survey_if_signed(ctx: TenantContext, case: Case, survey_id: int) -> None:
    unsigned = await ctx.count(Investigator).where(
        (Investigator.survey == survey_id) & Investigator.signed_at.is_null()
    )
    if not unsigned:
        await move(ctx, case, Action.SURVEY, said("调查人均已签字"))
