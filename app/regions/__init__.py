"""Regions (市): groups of counties read together by the region's inspectors (SPEC §13)."""
