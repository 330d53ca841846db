from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T07:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "open cases by due date, for the register's open and overdue filters"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def open_by_due_date():
        # The list must stay the text of cases.register.IS_OPEN: a partial index serves only a
        # query that names its predicate's constants.
        await engine_finder().run_ddl(
            "CREATE INDEX assistance_case_open_due ON assistance_case (tenant, due_on, id)"
            " WHERE status IN ('accepted', 'posted', 'received', 'surveyed')"
        )

    manager.add_raw(open_by_due_date)

    return manager
