"""Real migrations on both databases: every table the code declares exists after ``migrate``."""

from app.piccolo_conf import all_tables
from app.tenancy.tables import Tenant
from tests.conftest import make_settings, migrate_quietly
from tests.helpers import county


async def test_every_declared_table_and_column_exists_after_migrate(any_db):
    for table in all_tables():
        assert await table.table_exists(), table._meta.tablename
        await table.select().limit(1)  # every declared column is there


async def test_migrating_again_keeps_the_data(sqlite_db):
    await county("dangshan")
    await migrate_quietly(make_settings(database_url=f"sqlite:///{sqlite_db.path}"))
    assert await Tenant.count() == 1
