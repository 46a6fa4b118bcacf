"""The pipeline's logic, free of Dagster wiring: pure functions over frames, keys and files."""
