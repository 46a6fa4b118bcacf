"""The API's response bodies, so that the OpenAPI schema describes every row it returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Label = Literal["negative", "neutral", "positive"]


class Page(BaseModel):
    """A page of rows: how many there are in all, and where the next page starts."""

    limit: int
    offset: int
    count: int = Field(description="Rows on this page.")
    total: int = Field(description="Rows matching the request, over all pages.")
    next_offset: int | None = Field(description="The `offset` of the next page; null on the last page.")


class TrendRow(BaseModel):
    window_start: datetime
    window_end: datetime
    topic: str
    lang: str | None = Field(default=None, description="Only with `lang`: the language of these posts.")
    posts: int
    positive: int
    neutral: int
    negative: int
    positive_share: float | None = Field(description="Of the posts with a label.")
    neutral_share: float | None
    negative_share: float | None
    mean_score: float | None = Field(description="Mean post score in [-1, 1] (text and image fused).")
    mean_confidence: float | None
    image_posts: int | None = Field(description="Posts with a scored image.")
    mean_image_score: float | None
    unsupported: int | None = Field(description="Posts in a language no installed model covers.")


class TrendsPage(Page):
    window: Literal["15m", "1h", "1d"]
    topic: str | None
    lang: str | None
    start: datetime
    end: datetime
    rows: list[TrendRow]


class LanguageRow(BaseModel):
    lang: str
    posts: int
    unsupported: int | None
    positive_share: float | None
    negative_share: float | None


class LanguagesPage(BaseModel):
    start: datetime
    end: datetime
    count: int
    rows: list[LanguageRow]


class TopicRow(BaseModel):
    topic: str
    posts: int
    first_window: datetime
    last_window: datetime


class HashtagRow(BaseModel):
    hashtag: str
    posts: int
    mean_score: float | None
    negative_share: float | None
    posts_change_vs_24h: float | None = Field(description="Posts against the trailing 24 hours' mean.")


class HashtagsPage(BaseModel):
    hours: int
    count: int
    rows: list[HashtagRow]


class AlertRow(BaseModel):
    alert_id: str
    kind: str
    topic: str | None
    window_start: datetime
    value: float | None
    baseline: float | None
    z: float | None
    threshold: float | None
    sent_at: datetime | None


class AlertsPage(BaseModel):
    count: int
    rows: list[AlertRow]


class Post(BaseModel):
    """A post of the warehouse's `posts` table (further columns may follow)."""

    model_config = ConfigDict(extra="allow")

    post_id: str
    author_id: str | None = None
    created_at: datetime | None = None
    topic: str | None = None
    lang: str | None = None
    text: str | None = None
    hashtags: list[str] | None = None
    sentiment: Label | None = Field(default=None, description="The text's label.")
    score: float | None = Field(default=None, description="The text's score in [-1, 1].")
    image_count: int | None = None
    image_score: float | None = None
    image_label: Label | None = None
    image_keys: list[str] | None = Field(default=None, description="Its scored images (see `/images/{name}`).")
    post_label: Label | None = Field(default=None, description="The post as a whole (text and image fused).")
    post_score: float | None = None


class PostsPage(Page):
    topic: str | None
    label: Label | None
    hashtag: str | None = None
    rows: list[Post]


class UserProfile(BaseModel):
    user_id: str
    handle: str | None
    posts: int
    mean_score: float | None
    dominant_sentiment: Label | None
    positive: int
    neutral: int
    negative: int
    last_seen: datetime | None


class RecommendationRow(BaseModel):
    model_config = ConfigDict(extra="allow")

    day: date
    rank: int
    post_id: str
    topic: str | None = None
    score: float | None = None


class Recommendations(BaseModel):
    user_id: str
    source: Literal["personalized", "popular_fallback"]
    personalized: bool
    reason: str | None = None
    day: date | None
    count: int
    rows: list[RecommendationRow]


class Health(BaseModel):
    status: Literal["ok"]
    tables: dict[str, int] = Field(description="Estimated rows per warehouse table.")
