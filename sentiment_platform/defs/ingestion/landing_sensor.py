"""The landing sensor: new or changed objects in the landing zone (S3 or the local lake) start runs of their hour."""

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    AssetSelection,
    DagsterRunStatus,
    DefaultSensorStatus,
    ResourceParam,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.lib.landing_scan import (
    LANDING_DIGEST,
    ScanCursor,
    run_key,
    scan_landing,
)
from sentiment_platform.resources.clock import Clock
from sentiment_platform.resources.scan_limits import LandingScan

#: What one run of a changed hour materializes: its ingestion and every hourly asset below it, up
#: to the trend tables, so fresh posts reach ``/trends`` in one run (one launch, the models loaded
#: once) rather than one automation hop per layer. The daily rollups and the report follow by
#: their automation conditions.
HOURLY_CHAIN = AssetSelection.assets(
    "raw_posts",
    "raw_users",
    "raw_interactions",
    "raw_images",
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
)
#: Runs that have not finished yet: an hour with one of these is busy.
IN_FLIGHT = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]


@sensor(
    name="landing_sensor",
    target=HOURLY_CHAIN,
    minimum_interval_seconds=15,
    default_status=DefaultSensorStatus.RUNNING,
    description="Requests a run of an hour, from its ingestion to its trend tables, when its landed batches "
    "change (one at a time per hour: a change during a run is taken by the next).",
)
def landing_sensor(
    context: SensorEvaluationContext, storage: ResourceParam[LakeStore], landing_scan: LandingScan, clock: Clock
) -> SensorResult:
    """One run request per hour whose batches changed, keyed by their versions so the same objects
    never run twice and a corrected object always runs again."""
    result = scan_landing(
        storage,
        ScanCursor.from_json(context.cursor),
        clock.now(),
        lookback_hours=landing_scan.lookback_hours,
        rotation_hours=landing_scan.rotation_hours,
        horizon_hours=landing_scan.horizon_hours,
        max_runs=landing_scan.max_runs,
        busy=busy_partitions(context),
    )
    for key in result.unmatched[:20]:
        context.log.warning(f"landing object is not an hour's batch (nested or not .jsonl), ignored: {key}")
    if result.capped:
        context.log.info(f"tick capped at {len(result.requests)} hours; the rest follows on the next tick")
    requests = [
        RunRequest(
            run_key=run_key(partition, change.digest),
            partition_key=partition,
            tags={"sentiment/objects": str(change.objects)},
        )
        for partition, change in sorted(result.requests.items())
        if not _already_ingested(context, partition, change.digest)
    ]
    if not requests:
        return SensorResult(
            skip_reason=SkipReason(f"no changed objects in {result.listed_prefixes} prefixes"),
            cursor=result.cursor.to_json(),
        )
    return SensorResult(run_requests=requests, cursor=result.cursor.to_json())


def busy_partitions(context: SensorEvaluationContext) -> frozenset[str]:
    """The hours a run of this sensor has queued or in progress."""
    runs = context.instance.get_runs(
        filters=RunsFilter(statuses=IN_FLIGHT, tags={"dagster/sensor_name": "landing_sensor"})
    )
    return frozenset(run.tags["dagster/partition"] for run in runs if "dagster/partition" in run.tags)


def _already_ingested(context: SensorEvaluationContext, partition: str, digest: str) -> bool:
    """Whether the hour's latest ingestion read exactly these objects (a run of the demo, a
    schedule or a backfill did): then the cursor only learns them, and nothing runs again."""
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("raw_posts"), asset_partitions=[partition]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return False
    entry = records[0].asset_materialization.metadata.get(LANDING_DIGEST)
    return entry is not None and entry.value == digest
