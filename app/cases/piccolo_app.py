import os

from piccolo.conf.apps import AppConfig

from app.cases.tables import (
    Accountability,
    Case,
    CaseEvent,
    Extension,
    Investigator,
    MaterialNotice,
    Objection,
    Posting,
    Receipt,
    Survey,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="cases",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        Case,
        CaseEvent,
        MaterialNotice,
        Receipt,
        Survey,
        Investigator,
        Posting,
        Objection,
        Extension,
        Accountability,
    ],
    migration_dependencies=["app.rota.piccolo_app"],
)
