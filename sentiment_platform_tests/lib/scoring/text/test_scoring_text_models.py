"""The three text backends; the transformers one with tiny random models built in a temp folder."""

import numpy as np
import pytest

from sentiment_platform.lib.scoring.text.score_cache import ScoreCache
from sentiment_platform.lib.scoring.text.text_models import (
    TransformersTextModel,
    VaderTextModel,
)
from sentiment_platform.lib.scoring.text.text_scoring import score_text_values
from sentiment_platform_tests.lib.scoring.tiny_models import tiny_text_classifier


@pytest.mark.parametrize(
    "id2label, favour, expected",
    [
        ({0: "negative", 1: "neutral", 2: "positive"}, 2, "positive"),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, 1, "neutral"),
        ({0: "NEGATIVE", 1: "POSITIVE"}, 0, "negative"),
        ({0: "positive", 1: "negative"}, 0, "positive"),
    ],
)
def test_transformers_backend_maps_each_output_to_its_class(tmp_path, id2label, favour, expected):
    model = TransformersTextModel(str(tiny_text_classifier(tmp_path / "model", id2label, favour)))
    frame, _ = score_text_values(["what a day", "the train is late again"], model)
    assert frame["label"].to_list() == [expected, expected]
    assert frame["model"].to_list() == [str(tmp_path / "model")] * 2
    probs = frame.select("p_negative", "p_neutral", "p_positive").to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    if len(id2label) == 2:
        assert (frame["p_neutral"] == 0).all()  # a two-label model never claims neutral


def test_transformers_backend_truncates_long_texts(tmp_path):
    model = TransformersTextModel(
        str(tiny_text_classifier(tmp_path / "model", {0: "negative", 1: "positive"})), max_length=16
    )
    frame, _ = score_text_values(["word " * 5000, "short"], model)
    assert frame["truncated"].to_list() == [True, False]
    assert frame["status"].to_list() == ["ok", "ok"]


def test_vader_labels_clear_cases_and_its_score_is_in_range():
    frame, _ = score_text_values(
        ["I love this, it is wonderful!", "This is awful, I hate it.", "The bus leaves at nine."], VaderTextModel()
    )
    assert frame["label"].to_list() == ["positive", "negative", "neutral"]
    assert frame["score"].is_between(-1, 1).all()


def test_bad_inputs_get_a_status_and_no_score():
    values = ["", "   ", None, 3.5, b"\xc3\x28 broken utf-8", "fine text", "😍😍😍"]
    frame, counts = score_text_values(values, VaderTextModel())
    assert frame["status"].to_list() == ["empty", "empty", "not_text", "not_text", "invalid_encoding", "ok", "ok"]
    assert frame.filter(frame["status"] != "ok")["score"].null_count() == 5
    assert frame.filter(frame["status"] != "ok")["label"].null_count() == 5
    assert counts["status_empty"] == 2 and counts["scored"] == 2


class CountingModel(VaderTextModel):
    calls: list[int]

    def predict(self, texts):
        self.calls.append(len(texts))
        return super().predict(texts)


def test_duplicate_texts_are_scored_once_and_the_cache_persists_in_the_lake(any_lake):
    model = CountingModel()
    model.calls = []
    texts = ["great game tonight", "great   game tonight ", "awful traffic", "great game tonight"]
    cache = ScoreCache.load(any_lake, model.fingerprint)
    first, counts = score_text_values(texts, model, cache)
    assert model.calls == [2] and counts["distinct_texts"] == 2
    assert first["score"][0] == first["score"][1] == first["score"][3]
    key = cache.save(any_lake)
    assert key and any_lake.exists(key)

    reloaded = ScoreCache.load(any_lake, model.fingerprint)
    second, counts = score_text_values(texts + ["something new"], model, reloaded)
    assert model.calls == [2, 1] and counts["cache_hits"] == 2
    assert second.head(4).equals(first)
    reloaded.save(any_lake)
    again = ScoreCache.load(any_lake, model.fingerprint)
    assert again.save(any_lake) is None  # nothing new: nothing written
    assert len(again) == 3
