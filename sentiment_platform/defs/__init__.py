"""Dagster wiring by domain, loaded by `dg.load_from_defs_folder`: every module here is scanned for definitions."""
