"""A post scored as a whole: its text's and its images' class probabilities, and those of the
text written in its images, fused by a small logistic regression trained on MVSA's post-level
labels, kept as arrays in a ``.npz`` file.

A post with only one of text and image keeps that one's probabilities; with neither, it has none.
An image without readable text adds nothing but an indicator that it has none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from sentiment_platform.lib.scoring.array_files import ArrayFile
from sentiment_platform.lib.scoring.fitting.metrics import classification_report
from sentiment_platform.lib.scoring.shipped_weights import WEIGHTS_DIR

#: The fusion shipped in the package (MVSA train).
DEFAULT_POST_FUSION = WEIGHTS_DIR / "post_fusion.npz"
DEFAULT_FUSION_C = (0.01, 0.1, 1.0, 10.0)
_FLOOR = 1e-6

Log = Callable[[str], None]


def _log(probabilities: np.ndarray) -> np.ndarray:
    return np.log(np.clip(probabilities, _FLOOR, 1))


def _inputs(text: np.ndarray, image: np.ndarray, image_text: np.ndarray) -> np.ndarray:
    has_image_text = ~np.isnan(image_text).any(axis=1, keepdims=True)
    read = np.where(has_image_text, _log(np.nan_to_num(image_text, nan=1.0)), 0.0)
    return np.hstack([_log(text), _log(image), read, has_image_text.astype(np.float64)])


@dataclass
class PostFusion(ArrayFile):
    """Logits = [log p_text, log p_image, log p_image_text (0 without), has image text] @ coef.T
    + intercept."""

    ASSET: ClassVar[str] = "post_fusion_model"

    coef: np.ndarray
    intercept: np.ndarray
    info: dict = field(default_factory=dict)

    def fuse(self, text: np.ndarray, image: np.ndarray, image_text: np.ndarray | None = None) -> np.ndarray:
        """(n, 3) probabilities of whole posts from (n, 3) text, image and image-text
        probabilities (NaN rows where a post has no scored text, image or text in its images)."""
        from sentiment_platform.lib.scoring.text.text_models import softmax

        text, image = np.asarray(text, dtype=np.float64), np.asarray(image, dtype=np.float64)
        image_text = np.full_like(image, np.nan) if image_text is None else np.asarray(image_text, dtype=np.float64)
        has_text, has_image = ~np.isnan(text).any(axis=1), ~np.isnan(image).any(axis=1)
        out = np.where(has_text[:, None], text, image)
        both = has_text & has_image
        if both.any():
            # A fusion trained before images were read has six inputs (text, image): it ignores the rest.
            inputs = _inputs(text[both], image[both], image_text[both])[:, : self.coef.shape[1]]
            out[both] = softmax(inputs @ self.coef.T + self.intercept)
        return out.astype(np.float32)


def labels_and_scores(probabilities: np.ndarray) -> tuple[list[str | None], np.ndarray]:
    """The label and the score (p_positive - p_negative, in [-1, 1]) of each row of
    probabilities; None and NaN for a row without any (a post with neither text nor image)."""
    from sentiment_platform.lib.scoring.labels import LABELS

    known = ~np.isnan(probabilities).any(axis=1)
    labels = [LABELS[int(row.argmax())] if ok else None for row, ok in zip(probabilities, known)]
    return labels, np.clip(probabilities[:, 2] - probabilities[:, 0], -1, 1)


Posts = tuple[np.ndarray, np.ndarray, np.ndarray, Sequence[int]]


def fit_post_fusion(
    train: Posts, val: Posts, c_values: Sequence[float] = DEFAULT_FUSION_C, log: Log = print
) -> PostFusion:
    """The fusion of (text, image, image-text probabilities, labels) trained on ``train``; its C,
    and whether the text in images helps, chosen on ``val`` by macro recall; reported there beside
    text-only, image-only and the fusion without the text in images."""
    from sklearn.linear_model import LogisticRegression

    (text, image, image_text, labels), (val_text, val_image, val_image_text, val_labels) = train, val
    # Fitted on the posts that have both; the others keep the one they have (see ``fuse``).
    both = ~np.isnan(text).any(axis=1) & ~np.isnan(image).any(axis=1)
    text, image, image_text, labels = text[both], image[both], image_text[both], np.asarray(labels)[both]
    unread = np.full_like(image_text, np.nan)

    def val_recall(probabilities: np.ndarray) -> float:
        return classification_report(val_labels, probabilities.argmax(axis=1))["macro_recall"]

    candidates = []
    for reads in (True, False):
        for c in c_values:
            inputs = _inputs(text, image, image_text if reads else unread)
            model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(inputs, labels)
            fusion = PostFusion(model.coef_, model.intercept_)
            recall = val_recall(fusion.fuse(val_text, val_image, val_image_text if reads else None))
            log(f"post fusion, C={c}, text in images {'used' if reads else 'unused'}: val macro recall {recall:.4f}")
            candidates.append((recall, reads, c, fusion))
    recall, reads, c, fusion = max(candidates, key=lambda item: item[0])
    has_read = ~np.isnan(val_image_text).any(axis=1)
    fusion.info = {
        "c": c,
        "uses_image_text": reads,
        "train_rows": len(labels),
        "val_rows": len(val_labels),
        "val_image_text_share": round(float(has_read.mean()), 4),
        "val_macro_recall": {
            "fused": recall,
            "fused_without_image_text": max(r for r, used, _, _ in candidates if not used),
            "text": val_recall(np.where(np.isnan(val_text), 1 / 3, val_text)),
            "image": val_recall(val_image),
        },
    }
    log(f"chose C={c}, text in images {'used' if reads else 'unused'}: {fusion.info['val_macro_recall']}")
    return fusion
