"""Mastodon, pulled: the hashtag timelines of configured instances, an hour at a time.

Mastodon's ids are time-ordered (milliseconds since the epoch, shifted 16 bits), so the statuses
of an hour are asked for from the id of its first millisecond (``min_id``) and paged on with the
highest id seen, until a page reaches past the hour or comes back empty. A status is parsed by the
same converter as ``import --format mastodon``; the tag's topic is its topic; a status seen under
two tags (or instances) lands once. A rate limit (429) or an answer of the wrong shape ends that
timeline, is listed in the metadata, and the other timelines still land.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sentiment_platform.sources.http_client import HttpClient, HttpLimits, OutboundError
from sentiment_platform.sources.live.json_pages import PullError, json_page

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

#: Statuses per page (Mastodon's maximum for timelines).
PAGE_SIZE = 40
PAGE_LIMITS = HttpLimits(max_bytes=4 * 1024 * 1024)


def hour_min_id(hour: datetime) -> str:
    """The lowest status id of ``hour``: its first millisecond, as Mastodon builds ids."""
    return str(int(hour.timestamp() * 1000) << 16)


def _created(status: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(str(status.get("created_at")).replace("Z", "+00:00"))
    except ValueError:
        return None


def hour_of_timeline(client: HttpClient, url: str, hour: datetime, budget: list[int]) -> list[dict]:
    """The statuses of one timeline created in ``hour``, paging with ``min_id``; ``budget`` holds
    the requests left (shared by every timeline of the pull)."""
    end, min_id, found = hour + timedelta(hours=1), hour_min_id(hour), {}
    while budget[0] > 0:
        budget[0] -= 1
        page = json_page(client, url, PAGE_LIMITS, {"min_id": min_id, "limit": PAGE_SIZE})
        if not isinstance(page, list) or not all(isinstance(s, dict) and str(s.get("id", "")).isdigit() for s in page):
            raise PullError("page_of_wrong_shape")
        if not page:
            return list(found.values())
        for status in page:
            created = _created(status)
            if created is not None and hour <= created < end:
                found[status["id"]] = status
        min_id = max(page, key=lambda status: int(status["id"]))["id"]
        if any((_created(status) or hour) >= end for status in page):
            return list(found.values())
    raise PullError("request_budget_spent")


def land_mastodon_hour(
    storage: LakeStore,
    hour: datetime,
    client: HttpClient,
    instances: Sequence[str],
    hashtags: Mapping[str, Sequence[str]],
    max_requests: int = 200,
) -> dict[str, Any]:
    """Land ``hour`` of each instance's timeline of each topic's hashtags (``{topic: [tag, ...]}``)."""
    from sentiment_platform.sources.archives.archive_landing import ImportReport
    from sentiment_platform.sources.live.live_landing import land_pulled, pull_totals

    counts: dict[str, Any] = {"timelines": 0, "statuses": 0, "failed_timelines": []}
    budget, seen, report = [max_requests], set(), ImportReport()
    for topic, tags in hashtags.items():
        statuses = []
        for instance in instances:
            for tag in tags:
                url = f"{instance.rstrip('/')}/api/v1/timelines/tag/{quote(tag.lstrip('#'), safe='')}"
                counts["timelines"] += 1
                try:
                    statuses += hour_of_timeline(client, url, hour, budget)
                except (PullError, OutboundError) as error:
                    counts["failed_timelines"].append(
                        f"{instance} #{tag.lstrip('#')}: {getattr(error, 'reason', error)}"
                    )
        unique = {status.get("uri") or status["id"]: status for status in statuses}
        fresh = [status for key, status in unique.items() if key not in seen]
        seen.update(unique)
        counts["statuses"] += len(fresh)
        land_pulled(storage, client, "mastodon", topic, fresh, report, counts)
    return pull_totals(counts, report) | {"requests": max_requests - budget[0]}
