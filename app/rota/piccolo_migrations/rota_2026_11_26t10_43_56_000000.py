from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T10:43:56:000000"
VERSION = "1.38.0"
DESCRIPTION = "one code per line in a county, one qualification per person and line, one open assignment per line"


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="rota", description=DESCRIPTION)

    async def unique_keys():
        engine = engine_finder()
        await engine.run_ddl("CREATE UNIQUE INDEX line_tenant_code ON line (tenant, code)")
        await engine.run_ddl('CREATE UNIQUE INDEX qualification_user_line ON qualification ("user", line)')
        # A partial index is valid SQL on both PostgreSQL and SQLite: at most one current row per line.
        await engine.run_ddl("CREATE UNIQUE INDEX line_assignment_current ON line_assignment (line) WHERE valid_to IS NULL")

    manager.add_raw(unique_keys)

    return manager
