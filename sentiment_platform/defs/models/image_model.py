"""Group ``models``: the image sentiment model's head, and the fusion of text and image into a post score."""

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, ResourceParam, asset
from pydantic import Field

from sentiment_platform.defs.models.published_models import published_result, staging_path
from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.lib.scoring.images.image_head import (
    DEFAULT_C_VALUES,
    ImageHead,
    cross_fitted_probabilities,
    train_image_head,
)
from sentiment_platform.lib.scoring.images.image_scoring import image_text_probabilities
from sentiment_platform.lib.scoring.images.image_text import file_texts
from sentiment_platform.lib.scoring.images.vision_backbone import VisionBackbone, file_features
from sentiment_platform.lib.scoring.post_fusion import DEFAULT_FUSION_C, fit_post_fusion
from sentiment_platform.resources.labeled_images import ImageDatasets
from sentiment_platform.resources.scorers import TEXT_MODEL_ASSETS, ImageScorer, TextScorer


class ImageModelConfig(Config):
    """The candidates tried; each is selected on MVSA val."""

    c_values: list[float] = Field(default=list(DEFAULT_C_VALUES), description="Inverse regularisation tried.")
    limit: int | None = Field(default=None, description="Use only the first N images of each split (smoke tests).")


@asset(group_name="models", kinds={"onnx", "sklearn"})
def image_sentiment_model(
    context: AssetExecutionContext,
    config: ImageModelConfig,
    storage: ResourceParam[LakeStore],
    image_scorer: ImageScorer,
    image_datasets: ImageDatasets,
) -> MaterializeResult:
    """The image model's head (a logistic regression on EfficientNet-Lite0's ImageNet features),
    trained on MVSA train and, where MVSA val says they help, OASIS and Memotion train; published to
    the lake, from where the `vision` image backend loads it. Its figures are on the val splits."""
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
    path = head.save(staging_path(image_scorer.cache_dir, "image_sentiment_model", ".npz"))
    return published_result(
        storage,
        "image_sentiment_model",
        path,
        {
            "file_kb": round(path.stat().st_size / 1e3, 1),
            "trained_on": MetadataValue.json(head.info["trained_on"]),
            "train_rows": MetadataValue.json(head.info["train_rows"]),
            "c": head.info["c"],
            **{name: round(value, 4) for name, value in head.info["figures"].items()},
            "candidates": MetadataValue.json(head.info["candidates"]),
        },
    )


class PostFusionConfig(Config):
    c_values: list[float] = Field(default=list(DEFAULT_FUSION_C), description="Inverse regularisation tried.")
    limit: int | None = Field(default=None, description="Use only the first N posts of each split (smoke tests).")


@asset(deps=[image_sentiment_model, *TEXT_MODEL_ASSETS], group_name="models", kinds={"sklearn"})
def post_fusion_model(
    context: AssetExecutionContext,
    config: PostFusionConfig,
    storage: ResourceParam[LakeStore],
    text_scorer: TextScorer,
    image_scorer: ImageScorer,
    image_datasets: ImageDatasets,
) -> MaterializeResult:
    """The fusion of a post's text, image and image-text (OCR) probabilities into one, trained on
    MVSA's post-level labels (train; image probabilities cross-fitted, so it learns how far the
    image head holds on unseen images), C and the use of the text in images chosen on MVSA val,
    and reported there beside text-only and image-only."""
    text_scorer, image_scorer = text_scorer.with_lake_models(storage), image_scorer.with_lake_models(storage)
    mvsa = image_datasets.sets()["mvsa"]
    if config.limit:
        mvsa = {split: data.subset(list(range(min(config.limit, len(data))))) for split, data in mvsa.items()}
    backbone = VisionBackbone(image_scorer.cache_dir, image_scorer.threads)
    features = {split: file_features(backbone, data.paths, image_scorer.cache_dir) for split, data in mvsa.items()}
    head = ImageHead.load(image_scorer.head_path())
    text_model = text_scorer.load()
    text = {split: text_model.predict(data.texts)[0] for split, data in mvsa.items()}
    reader = image_scorer.load_text_reader()
    read = {
        split: image_text_probabilities(
            file_texts(reader, data.paths, image_scorer.cache_dir) if reader else [None] * len(data), text_model
        )
        for split, data in mvsa.items()
    }
    train_images = cross_fitted_probabilities(features["train"], mvsa["train"].labels, head.info.get("c", 1e-4))
    fusion = fit_post_fusion(
        (text["train"], train_images, read["train"], mvsa["train"].labels),
        (text["val"], head.probabilities(features["val"]), read["val"], mvsa["val"].labels),
        config.c_values,
        context.log.info,
    )
    fusion.info |= {
        "text_model": text_model.name,
        "image_head": str(image_scorer.head_path()),
        "text_reader": reader.name if reader else None,
    }
    path = fusion.save(staging_path(image_scorer.cache_dir, "post_fusion_model", ".npz"))
    recall = fusion.info["val_macro_recall"]
    return published_result(
        storage,
        "post_fusion_model",
        path,
        {
            "c": fusion.info["c"],
            "mvsa_val_macro_recall_fused": recall["fused"],
            "mvsa_val_macro_recall_text": recall["text"],
            "mvsa_val_macro_recall_image": recall["image"],
            "mvsa_val_macro_recall_fused_without_image_text": recall["fused_without_image_text"],
            "uses_image_text": fusion.info["uses_image_text"],
            "mvsa_val_image_text_share": fusion.info["val_image_text_share"],
            "text_model": text_model.name,
        },
    )
