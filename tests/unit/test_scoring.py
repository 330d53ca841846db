"""Annual evaluation score (SPEC §9, 工作效能考评制度): exact against Fraction, bands, trimming, status, bad input."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import i18n
from app.domain.scoring import (
    COMPONENT_LABELS,
    COMPONENTS,
    DEFAULT_WEIGHTS,
    DIMENSION_LABELS,
    DIMENSIONS,
    GRADE_LABELS,
    STATUS_LABELS,
    Component,
    Grade,
    Rating,
    Status,
    Weights,
    component_score,
    grade_of,
    score_subject,
)
from app.errors import InvalidInput
from app.translations import translated


def refusal(action, *args, **kwargs) -> str:
    """The Chinese message of the InvalidInput that ``action`` raises."""
    with pytest.raises(InvalidInput) as caught:
        action(*args, **kwargs)
    return caught.value.localized()


FAST = settings(max_examples=300, deadline=None)
LEAD, PEER, SELF, GRASS = COMPONENTS


def D(text: str) -> Decimal:
    return Decimal(text)


# ---- an independent computation ------------------------------------------------------------------------------------


def reference_mean(scores: list[Fraction], trim: bool) -> Fraction | None:
    """Sort, cut one off each end when trimming with 5 or more, average: written without the module."""
    ordered = sorted(scores)
    if trim and len(ordered) >= 5:
        ordered = ordered[1:-1]
    return sum(ordered, Fraction(0)) / len(ordered) if ordered else None


def reference_half_up(value: Fraction) -> Fraction:
    """Round a non-negative fraction half-up to hundredths."""
    return Fraction(math.floor(value * 100 + Fraction(1, 2)), 100)


def reference_grade(score: Fraction) -> Grade:
    if score >= 85:
        return Grade.EXCELLENT
    if score >= 70:
        return Grade.COMPETENT
    if score >= 60:
        return Grade.BASICALLY_COMPETENT
    return Grade.INCOMPETENT


cents = st.integers(min_value=0, max_value=10_000)
score_lists = st.lists(cents.map(lambda c: Decimal(c).scaleb(-2)), min_size=1, max_size=12)


@st.composite
def weight_sets(draw) -> Weights:
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=3, max_size=3)))
    parts = [cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1], 100 - cuts[2]]
    return Weights(*parts)


# ---- the worked example ------------------------------------------------------------------------------------------


def test_worked_example():
    """A worked example of one score (default weights 70/10/10/10, trimming on).

    - leadership (领导小组考核), 6 raters: 88, 92, 95, 90, 85, 91. Drop the highest (95) and the
      lowest (85): (88 + 92 + 90 + 91) / 4 = 361 / 4 = 90.25.
    - peer (科室互评), 3 raters: 80, 85, 86. Fewer than 5, no trimming: 251 / 3 = 83.666… (shown 83.67).
    - self (个人自评), by dimension 德 18 + 能 18 + 勤 19 + 绩 18 + 廉 19 = 92.
    - grassroots (基层测评), 5 raters: 75, 78.5, 80, 81, 90. Drop 90 and 75:
      (78.5 + 80 + 81) / 3 = 239.5 / 3 = 79.8333… (shown 79.83).
    - final = (70 × 90.25 + 10 × 251/3 + 10 × 92 + 10 × 239.5/3) / 100
            = 63.175 + 8.3666… + 9.2 + 7.9833… = 88.725 exactly → half-up 88.73 (half-even would give 88.72).
    - grade 优秀 (excellent, ≥ 85); no rectification.
    """
    result = score_subject(
        {
            "leadership": [88, 92, 95, 90, 85, 91],
            "peer": [D("80"), D("85"), D("86")],
            "self": [Rating.from_dimensions(18, 18, 19, 18, 19)],
            "grassroots": ["75", "78.5", "80", "81", "90"],
        }
    )
    assert result.status is Status.SCORED
    assert result.components == {LEAD: D("90.25"), PEER: D("83.67"), SELF: D("92.00"), GRASS: D("79.83")}
    assert result.raters == {LEAD: 6, PEER: 3, SELF: 1, GRASS: 5}
    assert result.score == D("88.73")
    assert str(result.score) == "88.73"
    assert result.grade is Grade.EXCELLENT
    assert result.missing == ()
    assert result.needs_rectification is False


def test_a_score_below_70_needs_rectification():
    """leadership 65, 68, 70, 60, 72 → (65 + 68 + 70) / 3 = 67.666…; others 70, 80, 60:
    0.7 × 203/3 + 7 + 8 + 6 = 47.3666… + 21 = 68.3666… → 68.37, 基本称职, rectification."""
    result = score_subject({"leadership": [65, 68, 70, 60, 72], "peer": [70], "self": [80], "grassroots": [60]})
    assert result.score == D("68.37")
    assert result.grade is Grade.BASICALLY_COMPETENT
    assert result.needs_rectification is True


# ---- exact against Fraction --------------------------------------------------------------------------------------


@FAST
@given(
    lead=score_lists, peer=score_lists, own=score_lists, grass=score_lists, weights=weight_sets(), trim=st.booleans()
)
def test_the_score_matches_an_independent_fraction_computation(lead, peer, own, grass, weights, trim):
    ratings = {LEAD: lead, PEER: peer, SELF: own, GRASS: grass}
    result = score_subject(ratings, weights, trim=trim)

    means = {c: reference_mean([Fraction(s) for s in scores], trim) for c, scores in ratings.items()}
    exact = sum((Fraction(weights.of(c)) * means[c] for c in COMPONENTS), Fraction(0)) / 100
    expected = reference_half_up(exact)

    assert result.status is Status.SCORED
    assert Fraction(result.score) == expected
    assert result.score.as_tuple().exponent == -2
    assert result.grade is reference_grade(expected)
    assert result.needs_rectification is (expected < 70)
    assert {c: Fraction(v) for c, v in result.components.items()} == {c: reference_half_up(m) for c, m in means.items()}


@FAST
@given(
    present=st.sets(st.sampled_from(COMPONENTS)),
    scores=score_lists,
    weights=weight_sets(),
    days=st.integers(0, 366),
)
def test_status_follows_weights_ratings_and_absence(present, scores, weights, days):
    ratings = {c: [Rating.total(s) for s in scores] for c in present}
    result = score_subject(ratings, weights, absent_days=days)
    missing = tuple(c for c in COMPONENTS if weights.of(c) and c not in present)
    assert result.missing == missing
    assert list(result.components) == [c for c in COMPONENTS if c in present]
    if days > 183:
        assert result.status is Status.EXCLUDED
    elif missing:
        assert result.status is Status.INCOMPLETE
    else:
        assert result.status is Status.SCORED
        mean = reference_mean([Fraction(s) for s in scores], trim=True)
        weighted = sum(weights.of(c) for c in present)  # 100: every weighted component is present
        assert Fraction(result.score) == reference_half_up(mean * weighted / 100)
    if result.status is not Status.SCORED:
        assert (result.score, result.grade, result.needs_rectification) == (None, None, False)


@FAST
@given(scores=st.lists(cents.map(lambda c: Decimal(c).scaleb(-2)), max_size=15), trim=st.booleans())
def test_component_score_is_the_rounded_exact_mean(scores, trim):
    expected = reference_mean([Fraction(s) for s in scores], trim)
    got = component_score(scores, trim=trim)
    if expected is None:
        assert got is None
    else:
        assert Fraction(got) == reference_half_up(expected)


@FAST
@given(parts=st.lists(st.integers(0, 2000), min_size=5, max_size=5))
def test_a_rating_by_dimension_is_the_sum_of_the_five(parts):
    values = [Decimal(p).scaleb(-2) for p in parts]
    rating = Rating.from_dimensions(*values)
    assert rating.score == sum(values)
    assert rating.dimensions == tuple(values)
    assert rating.by_dimension == dict(zip(DIMENSIONS, values, strict=True))


def test_half_up_not_half_even():
    # leadership 80.01 and 80.00 → 80.005 exactly: the component shows 80.01; weight 100 → final 80.01.
    weights = Weights(leadership=100, peer=0, self=0, grassroots=0)
    result = score_subject({"leadership": ["80.01", "80.00"]}, weights)
    assert result.components[LEAD] == D("80.01")
    assert result.score == D("80.01")
    assert component_score(["0.01", "0.00"]) == D("0.01")
    assert component_score(["0.03", "0.00"]) == D("0.02")  # 0.015 → 0.02


def test_exact_where_float_would_round_the_wrong_way():
    # (1.00 + 1.01) / 2 = 1.005 exactly → 1.01; in binary floating point 1.005 is 1.00499… and rounds to 1.0.
    assert round((1.00 + 1.01) / 2, 2) == 1.0
    weights = Weights(leadership=100, peer=0, self=0, grassroots=0)
    assert score_subject({"leadership": ["1.00", "1.01"]}, weights).score == D("1.01")
    # Thirds stay exact until the end: 70 × 100 + 10 × (33.33 + 33.33 + 33.34) / 3 + 10 × 100 + 10 × 100 → 93.33.
    thirds = score_subject(
        {"leadership": [100], "peer": ["33.33", "33.33", "33.34"], "self": [100], "grassroots": [100]}
    )
    assert thirds.score == D("93.33")


# ---- grades ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "score, grade",
    [
        ("100", Grade.EXCELLENT),
        ("85.00", Grade.EXCELLENT),
        ("84.99", Grade.COMPETENT),
        ("70.00", Grade.COMPETENT),
        ("69.99", Grade.BASICALLY_COMPETENT),
        ("60.00", Grade.BASICALLY_COMPETENT),
        ("59.99", Grade.INCOMPETENT),
        ("0", Grade.INCOMPETENT),
    ],
)
def test_grade_bands_of_spec_9(score, grade):
    assert grade_of(D(score)) is grade
    assert grade_of(score) is grade


def test_the_grade_comes_from_the_rounded_score():
    # 84.995 exactly (leadership 84.99 and 85.00, weight 100) rounds to 85.00 → 优秀.
    weights = Weights(leadership=100, peer=0, self=0, grassroots=0)
    result = score_subject({"leadership": ["84.99", "85.00"]}, weights)
    assert result.score == D("85.00")
    assert result.grade is Grade.EXCELLENT
    # 69.995 → 70.00: competent, no rectification; 69.99 stays below.
    at_70 = score_subject({"leadership": ["69.99", "70.00"]}, weights)
    assert (at_70.score, at_70.grade, at_70.needs_rectification) == (D("70.00"), Grade.COMPETENT, False)
    below = score_subject({"leadership": ["69.99"]}, weights)
    assert (below.grade, below.needs_rectification) == (Grade.BASICALLY_COMPETENT, True)


def test_grade_of_refuses_an_unrounded_or_impossible_score():
    for bad in ("84.995", "100.01", "-0.01", "NaN"):
        with pytest.raises(InvalidInput):
            grade_of(bad)


# ---- trimming ----------------------------------------------------------------------------------------------------


def test_four_raters_give_the_plain_mean():
    assert component_score([60, 80, 90, 100]) == D("82.50")


def test_five_raters_drop_one_highest_and_one_lowest():
    assert component_score([88, 92, 95, 90, 85]) == D("90.00")  # (88 + 92 + 90) / 3


def test_six_raters_drop_one_highest_and_one_lowest():
    assert component_score([60, 70, 80, 90, 100, 75]) == D("78.75")  # (70 + 80 + 90 + 75) / 4


def test_ties_at_the_ends_drop_only_one_of_each():
    assert component_score([100, 100, 100, 50, 50]) == D("83.33")  # (100 + 100 + 50) / 3
    assert component_score([80, 80, 80, 80, 80]) == D("80.00")


def test_trimming_off_is_the_plain_mean():
    assert component_score([88, 92, 95, 90, 85], trim=False) == D("90.00")
    assert component_score([60, 70, 80, 90, 100, 75], trim=False) == D("79.17")  # 475 / 6
    result = score_subject(
        {"leadership": [0, 100, 100, 100, 100], "peer": [50], "self": [50], "grassroots": [50]}, trim=False
    )
    assert result.components[LEAD] == D("80.00")
    assert result.score == D("71.00")
    trimmed = score_subject({"leadership": [0, 100, 100, 100, 100], "peer": [50], "self": [50], "grassroots": [50]})
    assert trimmed.components[LEAD] == D("100.00")
    assert trimmed.score == D("85.00")


def test_no_ratings_means_no_component_score():
    assert component_score([]) is None


# ---- status ------------------------------------------------------------------------------------------------------


def test_incomplete_lists_the_missing_components_in_a_fixed_order():
    result = score_subject({"grassroots": [90], "leadership": [80]})
    assert result.status is Status.INCOMPLETE
    assert result.missing == (PEER, SELF)
    assert (result.score, result.grade, result.needs_rectification) == (None, None, False)
    assert list(result.components) == [LEAD, GRASS]
    everything = score_subject({})
    assert everything.missing == (LEAD, PEER, SELF, GRASS)
    empty_lists = score_subject({"self": [], "peer": [], "leadership": [70], "grassroots": [70]})
    assert empty_lists.missing == (PEER, SELF)


def test_a_zero_weight_component_is_never_missing_and_does_not_count():
    weights = Weights(leadership=80, peer=0, self=10, grassroots=10)
    result = score_subject({"leadership": [90], "self": [80], "grassroots": [70]}, weights)
    assert result.status is Status.SCORED
    assert result.score == D("87.00")
    with_peers = score_subject({"leadership": [90], "peer": [0], "self": [80], "grassroots": [70]}, weights)
    assert with_peers.score == D("87.00")
    assert with_peers.components[PEER] == D("0.00")  # reported, weighted 0


def test_excluded_beyond_half_of_the_years_working_days():
    ratings = {"leadership": [90], "peer": [90], "self": [90], "grassroots": [90]}
    half = score_subject(ratings, absent_days=D("121.50"), year_working_days=243)
    assert half.status is Status.SCORED  # exactly half is still evaluated
    more = score_subject(ratings, absent_days=D("121.51"), year_working_days=243)
    assert more.status is Status.EXCLUDED
    at_183 = score_subject(ratings, absent_days=183)
    assert (at_183.status, at_183.score) == (Status.SCORED, D("90.00"))
    at_184 = score_subject(ratings, absent_days=184)
    assert (at_184.status, at_184.score, at_184.grade) == (Status.EXCLUDED, None, None)
    assert at_184.needs_rectification is False
    low = score_subject({"leadership": [10]}, absent_days=200)
    assert (low.status, low.needs_rectification) == (Status.EXCLUDED, False)  # excluded outranks incomplete


@pytest.mark.parametrize("days", [-1, 367, True, 10.0, "12", D("1.005"), D("NaN")])
def test_absence_days_are_days_of_a_year_with_at_most_two_places(days):
    with pytest.raises(InvalidInput):
        score_subject({}, absent_days=days)


def test_an_unknown_component_is_refused():
    assert refusal(score_subject, {"colleagues": [90]}) == "未知的考评项目：colleagues"


# ---- weights -----------------------------------------------------------------------------------------------------


def test_default_weights_are_70_10_10_10():
    assert DEFAULT_WEIGHTS.as_dict() == {LEAD: 70, PEER: 10, SELF: 10, GRASS: 10}
    assert Weights(D("40"), D("20"), D("20"), D("20.00")).as_dict() == {LEAD: 40, PEER: 20, SELF: 20, GRASS: 20}
    assert Weights.from_mapping({"leadership": 100, "peer": 0, "self": 0, "grassroots": 0}).of("leadership") == 100


@pytest.mark.parametrize("parts, total", [((70, 10, 10, 9), 99), ((70, 10, 10, 11), 101), ((0, 0, 0, 0), 0)])
def test_weights_not_adding_up_to_100_are_refused_naming_the_sum(parts, total):
    with pytest.raises(InvalidInput) as caught:
        Weights(*parts)
    assert caught.value.localized() == f"各项权重之和须为 100，现为 {total}"
    assert str(total) in caught.value.in_language("en")


@pytest.mark.parametrize(
    "parts", [(80, -10, 20, 10), (70, 10, 10, D("10.5")), (70, 10, 10, 10.0), (70, 10, 10, True), (70, 10, "x", 10)]
)
def test_negative_or_fractional_weights_are_refused(parts):
    assert "的权重须为不小于 0 的整数，不是" in refusal(Weights, *parts)


@pytest.mark.parametrize("huge", [101, "1e5000", D("1E+999999999")])
def test_a_weight_over_100_is_refused_at_once_naming_it(huge):
    # Not a huge int summed and formatted (a 500, or minutes of CPU for "1e999999999").
    assert refusal(Weights, huge, 0, 0, 0) == f"“领导小组考核”的权重不能超过 100，不是 {huge}"


def test_weights_from_a_mapping_need_every_component_and_no_other():
    assert refusal(Weights.from_mapping, {"leadership": 90, "peer": 10}) == "缺少“个人自评”的权重"
    boss = {"leadership": 70, "peer": 10, "self": 10, "grassroots": 10, "boss": 0}
    assert refusal(Weights.from_mapping, boss) == "未知的考评项目：boss"


def test_weights_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_WEIGHTS.leadership = 50  # type: ignore[misc]


# ---- ratings -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dimensions, named",
    [
        ((21, 18, 18, 18, 18), "德"),
        ((18, "20.01", 18, 18, 18), "能"),
        ((18, 18, -1, 18, 18), "勤"),
        ((18, 18, 18, 18, 25), "廉"),
    ],
)
def test_a_dimension_outside_0_to_20_is_refused_naming_it(dimensions, named):
    with pytest.raises(InvalidInput) as caught:
        Rating.from_dimensions(*dimensions)
    assert caught.value.localized().startswith(f"“{named}”须在 0 到 20 分之间")


def test_dimensions_at_the_bounds_are_accepted():
    assert Rating.from_dimensions(20, 20, 20, 20, 20).score == D("100.00")
    assert Rating.from_dimensions(0, 0, 0, 0, 0).score == D("0.00")
    assert Rating.from_dimensions(de=20, neng=19, qin=D("18.5"), ji="17.25", lian=20).score == D("94.75")


@pytest.mark.parametrize("score", ["-0.01", "100.01", "101", -1, 1000])
def test_a_total_outside_0_to_100_is_refused(score):
    with pytest.raises(InvalidInput) as caught:
        Rating.total(score)
    assert "0 到 100 分之间" in caught.value.localized()
    with pytest.raises(InvalidInput):
        component_score([score])


@pytest.mark.parametrize("score", ["90.001", D("0.005"), "12.345"])
def test_more_than_two_decimal_places_are_refused(score):
    assert refusal(Rating.total, score) == f"“总分”最多两位小数，不是 {score}"


@pytest.mark.parametrize("score", [90.5, float("nan"), "NaN", D("Infinity"), "sNaN", "ninety", None, True, ""])
def test_floats_and_non_numbers_are_refused(score):
    assert refusal(Rating.total, score).startswith("“总分”须为数字（最多两位小数）")


def test_ratings_are_normalised_to_two_places():
    assert str(Rating.total("90.500").score) == "90.50"
    assert str(Rating.total(90).score) == "90.00"
    assert Rating.total(90).dimensions is None


# ---- labels and messages -----------------------------------------------------------------------------------------


def test_labels_are_chinese_with_the_spec_names():
    assert GRADE_LABELS == {
        Grade.EXCELLENT: "优秀",
        Grade.COMPETENT: "称职",
        Grade.BASICALLY_COMPETENT: "基本称职",
        Grade.INCOMPETENT: "不称职",
    }
    assert [DIMENSION_LABELS[d] for d in DIMENSIONS] == ["德", "能", "勤", "绩", "廉"]
    assert [c.value for c in COMPONENTS] == ["leadership", "peer", "self", "grassroots"]
    assert set(COMPONENT_LABELS) == set(Component)
    assert set(STATUS_LABELS) == set(Status)


def test_every_label_and_message_has_english():
    english = translated("en")
    for labels in (GRADE_LABELS, DIMENSION_LABELS, COMPONENT_LABELS, STATUS_LABELS):
        for label in labels.values():
            assert english.get(label), label
    with pytest.raises(InvalidInput) as caught:
        Rating.from_dimensions(18, 18, 18, 21, 18)
    with i18n.language("en"):
        assert caught.value.localized() == "Achievement must be between 0 and 20 points, not 21"


def test_reweighting_scores_the_present_components_with_their_weights_scaled_to_100():
    ratings = {"leadership": ["90"], "self": ["80"]}  # peer and grassroots missing
    assert score_subject(ratings).status == Status.INCOMPLETE
    result = score_subject(ratings, reweight=True)
    # (70 × 90 + 10 × 80) / 80 = 88.75
    assert (result.status, result.score, result.missing) == (
        Status.SCORED,
        Decimal("88.75"),
        (Component.PEER, Component.GRASSROOTS),
    )
    assert score_subject({}, reweight=True).status == Status.INCOMPLETE  # nothing to re-weight
