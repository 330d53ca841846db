from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T22:22:11:245468"
VERSION = "1.38.0"
DESCRIPTION = "Absence.show_contact: the door notice shows a private contact only when chosen"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="absences", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Absence",
        tablename="absence",
        column_name="show_contact",
        db_column_name="show_contact",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
