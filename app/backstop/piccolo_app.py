import os

from piccolo.conf.apps import AppConfig

from app.piccolo_conf import FEATURE_APPS

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

# After every feature app: its migration protects the tables they have made.
APP_CONFIG = AppConfig(
    app_name="backstop",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=FEATURE_APPS,
)
