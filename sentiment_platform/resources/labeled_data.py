"""Where the labeled tweets for training and evaluation are read from (never copied)."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from sentiment_platform.lib.scoring.datasets import (
    DEFAULT_DATASET_DIR,
    LabeledTexts,
    load_split,
)


class LabeledTweets(ConfigurableResource):
    """The TweetEval sentiment folder (``train``/``val``/``test`` text and label files)."""

    path: str = Field(default=str(DEFAULT_DATASET_DIR), description="Folder of the TweetEval sentiment splits.")

    def split(self, name: str) -> LabeledTexts:
        return load_split(Path(self.path), name)
