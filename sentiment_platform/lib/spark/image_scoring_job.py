"""``image_sentiment`` on Spark: image files read, validated, scored and read for text in tasks.

The driver hands out only the image keys; each Python worker opens the lake and loads the image
model and the text reader once (a ``ModelLoad`` keeps them per process, and Spark reuses its
workers), then scores whole Arrow batches of images with the same function as the single-machine
path, so both give the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from sentiment_platform.lib.scoring.images.image_models import ImageModel
from sentiment_platform.lib.scoring.images.image_scoring import IMAGE_SCORE_SCHEMA, score_image_files
from sentiment_platform.lib.scoring.images.image_text import ImageTextReader
from sentiment_platform.lib.spark.lake_io import spark_schema, to_arrow, to_polars

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

_POLARS_TO_ARROW = {pl.String: pa.string(), pl.Float32: pa.float32()}
SCORED_IMAGE_ARROW = pa.schema(
    [("row", pa.int64())] + [(name, _POLARS_TO_ARROW[dtype]) for name, dtype in IMAGE_SCORE_SCHEMA.items()]
)
#: Images a task reads and scores at once (bounds a worker's memory of files and decoded images).
BATCH_IMAGES = 64


def _score_batches(
    storage_variant: type,
    storage_settings: dict[str, Any],
    load_model: Callable[[], ImageModel],
    load_reader: Callable[[], ImageTextReader] | None,
):
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        lake = storage_variant(**storage_settings)
        model, reader = load_model(), load_reader() if load_reader else None  # once per Python worker
        for batch in batches:
            keys, rows = batch["image_key"].tolist(), batch["row"].tolist()
            for start in range(0, len(keys), BATCH_IMAGES):
                files = lake.read_files(keys[start : start + BATCH_IMAGES])
                frame = score_image_files(files, model, reader).with_columns(
                    pl.Series("row", rows[start : start + BATCH_IMAGES], pl.Int64)
                )
                yield to_arrow(frame, SCORED_IMAGE_ARROW).to_pandas()

    return run


def score_images_spark(
    spark: Any,
    storage: LakeStore,
    image_keys: Sequence[str],
    load_model: Callable[[], ImageModel],
    load_reader: Callable[[], ImageTextReader] | None,
) -> pl.DataFrame:
    """The rows :func:`score_image_files` gives for the files at ``image_keys``, in that order,
    computed by Spark tasks (``load_model`` and ``load_reader``, picklable, load the driver's
    model and text reader there; no reader reads no text)."""
    if not image_keys:
        return pl.DataFrame(schema=IMAGE_SCORE_SCHEMA)
    parallelism = spark.sparkContext.defaultParallelism
    listing = spark.sparkContext.parallelize(
        list(enumerate(image_keys)), numSlices=max(1, min(len(image_keys), parallelism))
    ).toDF("row long, image_key string")
    scored = listing.mapInPandas(
        _score_batches(type(storage), storage.settings(), load_model, load_reader), spark_schema(SCORED_IMAGE_ARROW)
    )
    frame = to_polars(scored.toArrow(), {"row": pl.Int64, **IMAGE_SCORE_SCHEMA})
    return frame.sort("row").drop("row")
