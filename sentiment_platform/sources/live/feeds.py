"""News feeds (RSS 2.0, Atom, RSS 1.0): each entry is a post (its title and summary), the feed's
topic its topic. Downloaded through the hardened client, parsed by ``feedparser``.

An entry's id is derived from the feed's own link (its address when it names none) and the entry's
own id (its link or title when it has none), so two feeds never collide, and a feed read twice, or
imported from a saved copy, gives the same ids. A feed that
declares XML entities is refused before it is parsed (entity expansion is a classic bomb), and
so is one over the size cap (the client never holds more).
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from sentiment_platform.sources.http_client import HttpClient, HttpLimits, OutboundError
from sentiment_platform.sources.media_downloads import with_downloaded_media

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

#: The largest feed read (bytes).
MAX_FEED_BYTES = 5 * 1024 * 1024


class FeedError(ValueError):
    """A feed that cannot be used; the message is the reason."""


@dataclass(frozen=True)
class Feed:
    topic: str
    url: str


def parse_feeds(text: str) -> list[Feed]:
    """``topic=url|url;topic=url`` as feeds."""
    from sentiment_platform.sources.live.topic_rules import TopicRuleError, topic_lists

    try:
        return [Feed(topic, url) for topic, urls in topic_lists(text, "feeds").items() for url in urls]
    except TopicRuleError as error:
        raise FeedError(str(error)) from None


def _time(entry: Any) -> str | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        moment = entry.get(name)
        if moment:
            return datetime.fromtimestamp(calendar.timegm(moment), UTC).isoformat()
    return None


def feed_posts(
    data: bytes, feed_url: str, topic: str | None = None, max_bytes: int = MAX_FEED_BYTES
) -> list[dict[str, Any]]:
    """The post fields of each entry of the feed document ``data`` (served at ``feed_url``)."""
    import feedparser

    if len(data) > max_bytes:
        raise FeedError("too_large")
    if b"<!ENTITY" in data[:65536].upper():
        raise FeedError("hostile_feed:entity_declaration")
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"unreadable_feed:{type(parsed.bozo_exception).__name__}")
    language = parsed.feed.get("language")
    identity = parsed.feed.get("link") or feed_url
    host = urlparse(identity).hostname or "feed"
    posts = []
    for entry in parsed.entries:
        own_id = entry.get("id") or entry.get("link") or entry.get("title") or ""
        title, summary = (entry.get("title") or "").strip(), (entry.get("summary") or "").strip()
        author = (entry.get("author") or "").strip()
        posts.append(
            {
                "id": "rss:" + hashlib.sha256(f"{identity}\x1f{own_id}".encode()).hexdigest()[:24],
                "text": "\n\n".join(part for part in (title, summary) if part) or None,
                "created_at": _time(entry),
                "author_id": f"rss:{host}:{author}" if author else f"rss:{host}",
                "handle": author or host,
                "topic": topic,
                "lang": language.split("-")[0].lower() if isinstance(language, str) and language else None,
                "media": _entry_images(entry),
            }
        )
    return posts


def _entry_images(entry: Any) -> list[dict[str, Any]] | None:
    """An entry's images: its image enclosures and Media RSS image contents, by URL."""
    urls = [e.get("href") for e in entry.get("enclosures", []) if str(e.get("type", "")).startswith("image/")]
    urls += [
        m.get("url")
        for m in entry.get("media_content", [])
        if m.get("medium") == "image" or str(m.get("type", "")).startswith("image/")
    ]
    images = [{"media_key": None, "type": "photo", "path": url, "alt_text": ""} for url in dict.fromkeys(urls) if url]
    return images or None


def land_feeds_hour(
    storage: LakeStore, hour: datetime, client: HttpClient, feeds: Sequence[Feed], max_bytes: int = MAX_FEED_BYTES
) -> dict[str, Any]:
    """Read every feed and land its entries published in ``hour``; a feed that fails is listed in
    ``failed_feeds`` with the reason, the others still land."""
    from sentiment_platform.sources.archives.archive_landing import ImportReport, land_batch
    from sentiment_platform.sources.archives.field_mapping import ImportOptions
    from sentiment_platform.sources.archives.formats import fields_frame
    from sentiment_platform.sources.live.live_landing import pull_totals

    end = hour + timedelta(hours=1)
    counts: dict[str, Any] = {"feeds": len(feeds), "entries": 0, "outside_hour": 0, "failed_feeds": []}
    report = ImportReport()
    for feed in feeds:
        try:
            answer = client.get(feed.url, HttpLimits(max_bytes=max_bytes))
            if answer.status != 200:
                raise FeedError(f"status_{answer.status}")
            posts = feed_posts(answer.body, feed.url, feed.topic, max_bytes)
        except (OutboundError, FeedError) as error:
            counts["failed_feeds"].append(f"{feed.url}: {getattr(error, 'reason', None) or error}")
            continue
        counts["entries"] += len(posts)
        # An entry with no date cannot be placed in an hour: the landing refuses it, with the reason.
        in_hour = [
            post for post in posts if not post["created_at"] or hour <= datetime.fromisoformat(post["created_at"]) < end
        ]
        counts["outside_hour"] += len(posts) - len(in_hour)
        fields = with_downloaded_media(storage, client, fields_frame(in_hour), counts)
        land_batch(storage, fields, ImportOptions(source="rss"), f"feed-{feed.topic}", report)
    return pull_totals(counts, report)
