from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.engine import engine_finder

ID = "2026-12-05T00:54:39:000000"
VERSION = "1.38.0"
DESCRIPTION = "each message once per robot; row-level security on the robot tables"

ROLE = "portal_app"  # app.backstop's role
COUNTY = "nullif(current_setting('portal.tenant', true), '')::integer"
TABLES = ("robot", "robot_delivery")


async def forwards():
    # Raw SQL runs before a manager's tables are created, so it has a migration of its own.
    manager = MigrationManager(migration_id=ID, app_name="robots", description=DESCRIPTION)

    async def once():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX robot_delivery_once ON robot_delivery (robot, message_key)")

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

    manager.add_raw(once)
    manager.add_raw(county_only)

    return manager
