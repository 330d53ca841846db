from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.engine import engine_finder

ID = "2026-12-05T01:55:29:000000"
VERSION = "1.38.0"
DESCRIPTION = "the tallies are read by county and month; row-level security on the tally tables"

ROLE = "portal_app"  # app.backstop's role
COUNTY = "nullif(current_setting('portal.tenant', true), '')::integer"
TABLES = ("deadline_tally", "deadline_tally_month", "tally_state")


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="stats", description=DESCRIPTION)

    async def by_county_and_month():
        await engine_finder().run_ddl("CREATE INDEX deadline_tally_by_month ON deadline_tally (tenant, month)")
        await engine_finder().run_ddl("CREATE UNIQUE INDEX deadline_tally_month_once ON deadline_tally_month (tenant, month)")

    async def county_only():
        # On a new database app.backstop (migrated last) covers these tables with every other;
        # where it ran already, these tables get the same policy here.
        engine = engine_finder()
        if engine.engine_type != "postgres":
            return
        if not await Migration.exists().where(Migration.app_name == "backstop"):
            return
        for table in TABLES:
            await engine.run_ddl(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {table} TO {ROLE}")
            await engine.run_ddl(f"GRANT USAGE, SELECT, UPDATE ON SEQUENCE {table}_id_seq TO {ROLE}")
            await engine.run_ddl(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            await engine.run_ddl(
                f"CREATE POLICY county_only ON {table} "
                f"USING ({COUNTY} IS NULL OR tenant IS NULL OR tenant = {COUNTY}) "
                f"WITH CHECK ({COUNTY} IS NULL OR tenant = {COUNTY})"
            )

    manager.add_raw(by_county_and_month)
    manager.add_raw(county_only)

    return manager
