"""Cleansing: the cleaned_* assets."""
