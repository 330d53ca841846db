"""Casework rules (SPEC §6): due dates over real 2024–2026 holidays, accountability, posting, eligibility, lists."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.casework import (
    LADDER,
    LEVEL_LABELS,
    NOTICE_WORKING_DAYS,
    POSTING_DAYS,
    CaseDates,
    Eligibility,
    EnquiryStatus,
    IncomeLimits,
    Level,
    PostingWindow,
    PriorReview,
    ReviewLevel,
    Served,
    case_dates,
    check_enquiry_outcome,
    check_investigators,
    check_missing_items,
    check_prior_reviews,
    check_remedy,
    eligibility_hint,
    enquiry_status,
    ladder_level,
    remedy_due_on,
)
from app.domain.workdays import DayOverride, WorkCalendar
from app.errors import InvalidInput

CAL = WorkCalendar()
FAST = settings(max_examples=200, deadline=None)
ONE_DAY = timedelta(days=1)


def d(text: str) -> date:
    return date.fromisoformat(text)


def brute_force_due(received_on: date, n: int, is_workday=chinese_calendar.is_workday) -> date:
    """Day by day with the package itself: the N-th working day strictly after receipt."""
    day, counted = received_on, 0
    while counted < n:
        day += ONE_DAY
        counted += bool(is_workday(day))
    return day


def working_days_after(start: date, end: date) -> int:
    """Working days d with start < d <= end, straight from the package."""
    return sum(chinese_calendar.is_workday(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


# ---- due dates over real holidays and 调休 -------------------------------------------------------------------------

RECEIPTS = [
    pytest.param("2024-09-27", id="friday-before-national-day-2024"),
    pytest.param("2025-09-26", id="friday-before-national-day-2025"),
    pytest.param("2026-09-18", id="friday-before-mid-autumn-and-national-day-2026"),
    pytest.param("2024-11-16", id="ordinary-saturday"),
    pytest.param("2024-10-12", id="adjusted-working-saturday"),
    pytest.param("2024-10-03", id="national-day-holiday"),
    pytest.param("2026-02-17", id="spring-festival-holiday"),
    pytest.param("2024-09-29", id="adjusted-working-sunday-2024"),
    pytest.param("2025-09-28", id="adjusted-working-sunday-2025"),
    pytest.param("2026-01-04", id="adjusted-working-sunday-2026"),
    pytest.param("2025-01-26", id="adjusted-working-sunday-before-spring-festival"),
]


@pytest.mark.parametrize("extension", [0, 1, 7])
@pytest.mark.parametrize("working_days", [1, 5, 10, 15])
@pytest.mark.parametrize("received_on", RECEIPTS)
def test_case_dates_match_a_day_by_day_count_with_the_package(received_on, working_days, extension):
    received = d(received_on)
    dates = case_dates(CAL, received, working_days, extension)
    assert dates == CaseDates(
        original_due_on=brute_force_due(received, working_days),
        due_on=brute_force_due(received, working_days + extension),
        notice_due_on=brute_force_due(received, NOTICE_WORKING_DAYS),
        provisional=False,
    )


HAND_COUNTED = [
    # received, working days, notice due, due — counted on the 2024–2026 State Council schedules
    ("2024-09-27", 10, "2024-10-08", "2024-10-16"),  # Fri; Sun 09-29 worked, 10-01..07 off, Sat 10-12 worked
    ("2025-09-26", 10, "2025-09-30", "2025-10-16"),  # Fri; Sun 09-28 worked, 10-01..08 off, Sat 10-11 worked
    ("2024-11-16", 5, "2024-11-20", "2024-11-22"),  # an ordinary Saturday does not count
    ("2024-10-12", 5, "2024-10-16", "2024-10-18"),  # received on a worked Saturday: it still does not count
    ("2024-10-03", 5, "2024-10-10", "2024-10-12"),  # received on a holiday, due on the worked Saturday
    ("2026-02-17", 5, "2026-02-26", "2026-02-28"),  # received during Spring Festival, due on the worked Saturday
    ("2024-09-29", 5, "2024-10-09", "2024-10-11"),  # received on a worked Sunday
    ("2025-01-26", 10, "2025-02-06", "2025-02-14"),  # worked Sunday, then 01-28..02-04 off, Sat 02-08 worked
]


@pytest.mark.parametrize(("received_on", "working_days", "notice_due_on", "due_on"), HAND_COUNTED)
def test_case_dates_agree_with_dates_counted_by_hand(received_on, working_days, notice_due_on, due_on):
    dates = case_dates(CAL, d(received_on), working_days)
    assert dates == CaseDates(d(due_on), d(due_on), d(notice_due_on), provisional=False)


@pytest.mark.parametrize("received_on", RECEIPTS)
def test_the_day_of_receipt_never_counts_even_on_an_adjusted_working_day(received_on):
    received = d(received_on)
    assert case_dates(CAL, received, 1).due_on == brute_force_due(received, 1) > received


known_receipts = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 6, 30))


@FAST
@given(known_receipts, st.integers(min_value=1, max_value=30), st.integers(min_value=1, max_value=30))
def test_an_extension_adds_exactly_that_many_working_days_to_the_due_date(received_on, working_days, extension):
    plain = case_dates(CAL, received_on, working_days)
    extended = case_dates(CAL, received_on, working_days, extension)
    assert extended.original_due_on == plain.original_due_on == plain.due_on
    assert extended.notice_due_on == plain.notice_due_on
    assert extended.due_on > extended.original_due_on
    assert chinese_calendar.is_workday(extended.due_on)
    assert working_days_after(extended.original_due_on, extended.due_on) == extension
    assert working_days_after(extended.original_due_on, extended.due_on - ONE_DAY) == extension - 1
    assert extended.provisional is False


@FAST
@given(known_receipts, st.integers(min_value=1, max_value=60))
def test_the_notice_is_due_on_the_third_working_day_after_receipt_whatever_the_line(received_on, working_days):
    notice = case_dates(CAL, received_on, working_days).notice_due_on
    assert notice == brute_force_due(received_on, 3)
    assert chinese_calendar.is_workday(notice)
    assert working_days_after(received_on, notice) == 3
    assert working_days_after(received_on, notice - ONE_DAY) == 2


def test_no_extension_keeps_the_original_due_date():
    dates = case_dates(CAL, d("2024-09-27"), 10, 0)
    assert dates.due_on == dates.original_due_on == d("2024-10-16")


def test_the_longest_line_limit_plus_long_extensions_is_still_counted():
    # 60 working days is the most a line may have; a leader may extend 30 at a time, more than once.
    dates = case_dates(CAL, d("2024-01-02"), 60, 30)
    assert dates.original_due_on == brute_force_due(d("2024-01-02"), 60)
    assert dates.due_on == brute_force_due(d("2024-01-02"), 90)
    assert case_dates(CAL, d("2024-01-02"), 60, 90).due_on == brute_force_due(d("2024-01-02"), 150)


@pytest.mark.parametrize("extension", [-1, -10, 1.5, "3", None, True])
def test_an_extension_that_is_not_a_whole_number_of_days_from_zero_up_is_invalid(extension):
    with pytest.raises(InvalidInput) as caught:
        case_dates(CAL, d("2024-09-27"), 10, extension)
    assert caught.value.fields == {"days": extension}
    assert str(caught.value).isascii()


def test_a_line_limit_out_of_bounds_is_invalid_input():
    for working_days in (0, 61):
        with pytest.raises(InvalidInput):
            case_dates(CAL, d("2024-09-27"), working_days)


# ---- years the package does not know ------------------------------------------------------------------------------

JANUARY_2027 = [
    DayOverride(d("2027-01-01") + timedelta(days=i), workday=(d("2027-01-01") + timedelta(days=i)).weekday() < 5)
    for i in range(31)
]
JANUARY_2027[0] = DayOverride(d("2027-01-01"), workday=False, note="元旦")


def test_a_case_running_into_an_unknown_year_is_provisional():
    assert 2027 not in CAL.known_years()
    dates = case_dates(CAL, d("2026-12-24"), 10)
    assert dates.provisional is True
    assert dates.due_on == brute_force_due(d("2026-12-24"), 10, lambda day: CAL.is_workday(day))


def test_entering_the_days_involved_makes_the_dates_final_and_moves_them_past_new_year():
    calendar = WorkCalendar(JANUARY_2027)
    guessed = case_dates(CAL, d("2026-12-30"), 5)
    entered = case_dates(calendar, d("2026-12-30"), 5)
    # Monday–Friday guessing counts Friday 2027-01-01; the entered schedule makes it 元旦.
    assert guessed == CaseDates(d("2027-01-06"), d("2027-01-06"), d("2027-01-04"), provisional=True)
    assert entered == CaseDates(d("2027-01-07"), d("2027-01-07"), d("2027-01-05"), provisional=False)


def test_only_the_days_involved_need_entering_and_one_missing_day_keeps_it_provisional():
    received, working_days = d("2026-12-28"), 5
    involved = [o for o in JANUARY_2027 if o.day <= d("2027-01-05")]
    assert case_dates(WorkCalendar(involved), received, working_days).provisional is False
    assert case_dates(WorkCalendar(involved[:-1]), received, working_days).provisional is True


def test_global_overrides_entered_by_the_superadmin_make_the_dates_final_too():
    dates = case_dates(WorkCalendar((), JANUARY_2027), d("2026-12-30"), 5)
    assert dates == CaseDates(d("2027-01-07"), d("2027-01-07"), d("2027-01-05"), provisional=False)


def test_a_notice_due_in_an_unknown_year_makes_a_short_case_provisional():
    # A 1-day line: the case is due in the known year, but the notice (3 working days) is a guess.
    dates = case_dates(CAL, d("2026-12-30"), 1)
    assert dates.due_on == d("2026-12-31")
    assert dates.notice_due_on.year == 2027
    assert dates.provisional is True
    assert case_dates(WorkCalendar(JANUARY_2027), d("2026-12-30"), 1).provisional is False


def test_an_extension_into_an_unknown_year_makes_the_dates_provisional_until_entered():
    plain = case_dates(CAL, d("2026-12-01"), 10)
    assert plain.due_on.year == 2026 and plain.provisional is False
    assert case_dates(CAL, d("2026-12-01"), 10, 20).provisional is True
    assert case_dates(WorkCalendar(JANUARY_2027), d("2026-12-01"), 10, 20).provisional is False


# ---- accountability (第十三条, SPEC §6) ----------------------------------------------------------------------------

A, W, S = Level.ADMONITION, Level.WARNING, Level.SANCTION


def served(level: Level, recorded: str, done: str | None = None) -> Served:
    return Served(level, d(recorded), d(done) if done else None)


def test_the_first_occasion_of_the_year_is_an_admonition():
    assert ladder_level([], d("2026-03-02")) is A


def test_an_occasion_due_after_an_admonition_was_recorded_is_a_warning():
    assert ladder_level([served(A, "2026-03-03")], d("2026-03-04")) is W


def test_an_occasion_due_before_or_on_the_day_the_admonition_was_recorded_stays_an_admonition():
    # Not yet admonished when those cases fell due: the level climbs only once the previous was served.
    assert ladder_level([served(A, "2026-03-03")], d("2026-03-03")) is A
    assert ladder_level([served(A, "2026-03-03")], d("2026-03-01")) is A


def test_an_occasion_after_a_warning_whose_remedy_is_not_done_is_a_sanction():
    history = [served(A, "2026-03-03"), served(W, "2026-03-10")]
    assert ladder_level(history, d("2026-03-11")) is S


def test_an_occasion_after_a_warning_whose_remedy_was_done_is_a_warning_again():
    history = [served(A, "2026-03-03"), served(W, "2026-03-10", done="2026-03-12")]
    assert ladder_level(history, d("2026-03-20")) is W
    assert ladder_level(history, d("2026-03-12")) is W  # done on the day counts as done
    assert ladder_level(history, d("2026-03-11")) is S  # still open that day (经告诫仍不改正)


def test_an_occasion_due_before_the_warning_was_recorded_is_not_a_sanction():
    history = [served(A, "2026-03-03"), served(W, "2026-03-10")]
    assert ladder_level(history, d("2026-03-10")) is W


def test_after_a_sanction_an_open_remedy_keeps_giving_sanctions_and_a_done_one_a_warning():
    open_remedy = [served(A, "2026-03-03"), served(W, "2026-03-10"), served(S, "2026-03-12")]
    assert ladder_level(open_remedy, d("2026-04-01")) is S
    done = [served(A, "2026-03-03"), served(W, "2026-03-10", "2026-03-20"), served(S, "2026-03-12")]
    assert ladder_level(done, d("2026-04-01")) is W


def test_a_head_record_is_not_on_the_ladder_of_its_holder():
    assert ladder_level([served(Level.HEAD, "2026-03-03")], d("2026-04-01")) is A


LEVELS = st.sampled_from([A, W, S, Level.HEAD])
DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))


@FAST
@given(st.lists(st.tuples(LEVELS, DAYS, st.one_of(st.none(), DAYS)), max_size=6), DAYS)
def test_the_ladder_climbs_only_over_records_served_before_the_occasion(history, occasion_on):
    records = [Served(level, recorded, done if level == W else None) for level, recorded, done in history]
    level = ladder_level(records, occasion_on)
    before = [r for r in records if r.level in LADDER and r.recorded_on < occasion_on]
    # The level depends only on what was recorded before the occasion...
    assert level is ladder_level(before, occasion_on)
    # ...an admonition exactly when nothing was, a sanction exactly when a warning's remedy was open.
    assert (level is A) == (not before)
    assert (level is S) == any(
        r.level is W and (r.remedy_done_on is None or r.remedy_done_on > occasion_on) for r in before
    )


def test_accountability_levels_carry_the_regulations_chinese_names():
    assert LEVEL_LABELS == {
        Level.ADMONITION: "诫勉教育",
        Level.WARNING: "行政告诫",
        Level.SANCTION: "处理",
        Level.HEAD: "追究科室负责人责任",
    }


def test_a_remedy_is_due_five_working_days_after_the_warning():
    assert remedy_due_on(CAL, d("2026-09-30")) == d("2026-10-13")  # over the National Day week


def test_a_remedy_needs_text_and_a_due_date_not_before_the_warning_and_is_not_done_in_the_future():
    recorded, today = d("2026-03-10"), d("2026-03-20")
    assert check_remedy("  写出  说明 ", d("2026-03-17"), None, recorded, today) == "写出 说明"
    assert check_remedy("补办", d("2026-03-17"), d("2026-03-20"), recorded, today) == "补办"
    for text, due, done in (
        ("", d("2026-03-17"), None),
        ("补办", None, None),
        ("补办", d("2026-03-09"), None),
        ("补办", d("2026-03-17"), d("2026-03-09")),
        ("补办", d("2026-03-17"), d("2026-03-21")),
        ("补" * 501, d("2026-03-17"), None),
    ):
        with pytest.raises(InvalidInput):
            check_remedy(text, due, done, recorded, today)


# ---- public posting (公示): one rule for messages, reminders, buttons and decisions --------------------------------


def test_a_posting_lasts_seven_calendar_days_including_the_first():
    assert POSTING_DAYS == 7
    assert PostingWindow(d("2024-09-28")).ends_on == d("2024-10-04")  # holidays are calendar days too
    assert PostingWindow(d("2025-12-28")).ends_on == d("2026-01-03")
    assert PostingWindow(d("2024-02-26")).ends_on == d("2024-03-03")  # through 29 February


def test_approval_opens_the_day_after_the_postings_last_day():
    window = PostingWindow(d("2026-11-30"))
    assert (window.ends_on, window.approval_opens_on) == (d("2026-12-06"), d("2026-12-07"))
    assert window.blocks_approval(d("2026-11-29"))  # entered ahead: blocks before it starts too
    assert window.blocks_approval(d("2026-12-06"))  # the last day is still a day of the posting
    assert not window.blocks_approval(d("2026-12-07"))


@FAST
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_approval_is_blocked_exactly_until_the_seventh_day_has_passed(start):
    window = PostingWindow(start)
    days = [start + timedelta(days=i) for i in range(-10, 20)]
    open_days = [day for day in days if not window.blocks_approval(day)]
    assert open_days[0] == start + timedelta(days=7) == window.approval_opens_on
    assert window.ends_on == start + timedelta(days=6)


# ---- 城乡医疗救助: the village's and the town's review before the county -------------------------------------------


def review(level: str = "village", **fields) -> PriorReview:
    return PriorReview(level=level, **fields)


def test_prior_reviews_keep_what_was_entered_and_drop_empty_ones():
    received = d("2026-11-28")
    village = review(
        "village",
        reviewed_on=d("2026-11-10"),
        posted_from=d("2026-11-11"),
        posted_to=d("2026-11-17"),
        outcome=" 同意  上报 ",
        document="村审〔2026〕3号",
    )
    kept = check_prior_reviews([village, review("town")], received)
    assert kept == [
        review(
            "village",
            reviewed_on=d("2026-11-10"),
            posted_from=d("2026-11-11"),
            posted_to=d("2026-11-17"),
            outcome="同意 上报",
            document="村审〔2026〕3号",
        )
    ]
    assert check_prior_reviews([review("town", outcome="同意")], received)[0].level == ReviewLevel.TOWN


@pytest.mark.parametrize(
    "reviews",
    [
        [review("county", outcome="同意")],
        [review(outcome="同意"), review(outcome="再次")],
        [review(posted_from=d("2026-11-11"))],
        [review(posted_to=d("2026-11-11"))],
        [review(posted_from=d("2026-11-12"), posted_to=d("2026-11-11"))],
        [review(reviewed_on=d("2026-11-29"))],
        [review(posted_from=d("2026-11-20"), posted_to=d("2026-11-29"))],
        [review(outcome="意" * 201)],
        [review(document="号" * 201)],
    ],
)
def test_prior_reviews_are_refused_when_they_cannot_be_true(reviews):
    with pytest.raises(InvalidInput):
        check_prior_reviews(reviews, d("2026-11-28"))


# ---- first-receiver register (首问负责) ---------------------------------------------------------------------------


def test_an_enquirys_status_follows_its_referral_and_its_case():
    assert enquiry_status("", None, None) is EnquiryStatus.ANSWERED
    assert enquiry_status("县人社局", None, None) is EnquiryStatus.REFERRED
    assert enquiry_status("县人社局", d("2026-12-01"), None) is EnquiryStatus.REFERRAL_CONFIRMED
    assert enquiry_status("县人社局", None, 7) is EnquiryStatus.BECAME_CASE
    assert enquiry_status("", None, 7) is EnquiryStatus.BECAME_CASE


def test_an_enquiry_is_logged_with_an_answer_a_dated_referral_or_a_case():
    today = d("2026-12-04")
    check_enquiry_outcome("答复了", "", None, today, False)
    check_enquiry_outcome("", "县人社局", today, today, False)
    check_enquiry_outcome("", "", None, today, True)
    for answer, office, referred_on in (("", "", None), ("", "县人社局", None), ("答", "", today)):
        with pytest.raises(InvalidInput):
            check_enquiry_outcome(answer, office, referred_on, today, False)
    with pytest.raises(InvalidInput):
        check_enquiry_outcome("", "县人社局", d("2026-12-05"), today, False)


# ---- eligibility hint (城乡低保办理流程) ----------------------------------------------------------------------------


def test_the_default_standards_are_the_counties_1320_a_year_rural_and_290_a_month_urban():
    assert IncomeLimits() == IncomeLimits(rural_per_year=Decimal("1320"), urban_per_month=Decimal("290"))
    assert Decimal("109.99") * 12 == Decimal("1319.88")


@pytest.mark.parametrize(
    ("line", "income", "hint"),
    [
        ("urban_dibao", "0", Eligibility.BELOW),
        ("urban_dibao", "289.99", Eligibility.BELOW),
        ("urban_dibao", "290", Eligibility.ABOVE),  # strictly below the standard
        ("urban_dibao", "290.00", Eligibility.ABOVE),
        ("urban_dibao", "290.01", Eligibility.ABOVE),
        ("rural_dibao", "0", Eligibility.BELOW),
        ("rural_dibao", "109.99", Eligibility.BELOW),  # 1319.88 a year
        ("rural_dibao", "110", Eligibility.ABOVE),  # 1320 a year: not below
        ("rural_dibao", "110.00", Eligibility.ABOVE),
        ("rural_dibao", "289.99", Eligibility.ABOVE),  # below the urban standard, not the rural one
        ("medical", "0", Eligibility.NOT_APPLICABLE),
        ("temporary", "100", Eligibility.NOT_APPLICABLE),
        ("other", "100", Eligibility.NOT_APPLICABLE),
        ("urban_dibao", None, Eligibility.NOT_APPLICABLE),
        ("rural_dibao", None, Eligibility.NOT_APPLICABLE),
    ],
)
def test_the_eligibility_hint_flags_income_strictly_below_the_lines_standard(line, income, hint):
    monthly = None if income is None else Decimal(income)
    assert eligibility_hint(line, monthly, IncomeLimits()) is hint


def test_the_eligibility_hint_follows_the_countys_own_standards():
    limits = IncomeLimits(rural_per_year=Decimal("1500"), urban_per_month=Decimal("350"))
    assert eligibility_hint("rural_dibao", Decimal("124.99"), limits) is Eligibility.BELOW  # 1499.88
    assert eligibility_hint("rural_dibao", Decimal("125"), limits) is Eligibility.ABOVE  # 1500
    assert eligibility_hint("urban_dibao", Decimal("349.99"), limits) is Eligibility.BELOW
    assert eligibility_hint("urban_dibao", Decimal("350"), limits) is Eligibility.ABOVE


money = st.decimals(min_value=0, max_value=2000, places=2)


@FAST
@given(money)
def test_urban_is_below_exactly_when_monthly_income_is_under_290(monthly):
    expected = Eligibility.BELOW if monthly < 290 else Eligibility.ABOVE
    assert eligibility_hint("urban_dibao", monthly, IncomeLimits()) is expected


@FAST
@given(money)
def test_rural_is_below_exactly_when_twelve_months_of_income_are_under_1320(monthly):
    expected = Eligibility.BELOW if monthly < 110 else Eligibility.ABOVE
    assert eligibility_hint("rural_dibao", monthly, IncomeLimits()) is expected


# ---- one-time notice (一次性告知) ----------------------------------------------------------------------------------


def test_missing_items_drop_duplicates_and_blanks_and_keep_their_order():
    items = ["户口本", "", "  ", "收入证明", "户口本", "\n", "身份证复印件", "收入证明"]
    assert check_missing_items(items) == ["户口本", "收入证明", "身份证复印件"]


def test_missing_items_are_trimmed_and_inner_spaces_collapsed_before_comparing():
    assert check_missing_items(["  身份证   复印件 ", "身份证 复印件", "残疾证\t（如有）"]) == [
        "身份证 复印件",
        "残疾证 （如有）",
    ]


@pytest.mark.parametrize("items", [[], [""], ["  ", "\t", "\n"]])
def test_a_notice_without_any_missing_item_is_invalid(items):
    with pytest.raises(InvalidInput) as caught:
        check_missing_items(items)
    assert caught.value.message == "一次性告知须列出至少一项缺少的材料"
    assert str(caught.value) == "a one-time notice must list at least one missing item"


def test_an_item_of_200_characters_is_fine_and_201_is_too_long():
    assert check_missing_items(["材" * 200]) == ["材" * 200]
    with pytest.raises(InvalidInput) as caught:
        check_missing_items(["户口本", "材" * 201])
    assert caught.value.fields == {"limit": 200}
    assert "200" in str(caught.value)


@FAST
@given(st.lists(st.text(alphabet=" \t户口本收入证明ab", max_size=8), max_size=12))
def test_missing_items_are_the_distinct_non_blank_items_in_first_seen_order(items):
    normalized = [" ".join(item.split()) for item in items]
    expected = list(dict.fromkeys(item for item in normalized if item))
    if not expected:
        with pytest.raises(InvalidInput):
            check_missing_items(items)
        return
    assert check_missing_items(items) == expected


# ---- household survey (入户调查) ------------------------------------------------------------------------------------


@pytest.mark.parametrize("investigators", [[7, 7], [7], [], [7, 7, 7]])
def test_a_survey_needs_two_different_investigators(investigators):
    with pytest.raises(InvalidInput) as caught:
        check_investigators(investigators)
    assert caught.value.message == "入户调查须由至少两名不同的工作人员进行"


@pytest.mark.parametrize(
    ("investigators", "recorded"),
    [([7, 3], [7, 3]), ([3, 7], [3, 7]), ([3, 7, 3], [3, 7]), ([5, 1, 9], [5, 1, 9])],
)
def test_two_or_more_different_investigators_are_recorded_once_each_in_order(investigators, recorded):
    assert check_investigators(investigators) == recorded
