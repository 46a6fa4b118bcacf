"""Recommendations: the daily recommended posts."""
