"""Landing what a live source received: the network's own records, parsed by the same converter
as ``import --format <source>``, given their topic by the rules, landed per hour under names
derived from their content (the import's landing: a batch landed twice changes nothing)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl

from sentiment_platform.sources.archives.archive_landing import ImportReport, land_batch
from sentiment_platform.sources.archives.field_mapping import REASON, ImportOptions
from sentiment_platform.sources.archives.formats import NativeFormat
from sentiment_platform.sources.http_client import HttpClient
from sentiment_platform.sources.live.topic_rules import TopicRules
from sentiment_platform.sources.media_downloads import with_downloaded_media

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

#: Refusals that are a network's normal traffic (a deletion, a like, an identity event), counted
#: but not quarantined: they are not broken posts.
NOT_A_POST = "not_a_post"


@dataclass
class LiveBatch:
    """The raw records a live source received since its last batch, with each one's position in
    the network's stream (Jetstream's ``time_us``, a timeline's id), in arrival order."""

    source: str
    texts: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)

    def add(self, text: str, position: int) -> None:
        self.texts.append(text)
        self.positions.append(position)

    @property
    def last_position(self) -> int | None:
        return max(self.positions) if self.positions else None


@dataclass
class LandedBatch:
    """How many posts of a batch landed, and the rest by reason."""

    landed: int
    skipped: Counter[str]


def land_live_batch(
    storage: LakeStore, batch: LiveBatch, rules: TopicRules, client: HttpClient | None = None
) -> LandedBatch:
    """Land ``batch``'s posts that a topic rule keeps, with their images (downloaded through
    ``client``; without one they keep their URLs); count the rest by reason."""
    fields = NativeFormat(batch.source).fields_of(batch.texts)
    skipped: Counter[str] = Counter()
    if fields.is_empty():
        return LandedBatch(0, skipped)
    normal = fields[REASON].fill_null("").str.starts_with(NOT_A_POST)
    skipped.update(reason.split(" ", 1)[0] for reason in fields.filter(normal)[REASON].to_list())
    fields = fields.filter(~normal)
    # A rule's topic first; else the network's own (a subreddit), if it gives one.
    topics = pl.Series("topic", [rules.topic_of(text) for text in fields["text"].to_list()], pl.String)
    fields = fields.with_columns(topics.fill_null(fields["topic"]) if "topic" in fields.columns else topics)
    off_topic = fields["topic"].is_null() & fields[REASON].is_null()
    skipped["off_topic"] += int(off_topic.sum())
    report, kept = ImportReport(), fields.filter(~off_topic)
    if client is not None:
        media: dict = {}
        kept = with_downloaded_media(storage, client, kept, media)
        skipped.update({f"media_failed:{reason}": count for reason, count in media.get("media_failed", {}).items()})
    land_batch(storage, kept, ImportOptions(source=batch.source), f"live-{batch.source}", report)
    skipped.update({f"refused:{reason}": count for reason, count in report.refused.items()})
    return LandedBatch(report.landed, skipped)


def land_pulled(
    storage: LakeStore,
    client: HttpClient,
    source: str,
    topic: str,
    records: list[dict],
    report: ImportReport,
    counts: dict[str, Any],
) -> None:
    """Land what an hourly pull of ``source`` found for ``topic`` (the network's own JSON
    objects): parsed by the import's converter, given the pull's topic, their images downloaded
    through ``client`` (counted in ``counts``), landed per hour (counted in ``report``)."""
    fields = NativeFormat(source).fields_of([orjson.dumps(record).decode() for record in records])
    fields = with_downloaded_media(storage, client, fields.with_columns(pl.lit(topic).alias("topic")), counts)
    land_batch(storage, fields, ImportOptions(source=source), f"{source}-{topic}", report)


def pull_totals(counts: dict[str, Any], report: ImportReport) -> dict[str, Any]:
    """``counts`` with what the pull landed and refused, as the run's ``pulled`` metadata."""
    counts.update(posts=report.landed, refused=dict(report.refused))
    counts["media_failed"] = dict(counts.get("media_failed", {}))
    return counts
