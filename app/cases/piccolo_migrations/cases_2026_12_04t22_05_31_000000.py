from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-04T22:05:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "accountability records move to one record per occasion; offences once per case and due date"


async def forwards():
    # Raw SQL runs before the manager drops the old table, so the rows are copied first.
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def move_records():
        engine = engine_finder()
        # Each old record was one case; it becomes an occasion of its own, keeping its id and level.
        for statement in (
            "INSERT INTO accountability_record (id, tenant, person, occasion_on, year, level, recorded_on, remedy, "
            "created_at) SELECT id, tenant, person, due_on, year, level, due_on + 1, '', created_at FROM accountability"
            if isinstance(engine, PostgresEngine)
            else "INSERT INTO accountability_record (id, tenant, person, occasion_on, year, level, recorded_on, remedy, "
            "created_at) SELECT id, tenant, person, due_on, year, level, date(due_on, '+1 day'), '', created_at "
            "FROM accountability",
            'INSERT INTO accountability_offence (tenant, record, "case", due_on) '
            'SELECT tenant, id, "case", due_on FROM accountability',
            'CREATE UNIQUE INDEX accountability_offence_once ON accountability_offence ("case", due_on)',
            "CREATE UNIQUE INDEX accountability_record_occasion ON accountability_record (person, occasion_on, level)",
        ):
            await engine.run_ddl(statement)
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl(
                "SELECT setval(pg_get_serial_sequence('accountability_record', 'id'), "
                "COALESCE((SELECT MAX(id) FROM accountability_record), 0) + 1, false)"
            )

    manager.add_raw(move_records)
    manager.drop_table(class_name="Accountability", tablename="accountability")

    return manager
