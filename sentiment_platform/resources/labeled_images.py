"""Where the labeled images for training and evaluating the image model are read from (never copied)."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from sentiment_platform.lib.scoring.fitting.image_datasets import (
    DEFAULT_MEMOTION_DIR,
    DEFAULT_MVSA_DIR,
    DEFAULT_OASIS_DIR,
    LabeledImages,
    load_memotion,
    load_mvsa,
    load_oasis,
)


class ImageDatasets(ConfigurableResource):
    """MVSA-Single, OASIS and Memotion 7k, each as ``train`` and ``val`` (stratified, fixed seed)."""

    mvsa_path: str = Field(default=str(DEFAULT_MVSA_DIR), description="Folder of MVSA-Single.")
    oasis_path: str = Field(default=str(DEFAULT_OASIS_DIR), description="Folder of OASIS.")
    memotion_path: str = Field(default=str(DEFAULT_MEMOTION_DIR), description="Folder of Memotion 7k.")

    def sets(self) -> dict[str, dict[str, LabeledImages]]:
        """``{"mvsa": ..., "oasis": ..., "memotion": ...}``, MVSA first (the selection set)."""
        return {
            "mvsa": load_mvsa(self.mvsa_path),
            "oasis": load_oasis(self.oasis_path),
            "memotion": load_memotion(self.memotion_path),
        }
