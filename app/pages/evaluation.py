"""Evaluation pages (SPEC §9, issue 7): the cycles, a cycle's page (steps, progress, links, paper
ratings, the compute job, finalising) with each member's own rating tasks. The results and feedback
are in ``evaluation_results``, the public grassroots form in ``app.evaluation.link_web``. Above the
features: the results beside each subject carry the cases' overdue-accountability records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.accounts.services import members
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
from app.evaluation import cycles, grassroots, outcomes, ratings
from app.evaluation.tables import Subject
from app.flows import evaluation_inputs
from app.i18n import N_
from app.jobs import JobKind, JobState, enqueue, state
from app.jobs.web import STATUS_LABELS as JOB_STATUS_LABELS
from app.tenancy.context import NotFound, TenantContext
from app.tenancy.permissions import Permission
from app.web.feedback import Done, done
from app.web.forms import whole_number
from app.web.guards import County, requires
from app.web.identity import services_of
from app.web.render import page

# The steps as the stepper shows them (the long names are in cycles.STEP_LABELS).
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
LABELS: dict[str, Mapping[Any, str]] = {
    "step": STEP_SHORT,
    "step_long": cycles.STEP_LABELS,
    "component": {c.value: label for c, label in COMPONENT_LABELS.items()},
    "dimension": {d.value: label for d, label in DIMENSION_LABELS.items()},
    "grade": {g.value: label for g, label in GRADE_LABELS.items()},
    "status": {s.value: label for s, label in STATUS_LABELS.items()},
    "job": JOB_STATUS_LABELS,
    "level": LEVEL_LABELS,
}


def is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


# --- the list of cycles -------------------------------------------------------------------------


async def _list_page(request: Request, ctx: TenantContext, form: dict | None = None, error: str = "", status_code=200):
    year = ctx.tenant.now().year
    weights = {c.value: str(w) for c, w in DEFAULT_WEIGHTS.as_dict().items()}
    defaults = {"year": str(year), "trim": "on", **weights}
    context = {
        "cycles": await cycles.list_cycles(ctx),
        "form": form if form is not None else defaults,
        "error": error,
        "labels": LABELS,
        "components": COMPONENTS,
    }
    return page(request, "evaluation/list.html", context, status_code=status_code)


@get("/evaluations", name="evaluations", guards=[requires(Permission.EVALUATION_RATE)])
async def cycle_list(request: Request, ctx: County) -> Template:
    return await _list_page(request, ctx)


@post("/evaluations", name="evaluation_open", guards=[requires(Permission.EVALUATION_MANAGE)])
async def open_cycle(request: Request, ctx: County) -> Template | Redirect:
    form = dict(await request.form())
    try:
        year = whole_number(form.get("year", ""), N_("考评年度"))
        weights = {c.value: form.get(c.value, "").strip() or "0" for c in COMPONENTS}
        cycle = await cycles.open_cycle(ctx, year, weights, trim=form.get("trim") == "on")
    except InvalidInput as exc:
        return await _list_page(request, ctx, form, exc.localized(), status_code=400)
    return done(request, Redirect(ctx.url("evaluation", cycle_id=cycle.id), status_code=303), Done.CREATED)


# --- a cycle's page -----------------------------------------------------------------------------


def _values_of(task: ratings.Task) -> dict[str, str]:
    """What a task's inputs show: the rater's saved rating."""
    values = {"score": "" if task.score is None else f"{Decimal(task.score):.2f}"}
    for d in DIMENSIONS:
        values[d.value] = (task.dimensions or {}).get(d.value, "")
    return values


def _mode_of(raw: str, tasks: list[ratings.Task]) -> str:
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


def _saved_grid(mode: str, tasks: list[ratings.Task], saved: int | None = None) -> Grid:
    """The grid showing what the rater has saved."""
    return Grid(mode, {t.key: _values_of(t) for t in tasks}, saved=saved)


def _grade_label(score) -> str:
    return GRADE_LABELS[grade_of(score)]


async def _is_subject(ctx: TenantContext, cycle_id: int) -> bool:
    return bool(await ctx.count(Subject).where((Subject.cycle == cycle_id) & (Subject.person == ctx.actor.user_id)))


async def results_context(ctx: TenantContext, cycle: cycles.CycleView, sort: str = "score") -> dict:
    rows = await evaluation_inputs.results(ctx, cycle.id)
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
    cycle = await cycles.get_cycle(ctx, cycle_id)
    tasks = await ratings.my_tasks(ctx, cycle.id)
    mode = grid.mode if grid else _mode_of(request.query_params.get("mode", ""), tasks)
    groups = [(c.value, [t for t in tasks if t.component == c.value]) for c in TASK_COMPONENTS]
    context: dict = {
        "cycle": cycle,
        "steps": cycles.STEPS,
        "step_index": cycles.STEPS.index(cycle.step),
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
        progress = await outcomes.progress(ctx, cycle.id)
        subjects = {row["staff_id"] for row in progress}
        context.update(
            progress=progress,
            candidates=[p for p in await members(ctx) if p.active and p.id not in subjects],
            links=await grassroots.list_links(ctx, cycle.id),
            now=ctx.tenant.now(),
            **await results_context(ctx, cycle),
        )
    return page(request, "evaluation/cycle.html", context, status_code=status_code, fragments=("cycle", "tasks"))


@get("/evaluations/{cycle_id:int}", name="evaluation", guards=[requires(Permission.EVALUATION_RATE)])
async def cycle_page(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template:
    return await _cycle_page(request, ctx, cycle_id)


async def _after_change(request: Request, ctx: TenantContext, cycle_id: int, job: JobState | None = None):
    """An admin's change done: the cycle again (in place for HTMX, else a fresh load)."""
    if is_htmx(request):
        return done(request, await _cycle_page(request, ctx, cycle_id, job=job), Done.CYCLE_CHANGED)
    return done(request, Redirect(ctx.url("evaluation", cycle_id=cycle_id), status_code=303), Done.CYCLE_CHANGED)


async def _recompute(request: Request, ctx: TenantContext, cycle_id: int) -> JobState:
    job_id = await enqueue(services_of(request).queue, JobKind.EVALUATION, ctx.tenant.id, cycle_id)
    return JobState(job_id, "queued", 0)


@post("/evaluations/{cycle_id:int}/step", name="evaluation_step", guards=[requires(Permission.EVALUATION_MANAGE)])
async def set_step(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    await cycles.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        await cycles.set_step(ctx, cycle_id, form.get("step", ""))
    except InvalidInput as exc:
        return await _cycle_page(request, ctx, cycle_id, error=exc.localized(), error_at="steps", status_code=400)
    return await _after_change(request, ctx, cycle_id)


@post(
    "/evaluations/{cycle_id:int}/subjects",
    name="evaluation_subject_add",
    guards=[requires(Permission.EVALUATION_MANAGE)],
)
async def add_subject(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    await cycles.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        if not form.get("staff_id"):
            raise InvalidInput("请选择考评对象")
        await cycles.add_subject(ctx, cycle_id, whole_number(form.get("staff_id", ""), N_("考评对象")))
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


def _grid_entries(form, tasks: list[ratings.Task], mode: str) -> tuple[dict, list[ratings.Entry]]:
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
        entries.append(ratings.Entry(task.staff_id, task.component, **given))
    return values, entries


@post("/evaluations/{cycle_id:int}/ratings", name="evaluation_rate", guards=[requires(Permission.EVALUATION_RATE)])
async def rate(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    """The whole "我要评分" grid in one request: every filled row saved in one transaction, or
    nothing and each bad row marked (in place for HTMX, else with the page)."""
    await cycles.get_cycle(ctx, cycle_id)
    form = await request.form()
    mode = str(form.get("mode")) if form.get("mode") in MODES else "total"
    values, entries = _grid_entries(form, await ratings.my_tasks(ctx, cycle_id), mode)
    try:
        saved = await ratings.rate_all(ctx, cycle_id, entries)
    except InvalidInput as exc:
        refused = exc.by_entry if isinstance(exc, ratings.RatingsRefused) else {}
        grid = Grid(mode, values, {key: e.localized() for key, e in refused.items()})
        return await _cycle_page(
            request, ctx, cycle_id, error=exc.localized(), error_at="tasks", grid=grid, status_code=400
        )
    if not is_htmx(request):
        return done(
            request,
            Redirect(ctx.url("evaluation", cycle_id=cycle_id, query={"mode": mode}, anchor="tasks"), status_code=303),
            Done.RATING_SAVED,
        )
    grid = _saved_grid(mode, await ratings.my_tasks(ctx, cycle_id), saved)
    answer = await _cycle_page(request, ctx, cycle_id, grid=grid)
    return done(request, answer, Done.RATING_SAVED) if saved else answer  # nothing changed: no toast


@post("/evaluations/{cycle_id:int}/paper", name="evaluation_paper", guards=[requires(Permission.EVALUATION_MANAGE)])
async def paper_rating(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    """A rating collected on paper, entered by the admin on behalf of the named rater."""
    await cycles.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        label = form.get("rater_label", "").strip()
        if not label:
            raise InvalidInput("请填写{field}", field=N_("评分人"))
        if not form.get("staff_id"):
            raise InvalidInput("请选择考评对象")
        await ratings.rate(
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
    cycle = await cycles.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        count = whole_number(form.get("count", ""), N_("链接数量"))
        links = await grassroots.create_links(ctx, cycle_id, count, form.get("prefix", "") or grassroots.DEFAULT_PREFIX)
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
    await cycles.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        await cycles.finalise(ctx, cycle_id, "reweight" if form.get("reweight") == "on" else "")
    except InvalidInput as exc:
        return await _cycle_page(request, ctx, cycle_id, error=exc.localized(), error_at="finalise", status_code=400)
    return await _after_change(request, ctx, cycle_id, await _recompute(request, ctx, cycle_id))


@post("/evaluations/{cycle_id:int}/reopen", name="evaluation_reopen", guards=[requires(Permission.EVALUATION_MANAGE)])
async def reopen(request: Request, ctx: County, cycle_id: FromPath[int]) -> Template | Redirect:
    await cycles.get_cycle(ctx, cycle_id)
    form = await request.form()
    try:
        await cycles.reopen(ctx, cycle_id, form.get("reason", ""))
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
    cycle = await cycles.get_cycle(ctx, cycle_id)
    job = await _recompute(request, ctx, cycle.id)
    if not is_htmx(request):
        return Redirect(ctx.url("evaluation_results", cycle_id=cycle.id, query={"job": job.job_id}), status_code=303)
    return _compute_fragment(request, ctx, cycle, job)


async def job_of(request: Request, ctx: TenantContext, job_id: str) -> JobState | None:
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
    cycle = await cycles.get_cycle(ctx, cycle_id)
    return _compute_fragment(request, ctx, cycle, await job_of(request, ctx, job))


PAGES = [
    cycle_list,
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
]
