"""The life of a case (SPEC §6): every status × every action × every pipeline a line may configure."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import i18n
from app.domain.pipeline import (
    ACTION_LABELS,
    DECIDED,
    DECISIONS,
    OPEN,
    STATUS_LABELS,
    Action,
    Pipeline,
    Status,
)
from app.errors import InvalidInput

S, A = Status, Action
FAST = settings(max_examples=200, deadline=None)
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")

# ---- the expectation, written out by hand for each configuration (not derived from the module) ---------------------

FULL = {  # received → accepted | not_accepted → surveyed → posted → approved | rejected → closed
    (S.RECEIVED, A.ACCEPT): S.ACCEPTED,
    (S.RECEIVED, A.REFUSE): S.NOT_ACCEPTED,
    (S.ACCEPTED, A.SURVEY): S.SURVEYED,
    (S.ACCEPTED, A.REJECT): S.REJECTED,
    (S.SURVEYED, A.POST): S.POSTED,
    (S.SURVEYED, A.REJECT): S.REJECTED,
    (S.POSTED, A.APPROVE): S.APPROVED,
    (S.POSTED, A.REJECT): S.REJECTED,
    (S.NOT_ACCEPTED, A.CLOSE): S.CLOSED,
    (S.APPROVED, A.CLOSE): S.CLOSED,
    (S.REJECTED, A.CLOSE): S.CLOSED,
}
NO_SURVEY = {  # received → accepted | not_accepted → posted → approved | rejected → closed
    (S.RECEIVED, A.ACCEPT): S.ACCEPTED,
    (S.RECEIVED, A.REFUSE): S.NOT_ACCEPTED,
    (S.ACCEPTED, A.POST): S.POSTED,
    (S.ACCEPTED, A.REJECT): S.REJECTED,
    (S.POSTED, A.APPROVE): S.APPROVED,
    (S.POSTED, A.REJECT): S.REJECTED,
    (S.NOT_ACCEPTED, A.CLOSE): S.CLOSED,
    (S.APPROVED, A.CLOSE): S.CLOSED,
    (S.REJECTED, A.CLOSE): S.CLOSED,
}
NO_POSTING = {  # received → accepted | not_accepted → surveyed → approved | rejected → closed
    (S.RECEIVED, A.ACCEPT): S.ACCEPTED,
    (S.RECEIVED, A.REFUSE): S.NOT_ACCEPTED,
    (S.ACCEPTED, A.SURVEY): S.SURVEYED,
    (S.ACCEPTED, A.REJECT): S.REJECTED,
    (S.SURVEYED, A.APPROVE): S.APPROVED,
    (S.SURVEYED, A.REJECT): S.REJECTED,
    (S.NOT_ACCEPTED, A.CLOSE): S.CLOSED,
    (S.APPROVED, A.CLOSE): S.CLOSED,
    (S.REJECTED, A.CLOSE): S.CLOSED,
}
BARE = {  # received → accepted | not_accepted → approved | rejected → closed
    (S.RECEIVED, A.ACCEPT): S.ACCEPTED,
    (S.RECEIVED, A.REFUSE): S.NOT_ACCEPTED,
    (S.ACCEPTED, A.APPROVE): S.APPROVED,
    (S.ACCEPTED, A.REJECT): S.REJECTED,
    (S.NOT_ACCEPTED, A.CLOSE): S.CLOSED,
    (S.APPROVED, A.CLOSE): S.CLOSED,
    (S.REJECTED, A.CLOSE): S.CLOSED,
}

# (survey, posting) → (expected table, steps, last step before the decision, statuses a case can ever be in)
CONFIGURATIONS = {
    "survey+posting": (
        Pipeline(survey=True, posting=True),
        FULL,
        (S.ACCEPTED, S.SURVEYED, S.POSTED),
        S.POSTED,
        set(Status),
    ),
    "posting-only": (
        Pipeline(survey=False, posting=True),
        NO_SURVEY,
        (S.ACCEPTED, S.POSTED),
        S.POSTED,
        set(Status) - {S.SURVEYED},
    ),
    "survey-only": (
        Pipeline(survey=True, posting=False),
        NO_POSTING,
        (S.ACCEPTED, S.SURVEYED),
        S.SURVEYED,
        set(Status) - {S.POSTED},
    ),
    "bare": (
        Pipeline(survey=False, posting=False),
        BARE,
        (S.ACCEPTED,),
        S.ACCEPTED,
        set(Status) - {S.SURVEYED, S.POSTED},
    ),
}
CONFIG_NAMES = list(CONFIGURATIONS)


def english(label: str) -> str:
    with i18n.language("en"):
        return i18n.gettext(label)


def reachable(pipeline: Pipeline, start: Status = S.RECEIVED) -> set[Status]:
    """Breadth-first over next_status with every action: what a case can get to by any sequence of steps."""
    seen, frontier = {start}, [start]
    while frontier:
        current = frontier.pop()
        for action in Action:
            try:
                following = pipeline.next_status(current, action)
            except InvalidInput:
                continue
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    return seen


def all_paths(pipeline: Pipeline, start: Status = S.RECEIVED, limit: int = 20) -> list[list[tuple[Action, Status]]]:
    """Every maximal sequence of steps from ``start`` (the graph must be acyclic: ``limit`` guards that)."""
    paths: list[list[tuple[Action, Status]]] = []

    def walk(current: Status, path: list[tuple[Action, Status]]) -> None:
        assert len(path) < limit, f"a path does not end: {path}"
        moves = []
        for action in Action:
            with contextlib.suppress(InvalidInput):
                moves.append((action, pipeline.next_status(current, action)))
        if not moves:
            paths.append(path)
        for action, following in moves:
            walk(following, [*path, (action, following)])

    walk(start, [])
    return paths


# ---- the exhaustive table ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_next_status_follows_the_hand_written_table_for_every_status_and_action(config, status, action):
    pipeline, table, *_ = CONFIGURATIONS[config]
    expected = table.get((status, action))
    if expected is not None:
        assert pipeline.next_status(status, action) is expected
        assert pipeline.next_status(status.value, action.value) is expected  # plain strings from a form
        assert action in pipeline.allowed(status)
        return
    with pytest.raises(InvalidInput) as caught:
        pipeline.next_status(status, action)
    error = caught.value
    assert error.message == "案件当前为“{status}”，不能“{action}”"
    assert error.fields == {"status": STATUS_LABELS[status], "action": ACTION_LABELS[action]}
    message = str(error)
    assert f"'{english(STATUS_LABELS[status])}'" in message
    assert f"'{english(ACTION_LABELS[action])}'" in message
    assert not CJK.search(message), message
    assert error.in_language("zh") == f"案件当前为“{STATUS_LABELS[status]}”，不能“{ACTION_LABELS[action]}”"
    assert action not in pipeline.allowed(status)


@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_the_transition_table_is_exactly_the_hand_written_one(config):
    pipeline, table, *_ = CONFIGURATIONS[config]
    assert pipeline.transitions() == table


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_allowed_offers_exactly_the_actions_of_the_table_each_once(config, status):
    pipeline, table, *_ = CONFIGURATIONS[config]
    offered = pipeline.allowed(status)
    assert len(offered) == len(set(offered))
    assert set(offered) == {action for (current, action) in table if current == status}


@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_steps_run_from_acceptance_to_the_last_step_before_the_decision_in_order(config):
    pipeline, _table, steps, last, _statuses = CONFIGURATIONS[config]
    assert pipeline.steps() == steps
    assert pipeline.steps()[-1] == last


def test_the_default_pipeline_has_both_optional_steps():
    assert Pipeline() == Pipeline(survey=True, posting=True)
    assert Pipeline().transitions() == FULL


# ---- the English message -------------------------------------------------------------------------------------------


def test_a_refused_move_reads_in_plain_english():
    with pytest.raises(InvalidInput) as caught:
        Pipeline().next_status(S.CLOSED, A.APPROVE)
    assert str(caught.value) == "the case is 'Closed': 'Approve' is not possible now"


def test_a_skipped_step_is_refused_naming_the_status_and_the_step():
    with pytest.raises(InvalidInput) as caught:
        Pipeline(survey=False).next_status(S.ACCEPTED, A.SURVEY)
    assert str(caught.value) == "the case is 'Accepted': 'Complete the household survey' is not possible now"


def test_every_status_and_action_label_has_its_own_english_word():
    statuses = [english(STATUS_LABELS[status]) for status in Status]
    actions = [english(ACTION_LABELS[action]) for action in Action]
    assert set(STATUS_LABELS) == set(Status) and set(ACTION_LABELS) == set(Action)
    assert len(set(statuses)) == len(Status)
    assert len(set(actions)) == len(Action)
    for word in statuses + actions:
        assert word and not CJK.search(word), word


# ---- invalid actions -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["ACCEPT", "Accept", "approve ", " close", "delete", "审批同意", "received"])
def test_an_unknown_action_is_invalid_input_that_quotes_it(text):
    with pytest.raises(InvalidInput) as caught:
        Pipeline().next_status(S.RECEIVED, text)
    assert caught.value.message == "没有“{action}”这个办理步骤"
    assert caught.value.fields == {"action": text}
    assert caught.value.in_language("zh") == f"没有“{text}”这个办理步骤"


def test_an_unknown_action_reads_in_plain_english():
    with pytest.raises(InvalidInput) as caught:
        Pipeline().next_status(S.POSTED, "publish")
    assert str(caught.value) == "there is no step 'publish'"


def test_an_action_that_is_not_a_string_is_invalid_input_too():
    with pytest.raises(InvalidInput):
        Pipeline().next_status(S.RECEIVED, None)
    with pytest.raises(InvalidInput):
        Pipeline().next_status(S.RECEIVED, 3)


def test_an_empty_action_is_reported_without_the_catalogue_header():
    with pytest.raises(InvalidInput) as caught:
        Pipeline().next_status(S.RECEIVED, "")
    assert str(caught.value) == "there is no step ''"


@FAST
@given(st.sampled_from(CONFIG_NAMES), st.sampled_from(list(Status)), st.text(min_size=1))
def test_any_string_that_is_not_an_action_raises_invalid_input(config, status, text):
    pipeline = CONFIGURATIONS[config][0]
    if text in {action.value for action in Action}:
        return
    with pytest.raises(InvalidInput) as caught:
        pipeline.next_status(status, text)
    assert caught.value.fields == {"action": text}
    assert caught.value.in_language("zh") == f"没有“{text}”这个办理步骤"


# ---- properties of the graph ---------------------------------------------------------------------------------------


def test_open_and_decided_split_the_statuses_in_two():
    assert set(OPEN) == {S.RECEIVED, S.ACCEPTED, S.SURVEYED, S.POSTED}
    assert set(DECIDED) == {S.NOT_ACCEPTED, S.APPROVED, S.REJECTED, S.CLOSED}
    assert set(OPEN | DECIDED) == set(Status)
    assert not OPEN & DECIDED
    assert set(DECISIONS) == {A.APPROVE, A.REJECT}


@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_every_path_from_received_reaches_a_decision_and_is_filed_as_closed(config):
    paths = all_paths(CONFIGURATIONS[config][0])
    assert paths
    for path in paths:
        statuses = [S.RECEIVED, *(status for _action, status in path)]
        assert statuses[-1] is S.CLOSED
        first_decided = next(i for i, status in enumerate(statuses) if status in DECIDED)
        assert all(status in OPEN for status in statuses[:first_decided])
        assert all(status in DECIDED for status in statuses[first_decided:])  # never reopened


@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_every_path_takes_exactly_one_decision_and_closes_once(config):
    for path in all_paths(CONFIGURATIONS[config][0]):
        actions = [action for action, _status in path]
        assert sum(action in {A.APPROVE, A.REJECT, A.REFUSE} for action in actions) == 1
        assert actions.count(A.CLOSE) == 1 and actions[-1] is A.CLOSE


def test_the_default_pipeline_has_five_ways_through():
    routes = {tuple(action for action, _ in path) for path in all_paths(Pipeline())}
    assert routes == {
        (A.REFUSE, A.CLOSE),
        (A.ACCEPT, A.REJECT, A.CLOSE),
        (A.ACCEPT, A.SURVEY, A.REJECT, A.CLOSE),
        (A.ACCEPT, A.SURVEY, A.POST, A.REJECT, A.CLOSE),
        (A.ACCEPT, A.SURVEY, A.POST, A.APPROVE, A.CLOSE),
    }


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_closed_is_terminal(config, action):
    pipeline = CONFIGURATIONS[config][0]
    assert pipeline.allowed(S.CLOSED) == []
    with pytest.raises(InvalidInput):
        pipeline.next_status(S.CLOSED, action)


@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_approval_is_possible_only_from_the_last_step(config):
    pipeline, _table, _steps, last, _statuses = CONFIGURATIONS[config]
    approvable = set()
    for status in Status:
        try:
            assert pipeline.next_status(status, A.APPROVE) is S.APPROVED
        except InvalidInput:
            continue
        approvable.add(status)
    assert approvable == {last}


@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_rejection_is_possible_from_every_step_after_acceptance_and_nowhere_else(config):
    pipeline, _table, steps, _last, _statuses = CONFIGURATIONS[config]
    rejectable = {status for status in Status if A.REJECT in pipeline.allowed(status)}
    assert rejectable == set(steps)


def test_every_status_is_reachable_from_received_in_the_default_pipeline():
    assert reachable(Pipeline()) == set(Status)


@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_skipped_steps_are_never_reachable(config):
    pipeline, _table, _steps, _last, statuses = CONFIGURATIONS[config]
    assert reachable(pipeline) == statuses
    if not pipeline.survey:
        assert S.SURVEYED not in reachable(pipeline)
    if not pipeline.posting:
        assert S.POSTED not in reachable(pipeline)


@FAST
@given(st.sampled_from(CONFIG_NAMES), st.lists(st.sampled_from(list(Action)), max_size=12))
def test_any_sequence_of_actions_either_follows_the_table_or_stops_at_the_first_refused_one(config, actions):
    pipeline, table, *_ = CONFIGURATIONS[config]
    current = S.RECEIVED
    for action in actions:
        expected = table.get((current, action))
        if expected is None:
            with pytest.raises(InvalidInput):
                pipeline.next_status(current, action)
            return
        current = pipeline.next_status(current, action)
        assert current is expected
