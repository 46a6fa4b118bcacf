"""One way to write an hourly, lake-backed asset that may run on Spark.

``hourly_asset`` declares it (hourly partitions, one run per backfill, following upstream);
:class:`HourlyRun` is what its body works with: the run's hours, its inputs, the engine choice,
the write of each hour's frame and each hour's own metadata. An asset's module then says what it
reads, computes and writes; the loop over hours, the engine choice, the atomic write and the
per-partition metadata are written here once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from dagster import AssetExecutionContext, MetadataValue, asset

from sentiment_platform.defs.automation import FOLLOW_UPSTREAM
from sentiment_platform.lib.lake_layout import LakeObject, dataset_key
from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.partitions import hour_partition_key, hourly_partitions, run_hours, single_run
from sentiment_platform.resources.spark_engine import EngineChoice, SparkEngine


def hourly_asset(**kwargs: Any) -> Callable:
    """``@asset`` with the hourly defaults: hourly partitions, a backfill as one run over its
    hours, materialized when its upstream is (each may be overridden)."""
    defaults = {
        "partitions_def": hourly_partitions,
        "backfill_policy": single_run,
        "automation_condition": FOLLOW_UPSTREAM,
    }
    return asset(**{**defaults, **kwargs})


@dataclass
class HourlyRun:
    """The hours one run covers (one for a normal run, a range for a single-run backfill) and what
    the run does with the lake over them."""

    context: AssetExecutionContext
    storage: LakeStore
    hours: list[datetime]

    @classmethod
    def of(cls, context: AssetExecutionContext, storage: LakeStore) -> HourlyRun:
        return cls(context, storage, run_hours(context))

    @property
    def start(self) -> datetime:
        return self.hours[0]

    @property
    def end(self) -> datetime:
        """The end (exclusive) of the run's last hour."""
        return self.hours[-1] + timedelta(hours=1)

    def inputs(self, dataset: str, required: bool = True) -> dict[datetime, list[LakeObject]]:
        """Per hour, the one object of ``dataset`` (with its size), or nothing where it does not
        exist; with ``required``, a missing hour is an error that names the asset to run first."""
        found: dict[datetime, list[LakeObject]] = {}
        for hour in self.hours:
            key = dataset_key(dataset, hour)
            found[hour] = [obj for obj in self.storage.iter_objects(key.rsplit("/", 1)[0] + "/") if obj.key == key]
            if required and not found[hour]:
                raise FileNotFoundError(f"no {dataset} for {hour:%Y-%m-%d %H:00}; materialize {dataset} first")
        return found

    def choose_engine(
        self, spark: SparkEngine, inputs: Mapping[datetime, Iterable[LakeObject]] | None = None, **size: int
    ) -> EngineChoice:
        """Polars or Spark for this run, by the size of ``inputs`` (Parquet rows from the footers,
        bytes) or the ``rows``/``size_bytes`` given; the choice and its reason are logged."""
        if inputs is not None:
            objects = [obj for objs in inputs.values() for obj in objs]
            size = {"size_bytes": sum(obj.size for obj in objects)}
            if all(obj.key.endswith(".parquet") for obj in objects):
                size["rows"] = sum(self.storage.parquet_rows(obj.key) for obj in objects)
        choice = spark.choose(**size)
        self.context.log.info(f"{self.context.asset_key.to_user_string()} on {choice.engine}: {choice.reason}")
        return choice

    def metadata(self, choice: EngineChoice | None = None, spark: SparkEngine | None = None) -> dict[str, Any]:
        """The run-wide metadata: the hours covered and, given a choice, which engine ran and why (on
        Spark, the application that did it)."""
        metadata: dict[str, Any] = {
            "hours": len(self.hours),
            "first_hour": self.hours[0].isoformat(),
            "last_hour": self.hours[-1].isoformat(),
        }
        if choice is not None:
            metadata = {"engine": choice.engine, "engine_reason": choice.reason, **metadata}
            if choice.engine == "spark" and spark is not None:
                context = spark.spark_session.sparkContext
                metadata.update({"spark_master": context.master, "spark_application_id": context.applicationId})
        return metadata

    def stamp(self, per_hour: Mapping[datetime, Mapping[str, Any]], asset_key: str | None = None) -> None:
        """Give each hour its own figures as its partition's metadata (of ``asset_key`` in a
        multi-asset). Metadata returned with the result goes on every partition of a multi-hour run
        alike, so run-wide facts go there and counts come here."""
        for hour, metadata in per_hour.items():
            self.context.add_asset_metadata(dict(metadata), asset_key=asset_key, partition_key=hour_partition_key(hour))

    def write(
        self,
        dataset: str,
        frames: Mapping[datetime, pl.DataFrame],
        figures: Callable[[pl.DataFrame], Mapping[str, Any]] = lambda frame: {},
    ) -> None:
        """Replace each hour of ``dataset`` in the lake with its frame (atomically), and stamp the
        hour with its row count, its path and ``figures`` of its frame."""
        for hour, frame in frames.items():
            key = dataset_key(dataset, hour)
            self.storage.write_parquet(key, frame)
            self.stamp(
                {
                    hour: {
                        **figures(frame),
                        "dagster/row_count": frame.height,
                        "path": MetadataValue.path(self.storage.uri(key)),
                    }
                }
            )

    def rows_by_hour(self, frame: pl.DataFrame, column: str) -> dict[datetime, pl.DataFrame]:
        """``frame``'s rows per hour of the run, by the hour ``column`` falls in (empty hours included)."""
        return {
            hour: frame.filter(pl.col(column).is_between(hour, hour + timedelta(hours=1), closed="left"))
            for hour in self.hours
        }

    def stamp_rows(
        self, frame: pl.DataFrame, column: str, figures: Callable[[pl.DataFrame], Mapping[str, Any]] = lambda rows: {}
    ) -> None:
        """Stamp each hour with the row count (and ``figures``) of its rows of a warehouse table."""
        self.stamp(
            {
                hour: {"dagster/row_count": rows.height, **figures(rows)}
                for hour, rows in self.rows_by_hour(frame, column).items()
            }
        )
