"""Classification metrics for the three sentiment classes (TweetEval's official one is macro recall,
UMSAB's macro F1)."""

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
    predicted_count = matrix.sum(axis=0)
    f1 = np.divide(2 * np.diag(matrix), support + predicted_count, out=np.zeros(3), where=support + predicted_count > 0)
    return {
        "macro_recall": float(recalls.mean()),
        "macro_f1": float(f1.mean()),
        "accuracy": float(np.trace(matrix) / max(matrix.sum(), 1)),
        "recall": {label: float(r) for label, r in zip(LABELS, recalls)},
        "confusion": matrix.tolist(),
        "n": int(matrix.sum()),
    }


def mean_macro_f1(truth: Sequence[int], predicted: Sequence[int], groups: Sequence[str]) -> float:
    """The mean over groups (languages) of each group's macro F1: UMSAB's headline figure."""
    truth, predicted, groups = np.asarray(truth), np.asarray(predicted), np.asarray(groups)
    return float(
        np.mean(
            [
                classification_report(truth[groups == g], predicted[groups == g])["macro_f1"]
                for g in sorted(set(groups.tolist()))
            ]
        )
    )
