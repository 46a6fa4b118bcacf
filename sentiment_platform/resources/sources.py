"""Where posts come from: the mock network in pull mode, or only what was pushed to the landing zone."""

from __future__ import annotations

from datetime import datetime

from dagster import ConfigurableResource
from pydantic import Field

from sentiment_platform.mockfeed import MockFeedConfig, land_hour
from sentiment_platform.resources.storage import LakeStorage
from sentiment_platform.x_api import XApiClient, land_x_api_hour

SOURCE_KINDS = ("mockfeed", "landing", "x_api")


class PostSource(ConfigurableResource):
    """The configured source of posts.

    ``mockfeed``: the mock network is pulled, so materializing an hour first lands that hour's
    content (deterministic from ``seed``). ``landing``: the platform reads only what a firehose or any
    external producer pushed into the landing zone.
    """

    kind: str = Field(default="mockfeed", description="mockfeed (pull) or landing (push only).")
    seed: int = Field(default=7, description="Seed of the mock network (pull mode).")
    posts_per_hour: int = Field(default=1200, description="Mean posts per hour of the mock network.")
    malformed_share: float = Field(default=0.01, description="Share of malformed records it sends.")
    x_api_base_url: str = Field(default="https://api.x.com", description="X API v2 base URL (x_api).")
    x_topics: str = Field(default="tech,sports,politics,climate,entertainment,travel",
                          description="Comma-separated topics searched each hour (x_api).")
    x_max_requests: int = Field(default=200, description="Request budget per run (x_api).")
    x_bearer_token: str | None = Field(default=None, description="Bearer token; set from X_BEARER_TOKEN only.")

    def mockfeed_config(self) -> MockFeedConfig:
        return MockFeedConfig(
            seed=self.seed, posts_per_hour=self.posts_per_hour, malformed_share=self.malformed_share
        )

    def prepare_hour(self, storage: LakeStorage, hour: datetime) -> dict[str, int]:
        """Land the hour when the source is pulled; returns what was landed (nothing for ``landing``)."""
        if self.kind == "mockfeed":
            return land_hour(storage, hour, self.mockfeed_config())
        if self.kind == "landing":
            return {}
        if self.kind == "x_api":
            if not self.x_bearer_token:
                raise ValueError("the x_api source needs the X_BEARER_TOKEN environment variable")
            client = XApiClient(self.x_api_base_url.rstrip("/"), self.x_bearer_token, max_requests=self.x_max_requests)
            topics = [topic.strip() for topic in self.x_topics.split(",") if topic.strip()]
            return land_x_api_hour(storage, hour, client, topics)
        raise ValueError(f"unknown post source {self.kind!r}: expected one of {SOURCE_KINDS}")
