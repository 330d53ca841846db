"""A province for the benchmark (issue 15's shape): COUNTIES counties × 40 staff, CASES cases
each (15 % open, in every state), their timelines, audit rows, inbox messages, a year of
absences and of evaluation ratings. Deterministic (no randomness: ids and dates follow from the series), and
set-based SQL, so 500,000 cases take a few minutes.

Counties are made by the app itself (``create_tenant``: its lines and audit row), everything
else by ``INSERT … SELECT generate_series``. People per county: ``admin``, ``leader``
(+ evaluator), ``head`` (section head + staff), ``staff1``…``staff35``, ``eval1``, ``eval2``.
"""

from __future__ import annotations

import time

import asyncpg

from app import db
from app.setup.services import create_tenant
from app.tenancy.context import cli_actor

STAFF = 35  # + admin, leader, head, two evaluators = 40 people
OPEN_SHARE = 0.15
OPEN_STATES = ("received", "accepted", "surveyed", "posted")
DONE_STATES = ("closed", "closed", "closed", "approved", "rejected", "not_accepted")

PEOPLE = f"""
INSERT INTO portal_user (tenant, username, name, phone, password_hash, active, is_superadmin, created_at)
SELECT t.id, p.username, p.name, '1380000' || lpad(p.n::text, 4, '0'), '', true, false, now() - interval '2 years'
FROM tenant t CROSS JOIN (
    SELECT n, CASE n WHEN 1 THEN 'admin' WHEN 2 THEN 'leader' WHEN 3 THEN 'head'
                     WHEN 39 THEN 'eval1' WHEN 40 THEN 'eval2' ELSE 'staff' || (n - 3) END AS username,
           '人员' || n AS name
    FROM generate_series(1, {STAFF + 5}) n
) p;

INSERT INTO role_grant (tenant, "user", role)
SELECT u.tenant, u.id, r.role FROM portal_user u
JOIN LATERAL (
    SELECT unnest(CASE
        WHEN u.username = 'admin' THEN ARRAY['admin']
        WHEN u.username = 'leader' THEN ARRAY['leader', 'evaluator']
        WHEN u.username = 'head' THEN ARRAY['section_head', 'staff']
        WHEN u.username LIKE 'eval%' THEN ARRAY['evaluator']
        ELSE ARRAY['staff'] END) AS role
) r ON true
WHERE u.tenant IS NOT NULL;

-- Each line: A = staff<line position + 1>, B = staff<line position + 6>, since a year ago.
INSERT INTO line_assignment (tenant, line, a, b, valid_from, valid_to, changed_by_label, reason)
SELECT l.tenant, l.id, a.id, b.id, now() - interval '1 year', NULL, 'bench', ''
FROM line l
JOIN portal_user a ON a.tenant = l.tenant AND a.username = 'staff' || (l.position + 1)
JOIN portal_user b ON b.tenant = l.tenant AND b.username = 'staff' || (l.position + 6);

INSERT INTO qualification (tenant, "user", line)
SELECT l.tenant, u.id, l.id FROM line l
JOIN portal_user u ON u.tenant = l.tenant AND u.username LIKE 'staff%';
"""

# Case g of a county: line g % 5, handler staff(1 + g % STAFF); the newest OPEN_SHARE are open
# (received in the last ~5 weeks, some overdue), the rest decided over the past year.
CASES = f"""
INSERT INTO assistance_case (
    tenant, line, applicant_name, applicant_id_number, household_size, address, phone, monthly_income,
    separated_household, received_on, working_days, extension_days, original_due_on, due_on,
    due_provisional, notice_due_on, first_receiver, handler, acting_handler, status, status_changed_at,
    decided_at, created_by, created_at)
SELECT t.id, l.id, '申请人' || g, '11010519491231002X', 1 + g % 5, '某镇某村' || g % 40 || '组', '', NULL, false,
       c.received, 10, 0, c.received + 14, c.received + 14, false, c.received + 3, u.id, u.id, u.id, c.status,
       c.received + interval '10 days', CASE WHEN c.open THEN NULL ELSE c.received + interval '12 days' END,
       u.id, c.received
FROM tenant t
CROSS JOIN generate_series(1, $1::int) g
CROSS JOIN LATERAL (
    SELECT g > $1 * (1 - {OPEN_SHARE}) AS open,
           CASE WHEN g > $1 * (1 - {OPEN_SHARE})
                THEN current_date - (($1 - g) % 35)
                ELSE current_date - 40 - (($1 - g) * 320 / $1) END AS received,
           CASE WHEN g > $1 * (1 - {OPEN_SHARE})
                THEN (ARRAY{list(OPEN_STATES)})[1 + g % {len(OPEN_STATES)}]
                ELSE (ARRAY{list(DONE_STATES)})[1 + g % {len(DONE_STATES)}] END AS status
) c
JOIN line l ON l.tenant = t.id AND l.position = g % 5
JOIN portal_user u ON u.tenant = t.id AND u.username = 'staff' || (1 + g % {STAFF});
"""

HISTORY = """
-- The timeline: received, then one event per step the case went through.
INSERT INTO case_event (tenant, "case", at, actor, actor_label, kind, from_status, to_status, note)
SELECT c.tenant, c.id, c.created_at + s.n * interval '2 days', c.handler, '经办人', s.kind, '', c.status, ''
FROM assistance_case c
CROSS JOIN LATERAL (
    SELECT n, (ARRAY['received', 'accepted', 'surveyed', 'posted', 'decided'])[n + 1] AS kind
    FROM generate_series(0, CASE c.status WHEN 'received' THEN 0 WHEN 'accepted' THEN 1 WHEN 'surveyed' THEN 2
                                          WHEN 'posted' THEN 3 WHEN 'not_accepted' THEN 1 ELSE 4 END) n
) s;

-- The audit trail: two rows per case (intake, last step) and the people's sign-ins.
INSERT INTO audit_record (tenant, at, actor, actor_label, action, entity, entity_id, summary, before, after, address)
SELECT c.tenant, c.created_at + s.n * interval '5 days', c.handler, '经办人', s.action, 'case', c.id::text,
       c.applicant_name, NULL, '{"status": "x"}', '10.0.0.1'
FROM assistance_case c CROSS JOIN LATERAL (VALUES (0, 'case.intake'), (1, 'case.step')) s(n, action);

INSERT INTO posting (tenant, "case", starts_on, ends_on, place, posted_by, posted_at)
SELECT tenant, id, received_on + 5, received_on + 12, '村公示栏', handler, created_at + interval '5 days'
FROM assistance_case WHERE status IN ('posted', 'approved', 'rejected', 'closed');

-- A year of absences: each person about every five weeks, some of them now.
INSERT INTO absence (tenant, person, kind, reason, starts_at, ends_at, contact, handover, category, status,
                     approver_role, decided_by, decided_at, returned_at, recorded_afterwards, created_by, created_at,
                     show_contact)
SELECT u.tenant, u.id, (ARRAY['official', 'personal', 'sick', 'annual'])[1 + (u.id + w) % 4], '事由',
       a.starts, a.starts + interval '1 day', '', '', 'leave',
       CASE WHEN a.starts + interval '1 day' < now() THEN 'returned' ELSE 'approved' END,
       'leader', NULL, a.starts - interval '1 day',
       CASE WHEN a.starts + interval '1 day' < now() THEN a.starts + interval '1 day' END, false, u.id,
       a.starts - interval '2 days', false
FROM portal_user u
CROSS JOIN generate_series(0, 10) w
CROSS JOIN LATERAL (SELECT date_trunc('day', now()) - (w * 35 - u.id % 35) * interval '1 day'
                           + interval '9 hours' AS starts) a
WHERE u.tenant IS NOT NULL AND u.username LIKE 'staff%';

-- The inbox over the year: two messages per case to its handler (the case, a reminder), read once
-- the case was decided; those of open cases still unread.
INSERT INTO notification (tenant, "user", kind, message, message_key, message_params, link, case_id, dedupe_key,
                          created_at, read_at)
SELECT c.tenant, c.handler, s.kind, '提醒', '', NULL, '', c.id, s.kind || ':' || c.id,
       c.created_at + s.n * interval '3 days',
       CASE WHEN c.decided_at IS NOT NULL THEN c.created_at + s.n * interval '3 days' + interval '1 hour' END
FROM assistance_case c CROSS JOIN LATERAL (VALUES (0, 'case'), (1, 'reminder')) s(n, kind);

-- Last year's evaluation: every colleague rates every subject (peer), the evaluators lead.
INSERT INTO evaluation_cycle (tenant, year, weights, trim, step, locked, finalise_policy, created_by, created_at)
SELECT id, extract(year FROM now())::int - 1,
       '{"leadership": 70, "peer": 10, "self": 10, "grassroots": 10}', true, 'feedback', true, '', NULL,
       now() - interval '1 year'
FROM tenant;

INSERT INTO evaluation_subject (tenant, cycle, person)
SELECT c.tenant, c.id, u.id FROM evaluation_cycle c
JOIN portal_user u ON u.tenant = c.tenant AND (u.username LIKE 'staff%' OR u.username = 'head');

INSERT INTO evaluation_rating (tenant, cycle, subject, component, rater_key, rater, rater_label, score, dimensions,
                               entered_by, updated_at)
SELECT s.tenant, s.cycle, s.id, CASE WHEN r.username LIKE 'eval%' THEN 'leadership' ELSE 'peer' END,
       'user:' || r.id, r.id, '', 70 + (s.id + r.id) % 30, NULL, r.id, now() - interval '11 months'
FROM evaluation_subject s
JOIN portal_user r ON r.tenant = s.tenant AND r.id <> s.person
     AND (r.username LIKE 'staff%' OR r.username LIKE 'eval%');
"""


async def seed(database_url: str, counties: int, cases: int) -> None:
    """Fill a migrated, empty database; prints what it made and how long it took."""
    started = time.perf_counter()
    for n in range(1, counties + 1):
        await create_tenant(cli_actor("bench"), f"county{n}", f"县{n}")
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(PEOPLE)
        await connection.execute(CASES, cases)
        await connection.execute(HISTORY)
        # What autovacuum does soon after a bulk load in production: statistics and the
        # visibility map (without it, counts cannot be answered from indexes alone).
        await connection.execute("VACUUM ANALYZE")
        figures = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM assistance_case) AS cases,"
            " (SELECT count(*) FROM assistance_case WHERE status IN ('received', 'accepted', 'surveyed', 'posted'))"
            " AS open, (SELECT count(*) FROM case_event) AS events, (SELECT count(*) FROM audit_record) AS audit,"
            " (SELECT count(*) FROM absence) AS absences, (SELECT count(*) FROM evaluation_rating) AS ratings,"
            " (SELECT count(*) FROM notification) AS messages"
        )
    finally:
        await connection.close()
    print(
        f"seeded {counties} counties × 40 people: {figures['cases']:,} cases ({figures['open']:,} open), "
        f"{figures['events']:,} timeline events, {figures['audit']:,} audit rows, {figures['absences']:,} "
        f"absences, {figures['ratings']:,} ratings, {figures['messages']:,} inbox messages "
        f"in {time.perf_counter() - started:.0f} s"
    )


async def seeded(database_url: str, settings, counties: int, cases: int) -> None:
    """A fresh database of that name, migrated and seeded."""
    from seed import fresh_database

    await fresh_database(database_url)
    await db.migrate(settings)
    async with db.connected(settings):
        await seed(database_url, counties, cases)
