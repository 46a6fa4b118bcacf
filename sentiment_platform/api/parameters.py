"""The API's query and path parameters, their checks, and the paging fields of its answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import HTTPException, Query
from pydantic import AfterValidator

from sentiment_platform.api.errors import utc_in_range
from sentiment_platform.lib.cleansing.text_features import LANGUAGE_TAG, MAX_TERM_CHARS

WINDOWS = {"15m": "15 minutes", "1h": "1 hour", "1d": "1 day"}
MAX_RANGE = timedelta(days=92)
#: The range `/trends` covers when the request gives no `start` or `end`.
DEFAULT_RANGE = timedelta(hours=24)
IDENTIFIER = r"^[A-Za-z0-9_\-:.]{1,64}$"
#: A landed image's file name: its SHA-256 and extension (see ``landing_image_key``).
IMAGE_NAME = r"^[0-9a-f]{64}\.(jpg|jpeg|png|gif|webp)$"
Start = Annotated[datetime, Query(description="Window start, ISO 8601 (UTC if no offset).")]
End = Annotated[datetime, Query(description="Window end (exclusive), ISO 8601.")]
Limit = Annotated[int, Query(ge=1, le=5000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def _lowered(value: str | None) -> str | None:
    """A topic as the pipeline keeps it: in lower case."""
    return value.lower() if value is not None else None


def _hashtag(value: str | None) -> str | None:
    """A hashtag as the pipeline keeps it: in lower case, without its ``#``."""
    if value is None:
        return None
    tag = value.removeprefix("#").lower()
    if not 1 <= len(tag) <= MAX_TERM_CHARS:
        raise ValueError(f"a hashtag has 1 to {MAX_TERM_CHARS} characters after its #")
    return tag


Topic = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_TERM_CHARS,
        description=f"One topic, as `/topics` lists it (any Unicode text up to {MAX_TERM_CHARS} characters, "
        "compared in lower case); all topics if absent.",
    ),
    AfterValidator(_lowered),
]
Hashtag = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_TERM_CHARS + 1,
        description=f"Only posts with this hashtag (with or without `#`, up to {MAX_TERM_CHARS} characters).",
    ),
    AfterValidator(_hashtag),
]
Language = Annotated[
    str | None,
    Query(
        pattern=LANGUAGE_TAG,
        max_length=35,
        description="One language (a BCP 47 tag in lower case, `und` if unknown); all if absent.",
    ),
]


def checked_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """``start`` and ``end`` in UTC, or a 422 when the range is empty or longer than ``MAX_RANGE``."""
    start, end = utc_in_range(start, "start"), utc_in_range(end, "end")
    if end <= start:
        raise HTTPException(422, "end must be after start")
    if end - start > MAX_RANGE:
        raise HTTPException(422, f"the range may span at most {MAX_RANGE.days} days")
    return start, end


def paging(limit: int, offset: int, count: int, total: int) -> dict[str, Any]:
    """The paging fields of an answer that holds ``count`` of ``total`` rows from ``offset``."""
    following = offset + count
    return {
        "limit": limit,
        "offset": offset,
        "count": count,
        "total": total,
        "next_offset": following if following < total else None,
    }


def page(rows: list[dict[str, Any]], limit: int, offset: int, first: Callable[[], list[dict[str, Any]]]) -> dict:
    """Paging fields from rows that carry the match count in ``total_rows`` (dropped from each);
    ``first`` fetches the first row when this page is past the end (to count the matches)."""
    if not rows and offset:
        found = first()
        total = found[0]["total_rows"] if found else 0
    else:
        total = rows[0]["total_rows"] if rows else 0
    for row in rows:
        del row["total_rows"]
    return paging(limit, offset, len(rows), total)
