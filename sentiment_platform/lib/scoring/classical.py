"""The classical baseline: TF-IDF word and character n-grams with logistic regression.

Language-agnostic (character n-grams need no tokenizer) and fast. Hyper-parameters are chosen by
``GridSearchCV`` (macro F1, folds of the train split only); the fitted pipeline is stored with
joblib: a file the project writes itself, never one from elsewhere (unpickling runs code).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sentiment_platform.lib.scoring.datasets import LabeledTexts

MODEL_NAME = "tfidf-logreg"
#: The grid searched by default: regularisation and the character n-gram range.
DEFAULT_GRID: dict[str, list[Any]] = {
    "classify__C": [0.5, 2.0],
    "features__chars__ngram_range": [(2, 4), (2, 5)],
}


def classical_pipeline() -> Any:
    """Word 1-2-grams and character 2-5-grams (within word boundaries), TF-IDF with sublinear
    counts, into a class-balanced multinomial logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True, max_features=300_000
                ),
            ),
        ]
    )
    return Pipeline([("features", features), ("classify", LogisticRegression(max_iter=2000, class_weight="balanced"))])


def train_classical(
    train: LabeledTexts, grid: Mapping[str, Sequence[Any]] | None = None, folds: int = 3, jobs: int = 1
) -> tuple[Any, dict]:
    """The pipeline refitted on all of ``train`` with the grid's best parameters (by cross-validated
    macro F1 on ``train``), and what the search found."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    started = time.perf_counter()
    search = GridSearchCV(
        classical_pipeline(),
        {k: list(v) for k, v in (grid or DEFAULT_GRID).items()},
        scoring="f1_macro",
        cv=StratifiedKFold(folds, shuffle=True, random_state=13),
        n_jobs=jobs,
        refit=True,
    )
    search.fit(train.texts, train.labels)
    info = {
        "best_params": {k: list(v) if isinstance(v, tuple) else v for k, v in search.best_params_.items()},
        "cv_macro_f1": float(search.best_score_),
        "grid": [
            {"params": {k: str(v) for k, v in params.items()}, "cv_macro_f1": float(score)}
            for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"])
        ],
        "train_rows": len(train),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return search.best_estimator_, info


def save_classical(pipeline: Any, info: dict, path: str | Path) -> Path:
    """Write the fitted pipeline and its training record atomically."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    joblib.dump({"pipeline": pipeline, "info": info}, tmp, compress=3)
    tmp.replace(path)
    return path


@dataclass
class ClassicalTextModel:
    """Scores with a pipeline written by :func:`save_classical` (the ``classical_sentiment_model`` asset)."""

    path: str | Path
    name: str = field(init=False, default=MODEL_NAME)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        import joblib

        from sentiment_platform.lib.scoring.text_models import file_digest

        path = Path(self.path)
        if not path.exists():
            raise FileNotFoundError(f"no classical model at {path}; materialize `classical_sentiment_model`")
        stored = joblib.load(path)
        self._pipeline, self.info = stored["pipeline"], stored["info"]
        self.fingerprint = f"{MODEL_NAME}-{file_digest(path)}"

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        probabilities = np.zeros((len(texts), 3), dtype=np.float32)
        if len(texts):
            columns = list(self._pipeline.classes_)
            probabilities[:, columns] = self._pipeline.predict_proba(list(texts))
        return probabilities, np.zeros(len(texts), dtype=bool)
