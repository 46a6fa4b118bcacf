"""Where the platform's "now" comes from: the system clock, or a fixed instant (tests, replays)."""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import ConfigurableResource
from pydantic import Field


class Clock(ConfigurableResource):
    """The system clock in UTC. Sensors and schedules that need the time ask this resource rather
    than the wall clock, so their ticks can be replayed and tested at any instant."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)


class FixedClock(Clock):
    """A clock stopped at ``at`` (an ISO-8601 instant; naive values are taken as UTC)."""

    at: str = Field(description="The instant this clock always reports, ISO 8601.")

    def now(self) -> datetime:
        moment = datetime.fromisoformat(self.at)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
