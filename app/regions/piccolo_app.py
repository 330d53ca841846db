import os

from piccolo.conf.apps import AppConfig

from app.regions.tables import Inspector, InspectorToken, Region, RegionCounty

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="regions",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Region, RegionCounty, Inspector, InspectorToken],
    migration_dependencies=["app.accounts.piccolo_app", "app.cases.piccolo_app"],
)
