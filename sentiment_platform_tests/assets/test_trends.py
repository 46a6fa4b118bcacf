"""Trend tables over three real hours of the mock network (VADER scoring keeps it quick)."""

from datetime import timedelta

import polars as pl
import pytest
from dagster import DagsterInstance, materialize

from sentiment_platform.assets.sentiment import enriched_posts
from sentiment_platform.assets.trends import topic_daily_summary
from sentiment_platform.layout import analytics_key
from sentiment_platform.partitions import hour_partition_key
from sentiment_platform.resources.warehouse import Warehouse
from sentiment_platform_tests.conftest import HOUR, HOURLY_TRENDS, HOURS, UPSTREAM


def table(warehouse: Warehouse, name: str) -> pl.DataFrame:
    return warehouse.query(f"SELECT * FROM {name}")


def enriched(storage, hours=HOURS) -> pl.DataFrame:
    return pl.concat([storage.read_parquet(analytics_key("enriched_posts", hour)) for hour in hours])


def test_15_minute_trends_equal_a_direct_recomputation(built):
    rows = table(built["warehouse"], "sentiment_trends_15m").sort("window_start", "topic")
    posts = enriched(built["storage"])
    assert rows.height == 3 * 4 * posts["topic"].n_unique()
    assert rows["posts"].sum() == posts.height
    # Recompute each window row by row in plain Python.
    for row in rows.sample(15, seed=1).iter_rows(named=True):
        window = posts.filter((pl.col("created_at") >= row["window_start"]) & (pl.col("created_at") < row["window_end"])
                              & (pl.col("topic") == row["topic"]))
        labels = window["sentiment"].drop_nulls().to_list()
        assert row["posts"] == window.height
        assert row["negative"] == labels.count("negative") and row["positive"] == labels.count("positive")
        assert row["negative_share"] == pytest.approx(labels.count("negative") / len(labels))
        assert row["mean_score"] == pytest.approx(sum(window["score"].drop_nulls()) / len(labels), abs=1e-6)
        images = window["image_score"].drop_nulls().to_list()
        assert row["image_posts"] == len(images)
        assert row["mean_image_score"] == (pytest.approx(sum(images) / len(images), abs=1e-6) if images else None)


def test_hashtag_trends_equal_a_direct_recomputation(built):
    rows = table(built["warehouse"], "hashtag_trends").filter(pl.col("hour") == HOUR)
    posts = enriched(built["storage"]).explode("hashtags").with_columns(pl.col("hashtags").str.to_lowercase())
    for row in rows.sort("posts", descending=True).head(10).iter_rows(named=True):
        def stats(hour):
            tagged = posts.filter((pl.col("hashtags") == row["hashtag"]) & (pl.col("created_at").dt.truncate("1h") == hour))
            return tagged.height, tagged["score"].drop_nulls().to_list(), tagged["sentiment"].to_list().count("negative")
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
        assert row["mean_score"] == pytest.approx(topic["score"].mean(), abs=1e-6)
    profiles = table(built["warehouse"], "user_sentiment_profile")
    assert profiles["posts"].sum() == posts.height
    assert profiles["user_id"].n_unique() == posts["author_id"].n_unique()
    busiest = posts.group_by("author_id").len().sort("len", descending=True).row(0)
    mine = posts.filter(pl.col("author_id") == busiest[0])
    profile = profiles.filter(pl.col("user_id") == busiest[0]).row(0, named=True)
    counts = {label: mine["sentiment"].to_list().count(label) for label in ("negative", "neutral", "positive")}
    assert profile["posts"] == busiest[1] and profile["mean_score"] == pytest.approx(mine["score"].mean(), abs=1e-6)
    assert counts[profile["dominant_sentiment"]] == max(counts.values())
    assert profile["last_seen"] == mine["created_at"].max()


def test_rematerializing_a_partition_leaves_identical_tables(built):
    names = ["sentiment_trends_15m", "hashtag_trends", "user_sentiment_profile", "posts", "topic_daily_summary"]
    before = {name: table(built["warehouse"], name) for name in names}
    key = hour_partition_key(HOURS[1])
    assert materialize(HOURLY_TRENDS, partition_key=key, resources=built).success
    assert materialize([topic_daily_summary], partition_key=HOUR.strftime("%Y-%m-%d"), resources=built).success
    for name in names:
        order = [c for c in before[name].columns if c in ("window_start", "topic", "hour", "hashtag", "user_id", "post_id", "day")]
        assert table(built["warehouse"], name).sort(order).equals(before[name].sort(order)), name


def test_data_quality_checks_pass_and_are_blocking(built):
    instance = DagsterInstance.ephemeral()
    result = materialize(UPSTREAM, partition_key=hour_partition_key(HOUR), resources=built, instance=instance)
    evaluations = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    assert {"unique_post_ids", "no_null_keys", "scores_in_range"} <= set(evaluations)
    assert all(evaluations[name].passed for name in ("unique_post_ids", "no_null_keys", "scores_in_range"))
    spec = {s.name: s for s in enriched_posts.check_specs}
    assert spec["unique_post_ids"].blocking and spec["scores_in_range"].blocking
