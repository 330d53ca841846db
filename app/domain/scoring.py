"""The annual evaluation score (工作效能考评制度 第三条, 第五条, 第六条, 第七条; SPEC §9): pure.

The caller loads a subject's ratings per component and the number of days of non-official absence
in the cycle year; this module only decides, so the compute job, the results page and the tests
share one formula and need no database.

Decisions written down here:

- **Precision.** Every score (a dimension, a total, a component, the final score) is a ``Decimal``
  with at most 2 decimal places. More precision (``"90.005"``), NaN, infinities, floats and
  booleans are refused with ``InvalidInput``; trailing zeros (``"90.500"``) are accepted.
- **Exact arithmetic.** Ratings are held as whole hundredths (integers); means and the weighted sum
  are carried as integer fractions and rounded once, half-up to 2 places, at the end. A component
  score shown to people (``SubjectResult.components``, ``component_score``) is its exact mean
  rounded half-up to 2 places for display; the final score is computed from the *exact* means,
  not from those displayed values, so re-adding the displayed values may differ by 0.01.
- **Trimming** (on by default): with 5 or more raters the single highest and the single lowest
  rating are dropped (one of each, even when several raters tie on the extreme); with fewer
  raters, or trimming off, the plain mean.
- **Weights** are whole percentages ≥ 0 that add up to exactly 100. A component weighted 0 does
  not count: it is never missing and its ratings do not move the final score (its mean is still
  reported). Re-weighting the present components when the admin finalises a cycle with missing
  ratings (SPEC §9) is therefore just scoring again with other weights.
- **Status**, in this order: ``excluded`` when the working days away for sickness, personal
  leave or study exceed half of the year's working days (第七条, "累计时间超过6个月"; exactly half
  is still evaluated); else ``incomplete`` when a component with a
  non-zero weight has no rating; else ``scored``. Only a scored subject has a score and a grade.
  ``components`` and ``missing`` describe the ratings whatever the status.
- **Grade** from the rounded score (SPEC §9): 优秀 ≥ 85, 称职 ≥ 70 and < 85, 基本称职 ≥ 60 and < 70,
  不称职 < 60. ``needs_rectification`` when a scored subject is below 70 (第六条(三)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from app.errors import InvalidInput
from app.i18n import N_

PLACES = 2
"""Scores have at most this many decimal places."""

DIMENSION_MAX = Decimal(20)
TOTAL_MAX = Decimal(100)

TRIM_MIN_RATERS = 5
"""With this many raters or more, the highest and the lowest rating are dropped (when trimming is on)."""

MAX_DAYS_IN_YEAR = 366

RECTIFICATION_BELOW = Decimal(70)
"""第六条(三): a score below this → rectification (整改)."""

_CENTS = 10**PLACES
_QUANTUM = Decimal(1).scaleb(-PLACES)


class Component(StrEnum):
    """The four parts of the score, in the fixed order used for lists (第五条(一)3)."""

    LEADERSHIP = "leadership"
    PEER = "peer"
    SELF = "self"
    GRASSROOTS = "grassroots"


COMPONENTS = tuple(Component)

COMPONENT_LABELS = {
    Component.LEADERSHIP: N_("领导小组考核"),
    Component.PEER: N_("科室互评"),
    Component.SELF: N_("个人自评"),
    Component.GRASSROOTS: N_("基层测评"),
}


class Dimension(StrEnum):
    """德 能 勤 绩 廉 (第三条(二)2), in that order; each 0–20, summed to the rating."""

    DE = "de"
    NENG = "neng"
    QIN = "qin"
    JI = "ji"
    LIAN = "lian"


DIMENSIONS = tuple(Dimension)

DIMENSION_LABELS = {
    Dimension.DE: N_("德"),
    Dimension.NENG: N_("能"),
    Dimension.QIN: N_("勤"),
    Dimension.JI: N_("绩"),
    Dimension.LIAN: N_("廉"),
}

TOTAL_LABEL = N_("总分")


class Grade(StrEnum):
    EXCELLENT = "excellent"
    COMPETENT = "competent"
    BASICALLY_COMPETENT = "basically_competent"
    INCOMPETENT = "incompetent"


GRADE_LABELS = {
    Grade.EXCELLENT: N_("优秀"),
    Grade.COMPETENT: N_("称职"),
    Grade.BASICALLY_COMPETENT: N_("基本称职"),
    Grade.INCOMPETENT: N_("不称职"),
}

GRADE_BANDS = (
    (Decimal(85), Grade.EXCELLENT),
    (Decimal(70), Grade.COMPETENT),
    (Decimal(60), Grade.BASICALLY_COMPETENT),
    (Decimal(0), Grade.INCOMPETENT),
)
"""(lowest score of the band, grade), best first (SPEC §9)."""

_BANDS_IN_CENTS = tuple((int(low) * _CENTS, grade) for low, grade in GRADE_BANDS)


class Status(StrEnum):
    SCORED = "scored"
    INCOMPLETE = "incomplete"
    EXCLUDED = "excluded"


STATUS_LABELS = {
    Status.SCORED: N_("已评分"),
    Status.INCOMPLETE: N_("评分不全"),
    Status.EXCLUDED: N_("不参加考评"),
}


# ---- numbers ---------------------------------------------------------------------------------------------------------


def _cents(value: object, label: str, high: Decimal) -> int:
    """A score as whole hundredths, refused unless a finite decimal in [0, high] with ≤ 2 places."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
    else:
        number = None  # float: never; a score is typed in, not measured
    if number is None or not number.is_finite():
        raise InvalidInput("“{what}”须为数字（最多两位小数），不是 {value}", what=label, value=str(value))
    if not 0 <= number <= high:
        raise InvalidInput("“{what}”须在 0 到 {high} 分之间，不是 {value}", what=label, high=high, value=str(value))
    scaled = number.scaleb(PLACES)
    if scaled != scaled.to_integral_value():
        raise InvalidInput("“{what}”最多两位小数，不是 {value}", what=label, value=str(value))
    return int(scaled)


def _decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-PLACES)


def _round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator (both ≥ 0, denominator > 0) rounded half-up to a whole number."""
    return (2 * numerator + denominator) // (2 * denominator)


# ---- ratings ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rating:
    """One rater's score of one subject: 0–100, either summed from the five dimensions or given whole."""

    score: Decimal
    dimensions: tuple[Decimal, ...] | None = None
    """德 能 勤 绩 廉 in that order, when the rating was entered by dimension."""

    def __post_init__(self) -> None:
        cents = _cents(self.score, TOTAL_LABEL, TOTAL_MAX)
        object.__setattr__(self, "score", _decimal(cents))
        if self.dimensions is not None:
            if len(self.dimensions) != len(DIMENSIONS):
                raise ValueError(f"five dimensions (德 能 勤 绩 廉), not {len(self.dimensions)}")
            parts = _dimension_cents(self.dimensions)
            if sum(parts) != cents:
                raise ValueError(f"the dimensions add up to {_decimal(sum(parts))}, not {self.score}")
            object.__setattr__(self, "dimensions", tuple(_decimal(p) for p in parts))

    @classmethod
    def from_dimensions(cls, de: object, neng: object, qin: object, ji: object, lian: object) -> Rating:
        """德 能 勤 绩 廉, each 0–20 with at most 2 decimals (Decimal, int or text); the rating is their sum."""
        parts = _dimension_cents((de, neng, qin, ji, lian))
        return cls(_decimal(sum(parts)), tuple(_decimal(p) for p in parts))

    @classmethod
    def total(cls, score: object) -> Rating:
        """One total 0–100 with at most 2 decimals (Decimal, int or text)."""
        return cls(_decimal(_cents(score, TOTAL_LABEL, TOTAL_MAX)))

    @property
    def by_dimension(self) -> dict[Dimension, Decimal] | None:
        return None if self.dimensions is None else dict(zip(DIMENSIONS, self.dimensions, strict=True))


def _dimension_cents(values: Iterable[object]) -> list[int]:
    return [_cents(v, DIMENSION_LABELS[d], DIMENSION_MAX) for d, v in zip(DIMENSIONS, values, strict=True)]


def _rating_cents(item: Rating | Decimal | int | str) -> int:
    if isinstance(item, Rating):
        return int(item.score.scaleb(PLACES))
    return _cents(item, TOTAL_LABEL, TOTAL_MAX)


# ---- weights ---------------------------------------------------------------------------------------------------------


def _whole_percentage(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    if not number.is_finite() or number < 0 or number != number.to_integral_value():
        return None
    # Over 100 is never a weight; "1e999999999" must not become a huge int: any such is 101.
    return 101 if number > 100 else int(number)


@dataclass(frozen=True)
class Weights:
    """Percentages per component (第五条(一)3: 70/10/10/10 by default): whole numbers ≥ 0 adding up to 100."""

    leadership: int = 70
    peer: int = 10
    self: int = 10
    grassroots: int = 10

    def __post_init__(self) -> None:
        total = 0
        wholes: dict[Component, int] = {}
        for component in COMPONENTS:
            whole = _whole_percentage(getattr(self, component.value))
            if whole is None:
                raise InvalidInput(
                    "“{component}”的权重须为不小于 0 的整数，不是 {value}",
                    component=COMPONENT_LABELS[component],
                    value=str(getattr(self, component.value)),
                )
            wholes[component] = whole
        for component, whole in wholes.items():
            if whole > 100:
                raise InvalidInput(
                    "“{component}”的权重不能超过 100，不是 {value}",
                    component=COMPONENT_LABELS[component],
                    value=str(getattr(self, component.value)),
                )
            object.__setattr__(self, component.value, whole)
            total += whole
        if total != 100:
            raise InvalidInput("各项权重之和须为 100，现为 {total}", total=total)

    @classmethod
    def from_mapping(cls, weights: Mapping[str, object]) -> Weights:
        """From ``{"leadership": 70, ...}``; every component must be given."""
        for key in weights:
            _component(key)
        for component in COMPONENTS:
            if component not in weights:
                raise InvalidInput("缺少“{component}”的权重", component=COMPONENT_LABELS[component])
        given: dict[str, Any] = {c.value: weights[c] for c in COMPONENTS}  # as given: __post_init__ checks them
        return cls(**given)

    def of(self, component: Component | str) -> int:
        return getattr(self, Component(component).value)

    def as_dict(self) -> dict[Component, int]:
        return {c: getattr(self, c.value) for c in COMPONENTS}


DEFAULT_WEIGHTS = Weights()


# ---- scores ----------------------------------------------------------------------------------------------------------


def _trimmed_sum(cents: list[int], trim: bool) -> tuple[int, int]:
    """(sum, count) of the ratings that count; count 0 when there are none."""
    count = len(cents)
    if trim and count >= TRIM_MIN_RATERS:
        return sum(cents) - max(cents) - min(cents), count - 2
    return sum(cents), count


def component_score(scores: Iterable[Rating | Decimal | int | str], trim: bool = True) -> Decimal | None:
    """The mean of the ratings (trimmed when on and ≥ 5), rounded half-up to 2 places; None without ratings."""
    total, count = _trimmed_sum([_rating_cents(s) for s in scores], trim)
    if count == 0:
        return None
    return _decimal(_round_half_up(total, count))


def grade_of(score: Decimal | int | str) -> Grade:
    """The grade of a final score, already rounded to at most 2 places (SPEC §9)."""
    return _grade_of_cents(_cents(score, TOTAL_LABEL, TOTAL_MAX))


def _grade_of_cents(cents: int) -> Grade:
    for low, grade in _BANDS_IN_CENTS:
        if cents >= low:
            return grade
    raise AssertionError(cents)  # unreachable: the last band starts at 0


def _component(key: object) -> Component:
    try:
        return Component(str(key))
    except ValueError:
        raise InvalidInput("未知的考评项目：{component}", component=str(key)) from None


def _check_days(absent_days: Decimal | int) -> Decimal:
    """Working days away: 0–366 with at most two places (a day is counted by its share of office time)."""
    if isinstance(absent_days, bool) or not isinstance(absent_days, int | Decimal):
        raise InvalidInput("离岗天数须为 0 到 366 之间、最多两位小数的数，不是 {days}", days=str(absent_days))
    days = Decimal(absent_days)
    if not days.is_finite() or not 0 <= days <= MAX_DAYS_IN_YEAR or days != days.quantize(_QUANTUM):
        raise InvalidInput("离岗天数须为 0 到 366 之间、最多两位小数的数，不是 {days}", days=str(absent_days))
    return days


def excluded(absent_days: Decimal | int, year_working_days: int) -> bool:
    """第七条: away (sick, personal, study) for more than half of the year's working days."""
    return _check_days(absent_days) * 2 > year_working_days


@dataclass(frozen=True)
class SubjectResult:
    status: Status
    score: Decimal | None
    """The final score, 2 places, only when scored."""
    grade: Grade | None
    components: dict[Component, Decimal]
    """Each rated component's (trimmed) mean, 2 places for display, in the fixed component order."""
    missing: tuple[Component, ...]
    """Components with a non-zero weight and no rating, in the fixed component order."""
    needs_rectification: bool
    raters: dict[Component, int]
    """How many ratings each component received (before trimming)."""


def score_subject(
    ratings_by_component: Mapping[Component | str, Iterable[Rating | Decimal | int | str]],
    weights: Weights = DEFAULT_WEIGHTS,
    trim: bool = True,
    absent_days: Decimal | int = 0,
    reweight: bool = False,
    year_working_days: int = MAX_DAYS_IN_YEAR,
) -> SubjectResult:
    """One subject's result from their ratings per component and their working days away for
    sickness, personal leave or study, out of the cycle year's ``year_working_days``.

    ``reweight`` is the finalising policy for a subject missing a component (SPEC §9): the present
    components are scored with their weights scaled up to 100 (``missing`` still lists the others).
    """
    _check_days(absent_days)
    by_component: dict[Component, list[int]] = {}
    for key, items in ratings_by_component.items():
        component = _component(key)
        by_component.setdefault(component, []).extend(_rating_cents(item) for item in items)

    components: dict[Component, Decimal] = {}
    raters: dict[Component, int] = {}
    missing: list[Component] = []
    numerator, denominator = 0, 1  # Σ weight × mean in hundredths, as one exact fraction
    present_weight = 0
    for component in COMPONENTS:
        cents = by_component.get(component, [])
        weight = getattr(weights, component.value)
        total, count = _trimmed_sum(cents, trim)
        if count == 0:
            if weight:
                missing.append(component)
            continue
        raters[component] = len(cents)
        components[component] = _decimal(_round_half_up(total, count))
        if weight:
            numerator = numerator * count + weight * total * denominator
            denominator *= count
            present_weight += weight

    if excluded(absent_days, year_working_days):
        status = Status.EXCLUDED
    elif missing and not (reweight and present_weight):
        status = Status.INCOMPLETE
    else:
        status = Status.SCORED
    if status is not Status.SCORED:
        return SubjectResult(status, None, None, components, tuple(missing), False, raters)

    final = _round_half_up(numerator, denominator * present_weight)
    return SubjectResult(
        status=status,
        score=_decimal(final),
        grade=_grade_of_cents(final),
        components=components,
        missing=tuple(missing),
        needs_rectification=final < int(RECTIFICATION_BELOW) * _CENTS,
        raters=raters,
    )
