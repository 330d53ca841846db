"""The rota's kept facts answer for any instant: the lines as posted then, the same answer reused
until the next post begins, and the right one when the clock goes back (a page's ``?at=``)."""

from datetime import UTC, datetime, timedelta

from app.rota.services import RotaFacts

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
LINE = {
    "id": 1,
    "code": "urban_dibao",
    "name": "城市低保",
    "working_days": 10,
    "separated_working_days": 15,
    "needs_survey": True,
    "needs_posting": True,
    "materials": "",
    "active": True,
}


def facts() -> RotaFacts:
    return RotaFacts(
        posts=[
            {"line": 1, "a": 11, "b": 12, "valid_from": T0},
            {"line": 1, "a": 13, "b": 12, "valid_from": T0 + timedelta(days=2)},
        ],
        users=[{"id": n, "name": f"人{n}", "active": True} for n in (11, 12, 13)],
        lines=[LINE],
        qualifications=[],
    )


def a_of(rota: RotaFacts, at: datetime) -> int | None:
    post = rota.posted_at(at).posts[0]
    return post.a


def test_each_instant_gets_the_posts_begun_by_then_whatever_was_asked_before():
    rota = facts()
    assert a_of(rota, T0 - timedelta(hours=1)) is None
    assert a_of(rota, T0 + timedelta(hours=1)) == 11
    assert a_of(rota, T0 + timedelta(days=3)) == 13
    assert a_of(rota, T0 + timedelta(days=1)) == 11  # back in time
    assert a_of(rota, T0 + timedelta(days=2)) == 13  # the instant the second post begins
    assert a_of(rota, T0 - timedelta(days=9)) is None


def test_instants_between_two_posts_share_one_answer():
    rota = facts()
    first = rota.posted_at(T0 + timedelta(hours=1))
    assert rota.posted_at(T0 + timedelta(hours=30)) is first
    assert rota.posted_at(T0 + timedelta(days=2)) is not first
