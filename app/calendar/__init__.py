"""Working days (限时办结制度): statutory holidays, 调休, and the overrides counties enter."""
