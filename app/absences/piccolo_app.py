import os

from piccolo.conf.apps import AppConfig

from app.absences.tables import Absence, EscalationPick, Substitution

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="absences",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Absence, Substitution, EscalationPick],
    migration_dependencies=["app.rota.piccolo_app"],
)
