"""Where posts come from: the mock network or the X API pulled each hour, or only what was pushed."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime

from dagster import ConfigurableResource
from pydantic import Field

from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.sources.mock_network.config import MockFeedConfig


class PostSource(ConfigurableResource):
    """The configured source of posts: :class:`MockNetworkSource`, :class:`XApiSource` or
    :class:`LandingSource`. Materializing an hour first asks it to land that hour."""

    @abstractmethod
    def prepare_hour(self, storage: LakeStore, hour: datetime) -> dict[str, int]:
        """Land the hour when the source is pulled; returns what was landed per dataset."""


class MockNetworkSource(PostSource):
    """The mock social network, pulled: each hour's content is deterministic from ``seed``."""

    seed: int = Field(default=MockFeedConfig.seed, description="Seed of the mock network.")
    posts_per_hour: int = Field(
        default=MockFeedConfig.posts_per_hour, description="Mean posts per hour of the mock network."
    )
    malformed_share: float = Field(
        default=MockFeedConfig.malformed_share, description="Share of malformed records it sends."
    )

    def prepare_hour(self, storage: LakeStore, hour: datetime) -> dict[str, int]:
        from sentiment_platform.sources.mock_network import land_hour

        config = MockFeedConfig(
            seed=self.seed, posts_per_hour=self.posts_per_hour, malformed_share=self.malformed_share
        )
        return land_hour(storage, hour, config)


class LandingSource(PostSource):
    """Push only: the platform reads what a firehose or any external producer put in the landing zone."""

    def prepare_hour(self, storage: LakeStore, hour: datetime) -> dict[str, int]:
        return {}


class XApiSource(PostSource):
    """The X API v2 recent search, pulled per topic each hour."""

    base_url: str = Field(default="https://api.x.com", description="X API v2 base URL.")
    topics: str = Field(
        default="tech,sports,politics,climate,entertainment,travel",
        description="Comma-separated topics searched each hour.",
    )
    max_requests: int = Field(default=200, description="Request budget per hour pulled.")
    bearer_token: str = Field(description="Bearer token; set from X_BEARER_TOKEN only.")

    def prepare_hour(self, storage: LakeStore, hour: datetime) -> dict[str, int]:
        from sentiment_platform.sources.x_api_client import XApiClient, land_x_api_hour

        client = XApiClient(self.base_url, self.bearer_token, max_requests=self.max_requests)
        topics = [topic.strip() for topic in self.topics.split(",") if topic.strip()]
        try:
            return land_x_api_hour(storage, hour, client, topics)
        finally:
            client.http.close()
