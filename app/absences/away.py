"""Who is away at an instant, and the section head's picks while a line's A and B both are: the
absences' facts the rota is resolved with (``app.flows.acting``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.absences.tables import NOTICE_COLUMNS, Absence, EscalationPick
from app.domain.absence import IN_FORCE, Category, Notice, Status
from app.domain.absence import away_at as notice_away_at
from app.tenancy.context import TenantContext


@dataclass(frozen=True)
class AwayFacts:
    """Absence notices and picks not over by the instant they are read for: one read serves any
    instant from then on, so a process may keep it (``app.tenancy.cache``); who is away is decided
    at the instant asked."""

    absences: list[dict]
    picks: list[dict]

    def away_at(self, at: datetime) -> set[int]:
        """Who is away at ``at``: ``people_away``'s rule."""
        return {
            row["person"]
            for row in self.absences
            if row["starts_at"] <= at
            and (row["returned_at"] is None or row["returned_at"] > at)
            and row["category"] != Category.NONE
            and notice_away_at(Notice.of(row), at)
        }

    def picks_at(self, at: datetime) -> dict[str, int]:
        """Line code → the person the section head chose while A and B are both away."""
        return {pick["line.code"]: pick["acting"] for pick in self.picks if pick["chosen_at"] <= at}


async def away_facts(ctx: TenantContext, since: datetime) -> AwayFacts:
    return AwayFacts(
        absences=await ctx.select(Absence, Absence.person, Absence.category, *NOTICE_COLUMNS).where(
            Absence.status.is_in([*IN_FORCE, Status.RETURNED])
            & (Absence.returned_at.is_null() | (Absence.returned_at > since))
        ),
        picks=await ctx.select(
            EscalationPick, EscalationPick.line.code, EscalationPick.acting, EscalationPick.chosen_at
        ).where(EscalationPick.ended_at.is_null() | (EscalationPick.ended_at > since)),
    )


async def people_away(ctx: TenantContext, at: datetime, *, even_briefly: bool = False) -> set[int]:
    """Everyone away at ``at`` under an absence notice (离岗告示) of any category but ``none``
    (a few minutes away needs no notice and hands nothing over), or of any at all when
    ``even_briefly`` (the door notice: whoever is out is not in the office)."""
    rows = ctx.select(Absence, Absence.person, *NOTICE_COLUMNS).where(
        (Absence.starts_at <= at)
        & Absence.status.is_in([*IN_FORCE, Status.RETURNED])
        & (Absence.returned_at.is_null() | (Absence.returned_at > at))
    )
    if not even_briefly:
        rows = rows.where(Absence.category != Category.NONE)
    return {row["person"] for row in await rows if notice_away_at(Notice.of(row), at)}
