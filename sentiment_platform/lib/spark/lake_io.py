"""Reading lake objects inside Spark tasks, and moving frames between Arrow, Polars and Spark.

Objects are read by the tasks themselves through ``LakeStore`` (local disk or S3 with boto3), not
through the driver; the driver only hands out the list of keys. On a cluster the executors need the
package and the same ``SENTIMENT_*``/AWS environment as the driver.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

#: Bytes of input one Spark task reads and processes at a time.
CHUNK_BYTES = 64 * 1024 * 1024

LakeReader = Callable[["LakeStore", list[tuple[str, datetime]]], pl.DataFrame]


def to_arrow(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """``frame`` as an Arrow table with exactly ``schema`` (Spark wants plain, not large, types)."""
    return frame.select(schema.names).to_arrow().cast(schema)


def to_polars(table: pa.Table, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A table collected from Spark as a Polars frame with ``schema`` (UTC timestamps)."""
    return (
        pl.from_arrow(table).select(
            pl.col(name).dt.convert_time_zone("UTC").cast(dtype)
            if isinstance(dtype, pl.Datetime)
            else pl.col(name).cast(dtype)
            for name, dtype in schema.items()
        )
        if table.num_rows
        else pl.DataFrame(schema=schema)
    )


def spark_schema(schema: pa.Schema) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def map_lake_objects(
    spark: Any, storage: LakeStore, objects: Sequence[tuple[str, datetime, int]], read: LakeReader, schema: pa.Schema
) -> Any:
    """A Spark DataFrame of ``read(storage, [(key, hour), ...])`` run by the tasks over ``objects``.

    ``objects`` are ``(key, hour, size)``; they are spread over about one task per
    :data:`CHUNK_BYTES` of input (at least one per core), and each task calls ``read`` on runs of
    its objects of up to that size, so memory stays bounded however big the input is.
    """
    # What a task needs to open the same lake (no credentials: those come from the environment).
    variant, settings = type(storage), storage.settings()
    total = sum(size for _, _, size in objects)
    parallelism = spark.sparkContext.defaultParallelism
    slices = max(1, min(len(objects), max(parallelism, math.ceil(total / CHUNK_BYTES))))
    listing = spark.sparkContext.parallelize(
        [(key, hour, size) for key, hour, size in sorted(objects)], numSlices=slices
    ).toDF("key string, hour timestamp, size long")

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        lake = variant(**settings)
        chunk: list[tuple[str, datetime]] = []
        chunk_bytes = 0
        for batch in batches:
            for key, hour, size in zip(*(batch.column(name).to_pylist() for name in ("key", "hour", "size"))):
                chunk.append((key, hour))
                chunk_bytes += size
                if chunk_bytes >= CHUNK_BYTES:
                    yield from to_arrow(read(lake, chunk), schema).to_batches()
                    chunk, chunk_bytes = [], 0
        if chunk:
            yield from to_arrow(read(lake, chunk), schema).to_batches()

    return listing.mapInArrow(run, spark_schema(schema))
