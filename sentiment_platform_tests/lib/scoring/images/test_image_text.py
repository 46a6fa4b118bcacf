import io
import random

import polars as pl
from PIL import Image

from sentiment_platform.lib.scoring.images.image_models import AffectImageModel
from sentiment_platform.lib.scoring.images.image_scoring import (
    IMAGE_TEXT_SCHEMA,
    image_score_counts,
    score_image_files,
    with_image_text_scores,
)
from sentiment_platform.lib.scoring.images.image_text import ImageTextReader, file_texts, split_run_together
from sentiment_platform.lib.scoring.text.text_models import VaderTextModel
from sentiment_platform.sources.mock_network.images import MEME_CAPTIONS, meme_caption, render_image


def test_run_together_words_are_split_back_and_names_are_kept():
    assert split_run_together("BESTDAYEVER") == "best day ever"
    assert split_run_together("ILOVE THIS") == "i love THIS"
    assert split_run_together("GHIRARDELLI Happy") == "GHIRARDELLI Happy"  # no clean split: kept
    assert split_run_together("call 1-800-222-8477") == "call 1-800-222-8477"


def test_the_reader_reads_meme_captions_and_finds_nothing_in_plain_scenes():
    rng = random.Random(11)
    reader = ImageTextReader()
    found, memes = 0, 0
    for sentiment in MEME_CAPTIONS:
        for _ in range(4):
            caption = meme_caption(sentiment, rng)
            data, _ = render_image(sentiment, rng, caption)
            text = reader.read_one(Image.open(io.BytesIO(data)).convert("RGB"))
            memes += 1
            found += text is not None and set(caption.split()) <= set(text.lower().split())
    assert found >= 0.75 * memes
    plain = [Image.open(io.BytesIO(render_image(s, rng)[0])).convert("RGB") for s in MEME_CAPTIONS]
    assert reader.read(plain) == [None, None, None]


def test_text_read_in_images_gets_its_language_and_sentiment(tmp_path):
    rng = random.Random(2)
    files = [
        render_image("negative", rng, "i hate mondays")[0],
        render_image("positive", rng)[0],
        b"not an image",
    ]
    frame = score_image_files(files, AffectImageModel(), ImageTextReader())
    assert image_score_counts(frame)["with_text"] == 1
    scored = with_image_text_scores(frame, VaderTextModel())
    assert set(IMAGE_TEXT_SCHEMA) <= set(scored.columns)
    first = scored.row(0, named=True)
    # Too short to name its language (a Latin-script text of under 20 letters): undetermined, which
    # the English model scores.
    assert "hate" in first["image_text"].lower() and first["image_text_lang"] == "und"
    assert first["image_text_label"] == "negative" and first["image_text_score"] < 0
    # No text, no guess; an invalid file keeps its status.
    assert scored.filter(pl.col("image_text").is_null())["image_text_score"].null_count() == 2
    assert scored["status"].to_list()[2] == "invalid:not_an_image"


def test_file_texts_are_kept_and_reused(tmp_path):
    rng = random.Random(4)
    paths = []
    for i, caption in enumerate(["best day ever", None]):
        path = tmp_path / f"{i}.png"
        path.write_bytes(render_image("positive", rng, caption)[0])
        paths.append(path)
    reader = ImageTextReader()
    first = file_texts(reader, paths, tmp_path / "cache")
    assert "best day ever" in first[0].lower() and first[1] is None
    [stored] = (tmp_path / "cache" / "image_texts").iterdir()
    stored.write_text('["from the cache", null]')
    assert file_texts(reader, paths, tmp_path / "cache") == ["from the cache", None]


def test_an_image_the_reader_fails_on_loses_its_text_not_the_batch(monkeypatch):
    rng = random.Random(6)
    images = [
        Image.open(io.BytesIO(render_image("positive", rng, "best day ever")[0])).convert("RGB") for _ in range(2)
    ]
    reader = ImageTextReader()
    calls = []

    def flaky(image):
        calls.append(image)
        if len(calls) == 1:
            raise RuntimeError("onnxruntime: invalid input")
        return "best day ever"

    monkeypatch.setattr(reader, "read_one", flaky)
    assert reader.read(images) == [None, "best day ever"]
