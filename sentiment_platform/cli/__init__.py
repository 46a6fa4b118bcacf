"""The `sentiment-platform` command line."""
