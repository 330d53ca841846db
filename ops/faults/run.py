"""Fault injection: the portal (web + worker) against PostgreSQL and Redis instances of its own,
started here in a temporary directory (never the shared ones), and broken on purpose.

    .venv/bin/python ops/faults/run.py [--rounds 3] [--pg-port 5442] [--redis-port 6392] [--web-port 8102]

Faults: SIGKILL of the worker in the middle of each kind of job (repeated); Redis flushed, and
Redis restarted, with jobs queued; PostgreSQL stopped for 10 s under load. After each it checks
that nothing acknowledged was lost, nothing happened twice, nothing is half-written, and that the
web answers again without a restart; then prints a markdown table. See ops/faults/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app import clock, db  # noqa: E402
from app.absences import services as absences  # noqa: E402
from app.absences.tables import Absence, Substitution  # noqa: E402
from app.accounts.passwords import use_fast_hashing  # noqa: E402
from app.accounts.services import create_token, identity_of  # noqa: E402
from app.accounts.tables import User  # noqa: E402
from app.asgi import load_routes  # noqa: E402
from app.audit.tables import AuditRecord  # noqa: E402
from app.domain.absence import Action  # noqa: E402
from app.evaluation import cycles  # noqa: E402
from app.evaluation.tables import Result, Subject  # noqa: E402
from app.jobs.tables import JobRecord  # noqa: E402
from app.notifications.tables import Notification  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.setup import as_code  # noqa: E402
from app.tenancy.context import Actor, TenantContext  # noqa: E402
from app.tenancy.services import find_by_slug  # noqa: E402

OPERATOR = Actor(user_id=None, label="fault script", address="127.0.0.1", is_superadmin=True)
PG_BIN = Path(max(Path("/usr/lib/postgresql").glob("*/bin"), default=Path("/usr/bin")))
LINES = 40  # lines of a fault county: a sweep with 40 substitutions to open takes long enough to be hit


def log(message: str) -> None:
    print(f"[{clock.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- private instances --------------------------------------------------------------------------


def _as_postgres(*command: str) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class PrivatePostgres:
    def __init__(self, home: Path, port: int) -> None:
        self.data, self.port = home / "pg", port
        self.log = home / "pg.log"

    def init(self) -> None:
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.data.parent, "postgres")
            shutil.chown(self.data, "postgres")
        subprocess.run(
            _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.start()
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "portal"], check=True
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start"
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"),
            check=False,
            stdout=subprocess.DEVNULL,
        )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/portal"


class PrivateRedis:
    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.home)]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(50):
            if self.cli("ping") == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def cli(self, *command: str) -> str:
        done = subprocess.run(["redis-cli", "-p", str(self.port), *command], capture_output=True, text=True)
        return done.stdout.strip()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


LOGS = ROOT / "var" / "faults"


class PortalProcess:
    """``portal serve`` or ``portal worker`` on the private instances."""

    def __init__(self, env: dict, *args: str) -> None:
        self.env, self.args = env, args
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # Kept after the run (var/faults/serve.log, worker.log): an unexpected answer is explained there.
        LOGS.mkdir(parents=True, exist_ok=True)
        with (LOGS / f"{self.args[0]}.log").open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def start_if_stopped(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.start()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # still finishing requests: enough
                self.kill()


# --- the county each round works on -------------------------------------------------------------


def fault_county_file(slug: str) -> str:
    """A county with ``LINES`` lines, each with its own A and B, a leader who approves and an admin."""
    parts = [f'slug = "{slug}"', f'name = "故障{slug[-1]}县"']
    parts += [f'[[lines]]\ncode = "line{n}"\nname = "岗位{n}"\nworking_days = 10' for n in range(LINES)]
    for username, role in (("leader", "leader"), ("head", "section_head"), ("admin", "admin")):
        parts.append(f'[[staff]]\nusername = "{username}"\nname = "{username}"\nroles = ["{role}"]')
    for n in range(LINES):
        parts.append(f'[[staff]]\nusername = "a{n}"\nname = "甲{n}"\nroles = ["staff"]')
        parts.append(f'[[staff]]\nusername = "b{n}"\nname = "乙{n}"\nroles = ["staff"]\nqualifications = ["line{n}"]')
    parts.append("[assignments]\n" + "\n".join(f'line{n} = {{ a = "a{n}", b = "b{n}" }}' for n in range(LINES)))
    return "\n".join(parts)


@dataclass
class County:
    slug: str
    tenant_id: int
    people: dict[str, int]
    token: str
    cycle_id: int

    @property
    def api(self) -> str:
        return f"/api/v1/t/{self.slug}"

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


async def fault_county(slug: str) -> County:
    """The county, every A on leave (a sweep with work to do), and an evaluation cycle."""
    await as_code.apply(as_code.parse(fault_county_file(slug)), OPERATOR)
    tenant = await find_by_slug(slug)
    people = {u["username"]: u["id"] for u in await User.select(User.id, User.username).where(User.tenant == tenant.id)}

    async def as_person(username: str) -> TenantContext:
        return TenantContext(tenant, (await identity_of(people[username])).actor("127.0.0.1"))

    leader, admin = await as_person("leader"), await as_person("admin")
    start = clock.now() - timedelta(minutes=1)
    for n in range(LINES):
        absence = await absences.post(
            await as_person(f"a{n}"),
            person_id=people[f"a{n}"],
            kind="personal",
            reason="请假",
            starts_at=start,
            # Two weeks always hold more than half a day of office time, whatever day the script runs.
            ends_at=start + timedelta(days=14),
            handover="见交接单",
        )
        await absences.decide(leader, absence.id, Action.APPROVE)
    cycle = await cycles.open_cycle(admin, tenant.now().year)
    token = (await create_token(TenantContext(tenant, OPERATOR), people["admin"], "faults")).token
    return County(slug, tenant.id, people, token, cycle.id)


# --- checks -------------------------------------------------------------------------------------


@dataclass
class Row:
    fault: str
    injected: int = 0
    recovered: int = 0
    seconds: list[float] = field(default_factory=list)
    lost: int = 0
    duplicates: int = 0
    notes: list[str] = field(default_factory=list)
    job_id: str = ""  # the job of the round under way

    def cells(self) -> list[str]:
        worst = f"{max(self.seconds):.1f}" if self.seconds else "–"
        return [self.fault, str(self.injected), str(self.recovered), worst, str(self.lost), str(self.duplicates)]


async def duplicate_effects(county: County) -> int:
    """Effects that must exist once: open substitutions per line, results per subject, messages."""
    open_rows = await Substitution.select(Substitution.line).where(
        (Substitution.tenant == county.tenant_id) & Substitution.ended_at.is_null()
    )
    results = await Result.select(Result.subject).where(Result.tenant == county.tenant_id)
    told = await Notification.select(Notification.dedupe_key).where(Notification.tenant == county.tenant_id)
    return sum(
        len(rows) - len(set(rows))
        for rows in (
            [r["line"] for r in open_rows],
            [r["subject"] for r in results],
            [r["dedupe_key"] for r in told],
        )
    )


async def missing_effects(county: County, kind: str) -> int:
    if kind == "substitution":
        lines = await Substitution.select(Substitution.line).where(
            (Substitution.tenant == county.tenant_id) & Substitution.ended_at.is_null()
        )
        return LINES - len({r["line"] for r in lines})
    if kind == "evaluation":
        subjects = await Subject.count().where(Subject.cycle == county.cycle_id)
        scored = await Result.select(Result.subject).where(Result.cycle == county.cycle_id)
        return subjects - len({r["subject"] for r in scored})
    return 0  # the reminder scan has nothing to leave undone that the job's own state would not show


async def job_status(client: httpx.AsyncClient, county: County, job_id: str) -> str:
    try:
        answer = await client.get(f"{county.api}/jobs/{job_id}", headers=county.headers)
    except httpx.HTTPError:
        return "unreachable"
    return answer.json().get("status", "") if answer.status_code == 200 else str(answer.status_code)


async def wait_for(condition, seconds: float, every: float = 0.1) -> float | None:
    """Seconds until ``await condition()`` held, or ``None`` if it did not within ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if await condition():
            return time.monotonic() - started
        await asyncio.sleep(every)
    return None


async def enqueue(client: httpx.AsyncClient, county: County, kind: str) -> str:
    path = f"{county.api}/evaluations/cycles/{county.cycle_id}/compute" if kind == "evaluation" else None
    answer = await client.post(path or f"{county.api}/jobs/{kind}", headers=county.headers)
    answer.raise_for_status()
    return answer.json()["job_id"]


# --- the faults ---------------------------------------------------------------------------------


KINDS = ("substitution", "evaluation", "reminders")


# The reminder scan of a county without cases, and the compute of a cycle of 80 people, are over
# in milliseconds: to kill them inside their work, the script holds a lock on a table they need
# until the worker is dead. (A sweep with 40 substitutions to open is long enough to be hit.)
HELD_FOR = {"reminders": "assistance_case", "evaluation": "evaluation_result"}


async def kill_mid_job(client, worker: PortalProcess, pg: PrivatePostgres, county: County, kind: str, row: Row):
    holder = await asyncpg.connect(pg.url)
    held = holder.transaction()
    await held.start()
    if kind in HELD_FOR:
        await holder.execute(f"LOCK TABLE {HELD_FOR[kind]} IN ACCESS EXCLUSIVE MODE")
    try:
        await _kill_mid_job(client, worker, county, kind, row)
    finally:
        await held.rollback()
        await holder.close()
    await _recovered(client, county, kind, row)


async def _kill_mid_job(client, worker: PortalProcess, county: County, kind: str, row: Row) -> None:
    row.job_id = job_id = await enqueue(client, county, kind)
    worker.start_if_stopped()

    async def running() -> bool:
        record = await JobRecord.select(JobRecord.status).where(JobRecord.job_id == job_id).first()
        if record is None or record["status"] != "in_progress":
            return False
        if kind != "substitution":
            return True
        opened = await Substitution.count().where(Substitution.tenant == county.tenant_id)
        return opened >= 5  # in the middle of the sweep, not before it

    caught = await wait_for(running, 30, every=0.01)  # a sweep of 40 lines lasts well under a second
    if caught is not None and kind in HELD_FOR:
        await asyncio.sleep(1)  # well inside its work, waiting for the held table
    worker.kill()
    if caught is not None:
        row.injected += 1
    else:
        row.notes.append(f"{kind} {county.slug}: the job ended before the kill")
    worker.start()


async def _recovered(client, county: County, kind: str, row: Row) -> None:
    job_id = row.job_id
    recovered = await wait_for(lambda: _is(client, county, job_id, "complete"), 180)
    lost = await missing_effects(county, kind)
    if recovered is not None and lost == 0:
        row.recovered += 1
        row.seconds.append(recovered)
    row.lost += lost + (recovered is None)
    row.duplicates += await duplicate_effects(county)


async def _is(client, county: County, job_id: str, status: str) -> bool:
    return await job_status(client, county, job_id) == status


async def jobs_queued_then(client, worker: PortalProcess, county: County, row: Row, break_redis) -> None:
    """Jobs of every kind queued while no worker runs; Redis broken; a worker started."""
    worker.stop()
    jobs = [await enqueue(client, county, kind) for kind in KINDS]
    break_redis()
    row.injected += 1
    worker.start()

    async def every_job_done() -> bool:
        return all([await _is(client, county, job_id, "complete") for job_id in jobs])

    recovered = await wait_for(every_job_done, 120)
    done = [await _is(client, county, job_id, "complete") for job_id in jobs]
    row.lost += done.count(False)
    row.duplicates += await duplicate_effects(county)
    if recovered is not None:
        row.recovered += 1
        row.seconds.append(recovered)


async def postgres_down_under_load(client, pg: PrivatePostgres, county: County, row: Row, outage: float) -> None:
    """Posting absences and reading pages while PostgreSQL stops for ``outage`` seconds.

    Each post carries its own reason; afterwards every acknowledged post must exist once, with
    its audit record (the same transaction), and the web must answer without a restart."""
    acknowledged: list[str] = []
    answers: list[tuple[float, int]] = []
    stop = asyncio.Event()
    person = county.people["admin"]
    starts = clock.now() + timedelta(days=30)

    async def load(n: int) -> None:
        count = 0
        while not stop.is_set():
            count += 1
            reason = f"load-{n}-{count}"
            slot = starts + timedelta(hours=2 * (n + 4 * count))  # every post its own two hours
            body = {
                "staff_id": person,
                "kind": "official",
                "reason": reason,
                "starts_at": slot.isoformat(),
                "ends_at": (slot + timedelta(hours=1)).isoformat(),
            }
            try:
                posted = await client.post(f"{county.api}/absences", headers=county.headers, json=body, timeout=15)
                status = posted.status_code
                if status in (200, 201):
                    acknowledged.append(reason)
                read = await client.get(f"{county.api}/me", headers=county.headers, timeout=15)
                answers.append((time.monotonic(), min(status, read.status_code) if status < 300 else status))
            except httpx.HTTPError:
                answers.append((time.monotonic(), 0))
            await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(load(n)) for n in range(4)]
    await asyncio.sleep(3)
    await asyncio.to_thread(pg.stop)
    row.injected += 1
    await asyncio.sleep(outage)
    await asyncio.to_thread(pg.start)
    back_at = time.monotonic()
    answered = await wait_for(lambda: _answered_after(answers, back_at), 60)
    await asyncio.sleep(2)
    stop.set()
    await asyncio.gather(*tasks)
    reasons = [
        r["reason"]
        for r in await Absence.select(Absence.reason).where(
            (Absence.tenant == county.tenant_id) & Absence.reason.like("load-%")
        )
    ]
    audited = await AuditRecord.count().where(
        (AuditRecord.tenant == county.tenant_id) & (AuditRecord.action == "absence.post")
    )
    own_posts = await Absence.count().where(Absence.tenant == county.tenant_id)
    row.lost += len(set(acknowledged) - set(reasons))
    row.duplicates += len(reasons) - len(set(reasons))
    if audited != own_posts:
        row.notes.append(f"half-written: {own_posts} absences, {audited} audit records")
        row.lost += abs(own_posts - audited)
    refused = Counter(status for _, status in answers if not 200 <= status < 300)
    row.notes.append(
        f"{len(answers)} request pairs, {len(acknowledged)} absences acknowledged (each found once, audited); "
        f"refused while down: {dict(refused) or 'none'} (0 = connection failed)"
    )
    if answered is not None:
        row.recovered += 1
        row.seconds.append(answered)


async def _answered_after(answers: list[tuple[float, int]], moment: float) -> bool:
    return any(at > moment and 200 <= status < 300 for at, status in answers)


# --- main ---------------------------------------------------------------------------------------


async def run(args) -> list[Row]:
    home = Path(tempfile.mkdtemp(prefix="portal-faults-"))
    pg, redis = PrivatePostgres(home, args.pg_port), PrivateRedis(home, args.redis_port)
    env = {
        **os.environ,
        "PORTAL_MODE": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": pg.url,
        "REDIS_URL": redis.url,
    }
    web = PortalProcess(env, "serve", "--port", str(args.web_port))
    worker = PortalProcess(env, "worker")
    try:
        log(f"private PostgreSQL on {args.pg_port} and Redis on {args.redis_port} in {home}")
        await asyncio.to_thread(pg.init)
        redis.start()
        migrate = [sys.executable, "-m", "app.cli", "migrate"]
        await asyncio.to_thread(subprocess.run, migrate, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        settings = Settings.from_env(env)
        use_fast_hashing(True)  # the fault counties' people never sign in with a password
        async with db.connected(settings):
            web.start()
            worker.start()
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{args.web_port}", timeout=30) as client:
                up = await wait_for(lambda: _healthy(client), 60)
                if up is None:
                    raise RuntimeError("the web process did not come up")
                return await inject(args, client, pg, redis, web, worker)
    finally:
        for stop in (worker.kill, web.stop, redis.stop, pg.stop):
            try:
                stop()
            except Exception as exc:  # noqa: BLE001 - stop the others whatever happened to one
                log(f"could not stop cleanly: {exc!r}")
        shutil.rmtree(home, ignore_errors=True)


async def _healthy(client: httpx.AsyncClient) -> bool:
    try:
        return (await client.get("/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


async def inject(args, client, pg, redis, web, worker) -> list[Row]:
    rows = {kind: Row(f"SIGKILL of the worker mid-job: {kind}") for kind in KINDS}
    for n in range(args.rounds):
        # No worker while the county is made, or its per-minute sweep would do the work first;
        # the first job is queued before a worker starts again.
        worker.stop()
        county = await fault_county(f"fault{n}")
        for kind in KINDS:
            log(f"round {n + 1}: killing the worker during a {kind} job")
            await kill_mid_job(client, worker, pg, county, kind, rows[kind])
    flushed, restarted = Row("Redis flushed with jobs queued"), Row("Redis restarted (data lost) with jobs queued")
    pg_row = Row(f"PostgreSQL stopped {args.outage:.0f} s under load")
    county = await fault_county("faultr")
    log("flushing Redis with jobs queued")
    await jobs_queued_then(client, worker, county, flushed, lambda: redis.cli("flushall"))
    log("restarting Redis with jobs queued")
    await jobs_queued_then(client, worker, county, restarted, lambda: (redis.stop(), redis.start()))
    log(f"stopping PostgreSQL for {args.outage:.0f} s under load")
    await postgres_down_under_load(client, pg, county, pg_row, args.outage)
    after = await enqueue(client, county, "substitution")
    if await wait_for(lambda: _is(client, county, after, "complete"), 90) is None:
        pg_row.notes.append("the worker did not run a job after PostgreSQL came back")
        pg_row.recovered = 0
    return [*rows.values(), flushed, restarted, pg_row]


def table(rows: list[Row]) -> str:
    header = ["fault", "injected", "recovered", "seconds to recover (worst)", "records lost", "duplicates"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    notes = [f"- {row.fault}: {note}" for row in rows for note in row.notes]
    return "\n".join(lines + ([""] + notes if notes else []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="kills per job kind")
    parser.add_argument("--outage", type=float, default=10, help="seconds PostgreSQL stays down")
    parser.add_argument("--pg-port", type=int, default=5442)
    parser.add_argument("--redis-port", type=int, default=6392)
    parser.add_argument("--web-port", type=int, default=8102)
    load_routes()
    rows = asyncio.run(run(parser.parse_args()))
    print(table(rows))
    clean = all(r.recovered == r.injected and r.lost == 0 and r.duplicates == 0 for r in rows)
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
