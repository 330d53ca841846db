from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a county's newest audit rows by index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def newest_first():
        # Dashboards show a county's newest rows: without (tenant, id) PostgreSQL walks the whole
        # trail backwards by id past every other county's rows (a quiet county's took longest).
        await engine_finder().run_ddl("CREATE INDEX audit_record_newest ON audit_record (tenant, id)")

    manager.add_raw(newest_first)

    return manager
