"""Where the labeled tweets for training and evaluation are read from (never copied)."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from sentiment_platform.lib.scoring.fitting.datasets import (
    DEFAULT_DATASET_DIR,
    DEFAULT_UMSAB_DIR,
    LabeledTexts,
    load_split,
    load_umsab,
)


class LabeledTweets(ConfigurableResource):
    """TweetEval sentiment (``train``/``val``/``test``, English) and UMSAB (``train``/``val`` in eight languages)."""

    path: str = Field(default=str(DEFAULT_DATASET_DIR), description="Folder of the TweetEval sentiment splits.")
    umsab_path: str = Field(default=str(DEFAULT_UMSAB_DIR), description="Folder of UMSAB's language folders.")

    def split(self, name: str) -> LabeledTexts:
        return load_split(Path(self.path), name)

    def umsab(self, name: str, limit: int | None = None) -> dict[str, LabeledTexts]:
        """One UMSAB split per language code."""
        return load_umsab(Path(self.umsab_path), name, limit)
