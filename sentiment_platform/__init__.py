"""sentiment_platform: a Dagster asset graph that turns social-media posts into sentiment trends."""
