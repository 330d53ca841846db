"""Grassroots links (基层测评): single-use links for raters without accounts."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from app import clock, db
from app.audit.services import record_in
from app.domain.scoring import Component
from app.errors import InvalidInput
from app.evaluation.cycles import get_cycle, open_cycle_row
from app.evaluation.ratings import parse_rating, save_rating
from app.evaluation.tables import RatingLink, Subject
from app.i18n import N_, gettext
from app.i18n.messages import said
from app.tenancy.context import Actor, NotFound, TenantContext, TenantInfo
from app.tenancy.permissions import Permission
from app.tenancy.services import find_by_id
from app.text import collapse_spaces

LINK_DAYS = 14
MAX_LINKS = 200


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# The labels of links made with the default prefix are the system's words: shown in the reader's language.
DEFAULT_PREFIX = N_("基层测评人")


def shown_label(label: str) -> str:
    """A link's label as the reader reads it: the default prefix translated, a prefix someone typed as typed."""
    number = label.removeprefix(DEFAULT_PREFIX)
    return gettext("基层测评人{number}").format(number=number) if number != label and number.isdigit() else label


async def create_links(ctx: TenantContext, cycle_id: int, count: int, prefix: str = DEFAULT_PREFIX) -> list[dict]:
    """Single-use links for raters without accounts; the tokens are shown this once, for printing."""
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_LINKS:
        raise InvalidInput("一次可生成 1–{max} 个测评链接", max=MAX_LINKS)
    prefix = collapse_spaces(prefix)[:40] or DEFAULT_PREFIX
    now = clock.now()
    created = []
    async with db.transaction():
        cycle = await open_cycle_row(ctx, cycle_id)
        already = await ctx.count(RatingLink).where(RatingLink.cycle == cycle.id)
        for n in range(already + 1, already + count + 1):
            token = secrets.token_urlsafe(24)
            label = f"{prefix}{n}"
            link = ctx.new(
                RatingLink,
                cycle=cycle.id,
                label=label,
                token_hash=_token_hash(token),
                expires_at=now + timedelta(days=LINK_DAYS),
                created_at=now,
            )
            await link.save()
            created.append({"id": link.id, "label": shown_label(label), "token": token, "expires_at": link.expires_at})
        await record_in(
            ctx,
            action="evaluation.links",
            entity="evaluation_cycle",
            entity_id=cycle.id,
            summary=said("生成 {count} 个基层测评链接", count=count),
        )
    return created


async def list_links(ctx: TenantContext, cycle_id: int) -> list[dict]:
    """The cycle's links without their tokens (label, expiry, whether used), for the admin."""
    ctx.actor.require(Permission.EVALUATION_MANAGE)
    cycle = await get_cycle(ctx, cycle_id)
    rows = (
        await ctx.select(RatingLink, RatingLink.id, RatingLink.label, RatingLink.expires_at, RatingLink.used_at)
        .where(RatingLink.cycle == cycle.id)
        .order_by(RatingLink.id)
    )
    return [{**row, "label": shown_label(row["label"])} for row in rows]


@dataclass(frozen=True)
class LinkForm:
    """What a grassroots rater sees behind their link: the county, the year and whom to rate."""

    link_id: int
    tenant: TenantInfo
    cycle_id: int
    year: int
    label: str
    subjects: list[dict]


async def open_link(token: str) -> LinkForm:
    """The form of a valid link; a used, expired or unknown link is not found (all alike)."""
    link = await RatingLink.select().where(RatingLink.token_hash == _token_hash(token)).first()
    if link is None or link["used_at"] is not None or link["expires_at"] <= clock.now():
        raise NotFound("rating link")
    info = await find_by_id(link["tenant"])
    if info is None:
        raise NotFound("rating link")
    ctx = TenantContext(tenant=info, actor=_link_actor(link))
    cycle = await get_cycle(ctx, link["cycle"])
    if not cycle.accepts(Component.GRASSROOTS):
        raise NotFound("rating link")
    subjects = (
        await ctx.select(Subject, Subject.id, Subject.person, Subject.person.name.as_alias("name"))
        .where(Subject.cycle == cycle.id)
        .order_by(Subject.id)
    )
    return LinkForm(link["id"], info, cycle.id, cycle.year, shown_label(link["label"]), subjects)


def _link_actor(link: dict) -> Actor:
    # The address says it came by a link (the audit page names it so); the label is the link's.
    return Actor(user_id=None, label=link["label"], address="link")


async def rate_by_link(token: str, scores: Mapping[int, object]) -> int:
    """All of a grassroots rater's scores at once (staff id → total); the link is then used up."""
    form = await open_link(token)
    ctx = TenantContext(tenant=form.tenant, actor=_link_actor({"label": form.label}))
    by_person = {subject["person"]: subject for subject in form.subjects}
    ratings = {}
    for staff_id, score in scores.items():
        if staff_id not in by_person:
            raise InvalidInput("该人员不是本次考评的对象")
        ratings[staff_id] = parse_rating(score=score)
    if set(ratings) != set(by_person):
        raise InvalidInput("请为每一位考评对象打分")
    async with db.transaction():
        used = (
            await ctx.update(RatingLink, {RatingLink.used_at: clock.now()})
            .where((RatingLink.id == form.link_id) & RatingLink.used_at.is_null())
            .returning(RatingLink.id)
        )
        if not used:  # the same link sent twice at once: the second finds it used
            raise NotFound("rating link")
        for staff_id, rating in ratings.items():
            await save_rating(
                ctx,
                form.cycle_id,
                by_person[staff_id],
                Component.GRASSROOTS,
                rating,
                f"link:{form.link_id}",
                form.label,
                rater=None,
            )
    return len(ratings)
