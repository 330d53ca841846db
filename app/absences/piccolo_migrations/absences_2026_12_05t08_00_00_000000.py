from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the notices in force and not returned, and returns by time, for who is away now"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="absences", description=DESCRIPTION)

    async def current_notices():
        engine = engine_finder()
        # The predicate is the text of absences.services._IN_FORCE: a partial index only serves a
        # query that names it. A county's notices grow with every year; these hold the few now.
        await engine.run_ddl(
            "CREATE INDEX absence_in_force ON absence (tenant, starts_at)"
            " WHERE status IN ('active', 'approved', 'overdue', 'returned') AND returned_at IS NULL"
        )
        await engine.run_ddl("CREATE INDEX absence_returned ON absence (tenant, returned_at)")

    manager.add_raw(current_notices)

    return manager
