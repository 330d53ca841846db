from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T07:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a line's cases by due date, for the register's line filter"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def line_by_due_date():
        # Status last: the open and overdue filters on a line are answered from the index alone.
        await engine_finder().run_ddl(
            "CREATE INDEX assistance_case_line_due ON assistance_case (tenant, line, due_on, id, status)"
        )

    manager.add_raw(line_by_due_date)

    return manager
