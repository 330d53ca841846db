from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T10:55:54:000000"
VERSION = "1.38.0"
DESCRIPTION = "one open substitution per absence and line, one open pick per line"


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="absences", description=DESCRIPTION)

    async def unique_open_rows():
        engine = engine_finder()
        await engine.run_ddl(
            "CREATE UNIQUE INDEX substitution_open ON substitution (absence, line) WHERE ended_at IS NULL"
        )
        await engine.run_ddl("CREATE UNIQUE INDEX escalation_pick_open ON escalation_pick (line) WHERE ended_at IS NULL")

    manager.add_raw(unique_open_rows)

    return manager
