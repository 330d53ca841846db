"""Deadline figures for a county, or for the counties of a region (SPEC §13)."""
