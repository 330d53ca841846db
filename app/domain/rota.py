"""Who is acting on each business line right now, under the A/B backup rota (同岗替代制度).

Pure: the caller gathers who is active, away, qualified and picked; this module only decides,
so the same rules serve the dashboard, notifications and tests without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from enum import StrEnum

from app.i18n import N_


class Status(StrEnum):
    """How a line is staffed at an instant; UNCOVERED must be shown loudly."""

    NORMAL = "normal"
    COVERED = "covered"
    ESCALATED = "escalated"
    UNCOVERED = "uncovered"


STATUS_LABELS = {
    Status.NORMAL: N_("正常"),
    Status.COVERED: N_("B岗替代中"),
    Status.ESCALATED: N_("已上报负责人"),
    Status.UNCOVERED: N_("无人替代"),
}


@dataclass(frozen=True)
class Post:
    """One line's assignment; A or B may be unassigned (None) while a county is being set up."""

    line: str
    a: int | None
    b: int | None


@dataclass(frozen=True)
class RotaEntry:
    """The resolved state of one line; candidates are only filled while the section head still has to pick."""

    line: str
    a: int | None
    b: int | None
    acting: int | None
    status: Status
    candidates: tuple[int, ...] = ()


def present(person: int | None, active: Set[int], away: Set[int]) -> bool:
    """Whether someone can act now: an unassigned slot, a disabled account or an absence all rule a person out."""
    return person is not None and person in active and person not in away


def resolve_line(
    post: Post,
    *,
    active: Set[int],
    away: Set[int],
    qualified: Mapping[str, Set[int]],
    picks: Mapping[str, int] | None = None,
) -> RotaEntry:
    """Resolve one line: A, then a qualified B, then the section head's pick among the other qualified people."""
    line_qualified = qualified.get(post.line, frozenset())

    def entry(acting: int | None, status: Status, candidates: tuple[int, ...] = ()) -> RotaEntry:
        return RotaEntry(post.line, post.a, post.b, acting, status, candidates)

    # A holds the post, so A acts whether or not the qualification list mentions them.
    if present(post.a, active, away):
        return entry(post.a, Status.NORMAL)
    # B is checked against the qualifications too: a stale assignment must never put an unqualified person in charge.
    if present(post.b, active, away) and post.b in line_qualified:
        return entry(post.b, Status.COVERED)

    candidates = tuple(
        sorted(person for person in line_qualified if person not in (post.a, post.b) and present(person, active, away))
    )
    if not candidates:
        return entry(None, Status.UNCOVERED)
    pick = (picks or {}).get(post.line)
    if pick in candidates:
        return entry(pick, Status.ESCALATED)
    return entry(None, Status.ESCALATED, candidates)


def resolve(
    posts: Iterable[Post],
    *,
    active: Set[int],
    away: Set[int],
    qualified: Mapping[str, Set[int]],
    picks: Mapping[str, int] | None = None,
) -> list[RotaEntry]:
    """Resolve every line independently, so one person may end up acting on several lines at once."""
    return [resolve_line(post, active=active, away=away, qualified=qualified, picks=picks) for post in posts]


def case_acting(handler: int | None, line: RotaEntry | None, *, active: Set[int], away: Set[int]) -> int | None:
    """Who works a case now (同岗替代 第四条): its handler while present, else whoever acts on its line.

    ``None`` means nobody present can act on it (the case is uncovered): a person who is away is
    never the acting handler of a case, not even their own.
    """
    if present(handler, active, away):
        return handler
    return line.acting if line is not None else None
