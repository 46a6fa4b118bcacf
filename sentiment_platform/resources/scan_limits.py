"""How much the landing sensor lists and requests per tick."""

from dagster import ConfigurableResource
from pydantic import Field


class LandingScan(ConfigurableResource):
    """How much the landing sensor lists and requests per tick."""

    lookback_hours: int = Field(default=48, description="Hours before the current one listed on every tick.")
    rotation_hours: int = Field(default=24, description="Older hours listed per tick, newest first, in rotation.")
    horizon_hours: int = Field(default=168, description="Hours further back are no longer watched (use a backfill).")
    max_runs: int = Field(default=100, description="Hours requested per tick, oldest first; the rest wait a tick.")
