"""Who may rate whom in which component (工作效能考评制度 第四条, 第五条; SPEC §9): pure.

- ``self`` (科室自评): only the subject.
- ``leadership`` (领导小组考核): members of the efficiency leadership group (evaluators), never
  of themselves.
- ``peer`` (科室互评): colleagues, i.e. members of the section (staff, section heads). The
  leadership group (evaluators, the leader in charge) already rates in its own component, so it
  would vote twice; the administrator runs the cycle and is nobody's colleague. Someone holding
  one of those roles gives no peer rating even if they also work in the section. Never of oneself.
- ``grassroots`` (基层测评): only through a single-use link or entered from paper.

A paper rating (an admin entering a named rater's sheet) is not this rule's business: the admin
answers for who wrote it. Ratings already given stay as they are, so a computed cycle keeps its
results when it is scored again.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.scoring import Component
from app.i18n import N_
from app.tenancy.permissions import Role

PEER_ROLES = frozenset({Role.STAFF, Role.SECTION_HEAD})
NOT_PEERS = frozenset({Role.EVALUATOR, Role.LEADER, Role.ADMIN})


def is_peer(roles: Iterable[str]) -> bool:
    """A colleague in the section, and not one of those who rate it from above or run the cycle."""
    held = set(roles)
    return bool(held & PEER_ROLES) and not held & NOT_PEERS


def refusal(component: Component, *, rater: int, roles: Iterable[str], subject: int) -> str | None:
    """Why ``rater`` (holding ``roles``) may not rate ``subject`` in ``component``; ``None`` if they may.

    The answer is an untranslated message for ``InvalidInput``."""
    held = set(roles)
    if component is Component.SELF:
        return None if subject == rater else N_("个人自评只能由本人填写")
    if component is Component.PEER:
        if subject == rater:
            return N_("科室互评不能给自己评分")
        return None if is_peer(held) else N_("科室互评由本股室同事填写，领导小组成员和管理员不参加")
    if component is Component.LEADERSHIP:
        if Role.EVALUATOR not in held:
            return N_("领导小组考核须由考评小组成员评分")
        return N_("领导小组考核不能给自己评分") if subject == rater else None
    return N_("基层测评通过测评链接填写，或由管理员录入纸质评分")
