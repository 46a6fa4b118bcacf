"""The code location: every asset, check, job, schedule, sensor and resource of the platform."""

from __future__ import annotations

from typing import Any

from dagster import Definitions, load_assets_from_modules

from sentiment_platform.assets import (
    cleansing,
    ingestion,
    insights,
    models,
    recommendations,
    sentiment,
    trends,
)
from sentiment_platform.automation import automation_sensor
from sentiment_platform.schedules import (
    daily_rollups_job,
    daily_rollups_schedule,
    hourly_ingestion_job,
    hourly_pull_schedule,
)
from sentiment_platform.sensors import landing_sensor
from sentiment_platform.settings import build_resources

ASSET_MODULES = [ingestion, cleansing, sentiment, trends, insights, recommendations, models]


def build_definitions(resources: dict[str, Any] | None = None) -> Definitions:
    """Assemble the Definitions; resources are read from the environment unless given."""
    return Definitions(
        assets=load_assets_from_modules(ASSET_MODULES),
        jobs=[hourly_ingestion_job, daily_rollups_job],
        schedules=[hourly_pull_schedule, daily_rollups_schedule],
        sensors=[landing_sensor, automation_sensor],
        resources=build_resources() if resources is None else resources,
    )


defs = build_definitions()
