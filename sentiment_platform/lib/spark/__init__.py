"""The Spark engine: the same rules as the Polars/DuckDB path, run on a Spark session.

Row-level rules (parsing, validation, text normalisation, model inference) run inside Spark tasks
with the project's own pure functions, so the two engines cannot drift apart; the set-level work
(deduplication across files, joins, group-bys, ALS) is Spark's own. Each run's output goes back to
the lake through ``LakeStore``, one object per hour, so downstream assets never know which
engine wrote it.
"""
