"""When assets materialize by themselves (evaluated by Dagster's automation sensor)."""

from dagster import (
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
)

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
    AutomationCondition.any_deps_updated().since_last_handled()
    & ~AutomationCondition.any_deps_missing()
    & ~AutomationCondition.in_progress()
).with_label("eager (all partitions)")

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
