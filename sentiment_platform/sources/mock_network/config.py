"""Settings of the mock social network."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MockFeedConfig:
    """How much the mock network produces and how much of it is broken.

    The same seed and settings always give the same content for a given hour.
    """

    seed: int = 7
    posts_per_hour: int = 1200
    users: int = 600
    non_english_share: float = 0.12
    reply_share: float = 0.15
    retweet_share: float = 0.08
    duplicate_share: float = 0.02
    malformed_share: float = 0.01
    image_share: float = 0.2
    corrupt_image_share: float = 0.03
    meme_share: float = 0.3
    likes_per_post: float = 2.0
    follow_like_share: float = 0.6  # likes that go to posts of accounts the user follows
    max_text_chars: int = 280

    def __post_init__(self) -> None:
        for name in (
            "non_english_share",
            "reply_share",
            "retweet_share",
            "duplicate_share",
            "malformed_share",
            "image_share",
            "corrupt_image_share",
            "meme_share",
            "follow_like_share",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")
        if self.posts_per_hour < 0 or self.users < 1:
            raise ValueError("posts_per_hour must be >= 0 and users >= 1")
