"""The daily recommendations asset on real Spark (local mode) over the mock network's hours, and
the API serving them with the popular fallback."""

import polars as pl
import pytest
from dagster import materialize
from fastapi.testclient import TestClient

from sentiment_platform.api.app import create_app
from sentiment_platform.defs.recommendations.recommended_posts import recommendations
from sentiment_platform.lib.lake_layout import dataset_key
from sentiment_platform.resources.spark_engine import SparkEngine
from sentiment_platform.resources.warehouse import Warehouse
from sentiment_platform_tests.conftest import HOUR, HOURS

pytestmark = pytest.mark.integration


def test_recommendations_are_unseen_posts_evaluated_against_popular_and_served(built, tmp_path):
    warehouse = Warehouse(database=str(tmp_path / "recs.duckdb"))
    resources = {"storage": built["storage"], "warehouse": warehouse, "spark": SparkEngine(master="local[2]")}
    day = HOUR.strftime("%Y-%m-%d")
    result = materialize([recommendations], partition_key=day, resources=resources)
    assert result.success
    metadata = {
        k: v.value
        for k, v in result.get_asset_materialization_events()[
            0
        ].step_materialization_data.materialization.metadata.items()
    }
    assert metadata["holdout_users"] > 50 and metadata["holdout_test_pairs"] > 100
    for name in ("blended", "als_only", "popular"):
        assert 0 <= metadata[f"{name}_precision_at_10"] <= 1 and 0 <= metadata[f"{name}_recall_at_10"] <= 1

    table = warehouse.query("SELECT * FROM recommendations")
    storage = built["storage"]
    seen = pl.concat([storage.read_parquet(dataset_key("cleaned_interactions", hour)) for hour in HOURS])
    posts = pl.concat([storage.read_parquet(dataset_key("enriched_posts", hour)) for hour in HOURS])
    assert table.height == metadata["dagster/row_count"] > 0
    assert table.join(seen, on=["user_id", "post_id"], how="semi").height == 0  # nothing already interacted with
    assert table["post_id"].is_in(posts["post_id"].implode()).all()
    per_user = table.group_by("user_id").agg(pl.col("rank").sort())
    assert all(ranks == list(range(1, len(ranks) + 1)) and len(ranks) <= 10 for ranks in per_user["rank"].to_list())
    assert table["user_id"].n_unique() >= 0.9 * seen["user_id"].n_unique()

    # Re-running the day replaces its rows.
    assert materialize([recommendations], partition_key=day, resources=resources).success
    assert warehouse.query("SELECT count(*) AS n FROM recommendations")["n"][0] == table.height

    client = TestClient(create_app(warehouse))
    user = table["user_id"][0]
    personal = client.get(f"/users/{user}/recommendations").json()
    expected = table.filter(pl.col("user_id") == user).sort("rank")["post_id"].to_list()
    assert personal["source"] == "personalized" and [r["post_id"] for r in personal["rows"]] == expected
    newcomer = client.get("/users/u999999/recommendations?limit=5").json()
    popular = warehouse.query("SELECT post_id FROM popular_posts ORDER BY rank LIMIT 5")["post_id"].to_list()
    assert newcomer["source"] == "popular_fallback" and newcomer["personalized"] is False
    assert [r["post_id"] for r in newcomer["rows"]] == popular
    assert client.get("/users/bad%20id/recommendations").status_code == 422


@pytest.mark.materialize
def test_a_day_without_interactions_records_an_empty_result_and_the_popular_fallback(tmp_path):
    """Most archives and sources have no interactions: the day skips, it does not fail."""
    from datetime import UTC, datetime

    from sentiment_platform.lib.lake_store import LocalLakeStore

    storage = LocalLakeStore(str(tmp_path / "lake"))
    hour = datetime(2026, 3, 16, 9, tzinfo=UTC)
    posts = pl.DataFrame(
        {
            "post_id": ["quiet", "liked", "discussed", "ignored"],
            "topic": ["delta", "delta", "united", "united"],
            "score": [0.1, 0.5, -0.4, 0.0],
            "like_count": [0, 5, 1, None],
            "reply_count": [0, 0, 3, None],
            "repost_count": [0, 1, 0, None],
        }
    )
    storage.write_parquet(dataset_key("enriched_posts", hour), posts)
    warehouse = Warehouse(database=str(tmp_path / "recs.duckdb"))
    resources = {"storage": storage, "warehouse": warehouse, "spark": SparkEngine(master="local[2]")}
    result = materialize([recommendations], partition_key="2026-03-16", resources=resources)
    assert result.success
    metadata = result.get_asset_materialization_events()[0].step_materialization_data.materialization.metadata
    assert metadata["dagster/row_count"].value == 0 and "no interactions" in metadata["skipped"].value
    assert warehouse.query("SELECT count(*) AS n FROM recommendations")["n"][0] == 0
    # like 1, reply 2, repost 3: liked 5 + 3 = 8, discussed 1 + 6 = 7; posts nobody engaged with are left out.
    popular = warehouse.query("SELECT rank, post_id, score FROM popular_posts ORDER BY rank")
    assert popular.rows() == [(1, "liked", 8.0), (2, "discussed", 7.0)]
    answer = TestClient(create_app(warehouse)).get("/users/anyone/recommendations").json()
    assert answer["source"] == "popular_fallback" and [r["post_id"] for r in answer["rows"]] == ["liked", "discussed"]
    # A day with no posts at all skips too.
    assert materialize([recommendations], partition_key="2026-03-20", resources=resources).success
