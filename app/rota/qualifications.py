"""Who knows which line's business (同岗替代 第一条: a B post's holder must), and which posts a
person holds: what the staff pages read and change beside a person's roles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.accounts.services import members
from app.accounts.tables import User
from app.errors import InvalidInput
from app.rota.tables import Assignment, Line, Qualification
from app.tenancy import cache
from app.tenancy.context import TenantContext


async def line_codes(ctx: TenantContext) -> dict[int, str]:
    return {row["id"]: row["code"] for row in await ctx.select(Line, Line.id, Line.code)}


async def line_ids(ctx: TenantContext, codes: Iterable[str]) -> dict[str, int]:
    """The county's lines with these codes, by code; an unknown code is bad input."""
    wanted = sorted(set(codes))
    by_code = {code: line_id for line_id, code in (await line_codes(ctx)).items()}
    unknown = [code for code in wanted if code not in by_code]
    if unknown:
        raise InvalidInput("未知岗位：{codes}", codes="、".join(unknown))
    return {code: by_code[code] for code in wanted}


async def qualifications(ctx: TenantContext, *, only: int | None = None) -> dict[int, list[str]]:
    """The codes of the lines each person knows (of one person with ``only``), by person."""
    skills = ctx.select(Qualification, Qualification.user, Qualification.line)
    if only is not None:
        skills = skills.where(Qualification.user == only)
    codes = await line_codes(ctx)
    known: dict[int, list[str]] = {}
    for skill in await skills:
        known.setdefault(skill["user"], []).append(codes[skill["line"]])
    return known


async def add_qualifications(ctx: TenantContext, user_id: int, line_ids: Iterable[int]) -> None:
    for line_id in line_ids:
        await ctx.new(Qualification, user=user_id, line=line_id).save()


async def replace_qualifications(ctx: TenantContext, user_id: int, line_ids: Iterable[int]) -> None:
    """Inside the caller's transaction: the person knows exactly these lines from now on."""
    await Qualification.delete().where((Qualification.tenant == ctx.tenant.id) & (Qualification.user == user_id))
    rows = [ctx.new(Qualification, user=user_id, line=line_id) for line_id in line_ids]
    if rows:
        await Qualification.insert(*rows)


@dataclass(frozen=True)
class HeldPost:
    code: str
    line_name: str
    post: str  # "A" or "B"


async def posts_held(ctx: TenantContext, user_id: int) -> list[HeldPost]:
    rows = await ctx.select(Assignment, Assignment.line.code, Assignment.line.name, Assignment.a).where(
        Assignment.valid_to.is_null() & ((Assignment.a == user_id) | (Assignment.b == user_id))
    )
    return [HeldPost(row["line.code"], row["line.name"], "A" if row["a"] == user_id else "B") for row in rows]


@dataclass(frozen=True)
class Candidate:
    """Someone who may be given a post, with the codes of the lines they know."""

    id: int
    name: str
    qualifications: tuple[str, ...]


cache.keeps_rows_of(User, Qualification, Line)


async def candidates(ctx: TenantContext) -> list[Candidate]:
    """The county's active people in the order they were added: the rota board's choices; kept by
    the process (the board is read often, people and qualifications change rarely)."""

    async def load() -> list[Candidate]:
        known = await qualifications(ctx)
        return [
            Candidate(person.id, person.name, tuple(sorted(known.get(person.id, []))))
            for person in await members(ctx)
            if person.active
        ]

    return list(await cache.kept(ctx.tenant.id, "candidates", load))
