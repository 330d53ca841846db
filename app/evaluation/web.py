"""Evaluation pages (SPEC §9, issue 7): the cycles, a cycle's page (steps, progress, links, paper
ratings, the compute job, finalising) with each member's own rating tasks, the results with their
Excel export and rectification items, the per-subject feedback, and the public grassroots form
behind a single-use link (``/rate/{token}``, outside the county routers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from app.domain.casework import LEVEL_LABELS
from app.domain.scoring import (
    COMPONENT_LABELS,
    COMPONENTS,
    DEFAULT_WEIGHTS,
    DIMENSION_LABELS,
    DIMENSIONS,
    GRADE_LABELS,
    STATUS_LABELS,
    TOTAL_LABEL,
    Component,
    Grade,
    Status,
    grade_of,
)
from app.errors import InvalidInput
from app.evaluation import services
from app.evaluation.tables import Subject
from app.i18n import N_
from app.jobs import JobKind, JobState, enqueue, state
from app.jobs.web import STATUS_LABELS as JOB_STATUS_LABELS
from app.staff.services import list_staff
from app.tenancy.context import NotFound, TenantContext
from app.tenancy.permissions import Permission
from app.web import excel
from app.web.excel import download
from app.web.feedback import Done, done
from app.web.forms import whole_number
from app.web.guards import County, requires
from app.web.identity import services_of
from app.web.render import page

# The steps as the stepper shows them (the long names are in services.STEP_LABELS).
STEP_SHORT = {
    "self": N_("个人自评"),
    "internal": N_("内部测评"),
    "external": N_("外部测评"),
    "group_review": N_("领导小组审议"),
    "feedback": N_("结果反馈"),
}
# Components a person rates in the portal, in the order of the "我要评分" tables.
TASK_COMPONENTS = (Component.SELF, Component.LEADERSHIP, Component.PEER)
MODES = ("total", "dims")
SORTS = ("score", "score_asc")
LABELS = {
    "step": STEP_SHORT,
    "step_long": services.STEP_LABELS,
    "component": {c.value: label for c, label in COMPONENT_LABELS.items()},
    "dimension": {d.value: label for d, label in DIMENSION_LABELS.items()},
    "grade": {g.value: label for g, label in GRADE_LABELS.items()},
    "status": {s.value: label for s, label in STATUS_LABELS.items()},
    "job": JOB_STATUS_LABELS,
    "level": LEVEL_LABELS,
}


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


# --- the list of cycles -------------------------------------------------------------------------


async def _list_page(request: Request, ctx: TenantContext, form: dict | None = None, error: str = "", status_code=200):
    year = ctx.tenant.now().year
    weights = {c.value: str(w) for c, w in DEFAULT_WEIGHTS.as_dict().items()}
    defaults = {"year": str(year), "trim": "on", **weights}
    context = {
        "cycles": await services.list_cycles(ctx),
        "form": form if form is not None else defaults,
        "error": error,
        "labels": LABELS,
        "components": COMPONENTS,
    }
    return page(request, "evaluation/list.html", context, status_code=status_code)


@get("/evaluations", name="evaluations", guards=[requires(Permission.EVALUATION_RATE)])
async def cycles(request: Request, ctx: County) -> Template:
    return await _list_page(request, ctx)


@post("/evaluations", name="evaluation_open", guards=[requires(Permission.EVALUATION_MANAGE)])
async def open_cycle(request: Request, ctx: County) -> Template | Redirect:
    form = dict(await request.form())
    try:
        year = whole_number(form.get("year", ""), N_("考评年度"))
        weights = {c.value: form.get(c.value, "").strip() or "0" for c in COMPONENTS}
        cycle = await services.open_cycle(ctx, year, weights, trim=form.get("trim") == "on")
    except InvalidInput as exc:
        return await _list_page(request, ctx, form, exc.localized(), status_code=400)
    return done(request, Redirect(ctx.url("evaluation", cycle_id=cycle.id), status_code=303), Done.CREATED)


# --- a cycle's page -----------------------------------------------------------------------------


def _values_of(task: services.Task) -> dict[str, str]:
    """What a task's inputs show: the rater's saved rating."""
    values = {"score": "" if task.score is None else f"{Decimal(task.score):.2f}"}
    for d in DIMENSIONS:
        values[d.value] = (task.dimensions or {}).get(d.value, "")
    return values


def _mode_of(raw: str, tasks: list[services.Task]) -> str:
    if raw in MODES:
        return raw
    return "dims" if any(t.dimensions for t in tasks) else "total"


@dataclass(frozen=True)
class Grid:
    """What the "我要评分" grid shows: the mode, each row's values by task key, each bad row's message,
    and how many ratings the last save stored (``None`` before any save)."""

    mode: str
    values: dict[str, dict[str, str]]
    errors: dict[str, str] = field(default_factory=dict)
    saved: int | None = None


def _saved_grid(mode: str, tasks: list[services.Task], saved: int | None = None) -> Grid:
    """The grid showing what the rater has saved."""
    return Grid(mode, {t.key: _values_of(t) for t in tasks}, saved=saved)


def _grade_label(score) -> str:
    return GRADE_LABELS[grade_of(score)]


async def _is_subject(ctx: TenantContext, cycle_id: int) -> bool:
    return bool(await ctx.count(Subject).where((Subject.cycle == cycle_id) & (Subject.person == ctx.actor.user_id)))


async def _results_context(ctx: TenantContext, cycle: services.CycleView, sort: str = "score") -> dict:
    rows = await services.results(ctx, cycle.id)
    if sort == "score_asc":
        rows = sorted(rows, key=lambda r: (r.score is None, r.score or 0, r.name))
    counts = {g.value: 0 for g in Grade}
    counts.update({Status.INCOMPLETE.value: 0, Status.EXCLUDED.value: 0})
    for row in rows:
        counts[row.grade if row.status == Status.SCORED else row.status] += 1
    bars = [(key, LABELS["grade"].get(key) or LABELS["status"][key], n) for key, n in counts.items()]
    return {
        "rows": rows,
        "sort": sort if sort in SORTS else "score",
        "bars": bars,
        "bar_total": max(len(rows), 1),
        "rectifications": [r for r in rows if r.rectification],
    }


async def _cycle_page(
    request: Request,
    ctx: TenantContext,
    cycle_id: int,
    *,
    error: str = "",
    error_at: str = "",
    job: JobState | None = None,
    grid: Grid | None = None,
    status_code: int = 200,
) -> Template:
    cycle = await services.get_cycle(ctx, cycle_id)
    tasks = await services.my_tasks(ctx, cycle.id)
    mode = grid.mode if grid else _mode_of(request.query_params.get("mode", ""), tasks)
    groups = [(c.value, [t for t in tasks if t.component == c.value]) for c in TASK_COMPONENTS]
    context: dict = {
        "cycle": cycle,
        "steps": services.STEPS,
        "step_index": services.STEPS.index(cycle.step),
        "open_now": [c.value for c in COMPONENTS if cycle.accepts(c)],
        "groups": [(component, rows) for component, rows in groups if rows],
        "grid": grid or _saved_grid(mode, tasks),
        "grade_of": _grade_label,
        "dimensions": DIMENSIONS,
        "components": COMPONENTS,
        "labels": LABELS,
        "error": error,
        "error_at": error_at,
        "is_subject": await _is_subject(ctx, cycle.id),
        "manage": ctx.actor.can(Permission.EVALUATION_MANAGE),
        "job": job,
    }
    if context["manage"]:
        progress = await services.progress(ctx, cycle.id)
        subjects = {row["staff_id"] for row in progress}
        context.update(
            progress=progress,
            candidates=[p for p in await list_staff(ctx) if p.active and p.id not in subjects],
            links=await services.list_links(ctx, cycle.id),
            now=ctx.tenant.now(),
            **await _results_context(ctx, cycle),
        )
    return page(request, "evaluation/cycle.html", context, status_code=status_code, fragments=("cycle", "tasks"))


@get("/evaluations/{cycle_id:int}", name="evaluation", guards=[requires(Permission.EVALUATION_RATE)])
async def cycle_page(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template:
    return await _cycle_page(request, ctx, cycle_id)


async def _after_change(request: Request, ctx: TenantContext, cycle_id: int, job: JobState | None = None):
    """An admin's change done: the cycle again (in place for HTMX, else a fresh load)."""
    if _is_htmx(request):
        return done(request, await _cycle_page(request, ctx, cycle_id, job=job), Done.CYCLE_CHANGED)
    return done(
        request,
        Redirect(ctx.url("evaluation", cycle_id=cycle_id), status_code=303),
        Done.CYCLE_CHANGED,
    )


async def _recompute(request: Request, ctx: TenantContext, cycle_id: int) -> JobState:
    job_id = await enqueue(services_of(request).queue, JobKind.EVALUATION, ctx.tenant.id, cycle_id)
    return JobState(job_id, "queued", 0)


@post("/evaluations/{cycle_id:int}/step", name="evaluation_step", guards=[requires(Permission.EVALUATION_MANAGE)])
async def set_step(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    await services.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        await services.set_step(ctx, cycle_id, form.get("step", ""))
    except InvalidInput as exc:
        return await _cycle_page(request, ctx, cycle_id, error=exc.localized(), error_at="steps", status_code=400)
    return await _after_change(request, ctx, cycle_id)


@post(
    "/evaluations/{cycle_id:int}/subjects",
    name="evaluation_subject_add",
    guards=[requires(Permission.EVALUATION_MANAGE)],
)
async def add_subject(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    await services.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        if not form.get("staff_id"):
            raise InvalidInput("请选择考评对象")
        await services.add_subject(ctx, cycle_id, whole_number(form.get("staff_id", ""), N_("考评对象")))
    except InvalidInput as exc:
        return await _cycle_page(request, ctx, cycle_id, error=exc.localized(), error_at="progress", status_code=400)
    return await _after_change(request, ctx, cycle_id)


def _rating_input(form) -> dict:
    """The service's arguments from the paper-rating form: one total, or the five dimensions."""
    if form.get("mode") == "dims":
        values = [form.get(d.value, "").strip() for d in DIMENSIONS]
        if not all(values):
            raise InvalidInput("五项分数须齐全：德、能、勤、绩、廉")
        return {"dimensions": values}
    score = form.get("score", "").strip()
    if not score:
        raise InvalidInput("请填写{field}", field=TOTAL_LABEL)
    return {"score": score}


def _grid_entries(form, tasks: list[services.Task], mode: str) -> tuple[dict, list[services.Entry]]:
    """Each task's posted cells (``<component>.<staff_id>.<score|de|…>``) and the rows to save:
    a row left blank is not rated now."""
    cells = ("score",) if mode == "total" else tuple(d.value for d in DIMENSIONS)
    values, entries = {}, []
    for task in tasks:
        row = {cell: form.get(f"{task.key}.{cell}", "").strip() for cell in cells}
        values[task.key] = row
        if not any(row.values()):
            continue
        given = {"score": row["score"]} if mode == "total" else {"dimensions": list(row.values())}
        entries.append(services.Entry(task.staff_id, task.component, **given))
    return values, entries


@post("/evaluations/{cycle_id:int}/ratings", name="evaluation_rate", guards=[requires(Permission.EVALUATION_RATE)])
async def rate(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    """The whole "我要评分" grid in one request: every filled row saved in one transaction, or
    nothing and each bad row marked (in place for HTMX, else with the page)."""
    await services.get_cycle(ctx, cycle_id)
    form = await request.form()
    mode = form.get("mode") if form.get("mode") in MODES else "total"
    values, entries = _grid_entries(form, await services.my_tasks(ctx, cycle_id), mode)
    try:
        saved = await services.rate_all(ctx, cycle_id, entries)
    except InvalidInput as exc:
        refused = exc.by_entry if isinstance(exc, services.RatingsRefused) else {}
        grid = Grid(mode, values, {key: e.localized() for key, e in refused.items()})
        return await _cycle_page(
            request, ctx, cycle_id, error=exc.localized(), error_at="tasks", grid=grid, status_code=400
        )
    if not _is_htmx(request):
        return done(
            request,
            Redirect(
                ctx.url("evaluation", cycle_id=cycle_id, query={"mode": mode}, anchor="tasks"),
                status_code=303,
            ),
            Done.RATING_SAVED,
        )
    grid = _saved_grid(mode, await services.my_tasks(ctx, cycle_id), saved)
    answer = await _cycle_page(request, ctx, cycle_id, grid=grid)
    return done(request, answer, Done.RATING_SAVED) if saved else answer  # nothing changed: no toast


@post("/evaluations/{cycle_id:int}/paper", name="evaluation_paper", guards=[requires(Permission.EVALUATION_MANAGE)])
async def paper_rating(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    """A rating collected on paper, entered by the admin on behalf of the named rater."""
    await services.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        label = form.get("rater_label", "").strip()
        if not label:
            raise InvalidInput("请填写{field}", field=N_("评分人"))
        if not form.get("staff_id"):
            raise InvalidInput("请选择考评对象")
        await services.rate(
            ctx,
            cycle_id,
            staff_id=whole_number(form.get("staff_id", ""), N_("考评对象")),
            component=form.get("component", ""),
            rater_label=label,
            **_rating_input(form),
        )
    except InvalidInput as exc:
        return await _cycle_page(request, ctx, cycle_id, error=exc.localized(), error_at="paper", status_code=400)
    return await _after_change(request, ctx, cycle_id)


@post("/evaluations/{cycle_id:int}/links", name="evaluation_links", guards=[requires(Permission.EVALUATION_MANAGE)])
async def create_links(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template:
    """New links, shown this once as a printable list (only their hashes are kept)."""
    cycle = await services.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        count = whole_number(form.get("count", ""), N_("链接数量"))
        links = await services.create_links(ctx, cycle_id, count, form.get("prefix", "") or services.DEFAULT_PREFIX)
    except InvalidInput as exc:
        return await _cycle_page(request, ctx, cycle_id, error=exc.localized(), error_at="links", status_code=400)
    site = str(request.base_url).rstrip("/")
    for link in links:
        link["url"] = f"{site}/rate/{link['token']}"
        link["expires_at"] = link["expires_at"].astimezone(ctx.tenant.zone)
    context = {"cycle": cycle, "links": links}
    return page(request, "evaluation/links.html", context, status_code=201)


@post(
    "/evaluations/{cycle_id:int}/finalise", name="evaluation_finalise", guards=[requires(Permission.EVALUATION_MANAGE)]
)
async def finalise(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    """Lock the cycle, then score again (the policy changes how incomplete subjects are scored)."""
    await services.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        await services.finalise(ctx, cycle_id, "reweight" if form.get("reweight") == "on" else "")
    except InvalidInput as exc:
        return await _cycle_page(request, ctx, cycle_id, error=exc.localized(), error_at="finalise", status_code=400)
    return await _after_change(request, ctx, cycle_id, await _recompute(request, ctx, cycle_id))


@post("/evaluations/{cycle_id:int}/reopen", name="evaluation_reopen", guards=[requires(Permission.EVALUATION_MANAGE)])
async def reopen(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    await services.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        await services.reopen(ctx, cycle_id, form.get("reason", ""))
    except InvalidInput as exc:
        return await _cycle_page(request, ctx, cycle_id, error=exc.localized(), error_at="finalise", status_code=400)
    return await _after_change(request, ctx, cycle_id, await _recompute(request, ctx, cycle_id))


# --- the compute job ----------------------------------------------------------------------------


def _compute_fragment(request: Request, ctx: TenantContext, cycle, job: JobState | None) -> Template:
    context = {"cycle": cycle, "job": job, "labels": LABELS}
    response = page(request, "evaluation/_compute.html", context)
    if job is not None and job.status == "complete":
        response.headers["HX-Trigger"] = "evaluation-computed"  # the results table reloads itself
    return response


@post("/evaluations/{cycle_id:int}/compute", name="evaluation_compute", guards=[requires(Permission.EVALUATION_MANAGE)])
async def compute(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    cycle = await services.get_cycle(ctx, cycle_id)
    job = await _recompute(request, ctx, cycle.id)
    if not _is_htmx(request):
        return Redirect(
            ctx.url("evaluation_results", cycle_id=cycle.id, query={"job": job.job_id}),
            status_code=303,
        )
    return _compute_fragment(request, ctx, cycle, job)


async def _job(request: Request, ctx: TenantContext, job_id: str) -> JobState | None:
    if not job_id.startswith(f"{JobKind.EVALUATION.value}:"):
        return None
    try:
        return await state(ctx, services_of(request).queue, job_id)
    except NotFound:
        return None


@get(
    "/evaluations/{cycle_id:int}/compute",
    name="evaluation_compute_status",
    guards=[requires(Permission.EVALUATION_MANAGE)],
)
async def compute_status(request: Request, ctx: County, cycle_id: FromPath[int], job: FromQuery[str] = "") -> Template:
    """The job's progress, polled every second while it runs."""
    cycle = await services.get_cycle(ctx, cycle_id)
    return _compute_fragment(request, ctx, cycle, await _job(request, ctx, job))


# --- results ------------------------------------------------------------------------------------


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
    cycle = await services.get_cycle(ctx, cycle_id)
    context = {
        "cycle": cycle,
        "components": COMPONENTS,
        "labels": LABELS,
        "job": job,
        "error": error,
        "error_at": error_at,
        "manage": ctx.actor.can(Permission.EVALUATION_MANAGE),
        **await _results_context(ctx, cycle, sort),
    }
    return page(request, "evaluation/results.html", context, status_code=status_code, fragments=("results",))


@get("/evaluations/{cycle_id:int}/results", name="evaluation_results", guards=[requires(Permission.EVALUATION_RESULTS)])
async def results(
    request: Request, ctx: County, cycle_id: FromPath[int], sort: FromQuery[str] = "score", job: FromQuery[str] = ""
) -> Template:
    await services.get_cycle(ctx, cycle_id)
    return await _results_page(request, ctx, cycle_id, sort, await _job(request, ctx, job) if job else None)


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


def _workbook(cycle: services.CycleView, rows: list[services.ResultView], county: str) -> bytes:
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
    cycle = await services.get_cycle(ctx, cycle_id)
    rows = await services.results(ctx, cycle.id)
    return download(_workbook(cycle, rows, ctx.tenant.name), f"evaluation-{ctx.tenant.slug}-{cycle.year}.xlsx")


@post(
    "/evaluations/{cycle_id:int}/rectifications",
    name="evaluation_rectification",
    guards=[requires(Permission.EVALUATION_MANAGE)],
)
async def close_rectification(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    await services.get_cycle(ctx, cycle_id)
    form = await request.form()
    raw = form.get("staff_id", "")
    try:
        await services.close_rectification(ctx, cycle_id, whole_number(raw, N_("考评对象")), form.get("note", ""))
    except InvalidInput as exc:
        return await _results_page(
            request, ctx, cycle_id, error=exc.localized(), error_at=f"rect-{raw}", status_code=400
        )
    if _is_htmx(request):
        return done(request, await _results_page(request, ctx, cycle_id))
    return done(
        request,
        Redirect(
            ctx.url("evaluation_results", cycle_id=cycle_id, anchor="rectifications"),
            status_code=303,
        ),
    )


# --- feedback -----------------------------------------------------------------------------------


@get(
    "/evaluations/{cycle_id:int}/feedback/{staff_id:int}",
    name="evaluation_feedback",
    guards=[requires(Permission.EVALUATION_RATE)],
)
async def feedback(request: Request, ctx: County, cycle_id: FromPath[int], staff_id: FromPath[int]) -> Template:
    cycle = await services.get_cycle(ctx, cycle_id)
    result = await services.feedback(ctx, cycle.id, staff_id)
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
    cycles,
    open_cycle,
    cycle_page,
    set_step,
    add_subject,
    rate,
    paper_rating,
    create_links,
    finalise,
    reopen,
    compute,
    compute_status,
    results,
    export,
    close_rectification,
    feedback,
]


# --- the public form behind a grassroots link ---------------------------------------------------


def _link_page(request: Request, form: services.LinkForm | None, **extra) -> Template:
    status_code = extra.pop("status_code", 200 if form else 404)
    context = {"form": form, "values": {}, "error": "", "bad": set(), "done": 0, **extra}
    return page(request, "evaluation/rate_link.html", context, status_code=status_code)


@get("/rate/{token:str}", name="rate_link")
async def rate_link(request: Request, token: FromPath[str]) -> Template:
    try:
        form = await services.open_link(token)
    except NotFound:
        return _link_page(request, None)
    return _link_page(request, form)


@post("/rate/{token:str}", name="rate_link_submit")
async def rate_link_submit(request: Request, token: FromPath[str]) -> Template:
    try:
        form = await services.open_link(token)
    except NotFound:
        return _link_page(request, None)
    posted = await request.form()
    values = {s["person"]: posted.get(f"score_{s['person']}", "").strip() for s in form.subjects}
    bad, messages = set(), []
    for subject in form.subjects:  # each score checked here, so the message can name the person
        value = values[subject["person"]]
        try:
            if not value:
                raise InvalidInput("请为每一位考评对象打分")
            services.parse_rating(score=value)
        except InvalidInput as exc:
            bad.add(subject["person"])
            messages.append(f"{subject['name']}：{exc.localized()}")
    if bad:
        return _link_page(request, form, values=values, error="；".join(messages), bad=bad, status_code=400)
    try:
        done = await services.rate_by_link(token, values)
    except NotFound:
        return _link_page(request, None)
    except InvalidInput as exc:
        return _link_page(request, form, values=values, error=exc.localized(), status_code=400)
    return _link_page(request, form, done=done)


PUBLIC = [rate_link, rate_link_submit]
