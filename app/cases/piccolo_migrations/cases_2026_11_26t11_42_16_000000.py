from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T11:42:16:000000"
VERSION = "1.38.0"
DESCRIPTION = "receipt numbers, signatures and accountability records once; open cases by due date"


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def constraints_and_indexes():
        engine = engine_finder()
        for statement in (
            "CREATE UNIQUE INDEX receipt_number_once ON receipt (tenant, number)",
            "CREATE UNIQUE INDEX investigator_once ON investigator (survey, person)",
            "CREATE UNIQUE INDEX accountability_once ON accountability (\"case\", due_on)",
            # The register and the deadline scans look up a county's cases by status and due date.
            "CREATE INDEX assistance_case_due ON assistance_case (tenant, status, due_on)",
            "CREATE INDEX assistance_case_acting ON assistance_case (tenant, acting_handler, status)",
        ):
            await engine.run_ddl(statement)

    manager.add_raw(constraints_and_indexes)

    return manager
