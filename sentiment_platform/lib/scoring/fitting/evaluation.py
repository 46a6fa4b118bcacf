"""Evaluation of text and image scorers on labeled data."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from sentiment_platform.lib.scoring.fitting.datasets import LabeledTexts
from sentiment_platform.lib.scoring.fitting.image_datasets import LabeledImages
from sentiment_platform.lib.scoring.fitting.metrics import classification_report
from sentiment_platform.lib.scoring.images.image_head import image_figures
from sentiment_platform.lib.scoring.images.image_models import ImageModel
from sentiment_platform.lib.scoring.post_fusion import PostFusion
from sentiment_platform.lib.scoring.text.text_models import TextModel


def predicted_classes(probabilities: np.ndarray) -> np.ndarray:
    """Argmax per row; a row the model declined (NaN: unsupported language) counts as neutral."""
    return np.where(np.isnan(probabilities).any(axis=1), 1, np.nan_to_num(probabilities, nan=0.0).argmax(axis=1))


def evaluate_text_model(model: TextModel, data: LabeledTexts) -> dict:
    """The classification report of ``model`` on ``data`` (every text scored, no cache), with speed
    and the number of texts it declined as ``unsupported``."""
    started = time.perf_counter()
    probabilities, _ = model.predict(data.texts)
    seconds = time.perf_counter() - started
    report = classification_report(data.labels, predicted_classes(probabilities))
    return {
        **report,
        "model": model.name,
        "split": data.split,
        "unsupported": int(np.isnan(probabilities).any(axis=1).sum()),
        "texts_per_second": round(len(data) / seconds, 1),
    }


def evaluate_by_language(model: TextModel, parts: Mapping[str, LabeledTexts]) -> dict:
    """Per language (UMSAB val), macro F1 and macro recall of ``model``; their means over languages
    (UMSAB's headline figure is the mean macro F1)."""
    languages = {code: evaluate_text_model(model, part) for code, part in parts.items()}
    return {
        "model": model.name,
        "languages": languages,
        "mean_macro_f1": float(np.mean([r["macro_f1"] for r in languages.values()])),
        "mean_macro_recall": float(np.mean([r["macro_recall"] for r in languages.values()])),
        "texts_per_second": round(
            sum(r["n"] for r in languages.values()) / sum(r["n"] / r["texts_per_second"] for r in languages.values()), 1
        ),
    }


def evaluate_image_model(model: ImageModel, images: Sequence[np.ndarray], labels: Sequence[int], data: str) -> dict:
    """The classification report of ``model`` on decoded ``images`` with their label indexes;
    ``data`` says what the images are (the mock network's held-out ones, in the model asset)."""
    report = classification_report(list(labels), model.predict(list(images)).argmax(axis=1))
    return {**report, "model": model.name, "data": data}


def _image_probabilities(model: ImageModel, data: LabeledImages) -> np.ndarray:
    from sentiment_platform.lib.scoring.images.vision_backbone import image_batches

    probabilities = np.zeros((len(data), 3), dtype=np.float32)
    for start, images in image_batches(data.paths):
        probabilities[start : start + len(images)] = model.predict(images)
    return probabilities


def evaluate_fusion(
    text_model: TextModel,
    image_model: ImageModel,
    fusion: PostFusion,
    data: LabeledImages,
    image_texts: Sequence[str | None] | None = None,
) -> dict:
    """Macro recall of whole posts (text, image and the text read in it fused), of the text alone
    and of the image alone."""
    from sentiment_platform.lib.scoring.images.image_scoring import image_text_probabilities

    text, _ = text_model.predict(data.texts)
    image = _image_probabilities(image_model, data)
    read = image_text_probabilities(image_texts, text_model) if image_texts is not None else None

    def recall(probabilities: np.ndarray) -> float:
        return classification_report(data.labels, predicted_classes(probabilities))["macro_recall"]

    return {
        "fused": recall(fusion.fuse(text, image, read)),
        "text": recall(text),
        "image": recall(image),
        "rows": len(data),
        "with_image_text": sum(t is not None for t in image_texts) if image_texts is not None else 0,
    }


def evaluate_image_on_sets(model: ImageModel, sets: Mapping[str, Mapping[str, LabeledImages]]) -> dict:
    """``model`` on the val split of each labeled image set (see :func:`image_head.image_figures`)."""
    report: dict = {"model": model.name}
    for name, parts in sets.items():
        probabilities = _image_probabilities(model, parts["val"])
        report |= {f"{name}_{key}": value for key, value in image_figures(probabilities, parts["val"]).items()}
        report[f"{name}_rows"] = len(parts["val"])
    return report
