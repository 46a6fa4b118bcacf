"""What runs over a range of hours share: sizing a run's input, the metadata of the engine
choice, the run's hours and each hour's own metadata."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sentiment_platform.partitions import hour_partition_key
from sentiment_platform.resources.lake_storage import LakeObject, LakeStorage
from sentiment_platform.resources.spark_engine import EngineChoice, SparkEngine


def existing_objects(storage: LakeStorage, keys: Mapping[datetime, str]) -> dict[datetime, list[LakeObject]]:
    """Per hour, the one object at its key (with its size), or nothing when it does not exist."""
    found: dict[datetime, list[LakeObject]] = {}
    for hour, key in keys.items():
        folder = key.rsplit("/", 1)[0] + "/"
        found[hour] = [obj for obj in storage.iter_objects(folder) if obj.key == key]
    return found


def input_bytes(objects: Mapping[datetime, Sequence[LakeObject]]) -> int:
    return sum(obj.size for objs in objects.values() for obj in objs)


def parquet_input_rows(storage: LakeStorage, objects: Mapping[datetime, Sequence[LakeObject]]) -> int:
    """Rows of a run's Parquet inputs, from their footers."""
    return sum(storage.parquet_rows(obj.key) for objs in objects.values() for obj in objs)


def hours_metadata(hours: Sequence[datetime]) -> dict[str, Any]:
    """The hours a run covered (one for a normal run, a range for a single-run backfill)."""
    return {"hours": len(hours), "first_hour": hours[0].isoformat(), "last_hour": hours[-1].isoformat()}


def engine_metadata(choice: EngineChoice, spark: SparkEngine, hours: Sequence[datetime]) -> dict[str, Any]:
    """Which engine ran, why, over how many hours (and, on Spark, the application that did it)."""
    metadata: dict[str, Any] = {"engine": choice.engine, "engine_reason": choice.reason, **hours_metadata(hours)}
    if choice.engine == "spark":
        context = spark.spark_session.sparkContext
        metadata.update({"spark_master": context.master, "spark_application_id": context.applicationId})
    return metadata


def stamp_partitions(
    context: Any, per_hour: Mapping[datetime, Mapping[str, Any]], asset_key: str | None = None
) -> None:
    """Give each hour of the run its own figures as its partition's metadata (of ``asset_key`` in
    a multi-asset). (Metadata returned with the result goes on every partition of a multi-hour run
    alike, so run-wide facts go there and counts come here.)"""
    for hour, metadata in per_hour.items():
        context.add_asset_metadata(dict(metadata), asset_key=asset_key, partition_key=hour_partition_key(hour))
