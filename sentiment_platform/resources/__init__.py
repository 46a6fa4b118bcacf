"""The Dagster resources: lake storage, warehouse, sources, scorers, notifiers, Spark, the clock."""
