from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T12:29:52:000000"
VERSION = "1.38.0"
DESCRIPTION = "one cycle per county and year; each subject, rating, result and rectification once"


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="evaluation", description=DESCRIPTION)

    async def once():
        engine = engine_finder()
        for statement in (
            "CREATE UNIQUE INDEX evaluation_cycle_once ON evaluation_cycle (tenant, year)",
            "CREATE UNIQUE INDEX evaluation_subject_once ON evaluation_subject (cycle, person)",
            "CREATE UNIQUE INDEX evaluation_rating_once ON evaluation_rating (subject, component, rater_key)",
            "CREATE UNIQUE INDEX evaluation_result_once ON evaluation_result (subject)",
            "CREATE UNIQUE INDEX evaluation_rectification_once ON evaluation_rectification (subject)",
        ):
            await engine.run_ddl(statement)

    manager.add_raw(once)

    return manager
