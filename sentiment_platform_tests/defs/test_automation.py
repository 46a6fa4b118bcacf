"""Downstream assets follow new raw data by their automation conditions, for past hours too, and
the assets that read trailing hours follow an update of any hour they read."""

from datetime import UTC, datetime, timedelta

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    evaluate_automation_conditions,
    materialize,
)

from sentiment_platform.definitions import build_definitions
from sentiment_platform.partitions import hour_partition_key, partition_hour
from sentiment_platform.resources.scorers import TextScorer
from sentiment_platform.settings import build_resources
from sentiment_platform_tests.conftest import PARTITION

pytestmark = [pytest.mark.clock, pytest.mark.materialize]

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
DOWNSTREAM = {
    "cleaned_posts",
    "cleaned_users",
    "cleaned_interactions",
    "post_sentiment",
    "image_sentiment",
    "enriched_posts",
    "sentiment_trends_15m",
    "language_trends_15m",
    "hashtag_trends",
    "user_sentiment_profile",
    "warehouse_posts",
}


def requested(result) -> dict[str, set[str]]:
    return {
        r.key.to_user_string(): set(r.true_subset.expensively_compute_partition_keys())
        for r in result.results
        if r.true_subset.size
    }


def test_a_late_batch_for_a_past_hour_brings_the_whole_graph_below_it_up_to_date(tmp_path):
    resources = build_resources(
        {"SENTIMENT_LAKE_ROOT": str(tmp_path / "lake"), "SENTIMENT_WAREHOUSE_PATH": str(tmp_path / "w.duckdb")},
        as_env_vars=False,
    )
    resources["text_scorer"] = TextScorer(backend="vader")
    defs = build_definitions(resources)
    graph = defs.resolve_asset_graph()
    assets = list({id(node.assets_def): node.assets_def for node in graph.asset_nodes}.values())
    raw = [a for a in assets if AssetKey("raw_posts") in a.keys or AssetKey("raw_images") in a.keys]
    instance = DagsterInstance.ephemeral()
    following = hour_partition_key(partition_hour(PARTITION) + timedelta(hours=1))
    # Every tick at one moment, so the report's 15-minute cron never fires in between by chance.
    moment = datetime.now(UTC) + timedelta(minutes=1)
    cursor = evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=moment).cursor  # baseline
    assert materialize(raw, partition_key=PARTITION, instance=instance, run_config=QUIET).success

    first = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor, evaluation_time=moment)
    wanted = requested(first)
    assert set(wanted) == DOWNSTREAM  # one tick requests the whole chain (not one run per object)
    # A past hour, not only the latest; and hashtag_trends, which reads the hour in the trailing 24
    # hours of the next ones, is not requested for hours that have no enriched posts of their own.
    assert all(keys == {PARTITION} for keys in wanted.values())
    for key in (PARTITION, following):
        if key == following:
            assert materialize(raw, partition_key=key, instance=instance, run_config=QUIET).success
        assert materialize(
            assets, selection=sorted(wanted), partition_key=key, instance=instance, run_config=QUIET
        ).success
    settled = evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor, evaluation_time=moment)

    # A late batch for the first hour: every asset recomputes that hour, and hashtag_trends the next
    # hour too, whose trailing 24 hours it is part of.
    assert materialize(raw, partition_key=PARTITION, instance=instance, run_config=QUIET).success
    late = requested(
        evaluate_automation_conditions(defs=defs, instance=instance, cursor=settled.cursor, evaluation_time=moment)
    )
    assert late.pop("hashtag_trends") == {PARTITION, following}
    assert late == {key: {PARTITION} for key in DOWNSTREAM - {"hashtag_trends"}}
