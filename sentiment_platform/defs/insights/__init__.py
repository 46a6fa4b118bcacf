"""Insights: the sentiment report."""
