import os

from piccolo.conf.apps import AppConfig

from app.cases.tables import (
    AccountabilityRecord,
    Case,
    CaseEvent,
    Enquiry,
    Extension,
    GrassrootsReview,
    Investigator,
    MaterialNotice,
    Objection,
    Offence,
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
        AccountabilityRecord,
        Offence,
        GrassrootsReview,
        Enquiry,
    ],
    migration_dependencies=["app.rota.piccolo_app"],
)
