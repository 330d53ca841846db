"""Flows: the processes that cross features (issue 14).

A feature (cases, absences, the rota, reminders, ...) stands on the ground alone; whatever needs
two of them is written here, once, and called by the workers, the pages across features and the
features' own pages.
"""
