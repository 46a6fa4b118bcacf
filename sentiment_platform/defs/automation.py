"""When assets materialize by themselves (evaluated by Dagster's automation sensor)."""

from collections.abc import Callable
from typing import Any

from dagster import (
    AssetKey,
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    AutomationContext,
    AutomationResult,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    ScheduleDefinition,
    schedule,
)

#: The trained models are not followed: a retrained model marks every score stale (its data version
#: changed), and which history to rescore is the user's call (a backfill), not 8,000 runs at once; a
#: fresh install has no trained model and scores with the shipped files.
MODELS = AssetSelection.groups("models")

#: Like ``eager()``, but for every partition, not just the latest: an hour whose inputs were
#: updated (a late batch, a backfill of raw data) is recomputed. Partitions that were never built
#: are not requested by this alone, so enabling automation never launches a backfill of history.
#: Evaluated on each tick of the automation sensor, so a burst of updates is one request per
#: partition per tick, not one per landed object.
#: Unlike ``eager()`` it does not wait for upstream runs to finish: a firehose keeps the current
#: hour's ingestion almost always in progress, and waiting would hold everything below it back.
#: Every asset reads the lake's committed state, so running beside an upstream run is safe, and
#: the upstream run's completion triggers one more pass.
FOLLOW_UPSTREAM = (
    AutomationCondition.any_deps_updated().ignore(MODELS).since_last_handled()
    & ~AutomationCondition.any_deps_missing().ignore(MODELS)
    & ~AutomationCondition.in_progress()
).with_label("eager (all partitions)")


class SamePartitionMissing(AutomationCondition[AssetKey]):
    """True for the partitions whose own partition of ``upstream`` (same key) is missing and not
    requested in this tick.

    ``any_deps_missing`` looks at every partition a dependency maps to; for an asset that reads the
    trailing 24 hours it would wait forever for hours before the first data. Such an asset needs its
    own hour; the trailing ones are used as far as they exist.
    """

    def __init__(self, upstream: str):
        self.upstream = AssetKey(upstream)

    @property
    def name(self) -> str:
        return f"same_partition_of_{self.upstream.to_user_string()}_missing"

    async def evaluate(self, context: AutomationContext) -> AutomationResult:
        view = context.asset_graph_view
        keys = context.candidate_subset.expensively_compute_partition_keys()
        upstream_partitions = context.asset_graph.get(self.upstream).partitions_def
        same = view.get_subset_from_partition_keys(self.upstream, upstream_partitions, keys)
        missing = await view.compute_missing_subset(key=self.upstream, from_subset=same)
        requested = context.request_subsets_by_key.get(self.upstream)
        if requested is not None:
            missing = missing.compute_difference(requested)
        true_keys = missing.expensively_compute_partition_keys()
        return AutomationResult(
            context, true_subset=view.get_subset_from_partition_keys(context.key, context.partitions_def, true_keys)
        )


def follow_upstream_with_look_back(upstream: str, own_history: str | None = None) -> AutomationCondition:
    """``FOLLOW_UPSTREAM`` for an asset that reads trailing partitions of ``upstream`` (a
    ``trailing_partitions`` mapping): an update of any hour it reads recomputes it, as long as its
    own hour of ``upstream`` exists.

    ``own_history``: the asset's own key when it also reads its earlier partitions; their updates
    do not trigger it, or one late hour would ripple through the next 24, one tick at a time.
    """
    updated = AutomationCondition.any_deps_updated().ignore(MODELS)
    if own_history:
        updated = updated.ignore(AssetSelection.assets(own_history))
    return (
        updated.since_last_handled() & ~SamePartitionMissing(upstream) & ~AutomationCondition.in_progress()
    ).with_label("eager (all partitions, with look-back)")


#: The report refreshes at most every 15 minutes, after its inputs changed.
REPORT_REFRESH = AutomationCondition.on_cron("*/15 * * * *")

#: Evaluates the conditions above; running by default, so a deployment follows new data unattended.
automation_sensor = AutomationConditionSensorDefinition(
    "automation",
    target=AssetSelection.all(),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Materializes assets whose automation condition is true.",
)


def stopped_schedule(job: Any, cron_schedule: str, name: str) -> Callable[..., ScheduleDefinition]:
    """``@schedule`` on UTC time, off until it is turned on in the UI (a fresh install launches nothing)."""
    return schedule(
        job=job,
        cron_schedule=cron_schedule,
        execution_timezone="UTC",
        name=name,
        default_status=DefaultScheduleStatus.STOPPED,
    )
