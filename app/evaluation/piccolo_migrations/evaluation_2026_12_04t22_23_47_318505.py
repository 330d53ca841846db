from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Numeric
from piccolo.columns.indexes import IndexMethod
import decimal

ID = "2026-12-04T22:23:47:318505"
VERSION = "1.38.0"
DESCRIPTION = "Result.absent_working_days: working days away (sick, personal, study) by share of office time"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="evaluation", description=DESCRIPTION
    )

    manager.drop_column(
        table_class_name="Result",
        tablename="evaluation_result",
        column_name="absent_days",
        db_column_name="absent_days",
        schema=None,
    )

    manager.add_column(
        table_class_name="Result",
        tablename="evaluation_result",
        column_name="absent_working_days",
        db_column_name="absent_working_days",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0"),
            "digits": (6, 2),
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
