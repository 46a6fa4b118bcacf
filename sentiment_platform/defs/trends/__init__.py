"""Trends: the warehouse tables, their checks and alerts, and the daily rollups."""
