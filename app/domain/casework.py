"""Casework rules that need no database (SPEC §6, 限时办结制度 第十三条, 城乡低保办理流程)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

import msgspec

from app.domain.workdays import MAX_WORKING_DAYS, DueDate, WorkCalendar
from app.errors import InvalidInput
from app.i18n import N_
from app.text import collapse_spaces

POSTING_DAYS = 7
"""A public posting (公示) runs seven calendar days, the first day included."""

REMEDY_WORKING_DAYS = 5
"""The remedy a warning orders (责令采取补救措施) is due this many working days after it, unless set."""

NOTICE_WORKING_DAYS = 3
"""The one-time notice of missing materials must be issued within 3 working days of receipt."""

MAX_EXTENSION_DAYS = 30


@dataclass(frozen=True)
class CaseDates:
    """The dates a case is held to; provisional while any of them rests on a guessed day."""

    original_due_on: date
    due_on: date
    notice_due_on: date
    provisional: bool


def case_dates(calendar: WorkCalendar, received_on: date, working_days: int, extension_days: int = 0) -> CaseDates:
    """Due dates from receipt (第十条): the line's limit, plus any extension a leader granted."""
    if isinstance(extension_days, bool) or not isinstance(extension_days, int) or extension_days < 0:
        raise InvalidInput("延期须为不小于 0 的整数个工作日，不是 {days}", days=extension_days)
    original = calendar.due_date(received_on, working_days)
    # The extensions (all of them, added up) count on from the original due date, a working day, in
    # steps the calendar accepts: a long line limit plus its extensions may exceed one line's bound.
    due, remaining = original, extension_days
    while remaining:
        step = min(remaining, MAX_WORKING_DAYS)
        later = calendar.add_working_days(due.due_on, step)
        due, remaining = DueDate(later.due_on, due.provisional or later.provisional), remaining - step
    notice = calendar.due_date(received_on, NOTICE_WORKING_DAYS)
    # The notice is due after the case itself on a line of 1 or 2 working days: it counts as well.
    provisional = original.provisional or due.provisional or notice.provisional
    return CaseDates(original.due_on, due.due_on, notice.due_on, provisional)


MAX_HOUSEHOLD = 30
# A case is entered when it is received, or taken over from a ledger: never for a day to come,
# and not from more than a year back (a typo in the year, most likely).
OLDEST_RECEIPT = timedelta(days=366)


def check_household_size(size: object) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_HOUSEHOLD:
        raise InvalidInput("家庭人口须为 1–{max} 人", max=MAX_HOUSEHOLD)
    return size


def check_received_on(received_on: date, today: date) -> date:
    """The day an application was received, as intake and the ledger import accept it."""
    if received_on > today:
        raise InvalidInput("接收日期 {day} 晚于今天，不能预先登记", day=received_on.isoformat())
    if today - received_on > OLDEST_RECEIPT:
        raise InvalidInput("接收日期 {day} 早于一年前，请核对", day=received_on.isoformat())
    return received_on


class Level(StrEnum):
    ADMONITION = "admonition"
    WARNING = "warning"
    SANCTION = "sanction"
    # 追究科室负责人的责任: the section head's record beside a sanction of one of the section.
    HEAD = "head"


LEVEL_LABELS = {
    Level.ADMONITION: N_("诫勉教育"),
    Level.WARNING: N_("行政告诫"),
    Level.SANCTION: N_("处理"),
    Level.HEAD: N_("追究科室负责人责任"),
}

LADDER = (Level.ADMONITION, Level.WARNING, Level.SANCTION)
"""The levels of a person's own offences; a head's record is beside the ladder, not on it."""


@dataclass(frozen=True)
class Served:
    """A record already made against the person in the year: its level, the day it was recorded
    and, for a warning, the day its remedy was done (None while it is not)."""

    level: Level
    recorded_on: date
    remedy_done_on: date | None = None

    def remedy_open_on(self, day: date) -> bool:
        return self.level == Level.WARNING and (self.remedy_done_on is None or self.remedy_done_on > day)


def ladder_level(served: list[Served], occasion_on: date) -> Level:
    """第十三条 as SPEC §6 reads it: the level of an occasion (one person's offences falling due on
    ``occasion_on``), given the person's earlier records of the same calendar year.

    Levels climb only after the previous one was served, i.e. recorded before the occasion's due
    date: the first occasion is an admonition; one after an admonition (or any record) is a warning,
    which orders a remedy; one after a warning whose remedy was still not done on that day
    (经告诫仍不改正) is a sanction. A remedy done on the occasion's day counts as done.
    """
    before = [record for record in served if record.level in LADDER and record.recorded_on < occasion_on]
    if any(record.remedy_open_on(occasion_on) for record in before):
        return Level.SANCTION
    if before:
        return Level.WARNING
    return Level.ADMONITION


def remedy_due_on(calendar: WorkCalendar, recorded_on: date) -> date:
    """When the remedy a warning orders is due unless the section head sets another day."""
    return calendar.add_working_days(recorded_on, REMEDY_WORKING_DAYS).due_on


def check_remedy(text: str, due_on: date | None, done_on: date | None, recorded_on: date, today: date) -> str:
    """A remedy as a head or admin edits it: some text, a due date and a done date not before the
    warning, and nothing done in the future."""
    text = collapse_spaces(text)
    if not text:
        raise InvalidInput("请填写补救措施")
    if len(text) > 500:
        raise InvalidInput("补救措施不能超过 {limit} 个字符", limit=500)
    if due_on is None:
        raise InvalidInput("请填写补救期限")
    for day in (due_on, done_on):
        if day is not None and day < recorded_on:
            raise InvalidInput(
                "日期 {day} 早于告诫日期 {recorded}", day=day.isoformat(), recorded=recorded_on.isoformat()
            )
    if done_on is not None and done_on > today:
        raise InvalidInput("完成日期 {day} 晚于今天", day=done_on.isoformat())
    return text


@dataclass(frozen=True)
class PostingWindow:
    """A public posting as every message, reminder, button and decision sees it (SPEC §6): the last
    day is the 7th counted from the first, and approval is possible from the day after it."""

    starts_on: date

    @property
    def ends_on(self) -> date:
        return self.starts_on + timedelta(days=POSTING_DAYS - 1)

    @property
    def approval_opens_on(self) -> date:
        return self.ends_on + timedelta(days=1)

    def blocks_approval(self, today: date) -> bool:
        """Also before it starts: a posting entered ahead (e.g. from Monday) holds approval too."""
        return today < self.approval_opens_on

    @staticmethod
    def still_blocking_after(today: date) -> date:
        """Postings that start after this day block approval today (``blocks_approval`` as a bound,
        for a query)."""
        return today - timedelta(days=POSTING_DAYS)


@dataclass(frozen=True)
class IncomeLimits:
    """城乡低保 standards (tenant settings): rural per year, urban per month, per capita, in yuan."""

    rural_per_year: Decimal = Decimal("1320")
    urban_per_month: Decimal = Decimal("290")


class Eligibility(StrEnum):
    BELOW = "below"
    ABOVE = "above"
    NOT_APPLICABLE = "n/a"


def eligibility_hint(line_code: str, monthly_per_capita: Decimal | None, limits: IncomeLimits) -> Eligibility:
    """Whether the declared income is below the 低保 standard; a flag for people, never a decision."""
    if monthly_per_capita is None:
        return Eligibility.NOT_APPLICABLE
    if line_code == "urban_dibao":
        limit, income = limits.urban_per_month, monthly_per_capita
    elif line_code == "rural_dibao":
        limit, income = limits.rural_per_year, monthly_per_capita * 12
    else:
        return Eligibility.NOT_APPLICABLE
    return Eligibility.BELOW if income < limit else Eligibility.ABOVE


def check_missing_items(items: list[str]) -> list[str]:
    """The list of a one-time notice: at least one item, each said once, each short enough to print."""
    cleaned: list[str] = []
    for item in items:
        text = collapse_spaces(item)
        if not text or text in cleaned:
            continue
        if len(text) > 200:
            raise InvalidInput("每项缺少的材料不能超过 {limit} 个字符", limit=200)
        cleaned.append(text)
    if not cleaned:
        raise InvalidInput("一次性告知须列出至少一项缺少的材料")
    return cleaned


def check_investigators(investigators: list[int]) -> list[int]:
    """入户调查: at least two different people."""
    distinct = list(dict.fromkeys(investigators))
    if len(distinct) < 2:
        raise InvalidInput("入户调查须由至少两名不同的工作人员进行")
    return distinct


# 一次性告知: the usual materials of each statutory line; a county may replace a line's list.
_DIBAO_MATERIALS = (
    "低保申请书",
    "户口簿及家庭成员身份证复印件",
    "家庭成员收入证明",
    "家庭财产状况申报及核对授权书",
    "患病、残疾等特殊情况证明",
)
DEFAULT_MATERIALS = {
    "urban_dibao": _DIBAO_MATERIALS,
    "rural_dibao": _DIBAO_MATERIALS,
    "medical": (
        "医疗救助申请书",
        "身份证及户口簿复印件",
        "住院病历及诊断证明",
        "医疗费用发票及医保结算单",
        "低保、特困等救助对象证明",
    ),
    "temporary": (
        "临时救助申请书",
        "身份证及户口簿复印件",
        "遭遇困难的证明材料（事故、疾病、灾害等）",
        "家庭成员收入证明",
    ),
    "other": ("申请书", "身份证复印件"),
}


def checklist(line_code: str, configured: str) -> list[str]:
    """The line's checklist: the county's own (one item per line of text), else the usual one."""
    own = [item.strip() for item in configured.splitlines() if item.strip()]
    return own or list(DEFAULT_MATERIALS.get(line_code, ()))


# 城乡医疗救助办理流程 一至三: the village (村委会) and the town (乡镇) review and post the
# application before the county receives it; the county records what they did at intake.
class ReviewLevel(StrEnum):
    VILLAGE = "village"
    TOWN = "town"


REVIEW_LEVEL_LABELS = {ReviewLevel.VILLAGE: N_("村（居）委会"), ReviewLevel.TOWN: N_("乡镇（街道）")}
REVIEW_TEXT_LIMIT = 200


class PriorReview(msgspec.Struct, forbid_unknown_fields=True):
    """What one level below the county did with the application: every field but the level optional."""

    level: str
    reviewed_on: date | None = None
    posted_from: date | None = None
    posted_to: date | None = None
    outcome: str = ""
    document: str = ""

    @property
    def empty(self) -> bool:
        return not (self.reviewed_on or self.posted_from or self.posted_to or self.outcome or self.document)


def check_prior_reviews(reviews: list[PriorReview], received_on: date) -> list[PriorReview]:
    """The reviews worth keeping (empty ones dropped), each level once, each before the county received
    the file, a posting with both its days in order; texts trimmed to what a register holds."""
    kept: list[PriorReview] = []
    for review in reviews:
        try:
            level = ReviewLevel(review.level)
        except ValueError:
            raise InvalidInput("没有“{level}”这一级审核", level=review.level) from None
        cleaned = msgspec.structs.replace(
            review,
            level=level.value,
            outcome=collapse_spaces(review.outcome),
            document=collapse_spaces(review.document),
        )
        if cleaned.empty:
            continue
        label = REVIEW_LEVEL_LABELS[level]
        if any(earlier.level == level for earlier in kept):
            raise InvalidInput("{level}的审核只能登记一次", level=label)
        for text in (cleaned.outcome, cleaned.document):
            if len(text) > REVIEW_TEXT_LIMIT:
                raise InvalidInput(
                    "{level}的审核意见和文书不能超过 {limit} 个字符", level=label, limit=REVIEW_TEXT_LIMIT
                )
        if (cleaned.posted_from is None) != (cleaned.posted_to is None):
            raise InvalidInput("{level}的公示须填写起止两个日期", level=label)
        if cleaned.posted_from and cleaned.posted_to and cleaned.posted_to < cleaned.posted_from:
            raise InvalidInput("{level}的公示结束日期早于开始日期", level=label)
        for day in (cleaned.reviewed_on, cleaned.posted_from, cleaned.posted_to):
            if day is not None and day > received_on:
                raise InvalidInput(
                    "{level}的审核和公示应在县里接收（{received}）之前", level=label, received=received_on.isoformat()
                )
        kept.append(cleaned)
    return kept


# 首问负责制: how an enquiry came in, and where it stands.
class Channel(StrEnum):
    VISIT = "visit"
    PHONE = "phone"
    LETTER = "letter"
    ONLINE = "online"


CHANNEL_LABELS = {
    Channel.VISIT: N_("来访"),
    Channel.PHONE: N_("来电"),
    Channel.LETTER: N_("来信"),
    Channel.ONLINE: N_("网上"),
}


class EnquiryStatus(StrEnum):
    ANSWERED = "answered"
    # Referred to another office and not confirmed yet: still the first receiver's (第三条).
    REFERRED = "referred"
    REFERRAL_CONFIRMED = "referral_confirmed"
    BECAME_CASE = "case"


ENQUIRY_STATUS_LABELS = {
    EnquiryStatus.ANSWERED: N_("已答复"),
    EnquiryStatus.REFERRED: N_("已转办，待对方确认"),
    EnquiryStatus.REFERRAL_CONFIRMED: N_("转办已确认"),
    EnquiryStatus.BECAME_CASE: N_("已受理为案件"),
}


def enquiry_status(referred_to: str, confirmed_on: date | None, case_id: int | None) -> EnquiryStatus:
    if case_id is not None:
        return EnquiryStatus.BECAME_CASE
    if referred_to:
        return EnquiryStatus.REFERRAL_CONFIRMED if confirmed_on else EnquiryStatus.REFERRED
    return EnquiryStatus.ANSWERED


def check_enquiry_outcome(answer: str, referred_to: str, referred_on: date | None, today: date, has_case: bool) -> None:
    """An enquiry is logged with what became of it: an answer, a referral (office and date) or a case."""
    if not (answer or referred_to or has_case):
        raise InvalidInput("请填写答复内容，或转办的单位，或关联的案件")
    if referred_to and referred_on is None:
        raise InvalidInput("请填写转办日期")
    if referred_on is not None and not referred_to:
        raise InvalidInput("请填写转办的单位")
    if referred_on is not None and referred_on > today:
        raise InvalidInput("转办日期 {day} 晚于今天", day=referred_on.isoformat())
