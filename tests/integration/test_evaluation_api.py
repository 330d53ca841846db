"""/api/v1/t/{tenant}/evaluations (SPEC §11): the annual evaluation through the JSON API with bearer
tokens. Decimals travel as strings; a refused request is 4xx with a ``detail`` and changes nothing.

Tokens are made before a request is watched with ``nothing_changes`` (making one is audited).
"""

from __future__ import annotations

import functools
import re
from contextlib import asynccontextmanager
from decimal import Decimal

import httpx
import pytest

from app.accounts.tables import User
from app.evaluation import cycles
from app.flows import evaluation_inputs
from tests.helpers import api_token, demo_county, portal
from tests.integration.test_evaluation import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    SECTION,
    SLUG,
    YEAR,
    Demo,
    independent,
    nothing_changes,
    other_county,
)

pytestmark = pytest.mark.usefixtures("clean_db", "redis")

API = f"/api/v1/t/{SLUG}"
CYCLES = f"{API}/evaluations/cycles"
CJK = re.compile(r"[\u3400-\u9fff]")
JOB_ID = re.compile(r"^evaluation:t\d+:[0-9a-f]{32}$")


@pytest.fixture
async def demo() -> Demo:
    return Demo(await demo_county())


class Api:
    """An HTTP client of the portal that speaks as one of the demo people."""

    def __init__(self, client: httpx.AsyncClient, auth: dict[str, dict[str, str]]) -> None:
        self.client = client
        self.auth = auth

    async def post(self, who: str, path: str, body: dict | None = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.auth[who])

    async def get(self, who: str, path: str) -> httpx.Response:
        return await self.client.get(path, headers=self.auth[who])


@asynccontextmanager
async def speaking(settings, demo: Demo, *usernames: str):
    """The portal, with a fresh API token for each of ``usernames``."""
    auth = {u: {"Authorization": f"Bearer {await api_token(SLUG, demo[u])}"} for u in usernames}
    async with portal(settings) as client:
        yield Api(client, auth)


def detail_of(answer: httpx.Response) -> str:
    return answer.json()["detail"] + " " + str(answer.json().get("extra", ""))


async def test_a_cycle_through_the_api(settings, demo, redis):
    async with speaking(settings, demo, "admin", "wangxiaolei", "leader", "zhaoming", "houweili", "head") as api:
        opened = await api.post("admin", CYCLES, {"year": YEAR, "weights": DEFAULT_WEIGHTS})
        assert opened.status_code == 201, opened.text
        cycle = opened.json()
        assert cycle == {
            "id": cycle["id"],
            "year": YEAR,
            "weights": DEFAULT_WEIGHTS,
            "trim": True,
            "step": "self",
            "locked": False,
            "finalise_policy": None,
            "computed_at": None,
        }
        path = f"{CYCLES}/{cycle['id']}"
        added = await api.post("admin", f"{path}/subjects", {"staff_id": demo["zhaoming"]})
        assert added.status_code == 201, added.text
        assert {k: v for k, v in added.json().items() if k != "id"} == {
            "cycle_id": cycle["id"],
            "staff_id": demo["zhaoming"],
            "name": "赵明",
        }
        wang = demo["wangxiaolei"]
        own = await api.post("wangxiaolei", f"{path}/ratings", {"staff_id": wang, "component": "self", "score": "90"})
        assert (own.status_code, own.json()) == (
            201,
            {
                "cycle_id": cycle["id"],
                "staff_id": wang,
                "component": "self",
                "score": "90.00",
                "dimensions": None,
                "rater_label": None,
            },
        )
        assert (await api.post("admin", f"{path}/step", {"step": "internal"})).json()["step"] == "internal"
        by_name = await api.post(
            "leader",
            f"{path}/ratings",
            {
                "staff_id": wang,
                "component": "leadership",
                "dimensions": {"de": 18, "neng": 18, "qin": 19, "ji": 18, "lian": 19},
            },
        )
        assert (by_name.status_code, by_name.json()["score"]) == (201, "92.00"), by_name.text
        in_order = await api.post(
            "zhaoming",
            f"{path}/ratings",
            {"staff_id": wang, "component": "leadership", "dimensions": [18, 17, 19, 18, "18.5"]},
        )
        assert in_order.json()["dimensions"] == {
            "de": "18.00",
            "neng": "17.00",
            "qin": "19.00",
            "ji": "18.00",
            "lian": "18.50",
        }
        assert in_order.json()["score"] == "90.50"
        for rater, score in (("houweili", 85), ("head", 88.5)):
            given = await api.post(rater, f"{path}/ratings", {"staff_id": wang, "component": "peer", "score": score})
            assert given.status_code == 201, given.text
        await api.post("admin", f"{path}/step", {"step": "external"})
        paper = await api.post(
            "admin",
            f"{path}/ratings",
            {"staff_id": wang, "component": "grassroots", "score": "80", "rater_label": "城关镇 张三"},
        )
        assert (paper.status_code, paper.json()["rater_label"]) == (201, "城关镇 张三")

        queued = await api.post("admin", f"{path}/compute")
        assert queued.status_code == 202, queued.text
        job_id = queued.json()["job_id"]
        assert JOB_ID.match(job_id), job_id
        job = await api.get("admin", f"{API}/jobs/{job_id}")
        assert job.json() == {"job_id": job_id, "status": "queued", "progress": 0}
        assert await redis.zcard("arq:queue") == 1
        # What the worker does (its own tests run it): compute, then read through the API.
        await evaluation_inputs.compute(await demo.ctx("admin"), cycle["id"])
        answer = await api.get("admin", f"{path}/results")
        seen_by_evaluator = await api.get("zhaoming", f"{path}/results")
        progress = await api.get("admin", f"{path}/progress")
    assert answer.status_code == 200
    results = answer.json()
    assert seen_by_evaluator.json() == results
    assert len(results) == len(SECTION) + 1
    # leadership (92 + 90.5) / 2 = 91.25, peer (85 + 88.5) / 2 = 86.75, self 90, grassroots 80:
    # (70 × 91.25 + 10 × 86.75 + 10 × 90 + 10 × 80) / 100 = 89.55
    assert results[0] == {
        "staff_id": wang,
        "status": "scored",
        "score": "89.55",
        "grade": "excellent",
        "needs_rectification": False,
        "components": {"leadership": "91.25", "peer": "86.75", "self": "90.00", "grassroots": "80.00"},
        "missing": [],
    }
    expected = independent({"leadership": [92, "90.5"], "peer": [85, "88.5"], "self": [90], "grassroots": [80]})
    assert Decimal(results[0]["score"]) == expected.score
    by_id = {r["staff_id"]: r for r in results}
    assert by_id[demo["zhaoming"]] == {
        "staff_id": demo["zhaoming"],
        "status": "incomplete",
        "score": None,
        "grade": None,
        "needs_rectification": False,
        "components": {},
        "missing": list(COMPONENTS),
    }
    counts = {row["staff_id"]: row["counts"] for row in progress.json()}
    assert counts[wang] == {"leadership": 2, "peer": 2, "self": 1, "grassroots": 1}


CYCLE_BODIES = [
    ({"year": YEAR, "weights": {**DEFAULT_WEIGHTS, "grassroots": 9}}, "The weights must add up to 100, not 99"),
    ({"year": YEAR, "weights": {**DEFAULT_WEIGHTS, "grassroots": 11}}, "The weights must add up to 100, not 101"),
    (
        {"year": YEAR, "weights": {**DEFAULT_WEIGHTS, "leadership": 80, "peer": -10}},
        "The weight of Peer review must be a whole number of at least 0, not -10",
    ),
    (
        {"year": YEAR, "weights": {**DEFAULT_WEIGHTS, "leadership": "69.5", "peer": "10.5"}},
        "The weight of Leadership group must be a whole number of at least 0, not 69.5",
    ),
    ({"year": YEAR, "weights": {**DEFAULT_WEIGHTS, "leadership": 69.5, "peer": 10.5}}, "weights"),
    (
        {"year": YEAR, "weights": {"leadership": 80, "peer": 10, "self": 10}},
        "The weight of Grassroots review is missing",
    ),
    (
        {"year": YEAR, "weights": {**DEFAULT_WEIGHTS, "bonus": 0}},
        "Unknown evaluation component: bonus",
    ),
    ({"year": "next"}, "year"),
    ({"weights": DEFAULT_WEIGHTS}, "year"),
    ({"year": YEAR, "colour": "red"}, "colour"),
]


async def test_a_bad_cycle_body_is_400_with_an_english_detail_and_opens_nothing(settings, demo):
    async with speaking(settings, demo, "admin") as api:
        for body, english in CYCLE_BODIES:
            async with nothing_changes():
                answer = await api.post("admin", CYCLES, body)
            assert answer.status_code == 400, (body, answer.text)
            assert english in detail_of(answer), (body, answer.text)
            assert not CJK.search(answer.json()["detail"]), answer.json()["detail"]


RATING_BODIES = [
    ({"score": 101}, "Total must be between 0 and 100 points, not 101"),
    ({"score": -1}, "Total must be between 0 and 100 points, not -1"),
    ({"score": "90.005"}, "Total has at most 2 decimal places, not 90.005"),
    ({"score": 90.125}, "Total has at most 2 decimal places, not 90.125"),
    ({"score": "NaN"}, "Total must be a number with at most 2 decimal places, not NaN"),
    ({"dimensions": [21, 18, 18, 18, 18]}, "Integrity must be between 0 and 20 points, not 21"),
    (
        {"dimensions": {"de": 18, "neng": 18, "qin": 18, "ji": 18, "lian": "20.5"}},
        "Probity must be between 0 and 20 points, not 20.5",
    ),
    ({"dimensions": [18, 18, -1, 18, 18]}, "Diligence must be between 0 and 20 points, not -1"),
    ({"component": "bonus", "score": 80}, "Unknown evaluation component: bonus"),
    ({"score": "abc"}, "score"),
    ({"score": True}, "score"),
    ({"score": 80, "colour": "red"}, "colour"),
    ({"staff_id": "wang", "score": 80}, "staff_id"),
]


async def test_a_bad_rating_body_is_400_with_an_english_detail_and_saves_nothing(settings, demo):
    cycle = await demo.open(step="internal")
    async with speaking(settings, demo, "houweili") as api:
        for changes, english in RATING_BODIES:
            body = {"staff_id": demo["wangxiaolei"], "component": "peer", **changes}
            async with nothing_changes():
                answer = await api.post("houweili", f"{CYCLES}/{cycle.id}/ratings", body)
            assert answer.status_code == 400, (changes, answer.text)
            assert english in detail_of(answer), (changes, answer.text)
            assert not CJK.search(answer.json()["detail"]), answer.json()["detail"]


# (who, the cycle's step or "locked", path after /cycles/{id} or "" for POST /cycles, body)
RULE_REFUSALS = [
    ("houweili", "internal", "/ratings", {"staff": "wangxiaolei", "component": "self", "score": 90}),
    ("wangxiaolei", "internal", "/ratings", {"staff": "wangxiaolei", "component": "peer", "score": 90}),
    ("houweili", "internal", "/ratings", {"staff": "wangxiaolei", "component": "leadership", "score": 90}),
    ("houweili", "external", "/ratings", {"staff": "wangxiaolei", "component": "grassroots", "score": 90}),
    ("houweili", "internal", "/ratings", {"staff": "admin", "component": "peer", "score": 90}),
    ("houweili", "internal", "/ratings", {"staff": "wangxiaolei", "component": "peer"}),
    (
        "houweili",
        "internal",
        "/ratings",
        {"staff": "wangxiaolei", "component": "peer", "score": 80, "dimensions": [16] * 5},
    ),
    ("houweili", "internal", "/ratings", {"staff": "wangxiaolei", "component": "peer", "dimensions": [16] * 4}),
    ("leader", "self", "/ratings", {"staff": "wangxiaolei", "component": "leadership", "score": 90}),
    ("houweili", "locked", "/ratings", {"staff": "wangxiaolei", "component": "peer", "score": 90}),
    (
        "admin",
        "external",
        "/ratings",
        {"staff": "wangxiaolei", "component": "grassroots", "score": 90, "rater_label": "张" * 61},
    ),
    ("admin", "self", "", {"year": YEAR}),
    ("admin", "self", "", {"year": 1999}),
    ("admin", "self", "/subjects", {"staff": "wangxiaolei"}),
    ("admin", "self", "/subjects", {"staff_id": 999_999}),
    ("admin", "self", "/step", {"step": "party"}),
    ("admin", "self", "/finalise", {"policy": "generous"}),
    ("admin", "self", "/reopen", {"reason": "改分"}),
    ("admin", "locked", "/reopen", {"reason": "  "}),
    ("admin", "self", "/links", {"count": 0}),
]


def body_for(demo: Demo, body: dict) -> dict:
    body = dict(body)
    if "staff" in body:
        body["staff_id"] = demo[body.pop("staff")]
    return body


async def at_step(demo: Demo, cycle_id: int, step: str) -> None:
    admin = await demo.ctx("admin")
    if (await cycles.get_cycle(admin, cycle_id)).locked:
        await cycles.reopen(admin, cycle_id, "测试")
    if step == "locked":
        await cycles.finalise(admin, cycle_id)
    else:
        await cycles.set_step(admin, cycle_id, step)


async def refused_by_the_rules(api: Api, demo: Demo, cycle_id: int, case: tuple) -> httpx.Response:
    who, step, path, body = case
    await at_step(demo, cycle_id, step)
    async with nothing_changes():
        return await api.post(who, f"{CYCLES}/{cycle_id}{path}" if path else CYCLES, body_for(demo, body))


async def refusals_by_the_rules(settings, demo: Demo) -> list[str]:
    """Every case of ``RULE_REFUSALS`` through the API, each 400 and changing nothing: their details."""
    cycle = await demo.open()
    details = []
    async with speaking(settings, demo, "admin", "houweili", "wangxiaolei", "leader") as api:
        for case in RULE_REFUSALS:
            answer = await refused_by_the_rules(api, demo, cycle.id, case)
            assert answer.status_code == 400, (case, answer.text)
            details.append(answer.json()["detail"].strip())
    return details


async def test_what_the_rules_refuse_is_400_and_changes_nothing(settings, demo):
    details = await refusals_by_the_rules(settings, demo)
    assert all(details) and len(details) == len(RULE_REFUSALS)


async def test_every_refusal_by_the_rules_is_explained_in_english(settings, demo):
    """SPEC §11: the API's ``detail`` is English, from app/i18n/en.po; one failure lists every message
    still without English (``python -m app.translations`` prints their msgids)."""
    # People's names are Chinese in any language; everything else must be English.
    names = [row["name"] for row in await User.select(User.name)]
    details = await refusals_by_the_rules(settings, demo)
    chinese = [
        detail for detail in details if CJK.search(functools.reduce(lambda d, n: d.replace(n, ""), names, detail))
    ]
    assert not chinese, "no English in app/i18n/en.po for:\n" + "\n".join(chinese)


async def test_a_paper_rating_is_for_admins_only(settings, demo):
    cycle = await demo.open(step="external")
    body = {"staff_id": demo["wangxiaolei"], "component": "grassroots", "score": 80, "rater_label": "张三"}
    async with speaking(settings, demo, "houweili", "leader") as api, nothing_changes():
        answers = [await api.post(who, f"{CYCLES}/{cycle.id}/ratings", body) for who in ("houweili", "leader")]
    assert [a.status_code for a in answers] == [403, 403]


async def test_a_cycle_of_another_county_is_not_found(settings, demo, redis):
    ours = await demo.open(step="external")
    their_admin, their_staff = await other_county()
    theirs = await cycles.open_cycle(their_admin, YEAR)
    assert theirs.id != ours.id
    path = f"{CYCLES}/{theirs.id}"
    staff = {"staff_id": demo["wangxiaolei"]}
    async with speaking(settings, demo, "admin", "houweili") as api, nothing_changes():
        answers = {
            "cycle": await api.get("admin", path),
            "subjects": await api.post("admin", f"{path}/subjects", staff),
            "ratings": await api.post("houweili", f"{path}/ratings", {**staff, "component": "peer", "score": 80}),
            "paper": await api.post(
                "admin", f"{path}/ratings", {**staff, "component": "grassroots", "score": 80, "rater_label": "张三"}
            ),
            "step": await api.post("admin", f"{path}/step", {"step": "feedback"}),
            "finalise": await api.post("admin", f"{path}/finalise", {}),
            "links": await api.post("admin", f"{path}/links", {"count": 1}),
            "compute": await api.post("admin", f"{path}/compute"),
            "results": await api.get("admin", f"{path}/results"),
            "progress": await api.get("admin", f"{path}/progress"),
            "missing": await api.get("admin", f"{CYCLES}/999999/results"),
            "their job": await api.get("admin", f"{API}/jobs/evaluation:t{their_admin.tenant.id}:{'0' * 32}"),
        }
    assert {name: a.status_code for name, a in answers.items()} == {name: 404 for name in answers}
    assert await redis.zcard("arq:queue") == 0


async def test_staff_can_neither_compute_nor_read_the_results(settings, demo, redis):
    cycle = await demo.open(step="external")
    await demo.on_paper(cycle.id, "wangxiaolei", 90)
    await evaluation_inputs.compute(await demo.ctx("admin"), cycle.id)
    path = f"{CYCLES}/{cycle.id}"
    async with speaking(settings, demo, "houweili", "head", "zhaoming", "leader") as api, nothing_changes():
        answers = {
            "staff compute": await api.post("houweili", f"{path}/compute"),
            "staff results": await api.get("houweili", f"{path}/results"),
            "head results": await api.get("head", f"{path}/results"),
            "evaluator compute": await api.post("zhaoming", f"{path}/compute"),
            "leader compute": await api.post("leader", f"{path}/compute"),
            "staff opens": await api.post("houweili", CYCLES, {"year": YEAR + 1}),
            "staff adds": await api.post("houweili", f"{path}/subjects", {"staff_id": demo["zhaoming"]}),
            "leader finalises": await api.post("leader", f"{path}/finalise", {}),
            "evaluator progress": await api.get("zhaoming", f"{path}/progress"),
        }
        evaluator = await api.get("zhaoming", f"{path}/results")
        listed = await api.get("houweili", CYCLES)
    assert {name: a.status_code for name, a in answers.items()} == {name: 403 for name in answers}
    assert await redis.zcard("arq:queue") == 0
    assert evaluator.status_code == 200 and evaluator.json()[0]["score"] == "90.00"
    assert [c["id"] for c in listed.json()] == [cycle.id]


async def test_finalise_and_an_audited_reopen_by_the_admin_only(settings, demo):
    cycle = await demo.open(step="external")
    path = f"{CYCLES}/{cycle.id}"
    rating = {"staff_id": demo["wangxiaolei"], "component": "peer", "score": 80}
    async with speaking(settings, demo, "admin", "houweili", "leader") as api:
        locked = await api.post("admin", f"{path}/finalise", {"policy": "reweight"})
        assert (locked.status_code, locked.json()["locked"], locked.json()["finalise_policy"]) == (
            201,
            True,
            "reweight",
        )
        async with nothing_changes():
            late = await api.post("houweili", f"{path}/ratings", rating)
            by_staff = await api.post("houweili", f"{path}/reopen", {"reason": "改分"})
            by_leader = await api.post("leader", f"{path}/reopen", {"reason": "改分"})
            without_reason = await api.post("admin", f"{path}/reopen", {"reason": ""})
        assert (late.status_code, by_staff.status_code, by_leader.status_code) == (400, 403, 403)
        assert without_reason.status_code == 400
        reopened = await api.post("admin", f"{path}/reopen", {"reason": "补录评分"})
        assert (reopened.status_code, reopened.json()["locked"], reopened.json()["finalise_policy"]) == (
            201,
            False,
            None,
        )
        again = await api.post("houweili", f"{path}/ratings", rating)
        assert again.status_code == 201, again.text
        plain = await api.post("admin", f"{path}/finalise")
        assert (plain.status_code, plain.json()["finalise_policy"]) == (201, None)
