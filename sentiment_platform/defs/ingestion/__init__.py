"""Ingestion: the raw_* assets, the landing sensor and the hourly pull."""
