"""News feeds against a local server that serves RSS 2.0 and Atom as sites publish them: entries
of the hour land as posts of the feed's topic, HTML summaries become plain text, a feed that fails
or attacks is reported and the others still land; a saved feed imports to the same posts."""

from datetime import UTC, datetime

import pytest
from dagster import materialize

from sentiment_platform.defs.cleansing.cleansed_data import cleaned_posts
from sentiment_platform.defs.ingestion.raw_data import landed_batches
from sentiment_platform.lib.cleansing.cleaning import clean_posts
from sentiment_platform.lib.lake_layout import dataset_key, landing_prefix
from sentiment_platform.resources.post_sources import FeedsSource
from sentiment_platform.resources.spark_engine import SparkEngine
from sentiment_platform.sources.http_client import HttpClient
from sentiment_platform.sources.live.feeds import FeedError, feed_posts, land_feeds_hour, parse_feeds
from sentiment_platform_tests.sources.live.wire_server import WireServer

HOUR = datetime(2026, 11, 20, 13, tzinfo=UTC)

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>Climate desk</title><link>https://news.example/climate</link><language>en-gb</language>
  <item><title>Heatwave breaks records &amp; power grids strain</title>
    <link>https://news.example/climate/1</link><guid>https://news.example/climate/1</guid>
    <description>&lt;p&gt;Grids in &lt;b&gt;three&lt;/b&gt; countries&lt;script&gt;alert(1)&lt;/script&gt;
      held.&lt;/p&gt;</description>
    <pubDate>Fri, 20 Nov 2026 13:15:00 GMT</pubDate><author>desk@news.example (Ana Ruiz)</author>
    <enclosure url="http://127.0.0.1:9/chart.png" type="image/png" length="100"/></item>
  <item><title>Yesterday's story</title><guid>old-1</guid><pubDate>Thu, 19 Nov 2026 09:00:00 GMT</pubDate></item>
  <item><title>No date at all</title><guid>undated-1</guid></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">
  <title>Tech</title><link href="https://tech.example/"/><id>urn:uuid:feed</id><updated>2026-11-20T13:40:00Z</updated>
  <entry><title>Neues KI-Modell vorgestellt</title><id>urn:uuid:entry-1</id>
    <updated>2026-11-20T13:40:00Z</updated><summary type="html">Es ist &lt;em&gt;schnell&lt;/em&gt;.</summary>
    <author><name>Jonas</name></author></entry>
</feed>"""

BOMB = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>
<rss version="2.0"><channel><item><title>&b;</title></item></channel></rss>"""


def _routes():
    return {
        "/climate.xml": (200, "application/rss+xml", RSS),
        "/tech.atom": (200, "application/atom+xml", ATOM),
        "/bomb.xml": (200, "application/rss+xml", BOMB),
        "/huge.xml": (200, "application/rss+xml", b"<rss>" + b"x" * (6 * 1024 * 1024) + b"</rss>"),
        "/gone.xml": (410, "text/plain", b"gone"),
    }


def test_entries_of_the_hour_land_as_posts_of_their_feeds_topic_and_failing_feeds_are_reported(lake):
    with WireServer(_routes()) as server:
        feeds = parse_feeds(
            f"climate={server.url}/climate.xml|{server.url}/bomb.xml|{server.url}/gone.xml;"
            f"tech={server.url}/tech.atom|{server.url}/huge.xml"
        )
        client = HttpClient()
        try:
            counts = land_feeds_hour(lake, HOUR, client, feeds)
        finally:
            client.close()
    assert counts["posts"] == 2 and counts["outside_hour"] == 1 and counts["refused"] == {"missing_field": 1}
    failed = " ".join(counts["failed_feeds"])
    assert "hostile_feed:entity_declaration" in failed and "status_410" in failed and "too_large" in failed
    files = [(key, lake.read_bytes(key)) for key in lake.list_keys(landing_prefix("posts", HOUR))]
    cleaned = clean_posts(files, hour=HOUR).cleaned.sort("created_at")
    assert cleaned["topic"].to_list() == ["climate", "tech"]
    assert cleaned["lang"].to_list() == ["en", "de"]
    climate = cleaned.row(0, named=True)
    # The summary's HTML is text now (the script's content is dropped, never kept as markup).
    assert climate["text"] == "Heatwave breaks records & power grids strain Grids in three countries held."
    assert climate["source"] == "rss" and climate["post_id"].startswith("rss:")
    # Its image enclosure did not download (nothing listens there): the URL stays, for raw_images.
    assert climate["image_keys"] == ["http://127.0.0.1:9/chart.png"] and counts["media_failed"] == {"network_error": 1}


def test_a_saved_feed_imports_to_the_posts_the_live_source_lands(tmp_path):
    from sentiment_platform.sources.archives.field_mapping import ImportOptions
    from sentiment_platform.sources.archives.formats import FORMATS

    saved = tmp_path / "climate.xml"
    saved.write_bytes(RSS)
    imported = next(FORMATS["rss"].field_batches(saved, ImportOptions(topic="climate")))
    live = feed_posts(RSS, "https://somewhere.example/feed", "climate")
    # The feed's own link names it, so the ids do not depend on where it was read from.
    assert imported["id"].to_list() == [post["id"] for post in live]
    assert imported["text"].to_list() == [post["text"] for post in live]


@pytest.mark.parametrize("setting", ["", "climate", "climate=", "=http://x"])
def test_a_feed_setting_that_cannot_be_read_is_refused(setting):
    with pytest.raises(FeedError):
        parse_feeds(setting)


def test_an_hour_of_feeds_materializes(lake):
    with WireServer(_routes()) as server:
        source = FeedsSource(feeds=f"climate={server.url}/climate.xml;tech={server.url}/tech.atom")
        result = materialize(
            [landed_batches, cleaned_posts],
            partition_key="2026-11-20-13:00",
            resources={"storage": lake, "source": source, "spark": SparkEngine()},
        )
    assert result.success
    assert lake.read_parquet(dataset_key("cleaned_posts", HOUR)).height == 2
