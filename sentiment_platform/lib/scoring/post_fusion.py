"""A post scored as a whole: its text's and its images' class probabilities fused by a small
logistic regression trained on MVSA's post-level labels, kept as arrays in a ``.npz`` file.

A post with only one of the two keeps that one's probabilities; with neither, it has none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sentiment_platform.lib.scoring.array_files import load_arrays, save_arrays
from sentiment_platform.lib.scoring.metrics import classification_report

#: The fusion shipped in the package (MVSA train).
DEFAULT_POST_FUSION = Path(__file__).parent / "weights" / "post_fusion.npz"
DEFAULT_FUSION_C = (0.01, 0.1, 1.0, 10.0)
_FLOOR = 1e-6

Log = Callable[[str], None]


def _inputs(text: np.ndarray, image: np.ndarray) -> np.ndarray:
    return np.hstack([np.log(np.clip(text, _FLOOR, 1)), np.log(np.clip(image, _FLOOR, 1))])


@dataclass
class PostFusion:
    """Logits = [log p_text, log p_image] @ coef.T + intercept."""

    coef: np.ndarray
    intercept: np.ndarray
    info: dict = field(default_factory=dict)

    def fuse(self, text: np.ndarray, image: np.ndarray) -> np.ndarray:
        """(n, 3) probabilities of whole posts from (n, 3) text and image probabilities (NaN rows
        where a post has no scored text or no scored image)."""
        from sentiment_platform.lib.scoring.text_models import softmax

        text, image = np.asarray(text, dtype=np.float64), np.asarray(image, dtype=np.float64)
        has_text, has_image = ~np.isnan(text).any(axis=1), ~np.isnan(image).any(axis=1)
        out = np.where(has_text[:, None], text, image)
        both = has_text & has_image
        if both.any():
            out[both] = softmax(_inputs(text[both], image[both]) @ self.coef.T + self.intercept)
        return out.astype(np.float32)

    def save(self, path: str | Path) -> Path:
        arrays = {"coef": self.coef.astype(np.float32), "intercept": self.intercept.astype(np.float32)}
        return save_arrays(path, arrays, self.info)

    @classmethod
    def load(cls, path: str | Path) -> PostFusion:
        arrays, info = load_arrays(path, "materialize `post_fusion_model`")
        return cls(arrays["coef"], arrays["intercept"], info)


def labels_and_scores(probabilities: np.ndarray) -> tuple[list[str | None], np.ndarray]:
    """The label and the score (p_positive - p_negative, in [-1, 1]) of each row of
    probabilities; None and NaN for a row without any (a post with neither text nor image)."""
    from sentiment_platform.lib.scoring.labels import LABELS

    known = ~np.isnan(probabilities).any(axis=1)
    labels = [LABELS[int(row.argmax())] if ok else None for row, ok in zip(probabilities, known)]
    return labels, np.clip(probabilities[:, 2] - probabilities[:, 0], -1, 1)


def fit_post_fusion(
    train: tuple[np.ndarray, np.ndarray, Sequence[int]],
    val: tuple[np.ndarray, np.ndarray, Sequence[int]],
    c_values: Sequence[float] = DEFAULT_FUSION_C,
    log: Log = print,
) -> PostFusion:
    """The fusion of (text, image, labels) trained on ``train``, its C chosen on ``val`` by macro
    recall, reported beside text-only and image-only on ``val``."""
    from sklearn.linear_model import LogisticRegression

    (text, image, labels), (val_text, val_image, val_labels) = train, val
    # Fitted on the posts that have both; the others keep the one they have (see ``fuse``).
    both = ~np.isnan(text).any(axis=1) & ~np.isnan(image).any(axis=1)
    text, image, labels = text[both], image[both], np.asarray(labels)[both]
    val_text_or_neutral = np.where(np.isnan(val_text), 1 / 3, val_text)
    best = None
    for c in c_values:
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(_inputs(text, image), labels)
        fusion = PostFusion(model.coef_, model.intercept_)
        recall = classification_report(val_labels, fusion.fuse(val_text, val_image).argmax(axis=1))["macro_recall"]
        log(f"post fusion, C={c}: val macro recall {recall:.4f}")
        if best is None or recall > best[0]:
            best = (recall, c, fusion)
    recall, c, fusion = best

    def val_recall(probabilities: np.ndarray) -> float:
        return classification_report(val_labels, probabilities.argmax(axis=1))["macro_recall"]

    fusion.info = {
        "c": c,
        "train_rows": len(labels),
        "val_rows": len(val_labels),
        "val_macro_recall": {
            "fused": recall,
            "text": val_recall(val_text_or_neutral),
            "image": val_recall(val_image),
        },
    }
    log(f"chose C={c}: {fusion.info['val_macro_recall']}")
    return fusion
