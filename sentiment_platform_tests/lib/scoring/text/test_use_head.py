"""The USE model: offline multilingual embeddings, a head chosen on train folds, saved, loaded and
scored like any backend."""

import numpy as np

from sentiment_platform.lib.scoring.fitting.datasets import LabeledTexts
from sentiment_platform.lib.scoring.text.text_scoring import score_text_values
from sentiment_platform.lib.scoring.text.use_head import (
    DEFAULT_USE_HEAD,
    UseHead,
    UseTextModel,
    embed_texts,
    train_use_head,
)
from sentiment_platform_tests.lib.scoring.text.test_classical import ROWS


def test_translations_embed_closer_than_unrelated_texts():
    english, french, other = embed_texts(["I love this song", "J'adore cette chanson", "The train leaves at noon"])
    assert np.allclose([np.linalg.norm(english), np.linalg.norm(french)], 1, atol=1e-4)
    assert english @ french > english @ other + 0.2


def test_the_head_is_chosen_on_train_folds_and_scores_like_a_backend(tmp_path):
    train = LabeledTexts("train", [t for t, _ in ROWS] * 4, [y for _, y in ROWS] * 4)
    head = train_use_head(train, c_values=[0.5, 8.0], folds=3)
    assert [row["c"] for row in head.info["grid"]] == [0.5, 8.0] and head.info["c"] in (0.5, 8.0)
    assert head.info["train_rows"] == 36 and 0 <= head.info["cv_macro_f1"] <= 1
    path = head.save(tmp_path / "use.npz")
    loaded = UseHead.load(path)
    assert loaded.info == head.info and np.allclose(loaded.coef, head.coef, atol=1e-6)
    model = UseTextModel(path)
    frame, _ = score_text_values(["I love this, wonderful day", "I hate waiting, terrible service", ""], model)
    assert frame["label"].to_list() == ["positive", "negative", None]
    assert frame["status"].to_list() == ["ok", "ok", "empty"] and model.name == "use-m3-logreg"
    assert UseTextModel(DEFAULT_USE_HEAD).fingerprint != model.fingerprint


def test_the_shipped_head_is_small_and_reads_spanish_and_french():
    model = UseTextModel(DEFAULT_USE_HEAD)
    assert DEFAULT_USE_HEAD.stat().st_size < 100_000 and model.info["train_rows"] > 10_000
    probabilities, truncated = model.predict(["Que alegría, me encanta", "Quelle déception, c'est nul"])
    assert probabilities.argmax(axis=1).tolist() == [2, 0] and not truncated.any()
