"""When assets materialize by themselves (evaluated by Dagster's automation sensor)."""

from dagster import AutomationCondition

#: Like ``eager()``, but for every partition, not just the latest: an hour whose inputs were
#: updated (a late batch, a backfill of raw data) is recomputed. Partitions that were never built
#: are not requested by this alone, so enabling automation never launches a backfill of history.
#: Evaluated on each tick of the automation sensor, so a burst of updates is one request per
#: partition per tick, not one per landed object.
FOLLOW_UPSTREAM = (
    AutomationCondition.any_deps_updated().since_last_handled()
    & ~AutomationCondition.any_deps_missing()
    & ~AutomationCondition.any_deps_in_progress()
    & ~AutomationCondition.in_progress()
).with_label("eager (all partitions)")

#: The report refreshes at most every 15 minutes, after its inputs changed.
REPORT_REFRESH = AutomationCondition.on_cron("*/15 * * * *")
