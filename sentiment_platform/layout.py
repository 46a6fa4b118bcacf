"""Where each zone of the lake keeps its objects (keys relative to the lake root).

landing     JSON lines and image bytes exactly as received
cleansed    Parquet, schema enforced, deduplicated
analytics   Parquet, enriched and scored
quarantine  rejected records and files, each with its reason
"""

from __future__ import annotations

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


def cleansed_key(dataset: str, hour: datetime) -> str:
    """The single Parquet file holding one hour of a cleansed dataset."""
    return f"cleansed/{dataset}/{_hive(hour)}/part-0.parquet"


def analytics_key(dataset: str, hour: datetime) -> str:
    """The single Parquet file holding one hour of an analytics dataset."""
    return f"analytics/{dataset}/{_hive(hour)}/part-0.parquet"


def quarantine_prefix(dataset: str, hour: datetime) -> str:
    """Folder of the records or files of ``dataset`` rejected for ``hour``."""
    return f"quarantine/{dataset}/{_hive(hour)}/"
