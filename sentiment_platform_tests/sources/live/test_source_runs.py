"""Each pulled network as the run's ``source`` resource: an hour lands from its fake and
materializes into cleaned posts, and what the pull fetched and failed is in ``raw_posts``'
metadata."""

from datetime import UTC, datetime

import pytest
from dagster import materialize

from sentiment_platform.defs.cleansing.cleansed_data import cleaned_posts
from sentiment_platform.defs.ingestion.raw_data import landed_batches
from sentiment_platform.lib.lake_layout import dataset_key
from sentiment_platform.resources.post_sources import BlueskySource, MastodonSource, RedditSource
from sentiment_platform.resources.spark_engine import SparkEngine
from sentiment_platform_tests.sources.live.test_bluesky_search import search, view
from sentiment_platform_tests.sources.live.test_mastodon import status, timeline
from sentiment_platform_tests.sources.live.test_reddit import listing, thing
from sentiment_platform_tests.sources.live.wire_server import WireServer

HOUR = datetime(2026, 11, 20, 13, tzinfo=UTC)
TOKEN = (200, "application/json", b'{"access_token": "tok", "expires_in": 3600}')


def _run(lake, source):
    result = materialize(
        [landed_batches, cleaned_posts],
        partition_key="2026-11-20-13:00",
        resources={"storage": lake, "source": source, "spark": SparkEngine()},
    )
    assert result.success
    pulled = next(
        event.step_materialization_data.materialization.metadata["pulled"].value
        for event in result.get_asset_materialization_events()
        if event.asset_key.to_user_string() == "raw_posts"
    )
    return lake.read_parquet(dataset_key("cleaned_posts", HOUR)), pulled


def test_an_hour_of_mastodon_materializes(lake):
    statuses = [status(m, f"hot day {m}", m + 10) for m in range(30)]
    with WireServer({"/api/v1/timelines/tag/climate": timeline(statuses)}) as server:
        cleaned, pulled = _run(lake, MastodonSource(instances=server.url, topics="climate=#climate"))
    assert cleaned.height == 30 and set(cleaned["source"]) == {"mastodon"} and pulled["posts"] == 30


def test_an_hour_of_bluesky_search_materializes(lake):
    found = [view(n, f"heatwave {n}") for n in range(25)]
    with WireServer({"/xrpc/app.bsky.feed.searchPosts": search({"heatwave": found})}) as server:
        source = BlueskySource(search_url=f"{server.url}/xrpc/app.bsky.feed.searchPosts", topics="climate=heatwave")
        cleaned, pulled = _run(lake, source)
    assert cleaned.height == 25 and set(cleaned["topic"]) == {"climate"} and pulled["found"] == 25


@pytest.mark.parametrize("limited", [False, True])
def test_an_hour_of_reddit_materializes_and_a_rate_limit_ends_only_its_listing(lake, limited):
    submissions = [thing("t3", n, n) for n in range(20)]
    comments = (429, "application/json", b'{"message": "Too Many Requests"}') if limited else listing([])
    token = WireServer({"/api/v1/access_token": TOKEN})
    api = WireServer({"/r/flights/new": listing(submissions), "/r/flights/comments": comments})
    with token, api:
        source = RedditSource(
            subreddits="travel=flights",
            client_id="id",
            client_secret="secret",
            token_url=f"{token.url}/api/v1/access_token",
            api_url=api.url,
        )
        cleaned, pulled = _run(lake, source)
    assert cleaned.height == 20 and set(cleaned["topic"]) == {"travel"}
    assert pulled["failed_listings"] == (["r/flights/comments: rate_limited"] if limited else [])
