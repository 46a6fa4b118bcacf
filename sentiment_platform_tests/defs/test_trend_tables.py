"""Trend tables over three real hours of the mock network (VADER scoring keeps it quick)."""

from datetime import datetime, timedelta

import polars as pl
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from sentiment_platform.defs.sentiment.scored_posts import enriched_posts
from sentiment_platform.defs.trends.trend_tables import topic_daily_summary
from sentiment_platform.lib.lake_layout import dataset_key
from sentiment_platform.partitions import hour_partition_key
from sentiment_platform.resources.warehouse import Warehouse
from sentiment_platform_tests.conftest import HOUR, HOURLY_TRENDS, HOURS, UPSTREAM

pytestmark = pytest.mark.materialize


def table(warehouse: Warehouse, name: str) -> pl.DataFrame:
    return warehouse.query(f"SELECT * FROM {name}")


def enriched(storage, hours=HOURS) -> pl.DataFrame:
    return pl.concat([storage.read_parquet(dataset_key("enriched_posts", hour)) for hour in hours])


def test_15_minute_trends_equal_a_direct_recomputation(built):
    rows = table(built["warehouse"], "sentiment_trends_15m").sort("window_start", "topic")
    posts = enriched(built["storage"])
    assert rows.height == 3 * 4 * posts["topic"].n_unique()
    assert rows["posts"].sum() == posts.height
    # The trends count posts as a whole: where a post has an image, its fused score, not its text's.
    assert posts.filter(pl.col("image_score").is_not_null() & (pl.col("post_score") != pl.col("score"))).height > 10
    # Recompute each window row by row in plain Python.
    for row in rows.sample(15, seed=1).iter_rows(named=True):
        window = posts.filter(
            (pl.col("created_at") >= row["window_start"])
            & (pl.col("created_at") < row["window_end"])
            & (pl.col("topic") == row["topic"])
        )
        labels = window["post_label"].drop_nulls().to_list()
        assert row["posts"] == window.height
        assert row["negative"] == labels.count("negative") and row["positive"] == labels.count("positive")
        assert row["negative_share"] == pytest.approx(labels.count("negative") / len(labels))
        assert row["mean_score"] == pytest.approx(sum(window["post_score"].drop_nulls()) / len(labels), abs=1e-6)
        images = window["image_score"].drop_nulls().to_list()
        assert row["image_posts"] == len(images)
        assert row["mean_image_score"] == (pytest.approx(sum(images) / len(images), abs=1e-6) if images else None)


def test_language_trends_split_the_topic_trends_by_language(built):
    by_language = table(built["warehouse"], "language_trends_15m")
    topics = table(built["warehouse"], "sentiment_trends_15m")
    posts = enriched(built["storage"])
    assert set(by_language["lang"]) == set(posts["lang"].fill_null("und")) and by_language["lang"].n_unique() >= 9
    counts = ["posts", "positive", "neutral", "negative", "image_posts", "unsupported"]
    summed = by_language.group_by("window_start", "topic").agg(pl.col(counts).sum()).sort("window_start", "topic")
    assert summed.equals(topics.select("window_start", "topic", *counts).sort("window_start", "topic"))
    row = by_language.filter(pl.col("lang") == "ar").sort("posts", descending=True).row(0, named=True)
    window = posts.filter(
        (pl.col("created_at") >= row["window_start"])
        & (pl.col("created_at") < row["window_end"])
        & (pl.col("topic") == row["topic"])
        & (pl.col("lang") == "ar")
    )
    assert row["posts"] == window.height and row["negative"] == (window["post_label"] == "negative").sum()
    assert row["mean_score"] == pytest.approx(window["post_score"].mean(), abs=1e-6)


def test_hashtag_trends_equal_a_direct_recomputation(built):
    rows = table(built["warehouse"], "hashtag_trends").filter(pl.col("hour") == HOUR)
    posts = enriched(built["storage"]).explode("hashtags").with_columns(pl.col("hashtags").str.to_lowercase())
    for row in rows.sort("posts", descending=True).head(10).iter_rows(named=True):

        def stats(hour, row=row):
            tagged = posts.filter(
                (pl.col("hashtags") == row["hashtag"]) & (pl.col("created_at").dt.truncate("1h") == hour)
            )
            return (
                tagged.height,
                tagged["post_score"].drop_nulls().to_list(),
                tagged["post_label"].to_list().count("negative"),
            )

        count, scores, negatives = stats(HOUR)
        prev_count, prev_scores, _ = stats(HOUR - timedelta(hours=1))
        older_count, older_scores, _ = stats(HOUR - timedelta(hours=2))
        assert row["posts"] == count and row["negative_share"] == pytest.approx(negatives / count)
        assert row["mean_score"] == pytest.approx(sum(scores) / len(scores), abs=1e-6)
        assert row["prev_posts"] == prev_count
        assert row["posts_change_vs_prev_hour"] == count - prev_count
        assert row["trailing_24h_mean_posts"] == pytest.approx((prev_count + older_count) / 24)
        if prev_scores + older_scores:
            trailing = sum(prev_scores + older_scores) / len(prev_scores + older_scores)
            assert row["score_change_vs_24h"] == pytest.approx(row["mean_score"] - trailing, abs=1e-6)


def test_daily_summary_and_user_profiles_equal_a_direct_recomputation(built):
    posts = enriched(built["storage"])
    daily = table(built["warehouse"], "topic_daily_summary")
    assert daily["posts"].sum() == posts.height and daily["active_hours"].max() == 3
    for row in daily.iter_rows(named=True):
        topic = posts.filter(pl.col("topic") == row["topic"])
        assert row["posts"] == topic.height
        assert row["mean_score"] == pytest.approx(topic["post_score"].mean(), abs=1e-6)
    profiles = table(built["warehouse"], "user_sentiment_profile")
    assert profiles["posts"].sum() == posts.height
    assert profiles["user_id"].n_unique() == posts["author_id"].n_unique()
    busiest = posts.group_by("author_id").len().sort("len", descending=True).row(0)
    mine = posts.filter(pl.col("author_id") == busiest[0])
    profile = profiles.filter(pl.col("user_id") == busiest[0]).row(0, named=True)
    counts = {label: mine["post_label"].to_list().count(label) for label in ("negative", "neutral", "positive")}
    assert profile["posts"] == busiest[1] and profile["mean_score"] == pytest.approx(
        mine["post_score"].mean(), abs=1e-6
    )
    assert counts[profile["dominant_sentiment"]] == max(counts.values())
    assert profile["last_seen"] == mine["created_at"].max()


def test_rematerializing_a_partition_leaves_identical_tables(built):
    names = [
        "sentiment_trends_15m",
        "language_trends_15m",
        "hashtag_trends",
        "user_sentiment_profile",
        "posts",
        "topic_daily_summary",
    ]
    before = {name: table(built["warehouse"], name) for name in names}
    key = hour_partition_key(HOURS[1])
    assert materialize(HOURLY_TRENDS, partition_key=key, resources=built).success
    assert materialize([topic_daily_summary], partition_key=HOUR.strftime("%Y-%m-%d"), resources=built).success
    for name in names:
        order = [
            c
            for c in before[name].columns
            if c in ("window_start", "topic", "lang", "hour", "hashtag", "user_id", "post_id", "day")
        ]
        assert table(built["warehouse"], name).sort(order).equals(before[name].sort(order)), name


def test_data_quality_checks_pass_and_are_blocking(built):
    instance = DagsterInstance.ephemeral()
    result = materialize(UPSTREAM, partition_key=hour_partition_key(HOUR), resources=built, instance=instance)
    evaluations = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    assert {"unique_post_ids", "no_null_keys", "scores_in_range"} <= set(evaluations)
    assert all(evaluations[name].passed for name in ("unique_post_ids", "no_null_keys", "scores_in_range"))
    spec = {s.name: s for s in enriched_posts.check_specs}
    assert spec["unique_post_ids"].blocking and spec["scores_in_range"].blocking


def test_three_runs_over_out_of_hour_and_cross_hour_duplicates_leave_every_table_identical(tmp_path):
    import orjson

    from sentiment_platform.lib.lake_layout import landing_prefix
    from sentiment_platform.lib.lake_store import LocalLakeStore
    from sentiment_platform.resources.notifiers import LogNotifier
    from sentiment_platform.resources.post_sources import LandingSource
    from sentiment_platform.resources.scorers import ImageScorer, TextScorer
    from sentiment_platform.resources.spark_engine import SparkEngine
    from sentiment_platform.sources.mock_network.landing import land_hour

    lake = LocalLakeStore(str(tmp_path / "lake"))
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"))
    resources = {
        "storage": lake,
        "source": LandingSource(),
        "text_scorer": TextScorer(backend="vader"),
        # Image scores without the text reader (seconds per hour): the runs' equality is the point.
        "image_scorer": ImageScorer(backend="affect", read_text=False),
        "warehouse": warehouse,
        "notifier": LogNotifier(log_path=str(tmp_path / "alerts.log")),
        "spark": SparkEngine(),
    }
    hours = HOURS[1:]
    for hour in hours:
        land_hour(lake, hour)
    first_post = orjson.loads(
        lake.read_bytes(landing_prefix("posts", hours[0]) + f"mockfeed-{hours[0]:%Y%m%d%H}.jsonl").splitlines()[0]
    )
    base = {"author_id": "u-extra", "lang": "en", "topic": "tech", "text": "a post sent late"}
    extra = [
        dict(base, id="early", created_at=(hours[0] - timedelta(hours=5)).isoformat()),  # out of its hour
        dict(base, id="late", created_at=(hours[1] + timedelta(days=2)).isoformat()),  # in the future of it
        first_post,  # re-sent an hour later
        dict(first_post, created_at=(hours[1] + timedelta(minutes=5)).isoformat()),  # same id, another hour
    ]
    lake.write_bytes(landing_prefix("posts", hours[1]) + "pushed.jsonl", b"\n".join(map(orjson.dumps, extra)) + b"\n")

    names = ["posts", "sentiment_trends_15m", "hashtag_trends", "user_sentiment_hourly", "user_sentiment_profile"]

    def snapshot():
        tables = {name: table(warehouse, name).sort(pl.all()) for name in names}
        lake_files = {
            key: lake.read_parquet(key)
            for key in lake.list_keys("cleansed/") + lake.list_keys("analytics/")
            if key.endswith(".parquet")
        }
        return tables, lake_files

    states = []
    for _ in range(3):
        for hour in hours:
            assert materialize(
                UPSTREAM + HOURLY_TRENDS, partition_key=hour_partition_key(hour), resources=resources
            ).success
        states.append(snapshot())
    for tables, files in states[1:]:
        assert files.keys() == states[0][1].keys()
        for key, frame in files.items():
            assert frame.equals(states[0][1][key]), key
        for name in names:
            assert tables[name].equals(states[0][0][name]), name
    posts = states[0][0]["posts"]
    assert posts["post_id"].is_unique().all()
    assert "early" not in posts["post_id"] and "late" not in posts["post_id"]
    assert posts.filter(pl.col("post_id") == first_post["id"])["created_at"].to_list() == [
        datetime.fromisoformat(first_post["created_at"])
    ]
    trends = states[0][0]["sentiment_trends_15m"]
    assert trends["window_start"].min() >= hours[0] and trends["window_start"].max() < hours[1] + timedelta(hours=1)
    assert trends["posts"].sum() == posts.height + 1  # the same id in two hours counts in both windows
    quarantined = lake.read_bytes(f"quarantine/posts/dt={hours[1]:%Y-%m-%d}/hour={hours[1]:%H}/rejected.jsonl")
    assert quarantined.count(b'"outside_partition"') == 3  # early, late and the re-send of the hour before


def test_a_run_over_two_hours_gives_each_partition_its_own_figures(built, tmp_path):
    from sentiment_platform.defs.cleansing.cleansed_data import cleaned_posts
    from sentiment_platform.defs.sentiment.scored_posts import post_sentiment
    from sentiment_platform.defs.trends.trend_tables import (
        sentiment_trends_15m,
        warehouse_posts,
    )
    from sentiment_platform.resources.notifiers import LogNotifier

    resources = {
        **built,
        "warehouse": Warehouse(database=str(tmp_path / "w.duckdb")),
        "notifier": LogNotifier(log_path=str(tmp_path / "a.log")),
    }
    two = HOURS[:2]
    tags = {
        "dagster/asset_partition_range_start": hour_partition_key(two[0]),
        "dagster/asset_partition_range_end": hour_partition_key(two[1]),
    }
    instance = DagsterInstance.ephemeral()
    assets = [cleaned_posts, post_sentiment, sentiment_trends_15m, warehouse_posts]
    assert materialize(assets, tags=tags, resources=resources, instance=instance).success
    posts = enriched(built["storage"], two)
    for hour in two:
        key = hour_partition_key(hour)
        own = posts.filter(pl.col("created_at").dt.truncate("1h") == hour).height

        def latest(name, key=key):
            records = instance.fetch_materializations(AssetKey(name), limit=10).records
            [record] = [r for r in records if r.partition_key == key]
            return {k: v.value for k, v in record.asset_materialization.metadata.items()}

        cleaned = latest("cleaned_posts")
        assert (
            cleaned["dagster/row_count"]
            == cleaned["cleaned"]
            == built["storage"].parquet_rows(f"cleansed/posts/dt={hour:%Y-%m-%d}/hour={hour:%H}/part-0.parquet")
            == own
        )
        assert cleaned["records_in"] == cleaned["cleaned"] + cleaned["duplicates"] + cleaned["quarantined"]
        assert cleaned["hours"] == 2  # run-wide facts stay on every partition
        assert latest("post_sentiment")["dagster/row_count"] == own
        assert latest("sentiment_trends_15m")["posts"] == own
        assert latest("warehouse_posts")["dagster/row_count"] == own


def test_single_run_assets_backfill_a_range_in_one_run_with_the_rows_of_hourly_runs(built):
    """Ingestion, cleansing of users and interactions, image sentiment and enrichment backfill a
    range as one run (models load once, one run to launch) and write what hour-by-hour runs wrote."""
    from sentiment_platform.defs.cleansing.cleansed_data import cleaned_interactions, cleaned_users
    from sentiment_platform.defs.ingestion.raw_data import landed_batches, raw_images
    from sentiment_platform.defs.sentiment.scored_posts import image_sentiment

    storage = built["storage"]
    datasets = ("raw_images", "cleaned_users", "cleaned_interactions", "image_sentiment", "enriched_posts")

    def written() -> dict[str, bytes]:
        keys = [dataset_key(name, hour) for name in datasets for hour in HOURS]
        keys += [obj.key for obj in storage.iter_objects("landing/") if "/images/" not in obj.key]
        return {key: storage.read_bytes(key) for key in keys}

    before = written()
    tags = {
        "dagster/asset_partition_range_start": hour_partition_key(HOURS[0]),
        "dagster/asset_partition_range_end": hour_partition_key(HOURS[-1]),
    }
    instance = DagsterInstance.ephemeral()
    assets = [landed_batches, raw_images, cleaned_users, cleaned_interactions, image_sentiment, enriched_posts]
    result = materialize(assets, tags=tags, resources=built, instance=instance)
    assert result.success and len(result.get_step_success_events()) == 6  # one step each for the 3 hours
    assert written() == before  # written exactly as the hour-by-hour runs wrote them

    def per_partition(name: str, field: str) -> dict[str, int]:
        records = instance.fetch_materializations(AssetKey(name), limit=10).records
        return {r.partition_key: r.asset_materialization.metadata[field].value for r in records}

    def rows(dataset: str) -> dict[str, int]:
        return {hour_partition_key(hour): storage.read_parquet(dataset_key(dataset, hour)).height for hour in HOURS}

    for name in ("cleaned_users", "cleaned_interactions", "image_sentiment", "enriched_posts"):
        assert per_partition(name, "dagster/row_count") == rows(name)
    assert per_partition("raw_images", "valid") == rows("raw_images")
    landed = per_partition("raw_posts", "records")
    assert len(set(landed.values())) == 3 and min(landed.values()) > 100  # each hour its own count
    assert len(set(per_partition("raw_users", "landing_digest").values())) == 3
