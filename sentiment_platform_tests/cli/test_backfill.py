import pytest
from dagster import AssetKey, DagsterInstance

from sentiment_platform.cli.backfill import (
    finished_partitions,
    partition_range,
    run_backfill_in_process,
)
from sentiment_platform.definitions import build_definitions
from sentiment_platform.resources.scorers import TextScorer
from sentiment_platform.settings import build_resources

pytestmark = [pytest.mark.clock, pytest.mark.materialize]


def test_partition_range_accepts_keys_and_iso_times():
    assert partition_range("2026-11-20-22:00", "2026-11-21T01:30:00+00:00") == [
        "2026-11-20-22:00",
        "2026-11-20-23:00",
        "2026-11-21-00:00",
        "2026-11-21-01:00",
    ]
    with pytest.raises(ValueError):
        partition_range("2026-11-21-00:00", "2026-11-20-00:00")


def test_an_interrupted_backfill_resumes_without_redoing_finished_partitions(tmp_path):
    resources = build_resources({"SENTIMENT_LAKE_ROOT": str(tmp_path / "lake")}, as_env_vars=False)
    resources["text_scorer"] = TextScorer(backend="vader")
    defs = build_definitions(resources)
    partitions = partition_range("2026-11-20-10:00", "2026-11-20-12:00")
    assets = ["raw_posts", "raw_users", "raw_interactions", "cleaned_posts"]
    (tmp_path / "home").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "home")) as instance:

        def interrupt_after_first(key, done, total, status):
            if done == 1:
                raise KeyboardInterrupt  # Ctrl-C after the first partition finished

        with pytest.raises(KeyboardInterrupt):
            run_backfill_in_process(defs, instance, partitions, assets, on_progress=interrupt_after_first)
        report = run_backfill_in_process(defs, instance, partitions, assets)
        assert report.skipped == partitions[:1] and report.succeeded == partitions[1:] and not report.failed
        assert finished_partitions(instance, report.backfill_id) == set(partitions)
        materialized = instance.get_materialized_partitions(AssetKey("cleaned_posts"))
        assert materialized == set(partitions)
        again = run_backfill_in_process(defs, instance, partitions, assets)
        assert again.skipped == partitions and not again.succeeded
    with pytest.raises(ValueError):
        run_backfill_in_process(defs, DagsterInstance.ephemeral(), partitions, ["sentiment_report"])


def test_a_followed_backfill_waits_for_a_daemon_that_is_still_starting():
    import time
    from types import SimpleNamespace

    from sentiment_platform.cli.backfill import wait_for_daemon

    beats: list[dict] = [{}, {}, {"BACKFILL": SimpleNamespace(timestamp=time.time())}]
    instance = SimpleNamespace(get_daemon_heartbeats=lambda: beats.pop(0) if len(beats) > 1 else beats[0])
    slept: list[float] = []
    assert wait_for_daemon(instance, 60, sleep=slept.append) and slept == [2.0, 2.0]
    never = SimpleNamespace(get_daemon_heartbeats=dict)
    slept.clear()
    assert not wait_for_daemon(never, 5, sleep=slept.append) and sum(slept) == 6.0
    assert not wait_for_daemon(never, 0, sleep=slept.append)  # --detach: one look
