"""Where each zone of the lake keeps its objects (keys relative to the lake root).

landing     JSON lines and image bytes exactly as received
cleansed    Parquet, schema enforced, deduplicated
analytics   Parquet, enriched and scored
quarantine  rejected records and files, each with its reason
models      trained model artifacts, content-addressed, and which one is current
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

LANDING_DATASETS = ("posts", "users", "interactions")


def landing_prefix(dataset: str, hour: datetime) -> str:
    """Prefix of the landing batches of ``dataset`` that belong to ``hour``."""
    return f"landing/{dataset}/{hour:%Y/%m/%d/%H}/"


def landing_image_key(sha256: str, extension: str) -> str:
    """Content-addressed key of a landed image, so re-landing the same bytes is a no-op."""
    return f"landing/images/{sha256}.{extension}"


def _hive(hour: datetime) -> str:
    return f"dt={hour:%Y-%m-%d}/hour={hour:%H}"


#: Zone and folder of each hourly dataset in the lake, by the asset that writes it.
DATASETS = {
    "cleaned_posts": ("cleansed", "posts"),
    "cleaned_users": ("cleansed", "users"),
    "cleaned_interactions": ("cleansed", "interactions"),
    "raw_images": ("cleansed", "images"),  # the manifest of the hour's validated images
    "post_sentiment": ("analytics", "post_sentiment"),
    "image_sentiment": ("analytics", "image_sentiment"),
    "enriched_posts": ("analytics", "enriched_posts"),
}


def dataset_key(asset: str, hour: datetime) -> str:
    """The single Parquet object holding one hour of the dataset that ``asset`` writes."""
    zone, folder = DATASETS[asset]
    return f"{zone}/{folder}/{_hive(hour)}/part-0.parquet"


def model_artifact_key(model: str, digest: str, suffix: str) -> str:
    """Content-addressed key of one trained artifact of ``model`` (the asset that trains it)."""
    return f"models/{model}/{digest}{suffix}"


def current_model_key(model: str) -> str:
    """The pointer to the artifact of ``model`` that scorers load."""
    return f"models/{model}/current.json"


def quarantine_prefix(dataset: str, hour: datetime) -> str:
    """Folder of the records or files of ``dataset`` rejected for ``hour``."""
    return f"quarantine/{dataset}/{_hive(hour)}/"


@dataclass(frozen=True)
class LakeObject:
    """An object found by a listing: its key under the lake root, size, last modification, and a
    ``version`` that changes whenever its content may have (the S3 ETag; size, mtime and ctime on
    disk), so a rewrite is told apart from the object seen before even when its time goes back."""

    key: str
    size: int
    last_modified: datetime
    version: str = ""


class InvalidLakeKey(ValueError):
    """A key that does not name an object inside the lake root (``..``, absolute, NUL, too long,
    a symlink out of the lake, a directory): it is refused before anything is opened."""


#: Longest key S3 accepts, and longest name of one path segment on common filesystems (bytes).
MAX_KEY_BYTES, MAX_SEGMENT_BYTES = 1024, 255


def check_key(key: object) -> str:
    """``key`` if it is a well-formed relative key (no empty, ``.`` or ``..`` segment, no NUL or
    backslash, within the length limits); raises :class:`InvalidLakeKey` otherwise."""
    if not isinstance(key, str) or not key:
        raise InvalidLakeKey(f"not a key: {key!r}")
    if "\0" in key or "\\" in key:
        raise InvalidLakeKey(f"key has a NUL or backslash: {key!r}")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise InvalidLakeKey(f"key longer than {MAX_KEY_BYTES} bytes: {key[:80]!r}...")
    segments = key.split("/")
    if segments[-1] == "":  # a prefix: its segments are checked like an object's
        segments.pop()
    for segment in segments:
        if segment in ("", ".", ".."):
            raise InvalidLakeKey(f"key leaves its folder or is not normalised: {key!r}")
        if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
            raise InvalidLakeKey(f"key segment longer than {MAX_SEGMENT_BYTES} bytes: {key[:80]!r}")
    return key
