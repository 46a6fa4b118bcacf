"""The image sentiment model's trained part: a multinomial logistic regression on the backbone's
pooled features (standardised), with class offsets, kept as arrays in a small ``.npz`` file.

Trained on MVSA train plus the extra sets chosen on MVSA val (OASIS, Memotion), its inverse
regularisation and offsets selected by three-class macro recall on MVSA val.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from sentiment_platform.lib.scoring.array_files import ArrayFile
from sentiment_platform.lib.scoring.fitting.image_datasets import LabeledImages
from sentiment_platform.lib.scoring.fitting.metrics import classification_report
from sentiment_platform.lib.scoring.fitting.training import choose_logit_offsets
from sentiment_platform.lib.scoring.shipped_weights import WEIGHTS_DIR

#: The head shipped in the package: the offline default image model's trained part.
DEFAULT_IMAGE_HEAD = WEIGHTS_DIR / "image_head.npz"
#: Strong regularisation: 1280 features, a few thousand noisy labels.
DEFAULT_C_VALUES = (3e-5, 1e-4, 3e-4, 1e-3)

Log = Callable[[str], None]


@dataclass
class ImageHead(ArrayFile):
    """Standardise, a linear layer, class offsets: features (n, 1280) -> logits (n, 3)."""

    ASSET: ClassVar[str] = "image_sentiment_model"

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    offsets: np.ndarray
    info: dict = field(default_factory=dict)

    def logits(self, features: np.ndarray) -> np.ndarray:
        standard = (features - self.mean) / self.scale
        return standard @ self.coef.T + self.intercept + self.offsets

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        from sentiment_platform.lib.scoring.text.text_models import softmax

        return softmax(self.logits(features)).astype(np.float32)


def head_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def fit_head(features: np.ndarray, labels: Sequence[int], c: float) -> ImageHead:
    """A class-balanced logistic regression on standardised ``features`` (no offsets)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit((features - mean) / scale, labels)
    return ImageHead(mean, scale, model.coef_, model.intercept_, np.zeros(3))


def cross_fitted_probabilities(features: np.ndarray, labels: Sequence[int], c: float, folds: int = 5) -> np.ndarray:
    """Each row's probabilities from a head that did not see it (``folds`` stratified folds), so a
    model stacked on them learns how far the head is to be trusted on new images."""
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels)
    out = np.zeros((len(labels), 3), dtype=np.float32)
    for fit_rows, held_rows in StratifiedKFold(folds, shuffle=True, random_state=7).split(features, labels):
        out[held_rows] = fit_head(features[fit_rows], labels[fit_rows], c).probabilities(features[held_rows])
    return out


def fit_image_head(
    train: Mapping[str, tuple[np.ndarray, Sequence[int]]],
    val_features: np.ndarray,
    val_labels: Sequence[int],
    c_values: Sequence[float] = DEFAULT_C_VALUES,
    log: Log = print,
) -> ImageHead:
    """For each subset of the extra training sets (``train`` minus its first, which is always used)
    and each C, a class-balanced logistic regression; the best by val macro recall, then logit
    offsets chosen on val."""
    from itertools import combinations

    started = time.perf_counter()
    names = list(train)
    base, extras = names[0], names[1:]
    val_labels = list(val_labels)
    candidates = []
    for size in range(len(extras) + 1):
        for chosen in combinations(extras, size):
            used = [base, *chosen]
            features = np.concatenate([train[name][0] for name in used])
            labels = np.concatenate([np.asarray(train[name][1]) for name in used])
            for c in c_values:
                head = fit_head(features, labels, c)
                logits = head.logits(val_features)
                recall = classification_report(val_labels, logits.argmax(axis=1))["macro_recall"]
                log(f"image head on {'+'.join(used)}, C={c}: val macro recall {recall:.4f}")
                candidates.append((recall, used, c, head, logits))
    recall, used, c, head, logits = max(candidates, key=lambda row: row[0])
    offsets = choose_logit_offsets(logits, val_labels)
    report = classification_report(val_labels, (logits + offsets).argmax(axis=1))
    log(f"chose {'+'.join(used)}, C={c} (val {recall:.4f}); offsets {offsets.tolist()} -> {report['macro_recall']:.4f}")
    info = {
        "trained_on": used,
        "train_rows": {name: len(train[name][1]) for name in used},
        "c": c,
        "logit_offsets": offsets.tolist(),
        "val": report,
        "candidates": [{"trained_on": row[1], "c": row[2], "val_macro_recall": row[0]} for row in candidates],
        "seconds": round(time.perf_counter() - started, 1),
    }
    return ImageHead(head.mean, head.scale, head.coef, head.intercept, offsets, info)


def image_figures(probabilities: np.ndarray, data: LabeledImages) -> dict[str, float]:
    """Macro recall of the predictions against ``data``'s labels, and the rank correlation of the
    score (p_positive - p_negative) with the valence where ``data`` has one."""
    from scipy.stats import spearmanr

    figures = {"macro_recall": classification_report(data.labels, probabilities.argmax(axis=1))["macro_recall"]}
    if data.valence is not None:
        figures["spearman"] = float(spearmanr(probabilities[:, 2] - probabilities[:, 0], data.valence).statistic)
    return figures


def train_image_head(
    sets: Mapping[str, Mapping[str, LabeledImages]],
    features: Callable[[LabeledImages], np.ndarray],
    c_values: Sequence[float] = DEFAULT_C_VALUES,
    log: Log = print,
) -> ImageHead:
    """The head over ``features`` trained on the train splits of ``sets`` (``mvsa`` first and always
    used; ``oasis``, ``memotion`` if chosen on MVSA val), with its figures on every val split:
    macro recall on MVSA and Memotion, the rank correlation of the score with OASIS valence."""
    computed = {name: {split: features(data) for split, data in parts.items()} for name, parts in sets.items()}
    train = {name: (computed[name]["train"], sets[name]["train"].labels) for name in sets}
    head = fit_image_head(train, computed["mvsa"]["val"], sets["mvsa"]["val"].labels, c_values, log)
    figures = {}
    for name, parts in sets.items():
        found = image_figures(head.probabilities(computed[name]["val"]), parts["val"])
        figures |= {f"{name}_val_{key}": value for key, value in found.items()}
    head.info |= {"figures": figures, "val_rows": {name: len(parts["val"]) for name, parts in sets.items()}}
    return head
