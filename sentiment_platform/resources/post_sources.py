"""Where posts come from: the mock network, the X API or news feeds pulled each hour, or only what
was pushed (a live listener, an import)."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime

from dagster import ConfigurableResource
from pydantic import Field

from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.sources.mock_network.config import MockFeedConfig


class PostSource(ConfigurableResource):
    """The configured source of posts: :class:`MockNetworkSource`, :class:`XApiSource`,
    :class:`FeedsSource`, :class:`BlueskySource`, :class:`MastodonSource`,
    :class:`RedditSource` or :class:`LandingSource`. Materializing an hour
    first asks it to land that hour."""

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


class FeedsSource(PostSource):
    """News feeds (RSS, Atom), read each hour: an entry published in the hour is a post of its feed's
    topic."""

    feeds: str = Field(description="The feeds by topic: topic=url|url;topic=url.")
    max_feed_bytes: int = Field(default=5 * 1024 * 1024, description="The largest feed read (bytes).")

    def prepare_hour(self, storage: LakeStore, hour: datetime) -> dict[str, int]:
        from sentiment_platform.sources.http_client import HttpClient
        from sentiment_platform.sources.live.feeds import land_feeds_hour, parse_feeds

        client = HttpClient()
        try:
            return land_feeds_hour(storage, hour, client, parse_feeds(self.feeds), self.max_feed_bytes)
        finally:
            client.close()


def _default_topic_rules() -> str:
    from sentiment_platform.sources.live.topic_rules import default_topic_rules

    return default_topic_rules()


class MastodonSource(PostSource):
    """Mastodon instances' public hashtag timelines, read each hour (no account needed): the
    hashtags of each topic rule are the timelines of that topic."""

    instances: str = Field(default="https://mastodon.social", description="Comma-separated instance URLs.")
    topics: str = Field(
        default_factory=_default_topic_rules,
        description="Topic rules, topic=term|#hashtag;...: their #hashtags are the timelines read.",
    )
    max_requests: int = Field(default=200, description="Request budget per hour pulled.")

    def prepare_hour(self, storage: LakeStore, hour: datetime) -> dict[str, int]:
        from sentiment_platform.sources.http_client import HttpClient
        from sentiment_platform.sources.live.mastodon import land_mastodon_hour
        from sentiment_platform.sources.live.topic_rules import TopicRules

        rules = TopicRules.parse(self.topics)
        hashtags = {topic: [t for t in terms if t.startswith("#")] for topic, terms in rules.search_terms.items()}
        instances = [url.strip() for url in self.instances.split(",") if url.strip()]
        client = HttpClient()
        try:
            return land_mastodon_hour(storage, hour, client, instances, hashtags, self.max_requests)
        finally:
            client.close()


class RedditSource(PostSource):
    """Subreddits' new submissions and comments, read each hour with an app's key (application-only
    OAuth: no user account)."""

    subreddits: str = Field(description="The subreddits by topic: topic=subreddit|subreddit;topic=subreddit.")
    client_id: str = Field(description="The Reddit app's client id; set from REDDIT_CLIENT_ID only.")
    client_secret: str = Field(description="The Reddit app's secret; set from REDDIT_CLIENT_SECRET only.")
    api_url: str = Field(default="https://oauth.reddit.com", description="Reddit's OAuth API.")
    token_url: str = Field(default="https://www.reddit.com/api/v1/access_token", description="Reddit's token endpoint.")
    max_requests: int = Field(default=200, description="Request budget per hour pulled.")

    def prepare_hour(self, storage: LakeStore, hour: datetime) -> dict[str, int]:
        from sentiment_platform.sources.live.reddit import RedditApp, land_reddit_hour
        from sentiment_platform.sources.live.topic_rules import topic_lists

        names = topic_lists(self.subreddits, "subreddits")
        by_topic = {topic: [name.removeprefix("r/") for name in listed] for topic, listed in names.items()}
        addresses = {name: getattr(self, name) for name in ("token_url", "api_url") if getattr(self, name)}
        app = RedditApp(self.client_id, self.client_secret, **addresses)
        return land_reddit_hour(storage, hour, app, by_topic, self.max_requests)


class BlueskySource(PostSource):
    """Bluesky's post search, read each hour for the topic rules' terms (for pulls and backfills;
    ``sentiment-platform stream --source bluesky`` listens to the firehose live instead)."""

    search_url: str | None = Field(
        default=None, description="The app.bsky.feed.searchPosts endpoint of an AppView (unset: Bluesky's public one)."
    )
    topics: str = Field(
        default_factory=_default_topic_rules,
        description="Topic rules, topic=term|#hashtag;...: each term is searched for its topic.",
    )
    max_requests: int = Field(default=200, description="Request budget per hour pulled.")

    def prepare_hour(self, storage: LakeStore, hour: datetime) -> dict[str, int]:
        from sentiment_platform.sources.http_client import HttpClient
        from sentiment_platform.sources.live.bluesky_search import SEARCH_URL, land_bluesky_hour
        from sentiment_platform.sources.live.topic_rules import TopicRules

        terms = TopicRules.parse(self.topics).search_terms
        client = HttpClient()
        try:
            return land_bluesky_hour(storage, hour, client, terms, self.search_url or SEARCH_URL, self.max_requests)
        finally:
            client.close()
