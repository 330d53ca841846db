"""What a line may be (SPEC §3, §6): the default lines' pipelines, and the 低保 lines' survey."""

from __future__ import annotations

import msgspec
import pytest

from app.domain.pipeline import Pipeline, Status
from app.errors import InvalidInput
from app.rota.posts import DEFAULT_LINES, SURVEY_REQUIRED, LineSpec, check_line

DEFAULTS = {spec.code: spec for spec in DEFAULT_LINES}


def test_the_medical_line_runs_neither_a_county_survey_nor_a_posting_by_default():
    medical = DEFAULTS["medical"]
    assert (medical.working_days, medical.needs_survey, medical.needs_posting) == (5, False, False)
    assert Pipeline(medical.needs_survey, medical.needs_posting).steps() == (Status.ACCEPTED,)


def test_every_other_default_line_keeps_both_steps():
    others = [spec for spec in DEFAULT_LINES if spec.code != "medical"]
    assert all(spec.needs_survey and spec.needs_posting for spec in others)


@pytest.mark.parametrize("code", sorted(SURVEY_REQUIRED))
def test_a_dibao_line_cannot_turn_the_survey_off_but_may_turn_the_posting_off(code):
    spec = DEFAULTS[code]
    with pytest.raises(InvalidInput, match="household survey"):
        check_line(msgspec.structs.replace(spec, needs_survey=False))
    check_line(msgspec.structs.replace(spec, needs_posting=False))


@pytest.mark.parametrize("code", ["medical", "temporary", "other", "county_own"])
def test_any_other_line_may_turn_its_own_steps_on_or_off(code):
    for survey in (True, False):
        for posting in (True, False):
            check_line(LineSpec(code, "某岗位", 5, needs_survey=survey, needs_posting=posting))
