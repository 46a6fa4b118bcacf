"""Downloading the images a source's posts reference into the landing zone, under names made of
their content, through the hardened client (no credentials, a size cap, a total deadline)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sentiment_platform.lib.cleansing.image_validation import ImageRules
from sentiment_platform.lib.lake_layout import landing_image_key
from sentiment_platform.sources.http_client import HttpClient, HttpLimits, OutboundError

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

#: What one image may cost: no more than raw_images would accept.
MEDIA_LIMITS = HttpLimits(max_bytes=ImageRules().max_bytes, deadline_s=30.0)


def image_extension(data: bytes) -> str:
    """The extension of an image by its first bytes (raw_images checks what it really is)."""
    if data.startswith(b"\x89PNG"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "jpg"


def download_images(
    storage: LakeStore, client: HttpClient, urls: Iterable[str], limits: HttpLimits = MEDIA_LIMITS
) -> tuple[dict[str, str], Counter[str], int]:
    """Each URL downloaded once: ``{url: landing key}`` of those that came, the reasons of those that
    did not (a URL that is not http(s) is never opened), and how many files were new. A post whose
    image did not come keeps its URL, which ``raw_images`` quarantines with the reason."""
    landed: dict[str, str] = {}
    failed: Counter[str] = Counter()
    new = 0
    for url in dict.fromkeys(urls):
        try:
            answer = client.get(url, limits)
            if answer.status != 200:
                raise OutboundError(f"http_{answer.status}", "the media URL did not answer 200")
        except OutboundError as error:
            failed[error.reason] += 1
            continue
        key = landing_image_key(hashlib.sha256(answer.body).hexdigest(), image_extension(answer.body))
        if not storage.exists(key):
            storage.write_bytes(key, answer.body)
            new += 1
        landed[url] = key
    return landed, failed, new


def with_downloaded_media(storage: LakeStore, client: HttpClient, fields: Any, counts: dict[str, Any]) -> Any:
    """A batch of post fields whose images are downloaded into the landing zone, each ``path``
    now its landing key (one that did not come keeps its URL); the images landed and the reasons
    of those that did not are added to ``counts`` (``images``, ``media_failed``)."""
    import polars as pl

    from sentiment_platform.sources.archives.field_mapping import MEDIA, MEDIA_TYPE

    if MEDIA not in fields.columns or fields[MEDIA].is_null().all():
        return fields
    media = fields[MEDIA].to_list()
    urls = [image["path"] for images in media if images for image in images if image.get("path")]
    landed, failed, new = download_images(storage, client, urls)
    counts["images"] = counts.get("images", 0) + new
    counts.setdefault("media_failed", Counter()).update(failed)
    moved = [
        [{**image, "path": landed.get(image["path"], image["path"])} for image in images] if images else None
        for images in media
    ]
    return fields.with_columns(pl.Series(MEDIA, moved, MEDIA_TYPE))
