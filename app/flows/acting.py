"""Who acts on each line at an instant (同岗替代): the rota's posts, resolved with who is away and
the section head's picks (the absences' facts) by the rota's rule (``app.domain.rota``).

Now's facts are kept by the process (``app.tenancy.cache``): who is away is decided from them at
the instant asked, so a notice that begins or ends needs no new read.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime

from app import clock
from app.absences.away import AwayFacts, away_facts
from app.absences.tables import Absence, EscalationPick
from app.accounts.tables import User
from app.domain.rota import RotaEntry, case_acting
from app.rota.services import RotaFacts, RotaRow, rota_facts
from app.rota.tables import Assignment, Line, Qualification
from app.tenancy import cache
from app.tenancy.context import TenantContext


@dataclass(frozen=True)
class Snapshot:
    """The rota at one instant with the facts it was resolved from, so a caller that also needs
    who is away (the substitution sweep, intake) works it out once."""

    rows: list[RotaRow]
    active: frozenset[int]
    away: frozenset[int]
    names: dict[int, str]

    @property
    def present(self) -> frozenset[int]:
        return self.active - self.away

    def entry_of(self, line_id: int) -> RotaEntry | None:
        return next((row.entry for row in self.rows if row.line.id == line_id), None)

    def case_acting(self, line_id: int, handler: int | None) -> int | None:
        """Who works a case of this line and handler now; None while nobody present can."""
        return case_acting(handler, self.entry_of(line_id), active=self.active, away=self.away)


@dataclass(frozen=True)
class _ActingFacts:
    """Everything of the county the rota is resolved from, not over by ``since``."""

    since: datetime
    rota: RotaFacts
    away: AwayFacts


cache.keeps_rows_of(Assignment, User, Line, Qualification, Absence, EscalationPick)


async def _read(ctx: TenantContext, since: datetime) -> _ActingFacts:
    return _ActingFacts(since, await rota_facts(ctx, since), await away_facts(ctx, since))


async def _facts_at(ctx: TenantContext, at: datetime | None) -> tuple[_ActingFacts, datetime]:
    """The facts for ``at`` (default: now): now's as this process keeps them, unless the clock
    went back before they were read (tests travel in time); another instant's from the database."""
    if at is not None:
        return await _read(ctx, at), at
    now = clock.now()
    facts = await cache.kept(ctx.tenant.id, "rota", lambda: _read(ctx, now))
    return (facts if facts.since <= now else await _read(ctx, now)), now


async def snapshot(
    ctx: TenantContext, at: datetime | None = None, *, also_away: Set[int] = frozenset(), with_picks: bool = True
) -> Snapshot:
    """Per line: A, B, who is acting and the status at ``at`` (default: now).

    ``also_away`` asks "what if these people were away too" (someone whose absence is not yet approved).
    """
    facts, at = await _facts_at(ctx, at)
    posted = facts.rota.posted_at(at)
    away = frozenset(facts.away.away_at(at) | set(also_away))
    rows = posted.resolve(away=away, picks=facts.away.picks_at(at) if with_picks else {})
    return Snapshot(rows=rows, active=posted.active, away=away, names=posted.names)


async def rota(
    ctx: TenantContext, at: datetime | None = None, *, also_away: Set[int] = frozenset(), with_picks: bool = True
) -> list[RotaRow]:
    """Per line: A, B, who is acting and the status at ``at`` (default: now)."""
    return (await snapshot(ctx, at, also_away=also_away, with_picks=with_picks)).rows
