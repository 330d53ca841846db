from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a person's open cases by due date, for every dashboard, the to-do list and its badge"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def open_by_person():
        # A person's open cases without their closed ones: assistance_case_acting has the status
        # last, and below the row-level policies PostgreSQL filters a list of states instead of
        # seeking them, so every dashboard walked the person's whole history. The list must stay
        # the text of cases.register.IS_OPEN (a partial index serves only a query naming it).
        await engine_finder().run_ddl(
            "CREATE INDEX assistance_case_acting_open ON assistance_case (tenant, acting_handler, due_on, id)"
            " WHERE status IN ('accepted', 'posted', 'received', 'surveyed')"
        )

    manager.add_raw(open_by_person)

    return manager
