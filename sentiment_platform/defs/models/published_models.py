"""What every model asset does with its trained file: publish it to the lake as the current model."""

from pathlib import Path
from typing import Any

from dagster import DataVersion, MaterializeResult, MetadataValue

from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.lib.model_artifacts import publish_model

#: Under a scorer's ``cache_dir``: where a model asset writes its file before publishing it.
STAGING = "training"


def staging_path(cache_dir: str, model: str, suffix: str) -> Path:
    """Where the asset ``model`` writes its trained file before it goes to the lake."""
    path = Path(cache_dir) / STAGING / f"{model}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def published_result(storage: LakeStore, model: str, path: Path, metadata: dict[str, Any]) -> MaterializeResult:
    """Publish the trained file at ``path`` as ``model``'s current artifact; its content digest is
    the asset's data version, so every score computed with an older artifact is marked stale."""
    artifact = publish_model(storage, model, path)
    return MaterializeResult(
        data_version=DataVersion(artifact.digest),
        metadata={
            "artifact": MetadataValue.path(storage.uri(artifact.key)),
            "digest": artifact.digest,
            **metadata,
        },
    )
