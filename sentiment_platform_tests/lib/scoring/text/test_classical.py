"""The classical baseline: grid search on train folds only, saved, loaded and scored like any backend."""

import numpy as np

from sentiment_platform.lib.scoring.fitting.datasets import LabeledTexts
from sentiment_platform.lib.scoring.text.classical import (
    DEFAULT_CLASSICAL,
    DEFAULT_ENGLISH_CLASSICAL,
    ClassicalTextModel,
    load_classical,
    save_classical,
    train_classical,
)
from sentiment_platform.lib.scoring.text.text_scoring import score_text_values

ROWS = [
    ("I love this, wonderful day", 2),
    ("great job team, so proud", 2),
    ("c'est génial, j'adore", 2),
    ("this is awful and sad", 0),
    ("I hate waiting, terrible service", 0),
    ("c'est nul, je déteste", 0),
    ("the store opens at nine", 1),
    ("new episode tonight at 8", 1),
    ("le train part à midi", 1),
]


def test_the_grid_is_searched_on_train_folds_and_the_model_scores_like_a_backend(tmp_path):
    train = LabeledTexts("train", [t for t, _ in ROWS] * 6, [y for _, y in ROWS] * 6)
    pipeline, info = train_classical(train, "toy", {"classify__C": [0.5, 4.0]}, folds=3)
    assert len(info["grid"]) == 2 and info["best_params"]["classify__C"] in (0.5, 4.0)
    assert info["train_rows"] == 54 and 0.0 <= info["cv_macro_f1"] <= 1.0
    path = save_classical(pipeline, info, tmp_path / "classical.npz")
    texts = [t for t, _ in ROWS] + ["something else entirely", "😍"]
    loaded, loaded_info = load_classical(path)
    assert loaded_info == info
    assert np.allclose(loaded.predict_proba(texts), pipeline.predict_proba(texts), atol=1e-5)
    model = ClassicalTextModel(path)
    frame, _ = score_text_values(["I love this wonderful team", "I hate this awful service", ""], model)
    assert frame["label"].to_list() == ["positive", "negative", None]
    assert frame["status"].to_list() == ["ok", "ok", "empty"] and model.name == "tfidf-logreg-toy"


def test_the_shipped_model_is_small_and_knows_the_eight_languages():
    model = ClassicalTextModel(DEFAULT_CLASSICAL)
    assert DEFAULT_CLASSICAL.stat().st_size < 8_000_000 and model.info["train_rows"] > 10_000
    assert model.name == "tfidf-logreg-umsab"
    texts = ["Que alegría, me encanta", "Quelle déception, c'est nul", "Kurzes Update: morgen"]
    probabilities, _ = model.predict(texts)
    assert probabilities.argmax(axis=1).tolist() == [2, 0, 1]


def test_the_shipped_english_model_is_trained_on_all_of_tweeteval_train():
    model = ClassicalTextModel(DEFAULT_ENGLISH_CLASSICAL)
    assert DEFAULT_ENGLISH_CLASSICAL.stat().st_size < 8_000_000 and model.info["train_rows"] == 45_615
    assert model.name == "tfidf-logreg-tweeteval" and len(model.info["grid"]) == 4
    texts = ["I love this song so much", "worst customer service ever, so angry", "The meeting is on Tuesday"]
    probabilities, _ = model.predict(texts)
    assert probabilities.argmax(axis=1).tolist() == [2, 0, 1]
