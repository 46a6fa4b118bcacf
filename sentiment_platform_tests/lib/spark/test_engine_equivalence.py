"""Both engines on the same input give the same rows; the threshold and the single-run backfill
move work to Spark without any change to the asset graph (real Spark, local mode)."""

import shutil
from datetime import timedelta

import orjson
import polars as pl
import pytest
from dagster import materialize

from sentiment_platform.defs.cleansing.cleansed_data import cleaned_posts
from sentiment_platform.defs.ingestion.raw_data import landed_batches, raw_images, read_landing
from sentiment_platform.defs.sentiment.scored_posts import image_sentiment, post_sentiment
from sentiment_platform.defs.trends.trend_tables import language_trends_15m, sentiment_trends_15m
from sentiment_platform.lib.cleansing.cleaning import clean_posts
from sentiment_platform.lib.lake_layout import (
    dataset_key,
    landing_prefix,
    quarantine_prefix,
)
from sentiment_platform.lib.lake_store import LakeStore, LocalLakeStore
from sentiment_platform.partitions import hour_partition_key, partition_hour
from sentiment_platform.resources.notifiers import LogNotifier
from sentiment_platform.resources.post_sources import MockNetworkSource
from sentiment_platform.resources.scorers import ImageScorer, TextScorer
from sentiment_platform.resources.spark_engine import SparkEngine
from sentiment_platform.resources.warehouse import Warehouse
from sentiment_platform_tests.conftest import HOUR, HOURS, PARTITION

pytestmark = pytest.mark.integration

LOCAL = SparkEngine(engine="local")
SPARK = SparkEngine(engine="spark", master="local[2]")
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def run(assets, resources, partition_key=None, tags=None) -> dict:
    result = materialize(assets, partition_key=partition_key, tags=tags, resources=resources)
    assert result.success
    [event] = [
        e
        for e in result.get_asset_materialization_events()
        if e.step_materialization_data.materialization.asset_key.to_user_string() == assets[-1].key.to_user_string()
    ][:1]
    return {k: v.value for k, v in event.step_materialization_data.materialization.metadata.items()}


def land_hour_with_edge_cases(storage: LakeStore, partition_key: str = PARTITION, posts_per_hour: int = 400) -> None:
    """The mock hour (with its malformed records) plus a batch of exact and conflicting duplicates."""
    assert materialize(
        [landed_batches],
        partition_key=partition_key,
        resources={"storage": storage, "source": MockNetworkSource(posts_per_hour=posts_per_hour)},
    ).success
    prefix = landing_prefix("posts", HOUR)
    kept = clean_posts(read_landing(storage, "posts", partition_hour(partition_key))).cleaned.row(0, named=True)
    lines = storage.read_bytes(kept["source_file"]).splitlines()
    original = orjson.loads(lines[kept["line_no"] - 1])
    conflicting = {**original, "text": original["text"] + " (edited)"}
    wrong_type = {**original, "id": "x1", "text": 5}
    extra = b"\n".join([lines[kept["line_no"] - 1], orjson.dumps(conflicting), orjson.dumps(wrong_type), b"not json"])
    storage.write_bytes(prefix + "zz-replays.jsonl", extra + b"\n")


def cleansed_outputs(storage: LakeStore) -> tuple[pl.DataFrame, bytes]:
    return (
        storage.read_parquet(dataset_key("cleaned_posts", HOUR)),
        storage.read_bytes(quarantine_prefix("posts", HOUR) + "rejected.jsonl"),
    )


def test_cleaned_posts_are_the_same_rows_on_both_engines(lake):
    land_hour_with_edge_cases(lake)
    local = run([cleaned_posts], {"storage": lake, "spark": LOCAL}, PARTITION)
    local_rows, local_rejects = cleansed_outputs(lake)
    spark = run([cleaned_posts], {"storage": lake, "spark": SPARK}, PARTITION)
    spark_rows, spark_rejects = cleansed_outputs(lake)

    assert (local["engine"], spark["engine"]) == ("local", "spark")
    assert spark_rows.schema == local_rows.schema
    assert spark_rows.equals(local_rows)  # same rows, same order, same values
    assert spark_rejects == local_rejects
    reasons = [orjson.loads(line)["reason"] for line in spark_rejects.splitlines()]
    assert "conflicting_duplicate_id" in reasons and "invalid_json" in reasons and "wrong_type:text" in reasons
    counts = ("records_in", "cleaned", "duplicates", "quarantined", "exact_duplicates", "retweets")
    assert {k: spark[k] for k in counts} == {k: local[k] for k in counts}
    assert spark["exact_duplicates"] >= 2 and spark["retweets"] > 0


def test_post_sentiment_is_the_same_on_both_engines_and_shares_the_score_cache(lake, tmp_path):
    land_hour_with_edge_cases(lake)
    run([cleaned_posts], {"storage": lake, "spark": LOCAL}, PARTITION)
    other = LocalLakeStore(str(tmp_path / "copy"))
    shutil.copytree(lake.root, other.root)
    scorer = TextScorer(backend="vader")

    local = run([post_sentiment], {"storage": lake, "text_scorer": scorer, "spark": LOCAL}, PARTITION)
    spark = run([post_sentiment], {"storage": other, "text_scorer": scorer, "spark": SPARK}, PARTITION)
    local_rows = lake.read_parquet(dataset_key("post_sentiment", HOUR))
    spark_rows = other.read_parquet(dataset_key("post_sentiment", HOUR))
    assert spark["engine"] == "spark" and spark["model_calls"] == local["model_calls"] > 0
    assert spark_rows.schema == local_rows.schema and spark_rows.equals(local_rows)

    # The Spark run's scores went into the lake's cache, which the single-machine path reads.
    again = run([post_sentiment], {"storage": other, "text_scorer": scorer, "spark": LOCAL}, PARTITION)
    assert again["model_calls"] == 0 and again["cache_hits"] == spark["distinct_texts"]
    assert other.read_parquet(dataset_key("post_sentiment", HOUR)).equals(local_rows)


def test_image_sentiment_is_the_same_on_both_engines(lake, tmp_path):
    assert materialize(
        [landed_batches, raw_images],
        partition_key=PARTITION,
        resources={"storage": lake, "source": MockNetworkSource(posts_per_hour=300)},
    ).success
    other = LocalLakeStore(str(tmp_path / "copy"))
    shutil.copytree(lake.root, other.root)
    # One manifest entry whose file has gone since raw_images listed it: kept as `missing` by both.
    manifest = lake.read_parquet(dataset_key("raw_images", HOUR))
    for storage in (lake, other):
        storage.delete(manifest["image_key"][0])
    scorers = {"image_scorer": ImageScorer(backend="affect"), "text_scorer": TextScorer(backend="vader")}

    local = run([image_sentiment], {"storage": lake, "spark": LOCAL, **scorers}, PARTITION)
    spark = run([image_sentiment], {"storage": other, "spark": SPARK, **scorers}, PARTITION)
    local_rows = lake.read_parquet(dataset_key("image_sentiment", HOUR))
    spark_rows = other.read_parquet(dataset_key("image_sentiment", HOUR))
    assert local["engine"] == "local" and spark["engine"] == "spark"
    assert spark_rows.schema == local_rows.schema and spark_rows.equals(local_rows)
    assert local_rows.height == manifest.height > 20 and local_rows["status"][0] == "missing"
    assert spark["with_text"] == local["with_text"] > 0 and local_rows["image_text_score"].is_not_null().any()


def test_trends_are_the_same_on_both_engines_over_a_range(built, tmp_path):
    warehouse = Warehouse(database=str(tmp_path / "spark.duckdb"))
    resources = {
        **built,
        "warehouse": warehouse,
        "notifier": LogNotifier(log_path=str(tmp_path / "a.log")),
        "spark": SPARK,
    }
    tags = {RANGE_START: hour_partition_key(HOURS[0]), RANGE_END: hour_partition_key(HOURS[-1])}
    for asset, keys in (
        (sentiment_trends_15m, "window_start, topic"),
        (language_trends_15m, "window_start, topic, lang"),
    ):
        metadata = run([asset], resources, tags=tags)
        assert metadata["engine"] == "spark" and metadata["hours"] == 3
        query = f"SELECT * FROM {asset.key.to_user_string()} ORDER BY {keys}"
        local, spark = built["warehouse"].query(query), warehouse.query(query)
        assert spark.schema == local.schema and spark.height == local.height > 0
        exact = [c for c, dtype in local.schema.items() if not dtype.is_float()]
        assert spark.select(exact).equals(local.select(exact))
        for column in [c for c, dtype in local.schema.items() if dtype.is_float()]:
            # Means are sums in a different order: equal to float precision, not bit for bit.
            difference = (spark[column] - local[column]).abs().max()
            assert difference is None or difference < 1e-6, column
            assert spark[column].null_count() == local[column].null_count()


def test_a_24_hour_backfill_over_the_threshold_is_one_spark_run(lake):
    hours = [HOUR - timedelta(hours=offset) for offset in range(23, -1, -1)]
    for hour in hours:
        assert materialize(
            [landed_batches],
            partition_key=hour_partition_key(hour),
            resources={"storage": lake, "source": MockNetworkSource(posts_per_hour=40)},
        ).success
    over_threshold = SparkEngine(engine="auto", master="local[2]", byte_threshold=100_000)
    tags = {RANGE_START: hour_partition_key(hours[0]), RANGE_END: hour_partition_key(hours[-1])}
    result = materialize([cleaned_posts], tags=tags, resources={"storage": lake, "spark": over_threshold})
    assert result.success
    [event] = result.get_asset_materialization_events()[:1]
    materializations = result.get_asset_materialization_events()
    assert len(materializations) == 24  # one run, one step, all 24 partitions
    metadata = {k: v.value for k, v in event.step_materialization_data.materialization.metadata.items()}
    assert metadata["engine"] == "spark" and metadata["hours"] == 24
    assert "input bytes > threshold" in metadata["engine_reason"] and metadata["spark_application_id"]
    for hour in (hours[0], hours[11], hours[-1]):
        expected = clean_posts(read_landing(lake, "posts", hour)).cleaned
        assert lake.read_parquet(dataset_key("cleaned_posts", hour)).equals(expected)

    # The same partition under the threshold stays on Polars.
    small = run([cleaned_posts], {"storage": lake, "spark": SparkEngine(engine="auto")}, hour_partition_key(hours[0]))
    assert small["engine"] == "local" and "within thresholds" in small["engine_reason"]


@pytest.mark.parametrize(
    "setting, rows, size, expected",
    [
        ("auto", 10, 10, "local"),
        ("auto", 3_000_000, None, "spark"),
        ("auto", None, 10**10, "spark"),
        ("spark", 1, 1, "spark"),
        ("local", 10**9, 10**12, "local"),
    ],
)
def test_engine_choice(setting, rows, size, expected):
    assert SparkEngine(engine=setting).choose(rows=rows, size_bytes=size).engine == expected


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine must be one of"):
        SparkEngine(engine="dask").choose(rows=1)


SPARK_ON_S3 = """
import sys
from dagster import materialize
from sentiment_platform.defs.cleansing.cleansed_data import cleaned_posts
from sentiment_platform.resources.spark_engine import SparkEngine
from sentiment_platform.resources.lake_storage import S3LakeStorage
root, endpoint, partition = sys.argv[1:4]
lake = S3LakeStorage(root=root, endpoint_url=endpoint, region_name="us-east-1")
result = materialize([cleaned_posts], partition_key=partition,
                     resources={"storage": lake, "spark": SparkEngine(engine="spark", master="local[2]")})
event = result.get_asset_materialization_events()[0].step_materialization_data.materialization
print("ENGINE", event.metadata["engine"].value)
"""


def test_spark_tasks_read_the_s3_lake_and_the_hour_lands_back_in_it(s3_lake, s3_endpoint):
    # Its own process: Spark's Python workers take their AWS settings from the environment the JVM
    # started with, which in this test session may predate this test's credentials.
    import subprocess
    import sys

    assert materialize(
        [landed_batches],
        partition_key=PARTITION,
        resources={"storage": s3_lake, "source": MockNetworkSource(posts_per_hour=200)},
    ).success
    done = subprocess.run(
        [sys.executable, "-c", SPARK_ON_S3, s3_lake.root, s3_endpoint, PARTITION],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "ENGINE spark" in done.stdout, done.stderr[-3000:]
    expected = clean_posts(read_landing(s3_lake, "posts", partition_hour(PARTITION))).cleaned
    assert s3_lake.read_parquet(dataset_key("cleaned_posts", HOUR)).equals(expected) and expected.height > 100
