import io

import polars as pl
import pytest
from PIL import Image

from sentiment_platform import ImageScorer, TextScorer, score_images, score_posts, score_texts


def png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_score_texts_gives_one_row_per_text_in_order_with_statuses():
    frame = score_texts(
        ["I love this, it is wonderful!", "This is awful, I hate it.", "   ", None], TextScorer(backend="vader")
    )
    assert isinstance(frame, pl.DataFrame)
    assert frame["text"].to_list()[:2] == ["I love this, it is wonderful!", "This is awful, I hate it."]
    assert frame["status"].to_list() == ["ok", "ok", "empty", "not_text"]
    assert frame["label"].to_list()[:2] == ["positive", "negative"] and frame["label"][2] is None
    assert {"p_negative", "p_neutral", "p_positive", "score", "model"} <= set(frame.columns)


def test_without_a_scorer_the_configured_backend_is_used(monkeypatch):
    monkeypatch.setenv("SENTIMENT_TEXT_BACKEND", "vader")
    assert score_texts(["fine"])["model"].to_list() == ["vader"]


def test_score_images_scores_valid_files_and_flags_the_rest(model_cache):
    frame = score_images([png((250, 200, 40)), b"not an image", None], ImageScorer(cache_dir=model_cache))
    assert frame.height == 3 and frame["status"][0] == "ok" and frame["label"][0] in ("negative", "neutral", "positive")
    assert frame["status"][1].startswith("invalid:") and frame["status"][2] == "missing"
    assert frame["score"][1] is None


def test_score_posts_fuses_text_and_image_and_keeps_the_one_a_post_has(model_cache):
    texts = ["what a wonderful day at the beach", "this is awful", None]
    images = [png((250, 200, 40)), None, png((20, 20, 30))]
    frame = score_posts(texts, images, TextScorer(backend="vader"), ImageScorer(cache_dir=model_cache))
    assert frame.height == 3 and frame["text"].to_list() == texts
    assert {"post_label", "post_score", "text_label", "text_status", "image_label", "image_status"} <= set(
        frame.columns
    )
    second, third = frame.row(1, named=True), frame.row(2, named=True)
    assert second["post_label"] == second["text_label"] and second["post_score"] == pytest.approx(second["text_score"])
    assert third["text_status"] == "not_text" and third["post_label"] == third["image_label"]
    assert frame["post_label"][0] in ("negative", "neutral", "positive")
    with pytest.raises(ValueError):
        score_posts(["one"], [])


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda value: score_texts(value, TextScorer(backend="vader")), "a string"),
        (lambda value: score_texts(value, TextScorer(backend="vader")), b"some bytes"),
        (lambda value: score_texts(value, TextScorer(backend="vader")), 42),
        (lambda value: score_images(value, ImageScorer(backend="affect", read_text=False)), png((1, 2, 3))),
        (lambda value: score_posts(value, [None], TextScorer(backend="vader")), "a string"),
    ],
)
def test_one_string_or_file_instead_of_a_list_is_a_type_error_naming_the_list(call, argument):
    with pytest.raises(TypeError, match="expects a list of"):
        call(argument)


def test_a_text_that_cannot_be_encoded_gets_its_own_status_and_the_others_are_scored():
    import json

    lone = json.loads('"\\ud800 what a lovely day"')
    frame = score_texts(["I love it", lone, "I hate it"], TextScorer(backend="vader"))
    assert frame["status"].to_list() == ["ok", "invalid_encoding", "ok"]
    assert frame["label"].to_list() == ["positive", None, "negative"]
    assert frame["text"][1] == "\ufffd what a lovely day"
    posts = score_posts(["I love it", lone], [None, None], TextScorer(backend="vader"), ImageScorer(read_text=False))
    assert posts["text_status"].to_list() == ["ok", "invalid_encoding"] and posts["post_label"][1] is None


def test_image_items_that_are_not_bytes_get_their_own_status():
    frame = score_images([png((250, 200, 40)), "photo.jpg", 7], ImageScorer(backend="affect", read_text=False))
    assert frame["status"].to_list()[1:] == ["invalid:not_bytes", "invalid:not_bytes"]
    assert frame["status"][0] == "ok"
