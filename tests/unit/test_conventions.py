"""One convention per concern, checked in the code itself: the one clock, the one text rule, one way
for a job to reach its county, one declaration of a line's fields."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from app import jobs
from app.pages.rota_api import LineChanges
from app.rota.posts import LineSpec
from app.rota.services import LineView
from app.settings import PROJECT_ROOT
from app.setup.as_code import LineFileSpec
from tests.conftest import make_settings
from workers import settings as worker_settings
from workers.partitioned import Periodic

CODE = ("app", "workers", "ops")


def python_files() -> list[Path]:
    return sorted(path for folder in CODE for path in (PROJECT_ROOT / folder).rglob("*.py"))


def calls(source: str) -> list[tuple[str, ast.Call]]:
    """Each call in ``source`` with its callee as written (``datetime.now``), in order."""
    found = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    return [(ast.unparse(node.func), node) for node in sorted(found, key=lambda node: (node.lineno, node.col_offset))]


def offences(rule, allowed: str) -> list[str]:
    return [
        f"{path.relative_to(PROJECT_ROOT)}:{call.lineno}: {ast.unparse(call)}"
        for path in python_files()
        if path.relative_to(PROJECT_ROOT).as_posix() != allowed
        for name, call in calls(path.read_text(encoding="utf-8"))
        if rule(name, call)
    ]


# What reads the wall clock. Durations (time.monotonic, time.perf_counter) are not "now".
NOW = {"datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time", "time.time_ns"}
NOW_IF_NO_ARGUMENT = {"time.localtime", "time.gmtime", "time.ctime", "time.asctime"}


def reads_the_wall_clock(name: str, call: ast.Call) -> bool:
    if name in NOW or name.removeprefix("datetime.") in NOW:  # also ``datetime.datetime.now``
        return True
    if name in NOW_IF_NO_ARGUMENT and not call.args:
        return True
    return name == "time.strftime" and len(call.args) < 2


def test_now_and_today_come_only_from_the_clock():
    """``app.clock.now()`` is what tests pin (``clock.pinned``, time-machine) and what the demo
    dates its samples by: any other read of the wall clock escapes them."""
    assert offences(reads_the_wall_clock, "app/clock.py") == []


def normalises_text(name: str, call: ast.Call) -> bool:
    if name == "unicodedata.normalize":
        return True
    if name.endswith(".join") and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Constant):
        (joined,) = call.args or [None]
        splits_on_spaces = isinstance(joined, ast.Call) and ast.unparse(joined.func).endswith(".split")
        return splits_on_spaces and not joined.args
    if name in {"re.sub", "re.compile"} and call.args and isinstance(call.args[0], ast.Constant):
        return str(call.args[0].value) in {r"\s+", r"\s", r"\s{2,}"}
    return False


def test_typed_text_is_normalised_only_by_app_text():
    """Collapsing white space and folding full-width characters are ``app.text``'s
    (``collapse_spaces``, ``without_spaces``, ``half_width``): two copies drift apart."""
    assert offences(normalises_text, "app/text.py") == []


OFFENCES = r"""
datetime.now().astimezone()
date.today()
time.time() - started
datetime.datetime.now(tz)
time.strftime("%H:%M")
unicodedata.normalize("NFKC", typed)
" ".join(typed.split())
re.sub(r"\s+", " ", typed)
"""
FINE = r"""
clock.now()
time.monotonic() - started
time.strftime("%H:%M", time.localtime(at))
", ".join(names)
"-".join(code.split("_"))
re.sub(r"\{(\w+)\}", "x", path)
"""


def test_the_rules_find_what_they_look_for():
    def caught(source: str) -> list[str]:
        return [name for name, call in calls(source) if reads_the_wall_clock(name, call) or normalises_text(name, call)]

    assert caught(OFFENCES) == [
        "datetime.now",
        "date.today",
        "time.time",
        "datetime.datetime.now",
        "time.strftime",
        "unicodedata.normalize",
        "' '.join",
        "re.sub",
    ]
    assert caught(FINE) == []


def test_every_periodic_job_runs_county_by_county_under_its_lock():
    """A ``Periodic`` is a kind of work for one county; ``each_county`` walks the counties and takes
    ``county_lock(kind, county)`` for each, so no periodic job can skip the lock."""
    kinds = [periodic.kind for periodic in worker_settings.PERIODIC]
    assert all(isinstance(periodic, Periodic) for periodic in worker_settings.PERIODIC)
    assert len(set(kinds)) == len(kinds)
    for periodic in worker_settings.PERIODIC:
        assert list(inspect.signature(periodic.work).parameters) == ["ctx", "county"], periodic.kind


@pytest.fixture(scope="module")
def worker():
    return worker_settings.build_worker(make_settings())


def test_the_only_cron_is_the_job_records_recovery(worker):
    """Anything periodic that touches a county belongs in ``PERIODIC``, not in arq's cron."""
    assert [job.name for job in worker.cron_jobs] == ["cron:recover_jobs"]


def test_every_queued_job_is_a_county_job_taking_the_county_first(worker):
    queued = {name: function for name, function in worker.functions.items() if not name.startswith("cron:")}
    assert set(queued) == set(jobs.FUNCTIONS.values())
    for name, function in queued.items():
        parameters = list(inspect.signature(inspect.unwrap(function.coroutine)).parameters)
        assert parameters[:2] == ["ctx", "tenant_id"], name


def test_a_lines_fields_are_declared_once():
    """``LineSpec`` declares a line's fields; the API's changes, the stored view and a tenant file's
    ``[[lines]]`` derive theirs from it and only add their own."""
    declared = LineSpec.__struct_fields__
    assert set(LineChanges.__struct_fields__) == {*declared, "active"} - {"code"}
    assert LineView.__struct_fields__ == (*declared, "id", "active", "a", "b")
    assert LineFileSpec.__struct_fields__ == (*declared, "active")
