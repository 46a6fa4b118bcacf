"""The classical baseline: TF-IDF word and character n-grams with logistic regression.

Language-agnostic (character n-grams need no tokenizer) and fast. The n-grams are hashed into a
fixed number of columns, so the fitted model is a few arrays (inverse document frequencies and
the regression's weights) kept in a compressed ``.npz`` file: small enough to ship in the package,
and loading it runs no code (unlike a pickle). Hyper-parameters are chosen by ``GridSearchCV``
(macro F1, folds of the train split only).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sentiment_platform.lib.scoring.array_files import load_arrays, save_arrays
from sentiment_platform.lib.scoring.fitting.datasets import LabeledTexts
from sentiment_platform.lib.scoring.shipped_weights import WEIGHTS_DIR

MODEL_NAME = "tfidf-logreg"
#: The model shipped in the package (UMSAB train, all eight languages): the default's partner of E5.
DEFAULT_CLASSICAL = WEIGHTS_DIR / "classical_sentiment.npz"
#: The English one (TweetEval train): the default's partner of MiniLM.
DEFAULT_ENGLISH_CLASSICAL = WEIGHTS_DIR / "english_classical_sentiment.npz"
#: Searched by default: the logistic regression's inverse regularisation, and the longest
#: character n-gram (from 2).
DEFAULT_C_VALUES = (0.5, 2.0)
DEFAULT_CHAR_NGRAM_MAX = (4, 5)
#: Hashed columns of each feature family.
WORD_COLUMNS, CHAR_COLUMNS = 2**17, 2**18


def classical_pipeline(
    word_ngrams: tuple[int, int] = (1, 2), char_ngrams: tuple[int, int] = (2, 5), c: float = 1.0
) -> Any:
    """Word n-grams and character n-grams (within word boundaries), hashed, TF-IDF with sublinear
    counts, into a class-balanced multinomial logistic regression."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    def family(columns: int, **options: Any) -> Pipeline:
        hashed = HashingVectorizer(n_features=columns, alternate_sign=False, norm=None, lowercase=True, **options)
        return Pipeline([("hash", hashed), ("idf", TfidfTransformer(sublinear_tf=True))])

    features = FeatureUnion(
        [
            ("words", family(WORD_COLUMNS, ngram_range=word_ngrams)),
            ("chars", family(CHAR_COLUMNS, analyzer="char_wb", ngram_range=char_ngrams)),
        ]
    )
    classify = LogisticRegression(max_iter=2000, class_weight="balanced", C=c)
    return Pipeline([("features", features), ("classify", classify)])


def classical_grid(
    c_values: Sequence[float] = DEFAULT_C_VALUES, char_ngram_max: Sequence[int] = DEFAULT_CHAR_NGRAM_MAX
) -> dict[str, list[Any]]:
    """The GridSearchCV grid of :func:`classical_pipeline` over those two hyper-parameters."""
    return {
        "classify__C": list(c_values),
        "features__chars__hash__ngram_range": [(2, high) for high in char_ngram_max],
    }


def train_classical(
    train: LabeledTexts,
    data: str,
    grid: Mapping[str, Sequence[Any]] | None = None,
    folds: int = 3,
    jobs: int = 1,
) -> tuple[Any, dict]:
    """The pipeline refitted on all of ``train`` with the grid's best parameters (by cross-validated
    macro F1 on ``train``), and what the search found; ``data`` names the training set (and, in
    the model's name, the model)."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    started = time.perf_counter()
    search = GridSearchCV(
        classical_pipeline(),
        {k: list(v) for k, v in (grid or classical_grid()).items()},
        scoring="f1_macro",
        cv=StratifiedKFold(folds, shuffle=True, random_state=13),
        n_jobs=jobs,
        refit=True,
    )
    search.fit(train.texts, train.labels)
    info = {
        "data": data,
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
    """Write the fitted pipeline's arrays, its n-gram ranges and its training record atomically."""
    union = dict(pipeline.named_steps["features"].transformer_list)
    classify = pipeline.named_steps["classify"]
    shape = {
        "word_ngrams": list(union["words"].named_steps["hash"].ngram_range),
        "char_ngrams": list(union["chars"].named_steps["hash"].ngram_range),
        "c": float(classify.C),
    }
    arrays = {
        "word_idf": union["words"].named_steps["idf"].idf_.astype(np.float32),
        "char_idf": union["chars"].named_steps["idf"].idf_.astype(np.float32),
        "coef": classify.coef_.astype(np.float32),
        "intercept": classify.intercept_.astype(np.float32),
        "classes": classify.classes_.astype(np.int64),
    }
    return save_arrays(path, arrays, {"shape": shape, "info": info})


def load_classical(path: str | Path) -> tuple[Any, dict]:
    """The pipeline written by :func:`save_classical`, ready to predict, and its training record."""
    stored, meta = load_arrays(path, "materialize `classical_sentiment_model` or `english_classical_sentiment_model`")
    shape = meta["shape"]
    pipeline = classical_pipeline(tuple(shape["word_ngrams"]), tuple(shape["char_ngrams"]), shape["c"])
    union = dict(pipeline.named_steps["features"].transformer_list)
    union["words"].named_steps["idf"].idf_ = stored["word_idf"].astype(np.float64)
    union["chars"].named_steps["idf"].idf_ = stored["char_idf"].astype(np.float64)
    classify = pipeline.named_steps["classify"]
    classify.coef_ = stored["coef"].astype(np.float64)
    classify.intercept_ = stored["intercept"].astype(np.float64)
    classify.classes_ = stored["classes"]
    classify.n_features_in_ = classify.coef_.shape[1]
    return pipeline, meta["info"]


@dataclass
class ClassicalTextModel:
    """Scores with a model written by :func:`save_classical` (a shipped one, or the
    ``classical_sentiment_model`` or ``english_classical_sentiment_model`` asset's); named by the
    data it was trained on, like ``tfidf-logreg-umsab``."""

    path: str | Path
    name: str = field(init=False)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        from sentiment_platform.lib.scoring.text.text_models import file_digest

        path = Path(self.path)
        self._pipeline, self.info = load_classical(path)
        self.name = f"{MODEL_NAME}-{self.info['data']}"
        self.fingerprint = f"{MODEL_NAME}-{file_digest(path)}"

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        probabilities = np.zeros((len(texts), 3), dtype=np.float32)
        if len(texts):
            columns = list(self._pipeline.classes_)
            probabilities[:, columns] = self._pipeline.predict_proba(list(texts))
        return probabilities, np.zeros(len(texts), dtype=bool)
