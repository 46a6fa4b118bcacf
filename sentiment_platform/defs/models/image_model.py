"""Group ``models``: training the image sentiment model's head on real tweet images."""

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from sentiment_platform.lib.scoring.image_head import DEFAULT_C_VALUES, train_image_head
from sentiment_platform.lib.scoring.vision_backbone import VisionBackbone, file_features
from sentiment_platform.resources.labeled_images import ImageDatasets
from sentiment_platform.resources.scorers import ImageScorer


class ImageModelConfig(Config):
    """The candidates tried; each is selected on MVSA val."""

    c_values: list[float] = Field(default=list(DEFAULT_C_VALUES), description="Inverse regularisation tried.")
    limit: int | None = Field(default=None, description="Use only the first N images of each split (smoke tests).")


@asset(group_name="models", kinds={"onnx", "sklearn"})
def image_sentiment_model(
    context: AssetExecutionContext, config: ImageModelConfig, image_scorer: ImageScorer, image_datasets: ImageDatasets
) -> MaterializeResult:
    """The image model's head (a logistic regression on EfficientNet-Lite0's ImageNet features),
    trained on MVSA train and, where MVSA val says they help, OASIS and Memotion train; written
    where the `vision` image backend loads it. Its figures are on the val splits."""
    sets = image_datasets.sets()
    if config.limit:
        sets = {
            name: {split: data.subset(list(range(min(config.limit, len(data))))) for split, data in parts.items()}
            for name, parts in sets.items()
        }
    backbone = VisionBackbone(image_scorer.cache_dir, image_scorer.threads)
    head = train_image_head(
        sets,
        lambda data: file_features(backbone, data.paths, image_scorer.cache_dir),
        config.c_values,
        context.log.info,
    )
    path = head.save(image_scorer.trained_head_path())
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(path)),
            "file_kb": round(path.stat().st_size / 1e3, 1),
            "trained_on": MetadataValue.json(head.info["trained_on"]),
            "train_rows": MetadataValue.json(head.info["train_rows"]),
            "c": head.info["c"],
            **{name: round(value, 4) for name, value in head.info["figures"].items()},
            "candidates": MetadataValue.json(head.info["candidates"]),
        }
    )
