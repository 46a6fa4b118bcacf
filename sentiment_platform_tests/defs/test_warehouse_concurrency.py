"""48 hourly partitions of the trend tables written by 4 processes at once: no lock error, no
duplicate, nothing missing."""

import multiprocessing as mp
from datetime import timedelta

import polars as pl
import pytest

from sentiment_platform.lib.lake_layout import dataset_key
from sentiment_platform.partitions import hour_partition_key
from sentiment_platform_tests.conftest import HOUR

pytestmark = pytest.mark.integration

START = HOUR - timedelta(hours=47)


def _run_partitions(lake_root: str, database: str, keys: list[str], queue) -> None:
    from dagster import materialize

    from sentiment_platform.lib.lake_store import LocalLakeStore
    from sentiment_platform.resources.notifiers import LogNotifier
    from sentiment_platform.resources.spark_engine import SparkEngine
    from sentiment_platform.resources.warehouse import Warehouse
    from sentiment_platform_tests.conftest import HOURLY_TRENDS

    resources = {
        "storage": LocalLakeStore(lake_root),
        "warehouse": Warehouse(database=database),
        "notifier": LogNotifier(log_path=database + ".alerts.log"),
        "spark": SparkEngine(),
    }
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    failures = [
        key
        for key in keys
        if not materialize(
            HOURLY_TRENDS, partition_key=key, resources=resources, run_config=quiet, raise_on_error=False
        ).success
    ]
    queue.put(failures)


def test_parallel_runs_over_48_partitions_never_hit_the_lock(built, tmp_path):
    storage = built["storage"]
    sample = storage.read_parquet(dataset_key("enriched_posts", HOUR))
    lake_root = str(tmp_path / "lake")
    from sentiment_platform.lib.lake_store import LocalLakeStore

    lake = LocalLakeStore(lake_root)
    hours = [START + timedelta(hours=i) for i in range(48)]
    for i, hour in enumerate(hours):
        lake.write_parquet(
            dataset_key("enriched_posts", hour),
            sample.with_columns(pl.col("post_id") + f"-{i}", pl.col("created_at") + (hour - HOUR)),
        )
    keys = [hour_partition_key(hour) for hour in hours]
    database = str(tmp_path / "warehouse.duckdb")
    context = mp.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_run_partitions, args=(lake_root, database, keys[i::4], queue)) for i in range(4)]
    for worker in workers:
        worker.start()
    failures = [queue.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    assert failures == [[], [], [], []]

    from sentiment_platform.resources.warehouse import Warehouse

    warehouse = Warehouse(database=database)
    posts = warehouse.query("SELECT count(*) AS n, count(DISTINCT post_id) AS d FROM posts").row(0)
    assert posts == (48 * sample.height, 48 * sample.height)
    windows = warehouse.query(
        "SELECT count(DISTINCT window_start) AS n, sum(posts) AS p FROM sentiment_trends_15m"
    ).row(0)
    assert windows == (48 * 4, 48 * sample.height)
    duplicates = warehouse.query(
        "SELECT count(*) AS n FROM (SELECT window_start, topic FROM sentiment_trends_15m "
        "GROUP BY ALL HAVING count(*) > 1)"
    )["n"][0]
    assert duplicates == 0
