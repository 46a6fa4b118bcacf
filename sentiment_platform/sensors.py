"""The landing sensor: new objects in the landing zone (S3 or the local lake) start runs of their hour."""

from datetime import datetime, timezone

from dagster import (
    AssetSelection,
    ConfigurableResource,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from pydantic import Field

from sentiment_platform.landing_scan import ScanCursor, run_key, scan_landing
from sentiment_platform.resources.storage import LakeStorage


class LandingScan(ConfigurableResource):
    """How much the landing sensor lists and takes per tick."""

    lookback_hours: int = Field(default=48, description="Hours before the current one listed on every tick.")
    rotation_hours: int = Field(default=24, description="Older hours listed per tick, newest first, in rotation.")
    max_new_objects: int = Field(default=1000, description="New objects taken per tick; the rest waits a tick.")


INGESTION = AssetSelection.assets("raw_posts", "raw_users", "raw_interactions", "raw_images")


@sensor(target=INGESTION, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
        description="Requests a run of an hour's ingestion when new batches land for it (downstream assets "
                    "follow by their automation conditions).")
def landing_sensor(context: SensorEvaluationContext, storage: LakeStorage, landing_scan: LandingScan) -> SensorResult:
    """One run request per hour with new objects, keyed so the same objects never run twice."""
    result = scan_landing(storage, ScanCursor.from_json(context.cursor), datetime.now(timezone.utc),
                          lookback_hours=landing_scan.lookback_hours, rotation_hours=landing_scan.rotation_hours,
                          max_new_objects=landing_scan.max_new_objects)
    for key in result.unmatched[:20]:
        context.log.warning(f"landing object matches no hourly partition, ignored: {key}")
    if result.capped:
        context.log.info(f"tick capped at {result.new_objects} new objects; the rest follows on the next tick")
    requests = [RunRequest(run_key=run_key(partition, keys), partition_key=partition,
                           tags={"sentiment/new_objects": str(len(keys))})
                for partition, keys in sorted(result.requests.items())]
    if not requests:
        return SensorResult(skip_reason=SkipReason(f"no new objects in {result.listed_prefixes} prefixes"),
                            cursor=result.cursor.to_json())
    return SensorResult(run_requests=requests, cursor=result.cursor.to_json())
