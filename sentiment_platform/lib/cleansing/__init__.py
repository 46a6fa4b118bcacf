"""Parsing landed records, the cleansing rules and image validation."""
