import os

from piccolo.conf.apps import AppConfig

from app.rota.tables import Assignment, Line, Qualification

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="rota",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Line, Qualification, Assignment],
    migration_dependencies=["app.accounts.piccolo_app"],
)
