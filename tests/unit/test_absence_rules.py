"""Absence notices (离岗告示制度): categories by working time, who approves, and the state machine."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import i18n
from app.domain.absence import (
    BLOCKING,
    BRIEF_LIMIT,
    IN_FORCE,
    NOTICE_NOT_NEEDED,
    Action,
    Category,
    DoorLine,
    Kind,
    Notice,
    Status,
    approver_role,
    away_at,
    categorize,
    check_action,
    current_status,
    door_line,
    initial_status,
    overlaps,
)
from app.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK_WINTER = timezone(timedelta(hours=-5))
KATHMANDU = timezone(timedelta(hours=5, minutes=45))
ZONES = [SHANGHAI, UTC, NEW_YORK_WINTER, KATHMANDU]

US = timedelta(microseconds=1)


def ROUND_THE_CLOCK(start: datetime, end: datetime) -> timedelta:  # noqa: N802 (a constant-like rule)
    """Every instant is office time: isolates the thresholds from office hours (tested in test_office_hours)."""
    return end - start


MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)

FAST = settings(max_examples=100, deadline=None)
NOTICES = settings(max_examples=50, deadline=None)

CHINESE_TEXT = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def notice(
    status: Status,
    starts_at: datetime = MONDAY_9,
    ends_at: datetime | None = None,
    returned_at: datetime | None = None,
    recorded_afterwards: bool = False,
) -> Notice:
    return Notice(status, starts_at, ends_at or starts_at + timedelta(hours=2), returned_at, recorded_afterwards)


def chinese_message(error: InvalidInput) -> str:
    with i18n.language("zh"):
        return error.localized()


def assert_chinese(error: InvalidInput) -> None:
    text = chinese_message(error)
    assert text.strip(), "the message is empty"
    assert CHINESE_TEXT.fullmatch(text), f"not Chinese text: {text!r}"


# ---- strategies ----------------------------------------------------------------------------------------------------

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
BOUNDARY_DURATIONS = [US, NOTICE_NOT_NEEDED - US, NOTICE_NOT_NEEDED, NOTICE_NOT_NEEDED + US, BRIEF_LIMIT - US]
BOUNDARY_DURATIONS += [BRIEF_LIMIT, BRIEF_LIMIT + US, DAY]


def microseconds(low: timedelta, high: timedelta) -> st.SearchStrategy[timedelta]:
    return st.integers(low // US, high // US).map(lambda n: n * US)


zones = st.sampled_from(ZONES)
instants = st.builds(lambda since, zone: (EPOCH + since).astimezone(zone), microseconds(0 * DAY, 36500 * DAY), zones)
durations = st.one_of(st.sampled_from(BOUNDARY_DURATIONS), microseconds(US, 30 * DAY))
offsets = microseconds(-3 * DAY, 40 * DAY)


def case(start, duration, returned_after, status, recorded_afterwards, edge, nudge, offset, zone):
    """A notice and a moment: one of its edges (or a microsecond either side) or anywhere around it."""
    returned_at = None if returned_after is None else start + returned_after
    n = Notice(status, start, start + duration, returned_at, recorded_afterwards)
    moments = {"start": n.starts_at, "end": n.ends_at, "returned": returned_at or n.ends_at}
    moment = moments[edge] + nudge if edge in moments else n.starts_at + offset
    return n, moment.astimezone(zone)


def notices_and_moments(
    statuses: st.SearchStrategy[Status] = st.sampled_from(Status),
    recorded_afterwards: st.SearchStrategy[bool] = st.booleans(),
) -> st.SearchStrategy[tuple[Notice, datetime]]:
    return st.builds(
        case,
        instants,
        durations,
        st.one_of(st.none(), offsets),
        statuses,
        recorded_afterwards,
        st.sampled_from(["start", "end", "returned", "anywhere"]),
        st.sampled_from([-US, timedelta(0), US]),
        offsets,
        zones,
    )


# ---- the types -----------------------------------------------------------------------------------------------------


def test_the_thresholds_are_thirty_minutes_and_four_hours():
    assert timedelta(minutes=30) == NOTICE_NOT_NEEDED
    assert timedelta(hours=4) == BRIEF_LIMIT


def test_enum_values_are_the_strings_stored_in_the_database():
    assert [str(c) for c in Category] == ["none", "brief", "leave"]
    assert [str(k) for k in Kind] == ["official", "personal", "sick", "study", "annual", "other"]
    assert [str(s) for s in Status] == ["pending", "approved", "rejected", "cancelled", "active", "returned", "overdue"]
    assert [str(a) for a in Action] == ["approve", "reject", "cancel", "return"]
    assert Status("overdue") is Status.OVERDUE


def test_in_force_means_approved_active_or_overdue():
    assert {Status.APPROVED, Status.ACTIVE, Status.OVERDUE} == IN_FORCE


def test_pending_and_in_force_notices_block_an_overlapping_one_and_finished_ones_do_not():
    assert IN_FORCE | {Status.PENDING} == BLOCKING
    assert not BLOCKING & {Status.REJECTED, Status.CANCELLED, Status.RETURNED}


def test_a_notice_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        notice(Status.PENDING).status = Status.APPROVED  # type: ignore[misc]


def test_a_notice_has_not_been_returned_from_or_recorded_afterwards_by_default():
    n = Notice(Status.PENDING, MONDAY_9, MONDAY_9 + timedelta(hours=1))
    assert n.returned_at is None
    assert n.recorded_afterwards is False


# ---- categorize: exact boundaries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "category"),
    [
        (US, Category.NONE),
        (timedelta(minutes=1), Category.NONE),
        (timedelta(minutes=30) - US, Category.NONE),
        (timedelta(minutes=30), Category.NONE),
        (timedelta(minutes=30) + US, Category.BRIEF),
        (timedelta(minutes=31), Category.BRIEF),
        (timedelta(hours=2), Category.BRIEF),
        (timedelta(hours=4) - US, Category.BRIEF),
        (timedelta(hours=4), Category.BRIEF),
        (timedelta(hours=4) + US, Category.LEAVE),
        (timedelta(hours=4, minutes=1), Category.LEAVE),
        (timedelta(days=1), Category.LEAVE),
        (timedelta(days=15), Category.LEAVE),
    ],
    ids=str,
)
def test_the_category_follows_the_planned_duration(duration, category):
    assert categorize(MONDAY_9, MONDAY_9 + duration, working=ROUND_THE_CLOCK) is category


@pytest.mark.parametrize("duration", [timedelta(0), -US, -timedelta(minutes=30), -timedelta(days=1)], ids=str)
def test_an_end_not_after_the_start_is_invalid_input_in_chinese(duration):
    with pytest.raises(InvalidInput) as caught:
        categorize(MONDAY_9, MONDAY_9 + duration, working=ROUND_THE_CLOCK)
    assert_chinese(caught.value)
    assert "返回" in chinese_message(caught.value)


def test_invalid_input_from_categorize_is_a_value_error():
    with pytest.raises(ValueError):
        categorize(MONDAY_9, MONDAY_9, working=ROUND_THE_CLOCK)


# ---- categorize: midnight, calendar dates and offsets --------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "category"),
    [
        ((2026, 3, 2, 23, 45), (2026, 3, 3, 0, 15), Category.NONE),
        ((2026, 3, 2, 23, 45), (2026, 3, 3, 0, 15, 0, 1), Category.BRIEF),
        ((2026, 3, 2, 22, 0), (2026, 3, 3, 2, 0), Category.BRIEF),
        ((2026, 3, 2, 22, 0), (2026, 3, 3, 2, 0, 0, 1), Category.LEAVE),
        ((2026, 12, 31, 23, 0), (2027, 1, 1, 3, 0), Category.BRIEF),
        ((2028, 2, 28, 22, 0), (2028, 2, 29, 2, 0), Category.BRIEF),
        ((2028, 2, 29, 22, 0), (2028, 3, 1, 2, 0, 0, 1), Category.LEAVE),
    ],
    ids=["30min-over-midnight", "30min+1us-over-midnight", "4h-over-midnight", "4h+1us-over-midnight"]
    + ["4h-over-new-year", "4h-into-leap-day", "4h+1us-out-of-leap-day"],
)
def test_an_absence_across_midnight_is_categorised_by_its_real_duration(start, end, category):
    assert (
        categorize(datetime(*start, tzinfo=SHANGHAI), datetime(*end, tzinfo=SHANGHAI), working=ROUND_THE_CLOCK)
        is category
    )


@pytest.mark.parametrize(
    "day",
    [(2026, 3, 8), (2026, 3, 29), (2026, 10, 25), (2026, 11, 1), (2027, 3, 14), (2027, 10, 31)],
    ids=lambda d: "-".join(map(str, d)),
)
def test_shanghai_has_no_daylight_saving_so_wall_clock_and_real_durations_agree(day):
    for hour in (0, 1, 2, 22, 23):
        start = datetime(*day, hour, 0, tzinfo=SHANGHAI)
        assert categorize(start, start + timedelta(minutes=30), working=ROUND_THE_CLOCK) is Category.NONE
        assert categorize(start, start + timedelta(hours=4), working=ROUND_THE_CLOCK) is Category.BRIEF
        assert categorize(start, start + timedelta(hours=4) + US, working=ROUND_THE_CLOCK) is Category.LEAVE
        assert start.utcoffset() == (start + timedelta(hours=4)).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("duration", "category"),
    [(timedelta(minutes=30), Category.NONE), (timedelta(hours=4), Category.BRIEF), (BRIEF_LIMIT + US, Category.LEAVE)],
    ids=str,
)
def test_the_same_instants_in_any_offsets_give_the_same_category(duration, category):
    start = datetime(2026, 6, 30, 22, 30, tzinfo=SHANGHAI)
    for start_zone in ZONES:
        for end_zone in ZONES:
            assert (
                categorize(
                    start.astimezone(start_zone), (start + duration).astimezone(end_zone), working=ROUND_THE_CLOCK
                )
                is category
            )


def test_an_end_that_looks_earlier_on_the_clock_in_another_offset_is_still_after_the_start():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    end = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert categorize(start, end, working=ROUND_THE_CLOCK) is Category.BRIEF


def test_an_end_that_looks_later_on_the_clock_in_another_offset_is_still_invalid_when_it_is_earlier():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    end = datetime(2026, 3, 2, 16, 0, tzinfo=SHANGHAI)
    with pytest.raises(InvalidInput):
        categorize(start, end, working=ROUND_THE_CLOCK)


def reference_category(duration: timedelta) -> Category:
    micros = duration // US
    return (
        Category.NONE if micros <= 30 * 60 * 10**6 else Category.BRIEF if micros <= 4 * 3600 * 10**6 else Category.LEAVE
    )


@FAST
@given(instants, durations)
def test_the_category_matches_the_thresholds_for_any_start_and_duration(start, duration):
    assert categorize(start, start + duration, working=ROUND_THE_CLOCK) is reference_category(duration)


@FAST
@given(instants, durations, zones, zones)
def test_the_category_does_not_depend_on_the_offsets_the_instants_are_written_in(start, duration, zone_a, zone_b):
    end = start + duration
    assert categorize(start.astimezone(zone_a), end.astimezone(zone_b), working=ROUND_THE_CLOCK) is categorize(
        start, end, working=ROUND_THE_CLOCK
    )


@FAST
@given(instants, durations, durations)
def test_a_longer_absence_is_never_in_a_lower_category(start, one, other):
    order = list(Category)
    shorter, longer = sorted([one, other])
    assert order.index(categorize(start, start + shorter, working=ROUND_THE_CLOCK)) <= order.index(
        categorize(start, start + longer, working=ROUND_THE_CLOCK)
    )


@FAST
@given(instants, st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(0)))
def test_any_end_not_after_the_start_is_rejected(start, back):
    with pytest.raises(InvalidInput):
        categorize(start, start + back, working=ROUND_THE_CLOCK)


# ---- approver_role and initial_status ------------------------------------------------------------------------------

ROLE_SETS = {
    "nobody": (),
    "staff": ("staff",),
    "section_head": ("section_head",),
    "leader": ("leader",),
    "admin": ("admin",),
    "staff+section_head": ("staff", "section_head"),
    "staff+admin": ("staff", "admin"),
    "section_head+admin": ("section_head", "admin"),
    "leader+admin": ("leader", "admin"),
    "section_head+leader": ("section_head", "leader"),
    "all": ("staff", "section_head", "leader", "admin"),
}
HAS_SECTION_HEAD = {name for name, roles in ROLE_SETS.items() if "section_head" in roles}


@pytest.mark.parametrize("roles", ROLE_SETS)
def test_an_absence_of_thirty_minutes_or_less_needs_no_approver_whoever_posts_it(roles):
    assert approver_role(Category.NONE, ROLE_SETS[roles]) is None
    assert initial_status(Category.NONE, ROLE_SETS[roles]) is Status.APPROVED


@pytest.mark.parametrize("roles", ["nobody", "staff", "leader", "admin", "staff+admin", "leader+admin"])
def test_a_brief_absence_of_anyone_but_a_section_head_goes_to_the_section_head(roles):
    assert approver_role(Category.BRIEF, ROLE_SETS[roles]) == "section_head"
    assert initial_status(Category.BRIEF, ROLE_SETS[roles]) is Status.PENDING


@pytest.mark.parametrize("roles", sorted(HAS_SECTION_HEAD))
def test_a_section_heads_own_brief_absence_only_notifies_colleagues(roles):
    assert approver_role(Category.BRIEF, ROLE_SETS[roles]) is None
    assert initial_status(Category.BRIEF, ROLE_SETS[roles]) is Status.APPROVED


@pytest.mark.parametrize("roles", ROLE_SETS)
def test_a_leave_always_goes_to_the_leader(roles):
    assert approver_role(Category.LEAVE, ROLE_SETS[roles]) == "leader"
    assert initial_status(Category.LEAVE, ROLE_SETS[roles]) is Status.PENDING


@pytest.mark.parametrize("make", [list, tuple, set, frozenset, iter, lambda roles: (r for r in roles)])
def test_the_roles_may_be_any_iterable_even_a_one_shot_generator(make):
    assert approver_role(Category.BRIEF, make(["staff", "section_head"])) is None
    assert approver_role(Category.BRIEF, make(["staff", "admin"])) == "section_head"
    assert initial_status(Category.BRIEF, make(["staff", "section_head"])) is Status.APPROVED
    assert initial_status(Category.BRIEF, make(["staff", "admin"])) is Status.PENDING


def test_a_repeated_role_counts_once():
    assert approver_role(Category.BRIEF, ["staff", "staff"]) == "section_head"
    assert approver_role(Category.BRIEF, ["section_head", "section_head"]) is None


def test_a_role_that_only_resembles_section_head_is_not_one():
    for roles in (["Section_Head"], ["section_head "], ["section"], ["head"], ["deputy_section_head"]):
        assert approver_role(Category.BRIEF, roles) == "section_head"


@FAST
@given(
    st.sampled_from(Category),
    st.lists(st.sampled_from(["staff", "section_head", "leader", "admin", "auditor"]), max_size=4),
)
def test_a_notice_starts_pending_exactly_when_somebody_has_to_approve_it(category, roles):
    approver = approver_role(category, roles)
    assert approver in (None, "section_head", "leader")
    assert initial_status(category, roles) is (Status.APPROVED if approver is None else Status.PENDING)


# ---- overlaps ------------------------------------------------------------------------------------------------------


def h(hours: float) -> datetime:
    return MONDAY_9 + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ((0, 2), (2, 4), False),
        ((0, 2), (3, 4), False),
        ((0, 4), (1, 2), True),
        ((0, 4), (0, 4), True),
        ((0, 4), (0, 1), True),
        ((0, 4), (3, 4), True),
        ((0, 2), (1, 3), True),
        ((0, 24), (8, 32), True),
    ],
    ids=["touching", "apart", "containment", "identical", "same-start", "same-end"]
    + ["partial", "partial-across-midnight"],
)
def test_overlaps_in_both_orders(first, second, expected):
    (a, b), (c, d) = first, second
    assert overlaps(h(a), h(b), h(c), h(d)) is expected
    assert overlaps(h(c), h(d), h(a), h(b)) is expected


def test_intervals_sharing_a_single_microsecond_overlap():
    assert overlaps(h(0), h(2), h(2) - US, h(4))
    assert overlaps(h(2) - US, h(4), h(0), h(2))


def test_touching_intervals_written_in_different_offsets_do_not_overlap():
    assert not overlaps(h(0), h(2), h(2).astimezone(UTC), h(4).astimezone(NEW_YORK_WINTER))
    assert overlaps(h(0), h(2), (h(2) - US).astimezone(UTC), h(4).astimezone(KATHMANDU))


@FAST
@given(instants, durations, offsets, durations)
def test_overlaps_is_symmetric(start, length, gap, other_length):
    other_start = start + gap
    end, other_end = start + length, other_start + other_length
    assert overlaps(start, end, other_start, other_end) is overlaps(other_start, other_end, start, end)


@FAST
@given(instants, durations, offsets, durations, zones)
def test_two_absences_overlap_exactly_when_some_instant_lies_in_both(start, length, gap, other_length, zone):
    other_start = (start + gap).astimezone(zone)
    end, other_end = start + length, other_start + other_length
    shared = max(start, other_start)
    in_both = shared < end and shared < other_end
    assert overlaps(start, end, other_start, other_end) is in_both


@FAST
@given(instants, durations)
def test_an_absence_overlaps_itself_and_not_its_neighbours(start, length):
    end = start + length
    assert overlaps(start, end, start, end)
    assert not overlaps(start, end, end, end + length)
    assert not overlaps(start, end, start - length, start)


# ---- current_status over a timeline --------------------------------------------------------------------------------

START, END = MONDAY_9, MONDAY_9 + timedelta(hours=2)
MOMENTS = {
    "before-start": START - timedelta(minutes=1),
    "1us-before-start": START - US,
    "at-start": START,
    "between": START + timedelta(hours=1),
    "1us-before-end": END - US,
    "at-end": END,
    "after-end": END + timedelta(days=3),
}
TIMELINES: dict[Status, dict[str, Status]] = {
    Status.APPROVED: {
        "before-start": Status.APPROVED,
        "1us-before-start": Status.APPROVED,
        "at-start": Status.ACTIVE,
        "between": Status.ACTIVE,
        "1us-before-end": Status.ACTIVE,
        "at-end": Status.OVERDUE,
        "after-end": Status.OVERDUE,
    },
    Status.ACTIVE: {
        "before-start": Status.ACTIVE,
        "1us-before-start": Status.ACTIVE,
        "at-start": Status.ACTIVE,
        "between": Status.ACTIVE,
        "1us-before-end": Status.ACTIVE,
        "at-end": Status.OVERDUE,
        "after-end": Status.OVERDUE,
    },
    **{
        status: dict.fromkeys(MOMENTS, status)
        for status in (Status.PENDING, Status.REJECTED, Status.CANCELLED, Status.RETURNED, Status.OVERDUE)
    },
}


def test_the_timeline_table_covers_every_status_and_moment():
    assert set(TIMELINES) == set(Status)
    assert all(set(line) == set(MOMENTS) for line in TIMELINES.values())


@pytest.mark.parametrize("status", Status)
@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_the_current_status_over_the_timeline(status, zone):
    n = notice(status, START, END)
    assert {moment: current_status(n, now.astimezone(zone)) for moment, now in MOMENTS.items()} == TIMELINES[status]


def test_an_approved_notice_of_thirty_minutes_or_less_becomes_active_then_overdue_too():
    n = notice(Status.APPROVED, START, START + timedelta(minutes=10))
    assert current_status(n, START) is Status.ACTIVE
    assert current_status(n, START + timedelta(minutes=10)) is Status.OVERDUE


def test_a_pending_notice_whose_start_passed_stays_pending_until_someone_decides():
    assert current_status(notice(Status.PENDING), END + timedelta(days=30)) is Status.PENDING


@NOTICES
@given(notices_and_moments())
def test_current_status_is_idempotent(case):
    n, now = case
    settled = dataclasses.replace(n, status=current_status(n, now))
    assert current_status(settled, now) is settled.status


@NOTICES
@given(notices_and_moments(), microseconds(0 * DAY, 60 * DAY))
def test_only_approved_and_active_notices_move_and_only_forward_as_time_passes(case, later_by):
    n, now = case
    order = [Status.APPROVED, Status.ACTIVE, Status.OVERDUE]
    earlier, later = current_status(n, now), current_status(n, now + later_by)
    if n.status in (Status.APPROVED, Status.ACTIVE):
        assert order.index(n.status) <= order.index(earlier) <= order.index(later)
    else:
        assert earlier is later is n.status


@NOTICES
@given(notices_and_moments(statuses=st.sampled_from([Status.APPROVED, Status.ACTIVE])))
def test_an_in_force_notice_is_overdue_exactly_when_its_expected_return_has_come(case):
    n, now = case
    assert (current_status(n, now) is Status.OVERDUE) is (now >= n.ends_at)


# ---- away_at -------------------------------------------------------------------------------------------------------

NEVER_AWAY = (Status.PENDING, Status.REJECTED, Status.CANCELLED)
AWAY_FROM_START = {
    "before-start": False,
    "1us-before-start": False,
    "at-start": True,
    "between": True,
    "1us-before-end": True,
    "at-end": True,
    "after-end": True,
}
AWAY_TIMELINES: dict[Status, dict[str, bool]] = {
    **{status: dict.fromkeys(MOMENTS, False) for status in NEVER_AWAY},
    **{status: AWAY_FROM_START for status in IN_FORCE},
    Status.RETURNED: dict.fromkeys(MOMENTS, False),
}


def test_the_away_table_covers_every_status_and_moment():
    assert set(AWAY_TIMELINES) == set(Status)
    assert all(set(line) == set(MOMENTS) for line in AWAY_TIMELINES.values())


@pytest.mark.parametrize("status", Status)
def test_who_is_away_without_a_return_mark(status):
    n = notice(status, START, END)
    assert {moment: away_at(n, at) for moment, at in MOMENTS.items()} == AWAY_TIMELINES[status]


def test_an_overdue_person_is_still_away_days_after_the_expected_return():
    for status in IN_FORCE:
        assert away_at(notice(status, START, END), END + timedelta(days=10))


@pytest.mark.parametrize(
    ("returned_at", "moment", "away"),
    [
        (START + timedelta(hours=1), START - US, False),
        (START + timedelta(hours=1), START, True),
        (START + timedelta(hours=1), START + timedelta(hours=1) - US, True),
        (START + timedelta(hours=1), START + timedelta(hours=1), False),
        (START + timedelta(hours=1), END, False),
        (START + timedelta(hours=1), END + timedelta(days=1), False),
        (END + timedelta(hours=3), END, True),
        (END + timedelta(hours=3), END + timedelta(hours=3) - US, True),
        (END + timedelta(hours=3), END + timedelta(hours=3), False),
        (END, END - US, True),
        (END, END, False),
        (START, START, False),
        (START - timedelta(hours=1), START - timedelta(minutes=30), False),
        (START - timedelta(hours=1), START, False),
        (START - timedelta(hours=1), START + timedelta(hours=1), False),
    ],
    ids=["early-return:before-start", "early-return:at-start", "early-return:1us-before-return"]
    + ["early-return:at-return", "early-return:at-end", "early-return:after-end", "late-return:at-end"]
    + ["late-return:1us-before-return", "late-return:at-return", "on-time:1us-before-end", "on-time:at-end"]
    + ["returned-at-start:at-start", "returned-before-start:before-start", "returned-before-start:at-start"]
    + ["returned-before-start:during"],
)
def test_a_returned_person_is_away_from_the_start_until_the_return_mark(returned_at, moment, away):
    assert away_at(notice(Status.RETURNED, START, END, returned_at=returned_at), moment) is away


@pytest.mark.parametrize("status", NEVER_AWAY)
def test_a_return_mark_does_not_make_a_pending_rejected_or_cancelled_notice_count(status):
    n = notice(status, START, END, returned_at=END + timedelta(hours=1))
    assert not any(away_at(n, moment) for moment in [*MOMENTS.values(), END + timedelta(minutes=30)])


@pytest.mark.parametrize("status", Status)
@pytest.mark.parametrize("returned_at", [None, START + timedelta(minutes=1), END + timedelta(hours=1)], ids=str)
def test_a_notice_recorded_afterwards_never_makes_anyone_away(status, returned_at):
    n = notice(status, START, END, returned_at=returned_at, recorded_afterwards=True)
    assert not any(away_at(n, moment) for moment in MOMENTS.values())


@NOTICES
@given(notices_and_moments())
def test_nobody_is_away_before_the_start_or_once_their_return_is_marked(case):
    n, at = case
    if at < n.starts_at or (n.returned_at is not None and at >= n.returned_at):
        assert not away_at(n, at)


@NOTICES
@given(notices_and_moments(statuses=st.sampled_from(NEVER_AWAY)))
def test_a_pending_rejected_or_cancelled_notice_never_makes_anyone_away(case):
    n, at = case
    assert not away_at(n, at)


@NOTICES
@given(notices_and_moments(recorded_afterwards=st.just(True)))
def test_a_notice_recorded_afterwards_never_makes_anyone_away_at_any_time(case):
    n, at = case
    assert not away_at(n, at)


@NOTICES
@given(notices_and_moments(statuses=st.sampled_from(sorted(IN_FORCE)), recorded_afterwards=st.just(False)))
def test_an_unreturned_notice_in_force_makes_its_person_away_from_the_start_on(case):
    n, at = case
    n = dataclasses.replace(n, returned_at=None)
    assert away_at(n, at) is (at >= n.starts_at)


@NOTICES
@given(notices_and_moments(), zones)
def test_who_is_away_depends_neither_on_a_stale_stored_status_nor_on_the_offset_of_the_moment(case, zone):
    n, at = case
    away = away_at(n, at)
    assert away_at(dataclasses.replace(n, status=current_status(n, at)), at) is away
    assert away_at(n, at.astimezone(zone)) is away


# ---- check_action --------------------------------------------------------------------------------------------------

NO = InvalidInput
WHEN = {
    "before-start": START - timedelta(minutes=1),
    "at-start": START,
    "between": START + timedelta(hours=1),
    "after-end": END + timedelta(hours=1),
}
OUTCOMES: dict[tuple[Action, Status], tuple] = {  # in the order of WHEN
    (Action.APPROVE, Status.PENDING): (Status.APPROVED, Status.APPROVED, Status.APPROVED, NO),
    (Action.APPROVE, Status.APPROVED): (NO, NO, NO, NO),
    (Action.APPROVE, Status.REJECTED): (NO, NO, NO, NO),
    (Action.APPROVE, Status.CANCELLED): (NO, NO, NO, NO),
    (Action.APPROVE, Status.ACTIVE): (NO, NO, NO, NO),
    (Action.APPROVE, Status.RETURNED): (NO, NO, NO, NO),
    (Action.APPROVE, Status.OVERDUE): (NO, NO, NO, NO),
    (Action.REJECT, Status.PENDING): (Status.REJECTED, Status.REJECTED, Status.REJECTED, Status.REJECTED),
    (Action.REJECT, Status.APPROVED): (NO, NO, NO, NO),
    (Action.REJECT, Status.REJECTED): (NO, NO, NO, NO),
    (Action.REJECT, Status.CANCELLED): (NO, NO, NO, NO),
    (Action.REJECT, Status.ACTIVE): (NO, NO, NO, NO),
    (Action.REJECT, Status.RETURNED): (NO, NO, NO, NO),
    (Action.REJECT, Status.OVERDUE): (NO, NO, NO, NO),
    (Action.CANCEL, Status.PENDING): (Status.CANCELLED, Status.CANCELLED, Status.CANCELLED, Status.CANCELLED),
    (Action.CANCEL, Status.APPROVED): (Status.CANCELLED, NO, NO, NO),
    (Action.CANCEL, Status.REJECTED): (NO, NO, NO, NO),
    (Action.CANCEL, Status.CANCELLED): (NO, NO, NO, NO),
    (Action.CANCEL, Status.ACTIVE): (NO, NO, NO, NO),
    (Action.CANCEL, Status.RETURNED): (NO, NO, NO, NO),
    (Action.CANCEL, Status.OVERDUE): (NO, NO, NO, NO),
    (Action.RETURN, Status.PENDING): (NO, NO, NO, NO),
    (Action.RETURN, Status.APPROVED): (NO, Status.RETURNED, Status.RETURNED, Status.RETURNED),
    (Action.RETURN, Status.REJECTED): (NO, NO, NO, NO),
    (Action.RETURN, Status.CANCELLED): (NO, NO, NO, NO),
    (Action.RETURN, Status.ACTIVE): (Status.RETURNED, Status.RETURNED, Status.RETURNED, Status.RETURNED),
    (Action.RETURN, Status.RETURNED): (NO, NO, NO, NO),
    (Action.RETURN, Status.OVERDUE): (Status.RETURNED, Status.RETURNED, Status.RETURNED, Status.RETURNED),
}
REFUSAL_WORD = {Action.APPROVE: "审批", Action.REJECT: "审批", Action.CANCEL: "撤销", Action.RETURN: "返岗"}


def test_the_action_table_covers_every_action_and_status():
    assert set(OUTCOMES) == {(action, status) for action in Action for status in Status}


def outcome(action: Action, n: Notice, now: datetime) -> Status | InvalidInput:
    try:
        return check_action(action, n, now)
    except InvalidInput as refused:
        return refused


@pytest.mark.parametrize(("action", "status"), OUTCOMES, ids=str)
def test_what_each_action_does_to_each_status_before_and_after_the_start(action, status):
    n = notice(status, START, END)
    outcomes = {when: outcome(action, n, now) for when, now in WHEN.items()}
    assert {when: NO if isinstance(o, NO) else o for when, o in outcomes.items()} == dict(
        zip(WHEN, OUTCOMES[action, status], strict=True)
    )
    for refused in (o for o in outcomes.values() if isinstance(o, NO)):
        assert_chinese(refused)
        assert REFUSAL_WORD[action] in chinese_message(refused)


def test_an_undecided_request_can_always_be_withdrawn():
    n = notice(Status.PENDING, START, END)
    for now in (START - US, START, END + US):
        assert check_action(Action.CANCEL, n, now) is Status.CANCELLED


def test_approving_after_the_expected_return_is_refused():
    n = notice(Status.PENDING, START, END)
    assert check_action(Action.APPROVE, n, END - US) is Status.APPROVED
    with pytest.raises(InvalidInput):
        check_action(Action.APPROVE, n, END)


@pytest.mark.parametrize("status", [Status.APPROVED])
def test_a_notice_can_be_cancelled_up_to_a_microsecond_before_its_start_and_not_at_it(status):
    n = notice(status, START, END)
    assert check_action(Action.CANCEL, n, START - US) is Status.CANCELLED
    with pytest.raises(InvalidInput):
        check_action(Action.CANCEL, n, START)


def test_a_return_can_be_marked_from_the_start_and_not_a_microsecond_before():
    n = notice(Status.APPROVED, START, END)
    with pytest.raises(InvalidInput):
        check_action(Action.RETURN, n, START - US)
    assert check_action(Action.RETURN, n, START) is Status.RETURNED


@NOTICES
@given(notices_and_moments(), st.sampled_from(Action))
def test_an_action_either_succeeds_into_its_own_status_or_raises_invalid_input(case, action):
    n, now = case
    target = {
        Action.APPROVE: Status.APPROVED,
        Action.REJECT: Status.REJECTED,
        Action.CANCEL: Status.CANCELLED,
        Action.RETURN: Status.RETURNED,
    }[action]
    try:
        result = check_action(action, n, now)
    except InvalidInput as refused:
        assert_chinese(refused)
    else:
        assert result is target


@NOTICES
@given(notices_and_moments(), st.sampled_from(Action))
def test_the_same_action_cannot_be_done_twice(case, action):
    n, now = case
    try:
        after = check_action(action, n, now)
    except InvalidInput:
        return
    with pytest.raises(InvalidInput):
        check_action(action, dataclasses.replace(n, status=after), now)


@NOTICES
@given(notices_and_moments())
def test_nothing_decided_is_cancelled_once_the_start_has_come(case):
    n, now = case
    if now >= n.starts_at and current_status(n, now) is not Status.PENDING:
        with pytest.raises(InvalidInput):
            check_action(Action.CANCEL, n, now)


@NOTICES
@given(notices_and_moments(), st.sampled_from([Action.APPROVE, Action.REJECT]))
def test_only_a_pending_notice_can_be_decided(case, action):
    n, now = case
    decidable = n.status is Status.PENDING and (action is Action.REJECT or now < n.ends_at)
    try:
        check_action(action, n, now)
    except InvalidInput:
        assert not decidable
    else:
        assert decidable


@NOTICES
@given(
    notices_and_moments(
        statuses=st.sampled_from([Status.PENDING, Status.APPROVED, Status.REJECTED, Status.CANCELLED]),
        recorded_afterwards=st.just(False),
    )
)
def test_a_return_can_be_marked_exactly_when_the_person_is_away(case):
    n, now = case
    n = dataclasses.replace(n, returned_at=None)
    try:
        check_action(Action.RETURN, n, now)
    except InvalidInput:
        assert not away_at(n, now)
    else:
        assert away_at(n, now)


@NOTICES
@given(notices_and_moments(), st.sampled_from(Action))
def test_a_stale_stored_status_does_not_change_what_an_action_does(case, action):
    n, now = case
    settled = dataclasses.replace(n, status=current_status(n, now))
    outcomes = []
    for version in (n, settled):
        try:
            outcomes.append(check_action(action, version, now))
        except InvalidInput as refused:
            outcomes.append(refused.message)
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize(
    ("kind", "show", "expected"),
    [
        (Kind.OFFICIAL, False, DoorLine("下乡核查", "0557-1")),
        (Kind.OFFICIAL, True, DoorLine("下乡核查", "139")),
        (Kind.PERSONAL, False, DoorLine("事假", "0557-1")),
        (Kind.SICK, True, DoorLine("事假", "139")),
        (Kind.ANNUAL, False, DoorLine("事假", "0557-1")),
    ],
)
def test_the_door_shows_reasons_only_for_official_business_and_private_numbers_only_by_choice(kind, show, expected):
    assert door_line(kind, "下乡核查" if kind == Kind.OFFICIAL else "家事", "事假", "139", show, "0557-1") == expected


def test_a_chosen_but_empty_contact_falls_back_to_the_office_phone():
    assert door_line(Kind.OFFICIAL, "下乡", "公出", "", True, "0557-1") == DoorLine("下乡", "0557-1")
