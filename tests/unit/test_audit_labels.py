"""Every action the code records has a name people can read on the audit page."""

import re

from app.audit.labels import ACTION_LABELS, action_label
from app.domain.absence import Action as AbsenceAction
from app.domain.pipeline import Action as CaseAction
from app.settings import PROJECT_ROOT

RECORDED = re.compile(r'action="([a-z_]+\.[a-z_]+)"')


def recorded_actions() -> set[str]:
    found = set()
    for path in (PROJECT_ROOT / "app").rglob("*.py"):
        found |= set(RECORDED.findall(path.read_text(encoding="utf-8")))
    # Tenants as code records "<entity>.create|update" for what a county file declares.
    declared = ("tenant", "line", "user", "calendar_day", "region")
    found |= {f"{entity}.{verb}" for entity in declared for verb in ("create", "update")}
    # Actions named by an enum value at run time (``f"absence.{action.value}"``, ``f"case.{…}"``).
    found |= {f"absence.{a.value}" for a in AbsenceAction} | {f"case.{a.value}" for a in CaseAction}
    return found


def test_every_recorded_action_has_a_label():
    assert recorded_actions() - set(ACTION_LABELS) == set()


def test_an_unknown_action_shows_its_code():
    assert action_label("something.new") == "something.new"
    assert action_label("case.extend") == "延期"
