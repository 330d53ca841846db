"""Background work on arq: thin wrappers that call the app's services.

arq runs a job at least once and a cron possibly on two workers at once: every job is
idempotent and the database is the source of truth.
"""
