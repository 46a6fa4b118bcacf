"""Classification metrics for the three sentiment classes (TweetEval's official one: macro recall)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sentiment_platform.lib.scoring.labels import LABELS


def confusion_matrix(truth: Sequence[int], predicted: Sequence[int]) -> np.ndarray:
    """3x3 counts, rows the true class, columns the predicted one."""
    matrix = np.zeros((3, 3), dtype=np.int64)
    np.add.at(matrix, (np.asarray(truth, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return matrix


def classification_report(truth: Sequence[int], predicted: Sequence[int]) -> dict:
    """Macro recall, accuracy, per-class recall and the confusion matrix of one prediction run."""
    matrix = confusion_matrix(truth, predicted)
    support = matrix.sum(axis=1)
    recalls = np.divide(np.diag(matrix), support, out=np.zeros(3), where=support > 0)
    return {
        "macro_recall": float(recalls.mean()),
        "accuracy": float(np.trace(matrix) / max(matrix.sum(), 1)),
        "recall": {label: float(r) for label, r in zip(LABELS, recalls)},
        "confusion": matrix.tolist(),
        "n": int(matrix.sum()),
    }
