"""A deterministic mock social network: users, posts, comments, reposts, likes and images.

``generate_hour`` gives the content of any hour (for backfills); ``run_firehose`` keeps landing
new batches at a steady pace, like a live feed.
"""

from sentiment_platform.sources.mock_network.config import MockFeedConfig
from sentiment_platform.sources.mock_network.generator import HourBatch, generate_hour
from sentiment_platform.sources.mock_network.landing import (
    land_hour,
    land_window,
    run_firehose,
)

__all__ = ["MockFeedConfig", "HourBatch", "generate_hour", "land_hour", "land_window", "run_firehose"]
