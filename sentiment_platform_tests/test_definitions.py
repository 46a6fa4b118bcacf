import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import AssetKey, Definitions, EnvVar

from sentiment_platform.definitions import build_definitions
from sentiment_platform.partitions import (
    daily_partitions,
    hourly_partitions,
    last_complete_hours,
    partition_hour,
)
from sentiment_platform.resources.lake_storage import LocalLakeStorage, S3LakeStorage
from sentiment_platform.resources.notifiers import LogNotifier, WebhookNotifier
from sentiment_platform.resources.post_sources import (
    LandingSource,
    MockNetworkSource,
    XApiSource,
)
from sentiment_platform.settings import build_resources

pytestmark = pytest.mark.materialize

defs = build_definitions()

ROOT = Path(__file__).resolve().parents[1]


def test_definitions_load_with_post_level_assets_on_the_hourly_partitions():
    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    partitions = {key.to_user_string(): graph.get(key).partitions_def for key in graph.get_all_asset_keys()}
    unpartitioned = {
        "sentiment_model",
        "multilingual_sentiment_model",
        "classical_sentiment_model",
        "english_classical_sentiment_model",
        "use_sentiment_model",
        "image_sentiment_model",
        "post_fusion_model",
        "sentiment_model_evaluation",
        "sentiment_report",
    }
    daily = {"topic_daily_summary", "recommendations"}
    assert all(partitions[name] == daily_partitions for name in daily)
    hourly = set(partitions) - unpartitioned - daily
    assert {
        "raw_posts",
        "raw_images",
        "cleaned_posts",
        "post_sentiment",
        "image_sentiment",
        "enriched_posts",
        "sentiment_trends_15m",
        "language_trends_15m",
        "hashtag_trends",
        "user_sentiment_profile",
    } <= hourly
    assert all(partitions[name] == hourly_partitions for name in hourly)
    assert all(partitions[name] is None for name in unpartitioned)


@pytest.mark.clock
def test_downstream_assets_follow_by_automation_and_schedules_target_closed_periods():
    from dagster import build_schedule_context, instance_for_test

    from sentiment_platform.defs.ingestion.hourly_pull import hourly_pull_schedule
    from sentiment_platform.defs.trends.daily_rollups import daily_rollups_schedule

    graph = defs.resolve_asset_graph()
    for name in ("cleaned_posts", "post_sentiment", "enriched_posts"):
        assert graph.get(AssetKey(name)).automation_condition.label == "eager (all partitions)"
    for name in ("sentiment_trends_15m", "hashtag_trends"):
        assert graph.get(AssetKey(name)).automation_condition.label == "eager (all partitions, with look-back)"
    assert graph.get(AssetKey("raw_posts")).automation_condition is None  # started by the sensor or schedule
    moment = datetime(2026, 11, 20, 14, 1, tzinfo=UTC)
    repository = defs.get_repository_def()
    with instance_for_test() as instance:
        hourly = list(
            hourly_pull_schedule.evaluate_tick(
                build_schedule_context(scheduled_execution_time=moment, repository_def=repository, instance=instance)
            ).run_requests
        )
    assert [r.partition_key for r in hourly] == ["2026-11-20-13:00"]
    daily = list(
        daily_rollups_schedule.evaluate_tick(
            build_schedule_context(
                scheduled_execution_time=datetime(2026, 11, 21, 0, 30, tzinfo=UTC), repository_def=repository
            )
        ).run_requests
    )
    assert [r.partition_key for r in daily] == ["2026-11-20"]


@pytest.mark.integration
@pytest.mark.parametrize("target", [["-w", str(ROOT / "workspace.yaml")], ["-m", "sentiment_platform.definitions"]])
def test_dagster_loads_the_code_location_like_dagster_dev(target):
    """By the workspace file (Docker) and by module (the command the README and the demo print),
    under one location name, the one the dg project declares: no name-mismatch warning."""
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", *target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "does not match" not in result.stdout + result.stderr


def test_settings_come_from_the_environment_only_when_set():
    local = build_resources({})
    assert type(local["storage"]) is LocalLakeStorage and local["storage"].root == "data/lake"
    assert type(local["source"]) is MockNetworkSource and type(local["notifier"]) is LogNotifier
    configured = build_resources(
        {
            "SENTIMENT_LAKE_ROOT": "s3://b/p",
            "SENTIMENT_SOURCE": "landing",
            "SENTIMENT_ALERTS_NOTIFIER": "webhook",
            "SENTIMENT_ALERTS_WEBHOOK_URL": "http://h",
        }
    )
    assert type(configured["storage"]) is S3LakeStorage and configured["storage"].root == EnvVar("SENTIMENT_LAKE_ROOT")
    assert type(configured["source"]) is LandingSource and type(configured["notifier"]) is WebhookNotifier
    direct = build_resources({"SENTIMENT_LAKE_ROOT": "s3://b/p", "SENTIMENT_MOCKFEED_SEED": "3"}, as_env_vars=False)
    assert direct["storage"].root == "s3://b/p" and direct["source"].seed == 3
    # Unset variables are not passed: the resource's own field default applies.
    assert "seed" not in local["source"]._get_non_default_public_field_values()
    assert type(build_resources({"SENTIMENT_SOURCE": "x_api", "X_BEARER_TOKEN": "t"})["source"]) is XApiSource
    with pytest.raises(ValueError, match="SENTIMENT_SOURCE='kafka'"):
        build_resources({"SENTIMENT_SOURCE": "kafka"})


def test_the_open_networks_are_sources_chosen_by_name_with_their_secrets_as_references():
    from sentiment_platform.resources.post_sources import FeedsSource, MastodonSource, RedditSource

    reddit = build_resources(
        {
            "SENTIMENT_SOURCE": "reddit",
            "SENTIMENT_REDDIT_SUBREDDITS": "travel=flights",
            "REDDIT_CLIENT_ID": "id",
            "REDDIT_CLIENT_SECRET": "secret",
        }
    )["source"]
    assert type(reddit) is RedditSource and reddit.client_secret == EnvVar("REDDIT_CLIENT_SECRET")
    with pytest.raises(ValueError, match="REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET"):
        build_resources({"SENTIMENT_SOURCE": "reddit", "SENTIMENT_REDDIT_SUBREDDITS": "travel=flights"})
    with pytest.raises(ValueError, match="SENTIMENT_RSS_FEEDS"):
        build_resources({"SENTIMENT_SOURCE": "rss"})
    feeds = build_resources({"SENTIMENT_SOURCE": "rss", "SENTIMENT_RSS_FEEDS": "news=https://n.example/rss"})
    assert type(feeds["source"]) is FeedsSource
    mastodon = build_resources({"SENTIMENT_SOURCE": "mastodon"}, as_env_vars=False)["source"]
    assert type(mastodon) is MastodonSource and "#climate" in mastodon.topics


@pytest.mark.clock
def test_partition_helpers_round_trip():
    now = datetime(2026, 11, 20, 13, 40, tzinfo=UTC)
    hours = last_complete_hours(3, now)
    assert hours == [datetime(2026, 11, 20, h, tzinfo=UTC) for h in (10, 11, 12)]
    key = hours[-1].strftime("%Y-%m-%d-%H:%M")
    assert partition_hour(key) == hours[-1]
    assert key in hourly_partitions.get_partition_keys(current_time=now)


def test_the_x_bearer_token_is_only_referenced_through_the_environment():
    resources = build_resources({"SENTIMENT_SOURCE": "x_api", "X_BEARER_TOKEN": "s3cr3t"})
    assert resources["source"].bearer_token == EnvVar("X_BEARER_TOKEN")
    assert "s3cr3t" not in repr(resources["source"])
    with pytest.raises(ValueError, match="X_BEARER_TOKEN"):  # refused at load, not at the first run
        build_resources({"SENTIMENT_SOURCE": "x_api"})


@pytest.mark.clock
def test_the_hour_in_progress_is_a_partition_so_pushed_data_runs_as_it_arrives():
    now = datetime(2026, 11, 20, 13, 40, tzinfo=UTC)
    assert hourly_partitions.get_partition_keys(current_time=now)[-1] == "2026-11-20-13:00"
    assert daily_partitions.get_partition_keys(current_time=now)[-1] == "2026-11-20"


def _upstream_hours(child: AssetKey, parent: str, key: str) -> list[str]:
    graph = defs.resolve_asset_graph()
    child_partitions = graph.get(child).partitions_def
    mapping = graph.get_partition_mapping(child, AssetKey(parent))
    result = mapping.get_upstream_mapped_partitions_result_for_partitions(
        child_partitions.empty_subset().with_partition_keys([key]), child_partitions, hourly_partitions
    )
    return sorted(result.partitions_subset.get_partition_keys())


def test_look_backs_are_declared_as_partition_mappings_with_their_offsets():
    # hashtag_trends: its hour and the 24 before it.
    hours = _upstream_hours(AssetKey("hashtag_trends"), "enriched_posts", "2026-03-10-05:00")
    assert (len(hours), hours[0], hours[-1]) == (25, "2026-03-09-05:00", "2026-03-10-05:00")
    # recommendations: every hour of the 7 days ending with its day, of both inputs.
    for parent in ("cleaned_interactions", "enriched_posts"):
        hours = _upstream_hours(AssetKey("recommendations"), parent, "2026-03-10")
        assert (len(hours), hours[0], hours[-1]) == (168, "2026-03-04-00:00", "2026-03-10-23:00")
    # The alert checks of sentiment_trends_15m: its own rows of the 24 hours before the hour.
    hours = _upstream_hours(AssetKey("sentiment_trends_15m"), "sentiment_trends_15m", "2026-03-10-05:00")
    assert (len(hours), hours[0], hours[-1]) == (24, "2026-03-09-05:00", "2026-03-10-04:00")
    # The first hour of data has no trailing hours, and that is not an error.
    assert _upstream_hours(AssetKey("hashtag_trends"), "enriched_posts", "2026-01-01-00:00") == ["2026-01-01-00:00"]
