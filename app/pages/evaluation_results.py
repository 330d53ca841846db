"""Evaluation results pages: the results with their Excel export and rectification items, and the
per-subject feedback."""

from __future__ import annotations

from decimal import Decimal

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from app.domain.scoring import (
    COMPONENT_LABELS,
    COMPONENTS,
    GRADE_LABELS,
    STATUS_LABELS,
    Component,
    Grade,
    Status,
)
from app.errors import InvalidInput
from app.evaluation import cycles, outcomes
from app.flows import evaluation_inputs
from app.i18n import N_
from app.jobs import JobState
from app.pages.evaluation import LABELS, is_htmx, job_of, results_context
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Permission
from app.web import excel
from app.web.excel import download
from app.web.feedback import done
from app.web.forms import whole_number
from app.web.guards import County, requires
from app.web.render import page


async def _results_page(
    request: Request,
    ctx: TenantContext,
    cycle_id: int,
    sort: str = "score",
    job: JobState | None = None,
    error: str = "",
    error_at: str = "",
    status_code: int = 200,
) -> Template:
    cycle = await cycles.get_cycle(ctx, cycle_id)
    context = {
        "cycle": cycle,
        "components": COMPONENTS,
        "labels": LABELS,
        "job": job,
        "error": error,
        "error_at": error_at,
        "manage": ctx.actor.can(Permission.EVALUATION_MANAGE),
        **await results_context(ctx, cycle, sort),
    }
    return page(request, "evaluation/results.html", context, status_code=status_code, fragments=("results",))


@get("/evaluations/{cycle_id:int}/results", name="evaluation_results", guards=[requires(Permission.EVALUATION_RESULTS)])
async def results(
    request: Request, ctx: County, cycle_id: FromPath[int], sort: FromQuery[str] = "score", job: FromQuery[str] = ""
) -> Template:
    await cycles.get_cycle(ctx, cycle_id)
    return await _results_page(request, ctx, cycle_id, sort, await job_of(request, ctx, job) if job else None)


RESULT_COLUMNS = (
    ("姓名", 12),
    ("状态", 12),
    *((f"{COMPONENT_LABELS[c]}（{{{c.value}}}%）", 16) for c in COMPONENTS),
    *((f"{COMPONENT_LABELS[c]}评分人数", 10) for c in COMPONENTS),
    ("总分", 10),
    ("等次", 10),
    ("需整改", 8),
    ("缺少的项目", 20),
    ("病假、事假、学习离岗工作日", 14),
    ("本年超期问责", 10),
)


def _with_weights(header: str, weights: dict[str, str]) -> str:
    for placeholder, weight in weights.items():
        header = header.replace(placeholder, weight)
    return header


def _workbook(cycle: cycles.CycleView, rows: list[outcomes.ResultView], county: str) -> bytes:
    # The component headers carry the cycle's weights, e.g. 领导小组考核（70%）.
    weights = {f"{{{c.value}}}": str(w) for c, w in cycle.weights.as_dict().items()}
    columns = [(_with_weights(header, weights), width) for header, width in RESULT_COLUMNS]
    values = (
        [
            r.name,
            STATUS_LABELS[Status(r.status)],
            *(Decimal(r.components[c.value]) if c.value in r.components else None for c in COMPONENTS),
            *(r.raters.get(c.value, 0) for c in COMPONENTS),
            r.score,
            GRADE_LABELS[Grade(r.grade)] if r.grade else "",
            "是" if r.needs_rectification else "",
            "、".join(COMPONENT_LABELS[Component(m)] for m in r.missing),
            r.absent_days,
            len(r.accountability),
        ]
        for r in rows
    )
    title = f"{county}{cycle.year}年度工作效能考评结果"
    return excel.workbook(title, f"{cycle.year}年度考评结果", columns, values, freeze="B2")


@get(
    "/evaluations/{cycle_id:int}/results.xlsx",
    name="evaluation_results_xlsx",
    guards=[requires(Permission.EVALUATION_RESULTS)],
)
async def export(ctx: County, cycle_id: FromPath[int]) -> Response:
    cycle = await cycles.get_cycle(ctx, cycle_id)
    rows = await evaluation_inputs.results(ctx, cycle.id)
    return download(_workbook(cycle, rows, ctx.tenant.name), f"evaluation-{ctx.tenant.slug}-{cycle.year}.xlsx")


@post(
    "/evaluations/{cycle_id:int}/rectifications",
    name="evaluation_rectification",
    guards=[requires(Permission.EVALUATION_MANAGE)],
)
async def close_rectification(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    await cycles.get_cycle(ctx, cycle_id)
    form = await request.form()
    raw = form.get("staff_id", "")
    try:
        await outcomes.close_rectification(ctx, cycle_id, whole_number(raw, N_("考评对象")), form.get("note", ""))
    except InvalidInput as exc:
        return await _results_page(
            request, ctx, cycle_id, error=exc.localized(), error_at=f"rect-{raw}", status_code=400
        )
    if is_htmx(request):
        return done(request, await _results_page(request, ctx, cycle_id))
    return done(
        request, Redirect(ctx.url("evaluation_results", cycle_id=cycle_id, anchor="rectifications"), status_code=303)
    )


@get(
    "/evaluations/{cycle_id:int}/feedback/{staff_id:int}",
    name="evaluation_feedback",
    guards=[requires(Permission.EVALUATION_RATE)],
)
async def feedback(request: Request, ctx: County, cycle_id: FromPath[int], staff_id: FromPath[int]) -> Template:
    cycle = await cycles.get_cycle(ctx, cycle_id)
    result = await evaluation_inputs.feedback(ctx, cycle.id, staff_id)
    released = cycle.step == "feedback" or cycle.locked or ctx.actor.can(Permission.EVALUATION_RESULTS)
    context = {
        "cycle": cycle,
        "r": result,
        "released": released,
        "weights": {c.value: w for c, w in cycle.weights.as_dict().items()},
        "components": COMPONENTS,
        "labels": LABELS,
        "today": ctx.tenant.now().date(),
    }
    return page(request, "evaluation/feedback.html", context)


PAGES = [
    results,
    export,
    close_rectification,
    feedback,
]
