"""The register (SPEC §6): one case as the pages show it, the filtered list, and the counts and
lists the dashboards ask for.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from piccolo.query import Raw
from piccolo.querystring import QueryString

from app import db
from app.accounts.services import people_names
from app.cases.tables import (
    Case,
)
from app.domain import idnumber
from app.domain.casework import (
    IncomeLimits,
    PostingWindow,
    eligibility_hint,
)
from app.domain.pipeline import OPEN, Pipeline, Status
from app.errors import InvalidInput
from app.tenancy.context import TenantContext
from app.tenancy.services import settings_of

PAGE_SIZE = 50


# --- reading ------------------------------------------------------------------------------------


# Not frozen: a frozen dataclass sets each of these thirty fields through object.__setattr__,
# several times the cost of a plain one, and a register page makes fifty. Nothing changes a view.
@dataclass(slots=True)
class CaseView:
    id: int
    line_code: str
    line_name: str
    applicant_name: str
    id_masked: str
    household_size: int
    address: str
    phone: str
    monthly_income: Decimal | None
    separated_household: bool
    received_on: date
    working_days: int
    extension_days: int
    original_due_on: date
    due_on: date
    provisional: bool
    notice_due_on: date
    first_receiver_id: int
    first_receiver_name: str
    handler_id: int
    handler_name: str
    acting_handler_id: int | None  # None while nobody present can act on it (uncovered)
    acting_handler_name: str
    status: str
    status_changed_at: datetime
    decided_at: datetime | None
    created_at: datetime
    overdue: bool
    eligibility: str
    # What intake found worth a second look (SPEC §11): only on the answer to the intake itself.
    warnings: tuple[dict, ...] = ()

    @property
    def open(self) -> bool:
        return self.status in OPEN

    @property
    def uncovered(self) -> bool:
        """Open while its handler is away and nobody present can act on its line (SPEC §5)."""
        return self.open and self.acting_handler_id is None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "line": self.line_code,
            "applicant_name": self.applicant_name,
            "applicant_id_number": self.id_masked,
            "household_size": self.household_size,
            "address": self.address,
            "monthly_income": None if self.monthly_income is None else str(self.monthly_income),
            "separated_household": self.separated_household,
            "received_on": self.received_on.isoformat(),
            "working_days": self.working_days + self.extension_days,
            "original_due_on": self.original_due_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "provisional": self.provisional,
            "notice_due_on": self.notice_due_on.isoformat(),
            "first_receiver_id": self.first_receiver_id,
            "handler_id": self.handler_id,
            "acting_handler_id": self.acting_handler_id,
            "uncovered": self.uncovered,
            "status": self.status,
            "overdue": self.overdue,
            "eligibility": self.eligibility,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "warnings": list(self.warnings),
        }


VIEW_COLUMNS = (
    Case.all_columns(),
    Case.line.code.as_alias("line_code"),
    Case.line.name.as_alias("line_name"),
    Case.first_receiver.name.as_alias("first_receiver_name"),
    Case.handler.name.as_alias("handler_name"),
    Case.acting_handler.name.as_alias("acting_handler_name"),
)


async def income_limits(ctx: TenantContext) -> IncomeLimits:
    configured = (await settings_of(ctx.tenant.id)).get("income_limits", {})
    return IncomeLimits(**{key: Decimal(str(value)) for key, value in configured.items()})


def case_view(row: dict, today: date, limits: IncomeLimits) -> CaseView:
    income = db.two_places(row["monthly_income"])
    return CaseView(
        id=row["id"],
        line_code=row["line_code"],
        line_name=row["line_name"],
        applicant_name=row["applicant_name"],
        id_masked=idnumber.mask(row["applicant_id_number"]),
        household_size=row["household_size"],
        address=row["address"],
        phone=row["phone"],
        monthly_income=income,
        separated_household=row["separated_household"],
        received_on=row["received_on"],
        working_days=row["working_days"],
        extension_days=row["extension_days"],
        original_due_on=row["original_due_on"],
        due_on=row["due_on"],
        provisional=row["due_provisional"],
        notice_due_on=row["notice_due_on"],
        first_receiver_id=row["first_receiver"],
        first_receiver_name=row["first_receiver_name"],
        handler_id=row["handler"],
        handler_name=row["handler_name"],
        acting_handler_id=row["acting_handler"],
        acting_handler_name=row["acting_handler_name"] or "",
        status=row["status"],
        status_changed_at=row["status_changed_at"],
        decided_at=row["decided_at"],
        created_at=row["created_at"],
        overdue=row["status"] in OPEN and row["due_on"] < today,
        eligibility=eligibility_hint(row["line_code"], income, limits).value,
    )


async def get_case(ctx: TenantContext, case_id: int) -> CaseView:
    row = await ctx.select_one(Case, case_id, *VIEW_COLUMNS)
    return case_view(row, ctx.tenant.now().date(), await income_limits(ctx))


@dataclass(frozen=True)
class Cursor:
    """A row's place in the register's order (soonest due first, then oldest): a page's next link
    carries its last row's, so the next page seeks the index there instead of skipping every row
    before it (an OFFSET walks them all: page 100 walked 4,950)."""

    due_on: date
    id: int

    def __str__(self) -> str:
        return f"{self.due_on.isoformat()}_{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor | None:
        """The cursor in a link; None for anything else (the page number alone still finds the page)."""
        day, _, number = text.partition("_")
        try:
            cursor = cls(date.fromisoformat(day), int(number))
        except ValueError:
            return None
        return cursor if 0 < cursor.id < 2**31 else None


@dataclass(frozen=True)
class CaseFilter:
    """What the register is narrowed to; every field optional. ``after`` / ``before``: the page is
    the one after (before) that row, numbered ``page``."""

    line: str = ""
    status: str = ""
    handler_id: int | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool = False
    open_only: bool = False
    uncovered: bool = False
    applicant: str = ""
    page: int = 1
    after: Cursor | None = None
    before: Cursor | None = None


@dataclass
class CasePage:
    cases: list[CaseView]
    total: int  # exact, or with ``more`` a lower bound
    page: int
    pages: int
    filter: CaseFilter = field(default_factory=CaseFilter)
    more: bool = False  # more cases than counted: the last page is further than ``pages``

    @property
    def first(self) -> Cursor | None:
        """Where the previous page ends (its link's ``before``)."""
        return Cursor(self.cases[0].due_on, self.cases[0].id) if self.cases else None

    @property
    def last(self) -> Cursor | None:
        """Where the next page starts (its link's ``after``)."""
        return Cursor(self.cases[-1].due_on, self.cases[-1].id) if self.cases else None


# The register counts at most this many pages past the one asked for: a count of every matching
# case grew with the county's history (each year's decided cases). Beyond it the page says "more
# than", and every next page still opens (and counts ten pages further).
COUNT_AHEAD_PAGES = 10

# Written out rather than built by Piccolo on every request (most of the page's CPU): ``c`` is the
# case, ``l`` its line. The people's names come from the process's kept map (``_views``): three
# joins of portal_user cost PostgreSQL more to plan and run than the rest of the page's statement.
# Row-level security applies; the county is compared as a value too, for the indexes that lead
# with it.
VIEW_SELECT = """SELECT c.id, c.applicant_name, c.applicant_id_number, c.household_size, c.address, c.phone,
c.monthly_income, c.separated_household, c.received_on, c.working_days, c.extension_days,
c.original_due_on, c.due_on, c.due_provisional, c.notice_due_on, c.first_receiver, c.handler,
c.acting_handler, c.status, c.status_changed_at, c.decided_at, c.created_at,
l.code AS line_code, l.name AS line_name{matching}
FROM assistance_case c
LEFT JOIN line l ON l.id = c.line
"""


def is_open(column: str) -> str:
    """``column`` holds an open state, the states written as constants, not parameters: the index
    of open cases by due date (assistance_case_open_due) is partial on exactly this list, and
    only a constant matches it; and a generic plan walks a person's closed cases too when the
    states are parameters (its index, assistance_case_acting, ends with the state)."""
    return f"{column} IN (" + ", ".join(f"'{status}'" for status in sorted(OPEN)) + ")"


IS_OPEN = is_open("c.status")
ORDER = " ORDER BY c.due_on, c.id"


def _where(ctx: TenantContext, chosen: CaseFilter) -> tuple[str, list]:
    """The filter as conditions on ``c`` and their values."""
    conditions, values = ["c.tenant = {}"], [ctx.tenant.id]

    def add(condition: str, *arguments) -> None:
        conditions.append(condition)
        values.extend(arguments)

    if chosen.line:
        add("c.line = (SELECT id FROM line WHERE tenant = {} AND code = {})", ctx.tenant.id, chosen.line)
    if chosen.status:
        add("c.status = {}", chosen.status)
    if chosen.handler_id is not None:
        add("(c.acting_handler = {} OR c.handler = {})", chosen.handler_id, chosen.handler_id)
    if chosen.uncovered:
        add("c.acting_handler IS NULL")
    if chosen.due_from:
        add("c.due_on >= {}", chosen.due_from)
    if chosen.due_to:
        add("c.due_on <= {}", chosen.due_to)
    if chosen.overdue or chosen.open_only or chosen.uncovered:
        add(IS_OPEN)
    if chosen.overdue:
        add("c.due_on < {}", ctx.tenant.now().date())
    if chosen.applicant.strip():
        # SQLite has no ILIKE; its LIKE ignores case (ASCII), as Piccolo's ilike() falls back to.
        add(f"c.applicant_name {'ILIKE' if db.is_postgres() else 'LIKE'} {{}}", f"%{chosen.applicant.strip()}%")
    return " AND ".join(conditions), values


def _enough(page: int, page_size: int) -> int:
    return (page + COUNT_AHEAD_PAGES) * page_size


def _register_page(ctx: TenantContext, chosen: CaseFilter, page: int, page_size: int) -> Raw:
    """One page of the register in full, each row with ``matching``: how many cases match from
    the page's first row on (all of them without a cursor), counted only as far as ``_enough``
    needs (a walk of that many index entries, not of the history)."""
    where, values = _where(ctx, chosen)
    # The page's ids first (an index-only walk of (tenant, due_on, id), from the cursor or over
    # the pages before), then only those rows in full with their joins.
    if chosen.after:
        key = (chosen.after.due_on, chosen.after.id)
        counted = (f"{where} AND (c.due_on, c.id) > ({{}}, {{}})", [*values, *key], _enough(1, page_size) + 1)
        ids = (f"{where} AND (c.due_on, c.id) > ({{}}, {{}}){ORDER} LIMIT {{}}", [*values, *key, page_size])
    elif chosen.before:
        # The rows before it, nearest first; the count starts at the cursor (the page's own rows
        # are added when read).
        key = (chosen.before.due_on, chosen.before.id)
        counted = (f"{where} AND (c.due_on, c.id) >= ({{}}, {{}})", [*values, *key], _enough(0, page_size) + 1)
        ids = (
            f"{where} AND (c.due_on, c.id) < ({{}}, {{}}) ORDER BY c.due_on DESC, c.id DESC LIMIT {{}}",
            [*values, *key, page_size],
        )
    else:
        counted = (where, values, _enough(page, page_size) + 1)
        ids = (f"{where}{ORDER} LIMIT {{}} OFFSET {{}}", [*values, page_size, (page - 1) * page_size])
    count_where, count_values, limit = counted
    matching = (
        f", (SELECT count(*) FROM (SELECT c.id FROM assistance_case c WHERE {count_where} LIMIT {{}}) AS counted)"
        " AS matching"
    )
    sql = (
        VIEW_SELECT.format(matching=matching)
        + f"WHERE c.tenant = {{}} AND c.id IN (SELECT c.id FROM assistance_case c WHERE {ids[0]}){ORDER}"
    )
    return Case.raw(sql, *count_values, limit, ctx.tenant.id, *ids[1])


async def list_cases(ctx: TenantContext, chosen: CaseFilter, *, page_size: int = PAGE_SIZE) -> CasePage:
    """The register: filtered, soonest due first, one page at a time, with its count: one statement."""
    if chosen.status and chosen.status not in set(Status):
        raise InvalidInput("没有“{status}”这个案件状态", status=chosen.status)
    current = max(chosen.page, 1)
    rows = await _register_page(ctx, chosen, current, page_size)
    # Counted from the first case (a page number), or from the page's first row (``after``) or
    # past its last (``before``).
    before = (current - 1) * page_size if chosen.after or chosen.before else 0
    if chosen.before:
        before += len(rows)
    if not rows and current > 1:
        # Past the last page (an old link, fewer cases now): the last page instead.
        where, values = _where(ctx, chosen)
        matching = Case.raw(
            f"SELECT c.id FROM assistance_case c WHERE {where} LIMIT {{}}", *values, _enough(current, page_size)
        )
        (counted,) = await db.counts(db.count_of(matching))
        current = max(1, -(-counted // page_size))
        unplaced = replace(chosen, after=None, before=None)
        rows, before = await _register_page(ctx, unplaced, current, page_size), 0
    counted = before + rows[0]["matching"] if rows else 0
    total, more = min(counted, _enough(current, page_size)), counted > _enough(current, page_size)
    pages = max(1, -(-total // page_size))
    return CasePage(await _views(ctx, rows), total, current, pages, chosen, more)


async def all_cases(ctx: TenantContext, chosen: CaseFilter) -> list[CaseView]:
    """Every case the filter matches, for the Excel export."""
    where, values = _where(ctx, chosen)
    return await _views(ctx, await Case.raw(VIEW_SELECT.format(matching="") + f"WHERE {where}{ORDER}", *values))


async def _views(ctx: TenantContext, rows: list[dict]) -> list[CaseView]:
    """``VIEW_SELECT``'s rows as views, their people named from the county's kept names."""
    names, today, limits = await people_names(ctx), ctx.tenant.now().date(), await income_limits(ctx)
    for row in rows:
        row["first_receiver_name"] = names.get(row["first_receiver"], "")
        row["handler_name"] = names.get(row["handler"], "")
        row["acting_handler_name"] = names.get(row["acting_handler"], "")
    return [case_view(row, today, limits) for row in rows]


# --- the dashboard --------------------------------------------------------------------------------


# Written out: every dashboard counts them, and Piccolo's building costs more than the answer.
_OPEN_CASES = f"SELECT count(*) AS count FROM assistance_case WHERE tenant = {{}} AND {is_open('status')} AND "


def uncovered_count(ctx: TenantContext) -> Raw:
    """Open cases nobody present can act on (SPEC §5), shouted on every admin dashboard: a count
    for ``db.counts``."""
    return Case.raw(_OPEN_CASES + "acting_handler IS NULL", ctx.tenant.id)


def open_count(ctx: TenantContext, user_id: int) -> Raw:
    """A person's open cases: a count for ``db.counts``."""
    return Case.raw(_OPEN_CASES + "acting_handler = {}", ctx.tenant.id, user_id)


def due_by_today(ctx: TenantContext, user_id: int) -> Raw:
    """How many of a person's open cases are overdue or due today (``urgent_cases``'s first two
    groups: no calendar needed), as a query for ``db.counts``."""
    today = ctx.tenant.now().date()
    sql = _OPEN_CASES + "acting_handler = {} AND due_on <= {}"
    return Case.raw(sql, ctx.tenant.id, user_id, today)


DECISIONS_SHOWN = 50

# Each line's pipeline (survey and posting on or off) ends at its own step: a case ready for 审批
# is there.
_LAST_STEPS = [
    (survey, posting, Pipeline(survey, posting).steps()[-1].value)
    for survey in (False, True)
    for posting in (False, True)
]
_READY_STATES = sorted({status for _, _, status in _LAST_STEPS})
# Ready for 审批: the county's cases at their line's last step, ids from indexes alone
# (assistance_case_line_status: each of the county's lines with its last step leads).
_CANDIDATES = """SELECT a.id, a.due_on FROM assistance_case a
WHERE a.tenant = {} AND a.status IN (STATES)
AND (a.line, a.status) IN (SELECT s.id, CASE LAST_STEP END FROM line s WHERE s.tenant = {})""".replace(
    "STATES", ", ".join("{}" for _ in _READY_STATES)
).replace("LAST_STEP", " ".join("WHEN s.needs_survey = {} AND s.needs_posting = {} THEN {}" for _ in _LAST_STEPS))
# And not held: no open objection, no posting whose window still runs (posting_window).
_NOT_HELD = """ WHERE NOT EXISTS (SELECT 1 FROM objection o WHERE o."case" = ready.id AND o.resolved_at IS NULL)
AND NOT EXISTS (SELECT 1 FROM posting p WHERE p."case" = ready.id AND p.starts_on > {})"""
# The soonest due first: the candidates sorted before they are checked (a sorted subquery stays
# apart), so the checks stop at the last case shown instead of probing every candidate; then only
# the shown cases are read in full. Every section head's and leader's dashboard asks.
READY_FOR_DECISION = (
    "SELECT c.id, c.applicant_name, l.name AS line_name, c.due_on FROM (SELECT ready.id FROM ("
    + _CANDIDATES
    + " ORDER BY a.due_on, a.id) AS ready"
    + _NOT_HELD
    + """ ORDER BY ready.due_on, ready.id LIMIT {}) AS shown
JOIN assistance_case c ON c.id = shown.id
JOIN line l ON l.id = c.line
ORDER BY c.due_on, c.id"""
)


def _ready_values(ctx: TenantContext) -> list:
    bound = PostingWindow.still_blocking_after(ctx.tenant.now().date())
    steps = (value for step in _LAST_STEPS for value in step)
    return [ctx.tenant.id, *_READY_STATES, *steps, ctx.tenant.id, bound]


def awaiting_decision(ctx: TenantContext, limit: int = DECISIONS_SHOWN) -> Raw:
    """Cases ready for 审批 (id, applicant, line name, due date), ``limit`` of them, as a query."""
    return Case.raw(READY_FOR_DECISION, *_ready_values(ctx), limit)


def awaiting_decision_count(ctx: TenantContext) -> QueryString:
    """How many ``awaiting_decision`` lists (at most ``DECISIONS_SHOWN``), as a query for
    ``db.counts``: the ids alone, in no order (the first ``DECISIONS_SHOWN`` found will do)."""
    sql = f"SELECT ready.id FROM ({_CANDIDATES}) AS ready{_NOT_HELD} LIMIT {{}}"
    return db.count_of(Case.raw(sql, *_ready_values(ctx), DECISIONS_SHOWN))
