"""sentiment_platform: a Dagster asset graph that turns social-media posts into sentiment trends.

The public Python API, for use outside Dagster::

    from sentiment_platform import score_texts, score_images, score_posts, TextScorer, ImageScorer

Names are imported on first use, so ``import sentiment_platform`` stays instant (no Dagster,
torch or Spark until something needs them).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentiment_platform.public_api import score_images, score_posts, score_texts
    from sentiment_platform.resources.scorers import ImageScorer, TextScorer

_PUBLIC = {  # name: the module that defines it
    "score_texts": "sentiment_platform.public_api",
    "score_images": "sentiment_platform.public_api",
    "score_posts": "sentiment_platform.public_api",
    "TextScorer": "sentiment_platform.resources.scorers",
    "ImageScorer": "sentiment_platform.resources.scorers",
}
__all__ = ["ImageScorer", "TextScorer", "score_images", "score_posts", "score_texts"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'sentiment_platform' has no attribute {name!r}")
    return getattr(import_module(_PUBLIC[name]), name)
