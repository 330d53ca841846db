"""The A/B backup rota resolver (同岗替代制度): named cases from 砀山县, properties, and an independent reference."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Set

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.rota import Post, RotaEntry, Status, present, resolve, resolve_line

# The 砀山县 seed: 王效雷=1, 侯伟丽=2, 朱文君=3, 孙静=4, section head 刘晓梅=5.
WANG, HOU, ZHU, SUN, LIU = 1, 2, 3, 4, 5
EVERYONE = frozenset({WANG, HOU, ZHU, SUN, LIU})

URBAN = Post("urban_dibao", a=WANG, b=HOU)
RURAL = Post("rural_dibao", a=HOU, b=ZHU)
MEDICAL = Post("medical", a=ZHU, b=HOU)
TEMPORARY = Post("temporary", a=WANG, b=ZHU)
POSTS = [URBAN, RURAL, MEDICAL, TEMPORARY]

QUALIFIED: dict[str, frozenset[int]] = {
    "urban_dibao": frozenset({WANG, HOU, SUN}),
    "rural_dibao": frozenset({HOU, ZHU}),
    "medical": frozenset({HOU, ZHU}),
    "temporary": frozenset({WANG, ZHU, SUN}),
}


def dangshan(
    away: Set[int] = frozenset(),
    *,
    active: Set[int] = EVERYONE,
    qualified: Mapping[str, Set[int]] = QUALIFIED,
    picks: Mapping[str, int] | None = None,
    posts: list[Post] = POSTS,
) -> dict[str, RotaEntry]:
    return {entry.line: entry for entry in resolve(posts, active=active, away=away, qualified=qualified, picks=picks)}


def line(post: Post, away: Set[int] = frozenset(), **kwargs) -> RotaEntry:
    kwargs.setdefault("active", EVERYONE)
    kwargs.setdefault("qualified", QUALIFIED)
    return resolve_line(post, away=away, **kwargs)


def summary(entry: RotaEntry) -> tuple[Status, int | None, tuple[int, ...]]:
    return entry.status, entry.acting, entry.candidates


# ---- present -------------------------------------------------------------------------------------------------------


def test_an_active_person_who_is_not_away_is_present():
    assert present(WANG, EVERYONE, frozenset())


def test_an_unassigned_slot_is_never_present():
    assert not present(None, EVERYONE, frozenset())


def test_an_away_person_is_not_present():
    assert not present(WANG, EVERYONE, {WANG})


def test_an_inactive_person_is_not_present_even_when_not_away():
    assert not present(WANG, EVERYONE - {WANG}, frozenset())


def test_an_inactive_and_away_person_is_not_present():
    assert not present(WANG, EVERYONE - {WANG}, {WANG})


# ---- the types -----------------------------------------------------------------------------------------------------


def test_statuses_are_the_strings_the_ui_and_api_use():
    assert [str(s) for s in Status] == ["normal", "covered", "escalated", "uncovered"]
    assert Status("uncovered") is Status.UNCOVERED


def test_posts_and_entries_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        URBAN.a = SUN  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        line(URBAN).acting = SUN  # type: ignore[misc]


def test_an_entry_has_no_candidates_by_default():
    assert RotaEntry("urban_dibao", WANG, HOU, WANG, Status.NORMAL).candidates == ()


# ---- normal --------------------------------------------------------------------------------------------------------


def test_with_everyone_in_every_line_is_run_by_its_a():
    rota = dangshan()
    assert [(e.line, e.status, e.acting) for e in rota.values()] == [
        ("urban_dibao", Status.NORMAL, WANG),
        ("rural_dibao", Status.NORMAL, HOU),
        ("medical", Status.NORMAL, ZHU),
        ("temporary", Status.NORMAL, WANG),
    ]
    assert all(e.candidates == () for e in rota.values())


def test_the_entry_echoes_the_post():
    entry = line(URBAN)
    assert (entry.line, entry.a, entry.b) == ("urban_dibao", WANG, HOU)


def test_a_present_a_acts_even_without_a_qualification_for_the_line():
    assert summary(line(URBAN, qualified={"urban_dibao": frozenset({HOU})})) == (Status.NORMAL, WANG, ())


def test_a_present_a_acts_on_a_line_missing_from_the_qualifications():
    assert summary(line(Post("funeral", a=SUN, b=None), qualified={})) == (Status.NORMAL, SUN, ())


def test_a_pick_is_ignored_while_a_is_present():
    assert summary(line(URBAN, picks={"urban_dibao": SUN})) == (Status.NORMAL, WANG, ())


def test_a_person_may_be_a_on_two_lines_at_once():
    rota = dangshan()
    assert rota["urban_dibao"].acting == rota["temporary"].acting == WANG


# ---- covered -------------------------------------------------------------------------------------------------------


def test_wang_away_hands_urban_to_hou_and_temporary_to_zhu():
    rota = dangshan({WANG})
    assert summary(rota["urban_dibao"]) == (Status.COVERED, HOU, ())
    assert summary(rota["temporary"]) == (Status.COVERED, ZHU, ())
    assert summary(rota["rural_dibao"]) == (Status.NORMAL, HOU, ())
    assert summary(rota["medical"]) == (Status.NORMAL, ZHU, ())


def test_hou_away_hands_rural_to_zhu_while_urban_stays_normal():
    rota = dangshan({HOU})
    assert summary(rota["rural_dibao"]) == (Status.COVERED, ZHU, ())
    assert summary(rota["urban_dibao"]) == (Status.NORMAL, WANG, ())
    assert summary(rota["medical"]) == (Status.NORMAL, ZHU, ())
    assert summary(rota["temporary"]) == (Status.NORMAL, WANG, ())


def test_zhu_away_touches_every_line_where_zhu_is_a_but_not_where_zhu_is_only_b():
    rota = dangshan({ZHU})
    assert summary(rota["medical"]) == (Status.COVERED, HOU, ())
    assert summary(rota["rural_dibao"]) == (Status.NORMAL, HOU, ())
    assert summary(rota["temporary"]) == (Status.NORMAL, WANG, ())


def test_an_inactive_a_is_covered_like_an_away_one():
    assert summary(line(URBAN, active=EVERYONE - {WANG})) == (Status.COVERED, HOU, ())


def test_a_missing_a_is_covered_by_b():
    assert summary(line(Post("urban_dibao", a=None, b=HOU))) == (Status.COVERED, HOU, ())


def test_one_person_may_cover_several_lines_at_once():
    rota = dangshan({WANG, HOU})
    assert summary(rota["rural_dibao"]) == (Status.COVERED, ZHU, ())
    assert summary(rota["temporary"]) == (Status.COVERED, ZHU, ())
    assert summary(rota["medical"]) == (Status.NORMAL, ZHU, ())


def test_a_pick_is_ignored_while_b_covers():
    assert summary(line(URBAN, {WANG}, picks={"urban_dibao": SUN})) == (Status.COVERED, HOU, ())


# ---- escalated -----------------------------------------------------------------------------------------------------


def test_wang_and_hou_away_escalate_urban_with_sun_as_the_only_candidate():
    rota = dangshan({WANG, HOU})
    assert summary(rota["urban_dibao"]) == (Status.ESCALATED, None, (SUN,))


def test_the_section_heads_pick_acts_on_an_escalated_line():
    rota = dangshan({WANG, HOU}, picks={"urban_dibao": SUN})
    assert summary(rota["urban_dibao"]) == (Status.ESCALATED, SUN, ())
    # The pick is per line: other lines keep their own rules.
    assert summary(rota["temporary"]) == (Status.COVERED, ZHU, ())


def test_an_away_pick_leaves_the_line_awaiting_a_new_choice_when_someone_else_qualifies():
    qualified = {**QUALIFIED, "urban_dibao": QUALIFIED["urban_dibao"] | {LIU}}
    rota = dangshan({WANG, HOU, SUN}, qualified=qualified, picks={"urban_dibao": SUN})
    assert summary(rota["urban_dibao"]) == (Status.ESCALATED, None, (LIU,))


def test_an_unqualified_pick_is_not_acting():
    rota = dangshan({WANG, HOU}, picks={"urban_dibao": LIU})
    assert summary(rota["urban_dibao"]) == (Status.ESCALATED, None, (SUN,))


def test_an_inactive_pick_is_not_acting():
    qualified = {**QUALIFIED, "urban_dibao": QUALIFIED["urban_dibao"] | {LIU}}
    rota = dangshan({WANG, HOU}, active=EVERYONE - {SUN}, qualified=qualified, picks={"urban_dibao": SUN})
    assert summary(rota["urban_dibao"]) == (Status.ESCALATED, None, (LIU,))


def test_a_pick_for_another_line_does_not_count():
    rota = dangshan({WANG, HOU}, picks={"temporary": SUN})
    assert summary(rota["urban_dibao"]) == (Status.ESCALATED, None, (SUN,))


def test_an_inactive_b_escalates():
    rota = dangshan({WANG}, active=EVERYONE - {HOU})
    assert summary(rota["urban_dibao"]) == (Status.ESCALATED, None, (SUN,))


def test_a_present_but_unqualified_b_never_acts_and_is_no_candidate():
    post = Post("urban_dibao", a=WANG, b=LIU)
    assert summary(line(post, {WANG})) == (Status.ESCALATED, None, (HOU, SUN))
    assert summary(line(post, {WANG}, picks={"urban_dibao": LIU})) == (Status.ESCALATED, None, (HOU, SUN))
    assert summary(line(post, {WANG}, picks={"urban_dibao": HOU})) == (Status.ESCALATED, HOU, ())


def test_candidates_exclude_an_away_a_and_b_and_are_sorted():
    qualified = {"urban_dibao": frozenset({LIU, SUN, WANG, HOU, ZHU})}
    assert summary(line(URBAN, {WANG, HOU}, qualified=qualified)) == (Status.ESCALATED, None, (ZHU, SUN, LIU))


def test_a_line_with_neither_a_nor_b_escalates_to_everyone_qualified():
    assert summary(line(Post("urban_dibao", a=None, b=None))) == (Status.ESCALATED, None, (WANG, HOU, SUN))


def test_picking_a_or_b_does_not_bring_them_back():
    assert summary(line(URBAN, {WANG, HOU}, picks={"urban_dibao": HOU})) == (Status.ESCALATED, None, (SUN,))
    assert summary(line(URBAN, {WANG, HOU}, picks={"urban_dibao": WANG})) == (Status.ESCALATED, None, (SUN,))


# ---- uncovered -----------------------------------------------------------------------------------------------------


def test_wang_hou_and_the_pick_sun_all_away_leave_urban_uncovered():
    rota = dangshan({WANG, HOU, SUN}, picks={"urban_dibao": SUN})
    assert summary(rota["urban_dibao"]) == (Status.UNCOVERED, None, ())


def test_hou_and_zhu_away_leave_rural_and_medical_uncovered():
    rota = dangshan({HOU, ZHU})
    assert summary(rota["rural_dibao"]) == (Status.UNCOVERED, None, ())
    assert summary(rota["medical"]) == (Status.UNCOVERED, None, ())
    assert summary(rota["urban_dibao"]) == (Status.NORMAL, WANG, ())
    assert summary(rota["temporary"]) == (Status.NORMAL, WANG, ())


def test_an_inactive_only_candidate_leaves_the_line_uncovered():
    rota = dangshan({WANG, HOU}, active=EVERYONE - {SUN}, picks={"urban_dibao": SUN})
    assert summary(rota["urban_dibao"]) == (Status.UNCOVERED, None, ())


def test_a_line_nobody_is_qualified_for_is_uncovered_once_a_is_away():
    assert summary(line(Post("funeral", a=WANG, b=HOU), {WANG}, qualified={})) == (Status.UNCOVERED, None, ())


def test_an_empty_post_with_nobody_qualified_is_uncovered():
    assert summary(line(Post("funeral", a=None, b=None))) == (Status.UNCOVERED, None, ())


def test_an_unqualified_present_b_alone_leaves_the_line_uncovered():
    post = Post("rural_dibao", a=HOU, b=LIU)
    assert summary(line(post, {HOU, ZHU})) == (Status.UNCOVERED, None, ())


def test_everyone_away_leaves_every_line_uncovered():
    rota = dangshan(EVERYONE)
    assert {e.status for e in rota.values()} == {Status.UNCOVERED}
    assert all(e.acting is None and e.candidates == () for e in rota.values())


# ---- resolve -------------------------------------------------------------------------------------------------------


def test_resolve_of_no_posts_is_empty():
    assert resolve([], active=EVERYONE, away=frozenset(), qualified=QUALIFIED) == []


def test_resolve_accepts_any_iterable_and_keeps_its_order():
    posts = [TEMPORARY, URBAN, MEDICAL]
    entries = resolve(iter(posts), active=EVERYONE, away={WANG}, qualified=QUALIFIED)
    assert [e.line for e in entries] == ["temporary", "urban_dibao", "medical"]


def test_resolve_is_resolve_line_per_post():
    kwargs = {"active": EVERYONE, "away": {WANG, HOU}, "qualified": QUALIFIED, "picks": {"urban_dibao": SUN}}
    assert resolve(POSTS, **kwargs) == [resolve_line(post, **kwargs) for post in POSTS]


def test_a_repeated_post_resolves_the_same_each_time():
    entries = resolve([URBAN, URBAN], active=EVERYONE, away={WANG}, qualified=QUALIFIED)
    assert entries[0] == entries[1]


# ---- an independent reference --------------------------------------------------------------------------------------


def reference(
    post: Post,
    active: Set[int],
    away: Set[int],
    qualified: Mapping[str, Set[int]],
    picks: Mapping[str, int] | None,
) -> RotaEntry:
    """Rank every active person for the line and let the best rank decide, instead of the resolver's if-chain."""
    line_qualified = set(qualified[post.line]) if post.line in qualified else set()
    pick = picks[post.line] if picks and post.line in picks else None
    ranks: dict[int, int] = {}
    for person in sorted(active):
        if person in away:
            continue
        if person == post.a:
            ranks[person] = 0
        elif person not in line_qualified:
            continue
        elif person == post.b:
            ranks[person] = 1
        elif person == pick:
            ranks[person] = 2
        else:
            ranks[person] = 3
    if not ranks:
        return RotaEntry(post.line, post.a, post.b, None, Status.UNCOVERED)
    best = min(ranks.values())
    winner = next(p for p, r in ranks.items() if r == best)
    if best == 0:
        return RotaEntry(post.line, post.a, post.b, winner, Status.NORMAL)
    if best == 1:
        return RotaEntry(post.line, post.a, post.b, winner, Status.COVERED)
    if best == 2:
        return RotaEntry(post.line, post.a, post.b, winner, Status.ESCALATED)
    return RotaEntry(post.line, post.a, post.b, None, Status.ESCALATED, tuple(p for p, r in ranks.items() if r == 3))


def test_every_case_over_three_people_matches_the_reference():
    """Exhaustive: every A, B, pick, qualification set and active/away state for three people on one line."""
    people = (1, 2, 3)
    slots = (None, *people)
    subsets = [frozenset(c) for n in range(len(people) + 1) for c in itertools.combinations(people, n)]
    checked = 0
    for active, away, line_qualified in itertools.product(subsets, subsets, subsets):
        qualified = {"l": line_qualified}
        for a, b, pick in itertools.product(slots, slots, slots):
            post = Post("l", a, b)
            picks = None if pick is None else {"l": pick}
            assert resolve_line(post, active=active, away=away, qualified=qualified, picks=picks) == reference(
                post, active, away, qualified, picks
            ), (post, active, away, line_qualified, pick)
            checked += 1
    assert checked == 8**3 * 4**3


# ---- properties ----------------------------------------------------------------------------------------------------

LINE_CODES = ("urban_dibao", "rural_dibao", "medical", "temporary", "funeral")
QUALIFIED_LINES = LINE_CODES[:-1]  # "funeral" is never in qualified: a line nobody has been qualified for yet.
# 0 stands for an unassigned slot or no pick, so that one turns up about one time in nine.
SLOT = st.integers(min_value=0, max_value=8).map(lambda n: n or None)
# Groups of people 1..8 drawn as bitmasks: far cheaper for hypothesis to generate and shrink than nested sets.
BITS = st.integers(min_value=0, max_value=255)


def group(bits: int) -> frozenset[int]:
    return frozenset(p for p in range(1, 9) if bits >> (p - 1) & 1)


# Mostly active and qualified, rarely away, so that every status turns up often rather than mostly UNCOVERED.
MOSTLY = st.tuples(BITS, BITS).map(lambda pair: group(pair[0] | pair[1]))
HALF = BITS.map(group)
RARELY = st.tuples(BITS, BITS).map(lambda pair: group(pair[0] & pair[1]))
POSTS_DRAWN = st.lists(st.builds(Post, line=st.sampled_from(LINE_CODES), a=SLOT, b=SLOT), max_size=8)
QUALIFIED_DRAWN = st.tuples(*[HALF for _ in QUALIFIED_LINES])
PICKS_DRAWN = st.none() | st.tuples(*[SLOT for _ in LINE_CODES])


@st.composite
def rotas(draw: st.DrawFn) -> dict:
    qualified = draw(QUALIFIED_DRAWN)
    picks = draw(PICKS_DRAWN)
    return {
        "posts": draw(POSTS_DRAWN),
        "active": draw(MOSTLY),
        "away": draw(RARELY),
        "qualified": dict(zip(QUALIFIED_LINES, qualified, strict=True)),
        "picks": None
        if picks is None
        else {code: person for code, person in zip(LINE_CODES, picks, strict=True) if person is not None},
    }


def is_present(person: int | None, rota: dict) -> bool:
    return person is not None and person in rota["active"] and person not in rota["away"]


def qualified_present(post: Post, rota: dict) -> list[int]:
    return sorted(p for p in rota["qualified"].get(post.line, ()) if is_present(p, rota))


def has_valid_pick(post: Post, rota: dict) -> bool:
    pick = (rota["picks"] or {}).get(post.line)
    return pick is not None and is_present(pick, rota) and pick in rota["qualified"].get(post.line, ())


def entries(rota: dict) -> list[RotaEntry]:
    return resolve(
        rota["posts"], active=rota["active"], away=rota["away"], qualified=rota["qualified"], picks=rota["picks"]
    )


FAST = settings(max_examples=75, deadline=None)
REFERENCE = settings(max_examples=400, deadline=None)


@FAST
@given(rotas())
def test_output_matches_the_posts_in_order_and_length(rota):
    result = entries(rota)
    assert len(result) == len(rota["posts"])
    assert [(e.line, e.a, e.b) for e in result] == [(p.line, p.a, p.b) for p in rota["posts"]]


@FAST
@given(rotas())
def test_the_acting_person_is_always_present(rota):
    for entry in entries(rota):
        if entry.acting is not None:
            assert entry.acting in rota["active"]
            assert entry.acting not in rota["away"]


@FAST
@given(rotas())
def test_nobody_acts_exactly_when_uncovered_or_escalated_without_a_valid_pick(rota):
    for post, entry in zip(rota["posts"], entries(rota), strict=True):
        awaiting = entry.status is Status.ESCALATED and not has_valid_pick(post, rota)
        assert (entry.acting is None) == (entry.status is Status.UNCOVERED or awaiting)


@FAST
@given(rotas())
def test_normal_exactly_when_a_is_present(rota):
    for post, entry in zip(rota["posts"], entries(rota), strict=True):
        assert (entry.status is Status.NORMAL) == is_present(post.a, rota)
        if entry.status is Status.NORMAL:
            assert entry.acting == post.a


@FAST
@given(rotas())
def test_covered_means_a_present_qualified_b_acts(rota):
    for post, entry in zip(rota["posts"], entries(rota), strict=True):
        b_can_cover = is_present(post.b, rota) and post.b in rota["qualified"].get(post.line, ())
        assert (entry.status is Status.COVERED) == (not is_present(post.a, rota) and b_can_cover)
        if entry.status is Status.COVERED:
            assert entry.acting == post.b
            assert entry.acting in rota["qualified"][post.line]


@FAST
@given(rotas())
def test_an_escalated_line_that_has_someone_acting_is_run_by_the_valid_pick(rota):
    for post, entry in zip(rota["posts"], entries(rota), strict=True):
        if entry.status is Status.ESCALATED and entry.acting is not None:
            assert entry.acting == rota["picks"][post.line]
            assert entry.acting in rota["qualified"][post.line]
            assert is_present(entry.acting, rota)
            assert entry.acting not in (post.a, post.b)


@FAST
@given(rotas())
def test_escalated_and_uncovered_follow_whether_anyone_qualified_is_present(rota):
    for post, entry in zip(rota["posts"], entries(rota), strict=True):
        if entry.status is Status.ESCALATED:
            assert qualified_present(post, rota)
        if entry.status is Status.UNCOVERED:
            assert not qualified_present(post, rota)
            assert not is_present(post.a, rota)
        if not is_present(post.a, rota) and not qualified_present(post, rota):
            assert entry.status is Status.UNCOVERED


@FAST
@given(rotas())
def test_candidates_are_the_qualified_present_people_other_than_a_and_b_sorted(rota):
    for post, entry in zip(rota["posts"], entries(rota), strict=True):
        if entry.status is Status.ESCALATED and entry.acting is None:
            expected = tuple(p for p in qualified_present(post, rota) if p not in (post.a, post.b))
            assert entry.candidates == expected
            assert entry.candidates
        else:
            assert entry.candidates == ()


@FAST
@given(rotas())
def test_resolve_is_deterministic(rota):
    again = {
        **rota,
        "active": set(reversed(sorted(rota["active"]))),
        "away": set(rota["away"]),
        "qualified": {k: set(v) for k, v in reversed(list(rota["qualified"].items()))},
        "picks": None if rota["picks"] is None else dict(rota["picks"]),
    }
    assert entries(rota) == entries(rota) == entries(again)


@REFERENCE
@given(rotas())
def test_resolve_matches_the_reference(rota):
    expected = [reference(p, rota["active"], rota["away"], rota["qualified"], rota["picks"]) for p in rota["posts"]]
    assert entries(rota) == expected
