"""Dagster resources: the lake storage and the sources of posts."""
